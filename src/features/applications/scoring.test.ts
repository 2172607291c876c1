import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CREDIT_MATRIX,
  DENIAL_REASONS,
  OfferLimitError,
  gradeFor,
  installmentEstimate,
  offerLimits,
  score,
  type CreditScore,
  type OfferProduct,
  type ScoringInput,
} from "./scoring.js";

const MTL: Pick<ScoringInput, "productCode" | "productRateBps" | "productMaxAmount" | "productMaxTenorMonths"> = {
  productCode: "MTL",
  productRateBps: 0, // "by grade": not used by the MTL estimate
  productMaxAmount: 8_000_000n,
  productMaxTenorMonths: 6,
};
const STL: typeof MTL = { productCode: "STL", productRateBps: 1000, productMaxAmount: 1_000_000n, productMaxTenorMonths: 1 };
const MTL_PRODUCT: OfferProduct = { minAmount: 2_000_000n, maxAmount: 8_000_000n, minTenorMonths: 3, maxTenorMonths: 6 };
const STL_PRODUCT: OfferProduct = { minAmount: 500_000n, maxAmount: 1_000_000n, minTenorMonths: 1, maxTenorMonths: 1 };

function mtl(amount: bigint, tenorMonths: number, monthlyIncome: bigint, age = 30): CreditScore {
  return score({ ...MTL, amount, tenorMonths, monthlyIncome, age });
}

describe("installmentEstimate", () => {
  it("is floor(amount / tenor) + floor(amount * rate / 10000)", () => {
    expect(installmentEstimate(3_000_000n, 3, 400)).toBe(1_120_000n);
    expect(installmentEstimate(4_500_000n, 3, 400)).toBe(1_680_000n);
    expect(installmentEstimate(7_777_777n, 6, 400)).toBe(1_296_296n + 311_111n);
    expect(installmentEstimate(1_000_000n, 1, 1000)).toBe(1_100_000n);
  });
  it("rejects a bad tenor or amount", () => {
    expect(() => installmentEstimate(1n, 0, 400)).toThrow(RangeError);
    expect(() => installmentEstimate(-1n, 3, 400)).toThrow(RangeError);
  });
});

describe("grades at the ratio boundaries", () => {
  // amount 4,500,000 over 3 months: estimate = 1,500,000 + 180,000 = 1,680,000.
  // ratio 0.20 ↔ income 8,400,000; 0.30 ↔ 5,600,000; 0.40 ↔ 4,200,000.
  it.each([
    [8_400_000n, "A-"], // exactly 0.20, income ≥ 8,000,000
    [8_399_999n, "B+"], // just above 0.20
    [5_600_000n, "B+"], // exactly 0.30, income ≥ 5,000,000
    [5_599_999n, "B-"], // just above 0.30
    [4_200_000n, "B-"], // exactly 0.40
    [4_199_999n, "C"], // just above 0.40
  ] as const)("income %d → %s", (income, grade) => {
    expect(mtl(4_500_000n, 3, income).grade).toBe(grade);
  });
});

describe("grades at the income boundaries", () => {
  // amount 3,000,000 over 3 months: estimate 1,120,000 (ratio well inside the limits)
  it.each([
    [8_000_000n, "A-"], // exactly 8,000,000 (ratio 0.14)
    [7_999_999n, "B+"],
    [5_000_000n, "B+"], // exactly 5,000,000 (ratio 0.224)
    [4_999_999n, "B-"],
    [3_000_000n, "B-"], // ratio 0.373
    [2_800_000n, "B-"], // ratio exactly 0.40
    [2_799_999n, "C"],
    [0n, "C"], // no income: never divides by zero
  ] as const)("income %d → %s", (income, grade) => {
    expect(mtl(3_000_000n, 3, income).grade).toBe(grade);
  });

  it("gradeFor treats zero income as an unbounded ratio", () => {
    expect(gradeFor(0n, 0n)).toBe("C");
    expect(gradeFor(1n, 0n)).toBe("C");
    expect(gradeFor(0n, 9_000_000n)).toBe("A-");
  });
});

