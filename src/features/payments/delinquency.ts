/**
 * Delinquency (RULES §6, §7, §8): installment and loan status tables, the status an installment
 * or loan has for its days past due (dpd), and late fees.
 */
import { daysBetween } from "../../shared/dates.js";
import { bpsToBig, maxBig, minBig, roundHalfUpTo100 } from "../../shared/money.js";

// ---------------------------------------------------------------------------------------------
// Installment (payment) statuses

export const PAYMENT_STATUS_CODES = Object.freeze({
  NOT_DUE: 310,
  DUE_IN_3_DAYS: 311,
  DUE_TODAY: 312,
  OVERDUE_1DPD: 320,
  OVERDUE_5DPD: 321,
  OVERDUE_30DPD: 322,
  OVERDUE_60DPD: 323,
  OVERDUE_90DPD: 324,
  OVERDUE_120DPD: 325,
  OVERDUE_150DPD: 326,
  OVERDUE_180DPD: 327,
  PAID_ON_TIME: 330,
  PAID_WITHIN_GRACE: 331,
  PAID_LATE: 332,
} as const);
export type PaymentStatus = keyof typeof PAYMENT_STATUS_CODES;
export const PAYMENT_STATUSES = Object.freeze(Object.keys(PAYMENT_STATUS_CODES) as PaymentStatus[]);

/** Overdue buckets, worst first: the first whose lower bound `dpd` reaches applies. */
const OVERDUE_BUCKETS: ReadonlyArray<readonly [minDpd: number, payment: PaymentStatus, loan: LoanStatus]> = [
  [180, "OVERDUE_180DPD", "LATE_180DPD"],
  [150, "OVERDUE_150DPD", "LATE_150DPD"],
  [120, "OVERDUE_120DPD", "LATE_120DPD"],
  [90, "OVERDUE_90DPD", "LATE_90DPD"],
  [60, "OVERDUE_60DPD", "LATE_60DPD"],
  [30, "OVERDUE_30DPD", "LATE_30DPD"],
  [5, "OVERDUE_5DPD", "LATE_5DPD"],
  [1, "OVERDUE_1DPD", "LATE_1DPD"],
];

function overdueBucket(dpd: number) {
  return OVERDUE_BUCKETS.find(([minDpd]) => dpd >= minDpd);
}

function checkDpd(dpd: number): void {
  if (!Number.isSafeInteger(dpd)) throw new RangeError(`days past due must be an integer, got ${dpd}`);
}

/** Status of an unpaid installment `dpd` days past due (negative before the due date). */
export function unpaidPaymentStatus(dpd: number): PaymentStatus {
  checkDpd(dpd);
  if (dpd < -3) return "NOT_DUE";
  if (dpd < 0) return "DUE_IN_3_DAYS";
  if (dpd === 0) return "DUE_TODAY";
  return overdueBucket(dpd)![1];
}

/** Days after the due date a payment still counts as PAID_WITHIN_GRACE. */
export const GRACE_PERIOD_DAYS = 4;

/** Status of an installment fully paid on `paidOn` (a Jakarta date). */
export function paidPaymentStatus(paidOn: string, dueDate: string): PaymentStatus {
  const daysLate = daysBetween(dueDate, paidOn);
  if (daysLate <= 0) return "PAID_ON_TIME";
  if (daysLate <= GRACE_PERIOD_DAYS) return "PAID_WITHIN_GRACE";
  return "PAID_LATE";
}

// ---------------------------------------------------------------------------------------------
// Late fees

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

// ---------------------------------------------------------------------------------------------
// Loan statuses

export const LOAN_STATUS_CODES = Object.freeze({
  INACTIVE: 210,
  CANCELLED: 216,
  DISBURSAL_FAILED: 218,
  CURRENT: 220,
  LATE_1DPD: 230,
  LATE_5DPD: 231,
  LATE_30DPD: 232,
  LATE_60DPD: 233,
  LATE_90DPD: 234,
  LATE_120DPD: 235,
  LATE_150DPD: 236,
  LATE_180DPD: 237,
  PAID_OFF: 250,
  WRITTEN_OFF: 260,
} as const);
export type LoanStatus = keyof typeof LOAN_STATUS_CODES;
export const LOAN_STATUSES = Object.freeze(Object.keys(LOAN_STATUS_CODES) as LoanStatus[]);

/**
 * Status of a disbursed loan from its worst unpaid installment's dpd; `null` when nothing is
 * unpaid (PAID_OFF).
 */
export function loanStatusForDpd(worstUnpaidDpd: number | null): LoanStatus {
  if (worstUnpaidDpd === null) return "PAID_OFF";
  checkDpd(worstUnpaidDpd);
  if (worstUnpaidDpd <= 0) return "CURRENT";
  return overdueBucket(worstUnpaidDpd)![2];
}

export interface LoanInstallmentState {
  dueDate: string;
  /** Still owed on the installment; 0 means it is paid. */
  outstanding: bigint;
}

/**
 * A disbursed loan's status as of `asOf` and its daysPastDue: the largest dpd of its unpaid
 * installments, never negative, 0 when none is unpaid.
 */
export function evaluateLoan(
  installments: LoanInstallmentState[],
  asOf: string,
): { status: LoanStatus; daysPastDue: number } {
  let worst: number | null = null;
  for (const inst of installments) {
    if (inst.outstanding <= 0n) continue;
    const dpd = daysBetween(inst.dueDate, asOf);
    if (worst === null || dpd > worst) worst = dpd;
  }
  return { status: loanStatusForDpd(worst), daysPastDue: Math.max(worst ?? 0, 0) };
}
