/**
 * PIN storage (RULES §3: "stored only as a slow salted hash"): scrypt with a random 16-byte salt,
 * kept as `scrypt$N$r$p$saltB64$hashB64` so the cost can be raised later without breaking the
 * hashes already stored (each one carries its own parameters).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export const PIN_SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse absurd parameters from a stored value (memory ≈ 128·N·r bytes). */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function scryptAsync(secret: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function options(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

/** A new salted hash of `pin`. */
export async function hashPin(pin: string, params: { N: number; r: number; p: number } = PIN_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(pin, salt, KEY_BYTES, options(params.N, params.r, params.p));
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[0-9]{1,8}$/.test(s!) ? Number(s) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0 && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) return undefined;
  const salt = Buffer.from(parts[4]!, "base64");
  const key = Buffer.from(parts[5]!, "base64");
  if (salt.length < 8 || key.length < 16 || key.length > 128) return undefined;
  return { N, r, p, salt, key };
}

/**
 * Whether `pin` matches `stored`. Constant-time comparison; a malformed stored value is no match
 * (it still costs one hash, so a broken row does not answer faster than a real one).
 */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) {
    await spendPinHashTime(pin);
    return false;
  }
  const key = await scryptAsync(pin, parsed.salt, parsed.key.length, options(parsed.N, parsed.r, parsed.p));
  return timingSafeEqual(key, parsed.key);
}

let dummy: Promise<string> | undefined;

/**
 * Spend the same time as a real verification (for an unknown phone at login, so the answer time
 * does not tell which phone numbers are registered).
 */
export async function spendPinHashTime(pin: string): Promise<void> {
  dummy ??= hashPin(randomBytes(6).toString("hex"));
  const parsed = parse(await dummy)!;
  const key = await scryptAsync(pin, parsed.salt, parsed.key.length, options(parsed.N, parsed.r, parsed.p));
  timingSafeEqual(key, parsed.key);
}
