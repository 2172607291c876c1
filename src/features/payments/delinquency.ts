/**
 * Late fees (RULES §7): the fee one installment is charged when its days past due (dpd) reach a
 * threshold, and the plan of fees a loan is charged as of a date, capped by its principal.
 */
import { bpsToBig, maxBig, minBig, roundHalfUpTo100 } from "../../shared/money.js";
import { checkDpd } from "../../domain/installments.js";

/** A late fee is charged once per installment when its dpd first reaches each of these. */
export const LATE_FEE_THRESHOLDS: readonly number[] = Object.freeze([5, 30, 60, 90, 120, 150, 180]);

/**
 * One late fee: `max(round to Rp 100 of (principalDue + interestDue) * lateFeeBps / 10000,
 * minLateFee)` (before the loan-level cap applied by `planLateFees`).
 */
export function lateFeeAmount(principalDue: bigint, interestDue: bigint, lateFeeBps: number, minLateFee: bigint): bigint {
  const base = principalDue + interestDue;
  return maxBig(roundHalfUpTo100(base * bpsToBig(lateFeeBps), 10_000n), minLateFee);
}

export interface LateFeeInstallment {
  paymentId: string;
  /** Days past due as of the evaluation date. */
  dpd: number;
  unpaid: boolean;
  principalDue: bigint;
  interestDue: bigint;
  /** How many of LATE_FEE_THRESHOLDS were already charged (0–7). */
  thresholdsApplied: number;
}

export interface LateFeePlanInput {
  /** The loan's installments in installment order. */
  asOfDpdByInstallment: LateFeeInstallment[];
  lateFeeBps: number;
  minLateFee: bigint;
  loanPrincipal: bigint;
  loanTotalInterest: bigint;
  /** Late fees already charged on the loan. */
  loanTotalLateFees: bigint;
}

export interface PlannedLateFee {
  paymentId: string;
  /** The dpd threshold (5, 30, … 180) this fee is for. */
  threshold: number;
  fee: bigint;
}

/**
 * Late fees to charge now: for each unpaid installment, one per threshold its dpd has reached
 * beyond the `thresholdsApplied` already charged (several at once when catching up after a gap),
 * in installment order then threshold order. Paid installments get none.
 *
 * Cap: the loan's late fees + total interest never exceed its principal. The fee that would cross
 * it is cut to fit; the ones after it are 0n. Zero fees are still returned, so the caller records
 * the threshold as applied (and raises `thresholdsApplied`), which keeps a later run from
 * charging that threshold again: running again with the updated counts and totals plans nothing.
 */
export function planLateFees(input: LateFeePlanInput): PlannedLateFee[] {
  const { lateFeeBps, minLateFee, loanPrincipal, loanTotalInterest, loanTotalLateFees } = input;
  let room = maxBig(loanPrincipal - loanTotalInterest - loanTotalLateFees, 0n);
  const plan: PlannedLateFee[] = [];
  for (const inst of input.asOfDpdByInstallment) {
    checkDpd(inst.dpd);
    if (!Number.isInteger(inst.thresholdsApplied) || inst.thresholdsApplied < 0 || inst.thresholdsApplied > LATE_FEE_THRESHOLDS.length) {
      throw new RangeError(`thresholdsApplied must be 0–${LATE_FEE_THRESHOLDS.length}, got ${inst.thresholdsApplied}`);
    }
    if (!inst.unpaid) continue;
    const reached = LATE_FEE_THRESHOLDS.filter((t) => inst.dpd >= t).length;
    for (let k = inst.thresholdsApplied; k < reached; k++) {
      const fee = minBig(lateFeeAmount(inst.principalDue, inst.interestDue, lateFeeBps, minLateFee), room);
      room -= fee;
      plan.push({ paymentId: inst.paymentId, threshold: LATE_FEE_THRESHOLDS[k]!, fee });
    }
  }
  return plan;
}
