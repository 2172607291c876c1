/**
 * Money is whole rupiah held in `bigint` (RULES §1). Nothing here ever turns money into a JS
 * number; rates are basis points (1 bps = 1/10000) held as small non-negative integers.
 */

/** Largest amount that fits a signed 64-bit column (PostgreSQL `bigint`). */
export const MAX_MONEY = 9_223_372_036_854_775_807n;
/** Basis points in one whole (100%). */
export const BPS_DENOMINATOR = 10_000n;

const MAX_MONEY_DIGITS = 19;
const DIGITS = /^[0-9]+$/;

/** Thrown by `parseMoney` for anything that is not a non-negative whole-rupiah amount. */
export class MoneyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MoneyParseError";
  }
}

/**
 * Parses a Money input: either a string of ASCII digits (no sign, decimal point, exponent,
 * spaces or separators; 1–19 digits; at most 2^63-1; leading zeros allowed) or a JS number that
 * is a safe non-negative integer. Anything else throws `MoneyParseError`.
 */
export function parseMoney(input: unknown): bigint {
  if (typeof input === "string") {
    if (input.length === 0) throw new MoneyParseError("Money must not be empty");
    if (!DIGITS.test(input)) {
      throw new MoneyParseError(
        "Money must be a whole number of rupiah written with digits only (no sign, decimal point, exponent or separators)",
      );
    }
    if (input.length > MAX_MONEY_DIGITS) {
      throw new MoneyParseError(`Money must have at most ${MAX_MONEY_DIGITS} digits`);
    }
    const value = BigInt(input);
    if (value > MAX_MONEY) throw new MoneyParseError(`Money must not exceed ${MAX_MONEY}`);
    return value;
  }
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input)) {
      throw new MoneyParseError("Money given as a number must be a safe whole number (send larger amounts as a string)");
    }
    if (input < 0) throw new MoneyParseError("Money must not be negative");
    return BigInt(input);
  }
  throw new MoneyParseError("Money must be a string of digits or an integer");
}

/** Decimal representation of a Money value. Negative money is a bug here and throws RangeError. */
export function formatMoney(v: bigint): string {
  if (typeof v !== "bigint") throw new RangeError("Money must be a bigint");
  if (v < 0n) throw new RangeError(`Money must not be negative, got ${v}`);
  return v.toString();
}

/**
 * `numerator / denominator` rounded half-up to the nearest 100 ("round to Rp 100", RULES §1):
 * a remainder of exactly 50 rounds up. Both must be non-negative, the denominator positive.
 */
export function roundHalfUpTo100(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError("denominator must be positive");
  if (numerator < 0n) throw new RangeError("numerator must not be negative");
  return ((numerator + 50n * denominator) / (100n * denominator)) * 100n;
}

/** Checks that a basis-point rate is a non-negative safe integer and returns it as a bigint. */
export function bpsToBig(bps: number): bigint {
  if (!Number.isSafeInteger(bps) || bps < 0) {
    throw new RangeError(`basis points must be a non-negative integer, got ${bps}`);
  }
  return BigInt(bps);
}

/** `floor(amount * bps / 10000)` for a non-negative amount. */
export function bpsOf(amount: bigint, bps: number): bigint {
  if (amount < 0n) throw new RangeError("amount must not be negative");
  return (amount * bpsToBig(bps)) / BPS_DENOMINATOR;
}

/** Smallest of one or more bigints. */
export function minBig(first: bigint, ...rest: bigint[]): bigint {
  let min = first;
  for (const v of rest) if (v < min) min = v;
  return min;
}

/** Largest of one or more bigints. */
export function maxBig(first: bigint, ...rest: bigint[]): bigint {
  let max = first;
  for (const v of rest) if (v > max) max = v;
  return max;
}

/** Sum of bigints (0n for none). */
export function sumBig(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}
