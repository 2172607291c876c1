import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sumBig } from "../../shared/money.js";
import { LATE_FEE_THRESHOLDS, lateFeeAmount, planLateFees, type LateFeeInstallment, type LateFeePlanInput } from "./delinquency.js";

describe("lateFeeAmount", () => {
  it("MTL: 500 bps with a minimum of 55,000", () => {
    expect(lateFeeAmount(1_000_000n, 120_000n, 500, 55_000n)).toBe(56_000n);
    expect(lateFeeAmount(1_000_000n, 124_000n, 500, 55_000n)).toBe(56_200n);
    expect(lateFeeAmount(1_000_000n, 100_000n, 500, 55_000n)).toBe(55_000n); // exactly the minimum
    expect(lateFeeAmount(1_000_000n, 0n, 500, 55_000n)).toBe(55_000n); // 50,000 → minimum
    expect(lateFeeAmount(1_750_000n, 350_000n, 500, 55_000n)).toBe(105_000n);
  });

  it("STL: 1000 bps, no minimum", () => {
    expect(lateFeeAmount(1_000_000n, 74_000n, 1000, 0n)).toBe(107_400n);
    expect(lateFeeAmount(500_000n, 37_000n, 1000, 0n)).toBe(53_700n);
    expect(lateFeeAmount(0n, 0n, 1000, 0n)).toBe(0n);
  });

  it("rounds half-up to Rp 100: …49 down, …50 up", () => {
    expect(lateFeeAmount(1_000_980n, 0n, 500, 0n)).toBe(50_000n); // 50,049
    expect(lateFeeAmount(1_000_999n, 0n, 500, 0n)).toBe(50_000n); // 50,049.95
    expect(lateFeeAmount(1_001_000n, 0n, 500, 0n)).toBe(50_100n); // 50,050
    expect(lateFeeAmount(500_490n, 0n, 1000, 0n)).toBe(50_000n); // 50,049
    expect(lateFeeAmount(500_500n, 0n, 1000, 0n)).toBe(50_100n); // 50,050
  });

  it("rejects a bad rate", () => {
    expect(() => lateFeeAmount(1n, 1n, -1, 0n)).toThrow(RangeError);
  });
});