describe("credit matrix", () => {
  it.each([
    [20_000_000n, "A-", 8_000_000n, 6, 400],
    [6_000_000n, "B+", 7_000_000n, 6, 500],
    [4_000_000n, "B-", 5_000_000n, 4, 600],
  ] as const)("MTL income %d → %s: %d / %d months / %d bps", (income, grade, maxAmount, maxTenorMonths, rate) => {
    const s = mtl(3_000_000n, 3, income);
    expect(s).toEqual({ grade, maxAmount, maxTenorMonths, monthlyInterestRateBps: rate, reasons: [], denied: false });
  });

  it("grade C gets 0 / 0 / 0 and is denied", () => {
    const s = mtl(8_000_000n, 3, 3_000_000n);
    expect(s).toEqual({
      grade: "C",
      maxAmount: 0n,
      maxTenorMonths: 0,
      monthlyInterestRateBps: 0,
      reasons: [DENIAL_REASONS.CREDIT_GRADE_C],
      denied: true,
    });
  });

  it("matches the published table", () => {
    expect(CREDIT_MATRIX).toEqual({
      "A-": { maxAmount: 8_000_000n, maxTenorMonths: 6, monthlyInterestRateBps: 400 },
      "B+": { maxAmount: 7_000_000n, maxTenorMonths: 6, monthlyInterestRateBps: 500 },
      "B-": { maxAmount: 5_000_000n, maxTenorMonths: 4, monthlyInterestRateBps: 600 },
      C: { maxAmount: 0n, maxTenorMonths: 0, monthlyInterestRateBps: 0 },
    });
    expect(Object.isFrozen(CREDIT_MATRIX)).toBe(true);
  });

  it("MTL estimates at 400 bps whatever the grade or product rate", () => {
    const a = score({ ...MTL, productRateBps: 0, amount: 4_500_000n, tenorMonths: 3, monthlyIncome: 8_400_000n, age: 30 });
    const b = score({ ...MTL, productRateBps: 900, amount: 4_500_000n, tenorMonths: 3, monthlyIncome: 8_400_000n, age: 30 });
    expect(a.grade).toBe("A-");
    expect(b.grade).toBe("A-");
  });
});

describe("STL", () => {
  // 1,000,000 over 1 month at 1000 bps: estimate 1,100,000.
  it.each([
    [11_000_000n, "A-"], // ratio 0.10, income ≥ 8,000,000
    [5_500_000n, "B+"], // ratio exactly 0.20 but income < 8,000,000
    [4_000_000n, "B-"], // ratio 0.275 but income < 5,000,000
  ] as const)("income %d → %s", (income, grade) => {
    const s = score({ ...STL, amount: 1_000_000n, tenorMonths: 1, monthlyIncome: income, age: 30 });
    expect(s.grade).toBe(grade);
  });

  it("uses the product's limits and rate for every grade but C", () => {
    for (const income of [20_000_000n, 6_000_000n, 3_000_000n]) {
      const s = score({ ...STL, amount: 1_000_000n, tenorMonths: 1, monthlyIncome: income, age: 30 });
      expect(s.grade).not.toBe("C");
      expect(s).toMatchObject({ maxAmount: 1_000_000n, maxTenorMonths: 1, monthlyInterestRateBps: 1000, denied: false });
    }
  });

  it("uses the product rate in the estimate", () => {
    // 0.40 ↔ income 2,750,000 at 1000 bps (it would be 2,600,000 at 400 bps)
    expect(score({ ...STL, amount: 1_000_000n, tenorMonths: 1, monthlyIncome: 2_750_000n, age: 30 }).grade).toBe("B-");
    expect(score({ ...STL, amount: 1_000_000n, tenorMonths: 1, monthlyIncome: 2_749_999n, age: 30 }).grade).toBe("C");
  });

  it("grade C is denied with nothing offered", () => {
    const s = score({ ...STL, amount: 1_000_000n, tenorMonths: 1, monthlyIncome: 2_000_000n, age: 30 });
    expect(s).toMatchObject({ grade: "C", maxAmount: 0n, maxTenorMonths: 0, monthlyInterestRateBps: 0, denied: true });
  });
});

