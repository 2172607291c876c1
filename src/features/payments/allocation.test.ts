import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sumBig } from "../../shared/money.js";
import { allocate, type Allocation, type InstallmentDue } from "./allocation.js";

const due = (n: number, principal: bigint, interest: bigint, lateFee = 0n): InstallmentDue => ({
  paymentId: `p${n}`,
  installmentNumber: n,
  principalOutstanding: principal,
  interestOutstanding: interest,
  lateFeeOutstanding: lateFee,
});
const allocated = (a: Allocation) => a.principal + a.interest + a.lateFee;

// The worked example's schedule: 1,124,000 / 1,120,000 / 1,120,000.
const example = [due(1, 1_000_000n, 124_000n), due(2, 1_000_000n, 120_000n), due(3, 1_000_000n, 120_000n)];

describe("allocate", () => {
  it("pays one installment exactly", () => {
    expect(allocate(1_124_000n, example)).toEqual({
      allocations: [{ paymentId: "p1", installmentNumber: 1, principal: 1_000_000n, interest: 124_000n, lateFee: 0n }],
      walletCredit: 0n,
    });
  });

  it("goes principal → interest → late fee inside an installment", () => {
    const dues = [due(1, 1_000_000n, 124_000n, 56_200n)];
    expect(allocate(600_000n, dues).allocations).toEqual([
      { paymentId: "p1", installmentNumber: 1, principal: 600_000n, interest: 0n, lateFee: 0n },
    ]);
    expect(allocate(1_100_000n, dues).allocations).toEqual([
      { paymentId: "p1", installmentNumber: 1, principal: 1_000_000n, interest: 100_000n, lateFee: 0n },
    ]);
    expect(allocate(1_150_000n, dues).allocations).toEqual([
      { paymentId: "p1", installmentNumber: 1, principal: 1_000_000n, interest: 124_000n, lateFee: 26_000n },
    ]);
  });

  it("pays the oldest installment first whatever the input order, spilling into the next", () => {
    const shuffled = [example[2]!, example[0]!, example[1]!];
    expect(allocate(1_500_000n, shuffled)).toEqual({
      allocations: [
        { paymentId: "p1", installmentNumber: 1, principal: 1_000_000n, interest: 124_000n, lateFee: 0n },
        { paymentId: "p2", installmentNumber: 2, principal: 376_000n, interest: 0n, lateFee: 0n },
      ],
      walletCredit: 0n,
    });
  });

  it("pays a late fee of an older installment before the principal of a newer one", () => {
    const dues = [due(2, 1_000_000n, 120_000n), due(1, 0n, 0n, 56_000n)];
    expect(allocate(100_000n, dues).allocations).toEqual([
      { paymentId: "p1", installmentNumber: 1, principal: 0n, interest: 0n, lateFee: 56_000n },
      { paymentId: "p2", installmentNumber: 2, principal: 44_000n, interest: 0n, lateFee: 0n },
    ]);
  });

  it("skips installments with nothing outstanding", () => {
    const dues = [due(1, 0n, 0n, 0n), due(2, 0n, 50n, 0n), due(3, 1_000_000n, 120_000n)];
    expect(allocate(100n, dues).allocations).toEqual([
      { paymentId: "p2", installmentNumber: 2, principal: 0n, interest: 50n, lateFee: 0n },
      { paymentId: "p3", installmentNumber: 3, principal: 50n, interest: 0n, lateFee: 0n },
    ]);
  });

  it("credits what is left after the last installment to the wallet", () => {
    const r = allocate(3_400_000n, example);
    expect(r.allocations.map(allocated)).toEqual([1_124_000n, 1_120_000n, 1_120_000n]);
    expect(r.walletCredit).toBe(36_000n);
  });

  it("credits everything to the wallet when nothing is owed", () => {
    expect(allocate(5_000n, [])).toEqual({ allocations: [], walletCredit: 5_000n });
    expect(allocate(5_000n, [due(1, 0n, 0n, 0n)])).toEqual({ allocations: [], walletCredit: 5_000n });
  });

  it("pays Rp 1 to the first principal", () => {
    expect(allocate(1n, example).allocations).toEqual([
      { paymentId: "p1", installmentNumber: 1, principal: 1n, interest: 0n, lateFee: 0n },
    ]);
  });

  it("rejects a non-positive amount and negative outstanding amounts", () => {
    expect(() => allocate(0n, example)).toThrow(RangeError);
    expect(() => allocate(-1n, example)).toThrow(RangeError);
    expect(() => allocate(100 as unknown as bigint, example)).toThrow(RangeError);
    expect(() => allocate(100n, [due(1, -1n, 0n)])).toThrow(RangeError);
    expect(() => allocate(100n, [due(1, 0n, -1n)])).toThrow(RangeError);
    expect(() => allocate(100n, [due(1, 0n, 0n, -1n)])).toThrow(RangeError);
  });

  it("does not modify its input", () => {
    const dues = [example[1]!, example[0]!];
    const copy = structuredClone(dues);
    allocate(2_000_000n, dues);
    expect(dues).toEqual(copy);
  });

  describe("properties", () => {
    const duesArb = fc
      .uniqueArray(fc.integer({ min: 1, max: 24 }), { maxLength: 8 })
      .chain((numbers) =>
        fc.tuple(
          ...numbers.map((n) =>
            fc
              .record({
                principal: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 3_000_000n })),
                interest: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 500_000n })),
                lateFee: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 200_000n })),
              })
              .map((c) => due(n, c.principal, c.interest, c.lateFee)),
          ),
        ),
      );
    const amountArb = fc.bigInt({ min: 1n, max: 20_000_000n });

    it("Σ allocations + walletCredit = amount; nothing beyond what is owed; only non-empty rows", () => {
      fc.assert(
        fc.property(amountArb, duesArb, (amount, dues) => {
          const { allocations, walletCredit } = allocate(amount, dues);
          expect(sumBig(allocations.map(allocated)) + walletCredit).toBe(amount);
          expect(walletCredit >= 0n).toBe(true);
          const byId = new Map(dues.map((d) => [d.paymentId, d]));
          for (const a of allocations) {
            const d = byId.get(a.paymentId)!;
            expect(a.installmentNumber).toBe(d.installmentNumber);
            expect(a.principal >= 0n && a.principal <= d.principalOutstanding).toBe(true);
            expect(a.interest >= 0n && a.interest <= d.interestOutstanding).toBe(true);
            expect(a.lateFee >= 0n && a.lateFee <= d.lateFeeOutstanding).toBe(true);
            expect(allocated(a) > 0n).toBe(true);
            // inside one installment: interest only once principal is paid, late fee once interest is
            if (a.interest > 0n) expect(a.principal).toBe(d.principalOutstanding);
            if (a.lateFee > 0n) expect(a.interest).toBe(d.interestOutstanding);
          }
          expect(new Set(allocations.map((a) => a.paymentId)).size).toBe(allocations.length);
          // the wallet gets money only when everything is paid
          const owed = sumBig(dues.map((d) => d.principalOutstanding + d.interestOutstanding + d.lateFeeOutstanding));
          expect(walletCredit).toBe(amount > owed ? amount - owed : 0n);
        }),
      );
    });

    it("touches an installment only when every older one is fully paid; rows in installment order", () => {
      fc.assert(
        fc.property(amountArb, duesArb, (amount, dues) => {
          const { allocations } = allocate(amount, dues);
          const paid = new Map(allocations.map((a) => [a.installmentNumber, allocated(a)]));
          const nums = allocations.map((a) => a.installmentNumber);
          expect(nums).toEqual([...nums].sort((x, y) => x - y));
          for (const a of allocations) {
            for (const older of dues.filter((d) => d.installmentNumber < a.installmentNumber)) {
              const owed = older.principalOutstanding + older.interestOutstanding + older.lateFeeOutstanding;
              expect(paid.get(older.installmentNumber) ?? 0n).toBe(owed);
            }
          }
        }),
      );
    });
  });
});
