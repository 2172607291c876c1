import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_MONEY,
  MoneyParseError,
  bpsOf,
  formatMoney,
  maxBig,
  minBig,
  parseMoney,
  roundHalfUpTo100,
  sumBig,
} from "./money.js";

describe("parseMoney", () => {
  it.each([
    ["0", 0n],
    ["1", 1n],
    ["3000000", 3_000_000n],
    ["007", 7n],
    ["9223372036854775807", MAX_MONEY],
    ["0000000000000000001", 1n],
  ] as const)("accepts the string %j", (input, expected) => {
    expect(parseMoney(input)).toBe(expected);
  });

  it.each([
    [0, 0n],
    [1_500_000, 1_500_000n],
    [Number.MAX_SAFE_INTEGER, 9_007_199_254_740_991n],
  ] as const)("accepts the number %d", (input, expected) => {
    expect(parseMoney(input)).toBe(expected);
  });

  it.each([
    "",
    "-1",
    "+1",
    "1.0",
    "1.",
    ".5",
    "1e3",
    "1E3",
    "0x10",
    " 1",
    "1 ",
    "1,000",
    "1_000",
    "1 000",
    "٣",
    "１",
    "9223372036854775808", // 2^63
    "99999999999999999999", // 20 digits
    "00000000000000000001", // 20 digits even though the value is small
    "NaN",
    "Infinity",
  ])("rejects the string %j", (input) => {
    expect(() => parseMoney(input)).toThrow(MoneyParseError);
  });

  it.each([-1, -0.5, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, 1e21])(
    "rejects the number %d",
    (input) => {
      expect(() => parseMoney(input)).toThrow(MoneyParseError);
    },
  );

  it.each([null, undefined, true, {}, [], [1], 10n, Symbol("x")])("rejects %s", (input) => {
    expect(() => parseMoney(input)).toThrow(MoneyParseError);
  });

  it("MoneyParseError is an Error with an explaining message", () => {
    try {
      parseMoney("-5");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(MoneyParseError);
      expect((e as Error).name).toBe("MoneyParseError");
      expect((e as Error).message).toMatch(/digits/);
    }
  });

  it("property: parseMoney(formatMoney(x)) = x", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_MONEY }), (x) => {
        expect(parseMoney(formatMoney(x))).toBe(x);
      }),
    );
  });
});

describe("formatMoney", () => {
  it("prints decimal digits", () => {
    expect(formatMoney(0n)).toBe("0");
    expect(formatMoney(2_850_000n)).toBe("2850000");
    expect(formatMoney(MAX_MONEY)).toBe("9223372036854775807");
  });

  it("refuses negative money and non-bigints", () => {
    expect(() => formatMoney(-1n)).toThrow(RangeError);
    expect(() => formatMoney(5 as unknown as bigint)).toThrow(RangeError);
  });
});

describe("roundHalfUpTo100", () => {
  it.each([
    [0n, 1n, 0n],
    [49n, 1n, 0n],
    [50n, 1n, 100n],
    [149n, 1n, 100n],
    [150n, 1n, 200n],
    [56_249n, 1n, 56_200n],
    [56_250n, 1n, 56_300n],
    [5_624_999n, 100n, 56_200n], // 56,249.99
    [5_625_000n, 100n, 56_300n], // 56,250.00
    [1_124_000n * 500n, 10_000n, 56_200n],
    [1n, 3n, 0n],
  ] as const)("%d / %d → %d", (num, den, expected) => {
    expect(roundHalfUpTo100(num, den)).toBe(expected);
  });

  it("rejects a non-positive denominator and a negative numerator", () => {
    expect(() => roundHalfUpTo100(1n, 0n)).toThrow(RangeError);
    expect(() => roundHalfUpTo100(1n, -1n)).toThrow(RangeError);
    expect(() => roundHalfUpTo100(-1n, 1n)).toThrow(RangeError);
  });

  it("property: nearest multiple of 100, ties up", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (num, den) => {
        const r = roundHalfUpTo100(num, den);
        expect(r % 100n).toBe(0n);
        // |r - num/den| <= 50, with ties (exactly 50 below) going up: -50*den < r*den - num <= 50*den
        const diff = r * den - num;
        expect(diff > -50n * den).toBe(true);
        expect(diff <= 50n * den).toBe(true);
      }),
    );
  });
});

describe("bpsOf", () => {
  it("floors amount * bps / 10000", () => {
    expect(bpsOf(3_000_000n, 500)).toBe(150_000n);
    expect(bpsOf(3_000_000n, 400)).toBe(120_000n);
    expect(bpsOf(999n, 1)).toBe(0n);
    expect(bpsOf(19_999n, 5)).toBe(9n);
    expect(bpsOf(1_000_000n, 0)).toBe(0n);
    expect(bpsOf(1_000_000n, 10_000)).toBe(1_000_000n);
  });

  it("rejects negative amounts and bad rates", () => {
    expect(() => bpsOf(-1n, 5)).toThrow(RangeError);
    expect(() => bpsOf(1n, -5)).toThrow(RangeError);
    expect(() => bpsOf(1n, 1.5)).toThrow(RangeError);
    expect(() => bpsOf(1n, Number.NaN)).toThrow(RangeError);
  });

  it("property: floor semantics", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 100_000 }), (amount, bps) => {
        const r = bpsOf(amount, bps);
        expect(r * 10_000n <= amount * BigInt(bps)).toBe(true);
        expect((r + 1n) * 10_000n > amount * BigInt(bps)).toBe(true);
      }),
    );
  });
});

describe("minBig / maxBig / sumBig", () => {
  it("work on bigints", () => {
    expect(minBig(3n)).toBe(3n);
    expect(minBig(3n, 1n, 2n)).toBe(1n);
    expect(maxBig(3n, 1n, 7n)).toBe(7n);
    expect(maxBig(-3n, -1n)).toBe(-1n);
    expect(sumBig([])).toBe(0n);
    expect(sumBig([1n, 2n, 3n])).toBe(6n);
    expect(sumBig(new Set([5n, 10n]))).toBe(15n);
  });
});