describe("planLateFees", () => {
  const mtlInst = (over: Partial<LateFeeInstallment> = {}): LateFeeInstallment => ({
    paymentId: "p1",
    dpd: 0,
    unpaid: true,
    principalDue: 1_000_000n,
    interestDue: 120_000n,
    thresholdsApplied: 0,
    ...over,
  });
  const mtlLoan = (installments: LateFeeInstallment[], over: Partial<LateFeePlanInput> = {}): LateFeePlanInput => ({
    asOfDpdByInstallment: installments,
    lateFeeBps: 500,
    minLateFee: 55_000n,
    loanPrincipal: 3_000_000n,
    loanTotalInterest: 364_000n,
    loanTotalLateFees: 0n,
    ...over,
  });

  it.each([-10, 0, 1, 4])("no fee below 5 dpd (dpd %d)", (dpd) => {
    expect(planLateFees(mtlLoan([mtlInst({ dpd })]))).toEqual([]);
  });

  it.each(LATE_FEE_THRESHOLDS.map((t, k) => [t, k] as const))("threshold %d: charged once when reached", (t, k) => {
    expect(planLateFees(mtlLoan([mtlInst({ dpd: t - 1, thresholdsApplied: k })]))).toEqual([]);
    expect(planLateFees(mtlLoan([mtlInst({ dpd: t, thresholdsApplied: k })]))).toEqual([{ paymentId: "p1", threshold: t, fee: 56_000n }]);
    expect(planLateFees(mtlLoan([mtlInst({ dpd: t, thresholdsApplied: k + 1 })]))).toEqual([]);
  });

  it("thresholds are 5, 30, 60, 90, 120, 150, 180", () => {
    expect(LATE_FEE_THRESHOLDS).toEqual([5, 30, 60, 90, 120, 150, 180]);
  });

  it("catches up several thresholds after a gap", () => {
    const plan = planLateFees(mtlLoan([mtlInst({ dpd: 65, thresholdsApplied: 0 })]));
    expect(plan.map((f) => f.threshold)).toEqual([5, 30, 60]);
    expect(planLateFees(mtlLoan([mtlInst({ dpd: 500, thresholdsApplied: 2 })])).map((f) => f.threshold)).toEqual([60, 90, 120, 150, 180]);
    expect(planLateFees(mtlLoan([mtlInst({ dpd: 500, thresholdsApplied: 7 })]))).toEqual([]);
  });

  it("charges only unpaid installments", () => {
    expect(planLateFees(mtlLoan([mtlInst({ dpd: 40, unpaid: false })]))).toEqual([]);
  });

  it("goes in installment order, then threshold order", () => {
    const plan = planLateFees(
      mtlLoan([
        mtlInst({ paymentId: "p1", dpd: 65, thresholdsApplied: 1, interestDue: 124_000n }),
        mtlInst({ paymentId: "p2", dpd: 37, thresholdsApplied: 0 }),
        mtlInst({ paymentId: "p3", dpd: 6, unpaid: false }),
      ]),
    );
    expect(plan).toEqual([
      { paymentId: "p1", threshold: 30, fee: 56_200n },
      { paymentId: "p1", threshold: 60, fee: 56_200n },
      { paymentId: "p2", threshold: 5, fee: 56_000n },
      { paymentId: "p2", threshold: 30, fee: 56_000n },
    ]);
  });

  it("applies the minimum fee (MTL) and none (STL)", () => {
    expect(planLateFees(mtlLoan([mtlInst({ dpd: 5, interestDue: 0n })]))[0]!.fee).toBe(55_000n);
    const stl = planLateFees({
      asOfDpdByInstallment: [mtlInst({ dpd: 5, principalDue: 1_000_000n, interestDue: 74_000n })],
      lateFeeBps: 1000,
      minLateFee: 0n,
      loanPrincipal: 1_000_000n,
      loanTotalInterest: 74_000n,
      loanTotalLateFees: 0n,
    });
    expect(stl).toEqual([{ paymentId: "p1", threshold: 5, fee: 107_400n }]);
  });

  it("caps late fees + interest at the principal: the crossing fee is cut, later ones are 0", () => {
    // room = 1,000,000 - 900,000 - 0 = 100,000 → 55,000, 45,000, 0
    const plan = planLateFees(
      mtlLoan([mtlInst({ dpd: 60, interestDue: 0n })], { loanPrincipal: 1_000_000n, loanTotalInterest: 900_000n }),
    );
    expect(plan).toEqual([
      { paymentId: "p1", threshold: 5, fee: 55_000n },
      { paymentId: "p1", threshold: 30, fee: 45_000n },
      { paymentId: "p1", threshold: 60, fee: 0n },
    ]);
  });

  it("counts late fees already charged against the cap", () => {
    const plan = planLateFees(
      mtlLoan([mtlInst({ dpd: 30, thresholdsApplied: 1 })], { loanPrincipal: 1_000_000n, loanTotalInterest: 900_000n, loanTotalLateFees: 70_000n }),
    );
    expect(plan).toEqual([{ paymentId: "p1", threshold: 30, fee: 30_000n }]);
  });

  it("returns 0 fees (to record the threshold) once the cap is used up or exceeded", () => {
    for (const loanTotalLateFees of [100_000n, 150_000n]) {
      const plan = planLateFees(
        mtlLoan([mtlInst({ dpd: 90, thresholdsApplied: 2 })], { loanPrincipal: 1_000_000n, loanTotalInterest: 900_000n, loanTotalLateFees }),
      );
      expect(plan).toEqual([
        { paymentId: "p1", threshold: 60, fee: 0n },
        { paymentId: "p1", threshold: 90, fee: 0n },
      ]);
    }
  });

  it("rejects a bad thresholdsApplied or dpd", () => {
    expect(() => planLateFees(mtlLoan([mtlInst({ dpd: 5, thresholdsApplied: 8 })]))).toThrow(RangeError);
    expect(() => planLateFees(mtlLoan([mtlInst({ dpd: 5, thresholdsApplied: -1 })]))).toThrow(RangeError);
    expect(() => planLateFees(mtlLoan([mtlInst({ dpd: 5.5 })]))).toThrow(RangeError);
  });

  describe("properties", () => {
    const installmentArb = fc.record({
      dpd: fc.integer({ min: -40, max: 400 }),
      unpaid: fc.boolean(),
      principalDue: fc.bigInt({ min: 0n, max: 5_000_000n }),
      interestDue: fc.bigInt({ min: 0n, max: 1_000_000n }),
      thresholdsApplied: fc.integer({ min: 0, max: 7 }),
    });
    const inputArb = fc.record({
      installments: fc.array(installmentArb, { minLength: 0, maxLength: 8 }),
      lateFeeBps: fc.integer({ min: 0, max: 2000 }),
      minLateFee: fc.bigInt({ min: 0n, max: 100_000n }),
      loanPrincipal: fc.bigInt({ min: 500_000n, max: 10_000_000n }),
      interestShare: fc.integer({ min: 0, max: 100 }),
      lateFeeShare: fc.integer({ min: 0, max: 100 }),
    });
    function toInput(x: typeof inputArb extends fc.Arbitrary<infer T> ? T : never): LateFeePlanInput {
      const interest = (x.loanPrincipal * BigInt(x.interestShare)) / 100n;
      const fees = ((x.loanPrincipal - interest) * BigInt(x.lateFeeShare)) / 100n;
      return {
        asOfDpdByInstallment: x.installments.map((inst, k) => ({ ...inst, paymentId: `p${k + 1}` })),
        lateFeeBps: x.lateFeeBps,
        minLateFee: x.minLateFee,
        loanPrincipal: x.loanPrincipal,
        loanTotalInterest: interest,
        loanTotalLateFees: fees,
      };
    }

    it("fees + interest never exceed the principal; one fee per threshold reached", () => {
      fc.assert(
        fc.property(inputArb, (x) => {
          const input = toInput(x);
          const plan = planLateFees(input);
          const total = input.loanTotalLateFees + sumBig(plan.map((f) => f.fee)) + input.loanTotalInterest;
          expect(total <= input.loanPrincipal).toBe(true);
          expect(plan.every((f) => f.fee >= 0n)).toBe(true);
          for (const inst of input.asOfDpdByInstallment) {
            const mine = plan.filter((f) => f.paymentId === inst.paymentId).map((f) => f.threshold);
            const expected = inst.unpaid ? LATE_FEE_THRESHOLDS.filter((t, k) => k >= inst.thresholdsApplied && inst.dpd >= t) : [];
            expect(mine).toEqual(expected);
          }
        }),
      );
    });

    it("is idempotent: a second run with the charges recorded plans nothing", () => {
      fc.assert(
        fc.property(inputArb, (x) => {
          const input = toInput(x);
          const plan = planLateFees(input);
          const again: LateFeePlanInput = {
            ...input,
            loanTotalLateFees: input.loanTotalLateFees + sumBig(plan.map((f) => f.fee)),
            asOfDpdByInstallment: input.asOfDpdByInstallment.map((inst) => ({
              ...inst,
              thresholdsApplied: inst.thresholdsApplied + plan.filter((f) => f.paymentId === inst.paymentId).length,
            })),
          };
          expect(planLateFees(again)).toEqual([]);
        }),
      );
    });

    it("day-by-day catch-up charges the same as one big jump", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 250 }), fc.bigInt({ min: 0n, max: 3_000_000n }), (days, interest) => {
          const base = (dpd: number, applied: number, fees: bigint): LateFeePlanInput =>
            mtlLoan([mtlInst({ dpd, thresholdsApplied: applied })], { loanTotalInterest: interest, loanTotalLateFees: fees });
          let applied = 0;
          let fees = 0n;
          for (let dpd = 0; dpd <= days; dpd++) {
            const plan = planLateFees(base(dpd, applied, fees));
            applied += plan.length;
            fees += sumBig(plan.map((f) => f.fee));
          }
          const jump = planLateFees(base(days, 0, 0n));
          expect(applied).toBe(jump.length);
          expect(fees).toBe(sumBig(jump.map((f) => f.fee)));
        }),
      );
    });
  });
});
