/**
 * Mint a JWT: npm run token -- --role ADMIN|PARTNER|CUSTOMER --sub ID [--expires 12h] [--secret S]
 * The secret is --secret, else JWT_SECRET, else the development secret of DATA_DIR.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { mintToken, tokenKey } from "../auth/tokens.js";
import { ROLES, type Role } from "../auth/viewer.js";
import { isUuid } from "../shared/ids.js";

function fail(msg: string): never {
  console.error(`token: ${msg}`);
  console.error("usage: npm run token -- --role ADMIN|PARTNER|CUSTOMER --sub ID [--expires 12h|3600] [--secret S]");
  process.exit(2);
}

async function run() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: "string" },
        sub: { type: "string" },
        expires: { type: "string" },
        secret: { type: "string" },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const role = (values.role ?? "").toUpperCase() as Role;
  if (!ROLES.includes(role)) fail("--role must be ADMIN, PARTNER or CUSTOMER");
  const sub = values.sub ?? (role === "ADMIN" ? "admin" : undefined);
  if (!sub) fail("--sub is required (the customer id or partner id)");
  if (role !== "ADMIN" && !isUuid(sub)) fail(`--sub must be the ${role.toLowerCase()}'s id (a uuid)`);
  const expires = values.expires;
  if (expires !== undefined && !/^\d+$|^\d+\s*[smhdwy]$/.test(expires)) fail("--expires must be seconds or like 30m, 12h, 7d");
  let secret = values.secret;
  if (!secret) {
    try {
      secret = loadConfig().jwtSecret;
    } catch (err) {
      if (err instanceof ConfigError) fail(err.message);
      throw err;
    }
  }
  const token = await mintToken(tokenKey(secret), {
    role,
    sub,
    expiresIn: expires === undefined ? undefined : /^\d+$/.test(expires) ? Number(expires) : expires,
  });
  process.stdout.write(token + "\n");
}

void run();