describe("denial reasons", () => {
  it.each([
    [20, [DENIAL_REASONS.AGE_BELOW_21]],
    [21, []],
    [60, []],
    [61, [DENIAL_REASONS.AGE_ABOVE_60]],
    [17, [DENIAL_REASONS.AGE_BELOW_21]],
    [75, [DENIAL_REASONS.AGE_ABOVE_60]],
  ] as const)("age %d → %j", (age, reasons) => {
    const s = mtl(3_000_000n, 3, 10_000_000n, age);
    expect(s.reasons).toEqual(reasons);
    expect(s.denied).toBe(reasons.length > 0);
    expect(s.grade).toBe("A-"); // the grade is still computed, and its limits kept
    expect(s.maxAmount).toBe(8_000_000n);
  });

  it("income exactly 3,000,000 is enough, 2,999,999 is not", () => {
    expect(mtl(2_000_000n, 6, 3_000_000n).denied).toBe(false);
    const s = mtl(2_000_000n, 6, 2_999_999n);
    expect(s.grade).toBe("B-");
    expect(s.reasons).toEqual([DENIAL_REASONS.INCOME_BELOW_3000000]);
    expect(s.denied).toBe(true);
  });

  it("lists every reason that applies, in a stable order", () => {
    expect(mtl(8_000_000n, 3, 0n, 18).reasons).toEqual([
      DENIAL_REASONS.CREDIT_GRADE_C,
      DENIAL_REASONS.AGE_BELOW_21,
      DENIAL_REASONS.INCOME_BELOW_3000000,
    ]);
    expect(mtl(8_000_000n, 3, 1_000_000n, 65).reasons).toEqual([
      DENIAL_REASONS.CREDIT_GRADE_C,
      DENIAL_REASONS.AGE_ABOVE_60,
      DENIAL_REASONS.INCOME_BELOW_3000000,
    ]);
  });

  it("reason strings start with a stable code", () => {
    for (const [code, text] of Object.entries(DENIAL_REASONS)) expect(text.startsWith(`${code}: `)).toBe(true);
  });

  it("rejects a negative income or a non-positive amount", () => {
    expect(() => mtl(3_000_000n, 3, -1n)).toThrow(RangeError);
    expect(() => mtl(0n, 3, 10_000_000n)).toThrow(RangeError);
  });

  it("property: grade is monotonic in income and denial iff a reason", () => {
    const order = ["C", "B-", "B+", "A-"];
    fc.assert(
      fc.property(
        fc.bigInt({ min: 2_000_000n, max: 8_000_000n }),
        fc.integer({ min: 3, max: 6 }),
        fc.bigInt({ min: 0n, max: 50_000_000n }),
        fc.bigInt({ min: 0n, max: 5_000_000n }),
        fc.integer({ min: 15, max: 80 }),
        (amount, tenor, income, extra, age) => {
          const a = mtl(amount, tenor, income, age);
          const b = mtl(amount, tenor, income + extra, age);
          expect(order.indexOf(b.grade)).toBeGreaterThanOrEqual(order.indexOf(a.grade));
          expect(a.denied).toBe(a.reasons.length > 0);
        },
      ),
    );
  });
});

