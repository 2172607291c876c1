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
 * nothing for a token without `exp`. Returns a cancel function. Timers are unref'd and re-armed
 * past setTimeout's 24.8-day maximum (a "30d" token is not cut short).
 */
export function atTokenExpiry(viewer: Viewer, fn: () => void): () => void {
  const exp = "exp" in viewer ? viewer.exp : undefined;
  if (exp === undefined) return () => {};
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = () => {
    timer = undefined;
    if (cancelled) return;
    // A timer may fire a millisecond before the wall clock reaches exp: re-arm for the rest.
    const ms = exp * 1000 - Date.now();
    if (ms <= 0) return fn();
    timer = setTimeout(arm, Math.min(ms, 2 ** 31 - 1));
    timer.unref();
  };
  arm();
  return () => {
    cancelled = true;
    if (timer) clearTimeout(timer);
  };
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
