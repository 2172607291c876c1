/** HS256 JWTs: `sub`, `role`, optional `exp` (RULES §2). */
import { errors, jwtVerify, SignJWT } from "jose";
import { invalidCredentials } from "../shared/errors.js";
import { isUuid } from "../shared/ids.js";
import { ROLES, type Role, type Viewer } from "./viewer.js";

export interface TokenKey {
  key: Uint8Array;
}

export function tokenKey(secret: string): TokenKey {
  return { key: new TextEncoder().encode(secret) };
}

export interface MintOptions {
  role: Role;
  sub: string;
  /** Lifetime, e.g. "12h", "30d", or seconds; omitted = no exp claim. */
  expiresIn?: string | number;
}

export async function mintToken(key: TokenKey, opts: MintOptions): Promise<string> {
  let jwt = new SignJWT({ role: opts.role }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(opts.sub).setIssuedAt();
  if (opts.expiresIn !== undefined) {
    jwt = jwt.setExpirationTime(typeof opts.expiresIn === "number" ? Math.floor(Date.now() / 1000) + opts.expiresIn : opts.expiresIn);
  }
  return jwt.sign(key.key);
}

/**
 * Verify an `Authorization` value ("Bearer <jwt>"). Absent → anonymous; anything present but
 * bad (malformed, wrong signature or algorithm, expired, unknown role) → UNAUTHENTICATED.
 */
export async function viewerFromAuthorization(key: TokenKey, header: string | undefined | null): Promise<Viewer> {
  if (header === undefined || header === null || header === "") return { role: "ANONYMOUS" };
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header.trim());
  if (!m) throw invalidCredentials("Malformed Authorization header: expected 'Bearer <token>'");
  // A token whose signature and claims were verified is the same viewer until it expires: the
  // signature check (WebCrypto key import + HMAC) is skipped for tokens seen before.
  let cache = verified.get(key);
  if (!cache) verified.set(key, (cache = new Map()));
  const hit = cache.get(m[1]!);
  if (hit && !tokenExpired(hit)) return hit;
  const viewer = await verifyToken(key, m[1]!);
  if (cache.size >= MAX_CACHED_TOKENS) cache.clear();
  cache.set(m[1]!, viewer);
  return viewer;
}

/**
 * Whether the viewer's token has expired by now (wall clock, as jose checks `exp`: expired from
 * the second `exp` on). Anonymous viewers and tokens without `exp` never expire. A verified
 * viewer outlives its token on a WebSocket: every operation there checks this again.
 */
export function tokenExpired(viewer: Viewer, nowMs = Date.now()): boolean {
  const exp = "exp" in viewer ? viewer.exp : undefined;
  return exp !== undefined && exp <= Math.floor(nowMs / 1000);
}

/**
 * Calls `fn` once, when the viewer's token expires (wall clock; at once if it already has);
 * nothing for a token without `exp`. Returns a cancel function. Every pending expiry shares one
 * unref'd timer, armed for the earliest `exp` (a timer per socket and subscription was a Timeout
 * and closures each, for every idle subscriber), re-armed past setTimeout's 24.8-day maximum (a
 * "30d" token is not cut short).
 */
export function atTokenExpiry(viewer: Viewer, fn: () => void): () => void {
  const exp = "exp" in viewer ? viewer.exp : undefined;
  if (exp === undefined) return () => {};
  if (exp * 1000 <= Date.now()) {
    fn();
    return () => {};
  }
  let fns = expiring.get(exp);
  if (!fns) expiring.set(exp, (fns = new Set()));
  const entry = { fn };
  fns.add(entry);
  // Re-armed too when the clock has moved under the timer (set back, or past it without it
  // firing: e.g. a test's fake timers installed or removed since it was armed).
  const now = Date.now();
  if (exp * 1000 < wheelAt || now < wheelArmedAt || wheelAt < now - 1000) armWheel();
  return () => {
    const set = expiring.get(exp);
    if (set?.delete(entry) && set.size === 0) expiring.delete(exp);
  };
}

/** Pending expiry callbacks by `exp` (seconds). */
const expiring = new Map<number, Set<{ fn: () => void }>>();
let wheel: NodeJS.Timeout | undefined;
/** When the shared timer fires (ms since the epoch), Infinity when none is armed. */
let wheelAt = Infinity;
/** Date.now() when it was armed. */
let wheelArmedAt = 0;

function armWheel(): void {
  if (wheel) clearTimeout(wheel);
  wheel = undefined;
  wheelAt = Infinity;
  let next = Infinity;
  for (const exp of expiring.keys()) if (exp < next) next = exp;
  if (next === Infinity) return;
  wheelAt = next * 1000;
  wheelArmedAt = Date.now();
  wheel = setTimeout(fireWheel, Math.min(Math.max(0, wheelAt - Date.now()), 2 ** 31 - 1));
  wheel.unref();
}

function fireWheel(): void {
  wheel = undefined;
  wheelAt = Infinity;
  // A timer may fire a millisecond before the wall clock reaches exp: those wait for the re-arm.
  const now = Date.now();
  const due: { fn: () => void }[] = [];
  for (const [exp, fns] of expiring) {
    if (exp * 1000 > now) continue;
    expiring.delete(exp);
    for (const e of fns) due.push(e);
  }
  armWheel();
  for (const e of due) {
    try {
      e.fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

const MAX_CACHED_TOKENS = 10_000;
const verified = new WeakMap<TokenKey, Map<string, Exclude<Viewer, { role: "ANONYMOUS" }>>>();

async function verifyToken(key: TokenKey, token: string): Promise<Exclude<Viewer, { role: "ANONYMOUS" }>> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.key, { algorithms: ["HS256"] }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw invalidCredentials("Token expired");
    throw invalidCredentials("Invalid token");
  }
  const role = payload.role as Role;
  const sub = payload.sub;
  if (!ROLES.includes(role) || typeof sub !== "string" || sub.length === 0 || sub.length > 200) {
    throw invalidCredentials("Invalid token claims");
  }
  const exp = typeof payload.exp === "number" ? payload.exp : undefined;
  if (role === "CUSTOMER") {
    if (!isUuid(sub)) throw invalidCredentials("Invalid token claims");
    return { role, customerId: sub.toLowerCase(), sub, exp };
  }
  if (role === "PARTNER") {
    if (!isUuid(sub)) throw invalidCredentials("Invalid token claims");
    return { role, partnerId: sub.toLowerCase(), sub, exp };
  }
  return { role: "ADMIN", sub, exp };
}