describe("offerLimits", () => {
  const bMinus = mtl(3_000_000n, 3, 4_000_000n); // 5,000,000 / 4 / 600
  const aMinus = mtl(3_000_000n, 3, 20_000_000n); // 8,000,000 / 6 / 400
  const stl = score({ ...STL, amount: 800_000n, tenorMonths: 1, monthlyIncome: 6_000_000n, age: 30 });

  it("offers the request when within limits", () => {
    expect(offerLimits(bMinus, MTL_PRODUCT, 3_000_000n, 3)).toEqual({ amount: 3_000_000n, tenorMonths: 3, rateBps: 600 });
    expect(offerLimits(aMinus, MTL_PRODUCT, 8_000_000n, 6)).toEqual({ amount: 8_000_000n, tenorMonths: 6, rateBps: 400 });
  });

  it("cuts the request to the grade's limits", () => {
    expect(offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6)).toEqual({ amount: 5_000_000n, tenorMonths: 4, rateBps: 600 });
  });

  it("cuts the request to the product's limits", () => {
    const generous: CreditScore = { ...aMinus, maxAmount: 50_000_000n, maxTenorMonths: 24 };
    expect(offerLimits(generous, MTL_PRODUCT, 9_000_000n, 12)).toEqual({ amount: 8_000_000n, tenorMonths: 6, rateBps: 400 });
  });

  it("offers smaller named values, null/undefined meaning not named", () => {
    expect(offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, 4_000_000n, 3)).toEqual({ amount: 4_000_000n, tenorMonths: 3, rateBps: 600 });
    expect(offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, 5_000_000n, 4)).toEqual({ amount: 5_000_000n, tenorMonths: 4, rateBps: 600 });
    expect(offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, null, null)).toEqual({ amount: 5_000_000n, tenorMonths: 4, rateBps: 600 });
    expect(offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, undefined, 3)).toEqual({ amount: 5_000_000n, tenorMonths: 3, rateBps: 600 });
    expect(offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, 2_000_000n)).toEqual({ amount: 2_000_000n, tenorMonths: 4, rateBps: 600 });
  });

  function expectOfferError(fn: () => unknown, field: "amount" | "tenorMonths") {
    try {
      fn();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OfferLimitError);
      expect((e as OfferLimitError).field).toBe(field);
    }
  }

  it("rejects naming more than allowed", () => {
    expectOfferError(() => offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, 5_000_001n), "amount");
    expectOfferError(() => offerLimits(bMinus, MTL_PRODUCT, 6_000_000n, 6, undefined, 5), "tenorMonths");
    expectOfferError(() => offerLimits(aMinus, MTL_PRODUCT, 8_000_000n, 6, 8_000_001n), "amount");
  });

  it("rejects naming more than requested (an offer never exceeds the request)", () => {
    expectOfferError(() => offerLimits(aMinus, MTL_PRODUCT, 3_000_000n, 3, 4_000_000n), "amount");
    expectOfferError(() => offerLimits(aMinus, MTL_PRODUCT, 3_000_000n, 3, undefined, 4), "tenorMonths");
  });

  it("rejects naming less than the product minimum", () => {
    expectOfferError(() => offerLimits(bMinus, MTL_PRODUCT, 3_000_000n, 3, 1_999_999n), "amount");
    expectOfferError(() => offerLimits(bMinus, MTL_PRODUCT, 3_000_000n, 3, 0n), "amount");
    expectOfferError(() => offerLimits(bMinus, MTL_PRODUCT, 3_000_000n, 3, undefined, 2), "tenorMonths");
    expectOfferError(() => offerLimits(bMinus, MTL_PRODUCT, 3_000_000n, 3, undefined, 3.5), "tenorMonths");
  });

  it("rejects an offer for grade C (nothing may be offered)", () => {
    const c = mtl(8_000_000n, 3, 3_000_000n);
    expectOfferError(() => offerLimits(c, MTL_PRODUCT, 8_000_000n, 3), "amount");
  });

  it("STL: product limits and rate", () => {
    expect(offerLimits(stl, STL_PRODUCT, 800_000n, 1)).toEqual({ amount: 800_000n, tenorMonths: 1, rateBps: 1000 });
    expect(offerLimits(stl, STL_PRODUCT, 800_000n, 1, 500_000n, 1)).toEqual({ amount: 500_000n, tenorMonths: 1, rateBps: 1000 });
    expectOfferError(() => offerLimits(stl, STL_PRODUCT, 800_000n, 1, 499_999n), "amount");
    expectOfferError(() => offerLimits(stl, STL_PRODUCT, 800_000n, 1, 900_000n), "amount");
    expectOfferError(() => offerLimits(stl, STL_PRODUCT, 800_000n, 1, undefined, 2), "tenorMonths");
  });

  it("OfferLimitError is an Error with a message", () => {
    const e = new OfferLimitError("amount", "too much");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("OfferLimitError");
    expect(e.message).toBe("too much");
  });

  it("property: the offer is within [product min, min(request, grade, product)]", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 2_000_000n, max: 8_000_000n }),
        fc.integer({ min: 3, max: 6 }),
        fc.constantFrom(aMinus, mtl(3_000_000n, 3, 6_000_000n), bMinus),
        (amount, tenor, s) => {
          const o = offerLimits(s, MTL_PRODUCT, amount, tenor);
          expect(o.amount <= amount && o.amount <= s.maxAmount && o.amount >= MTL_PRODUCT.minAmount).toBe(true);
          expect(o.tenorMonths <= tenor && o.tenorMonths <= s.maxTenorMonths && o.tenorMonths >= 3).toBe(true);
          expect(o.rateBps).toBe(s.monthlyInterestRateBps);
        },
      ),
    );
  });
});
