/**
 * Installments as of a date (RULES §6, §7, §8): the status an installment has for its days past
 * due (dpd) or for the day it was paid, and ONE evaluation of a loan's installments and of the
 * loan itself, used by payments, the daily update and reversals. Status names are the contract's
 * `PaymentStatus` (an installment is a `Payment` in the API).
 */
import { daysBetween, toEpochDay } from "../shared/dates.js";
import { type LoanStatus, type PaymentStatus } from "./statuses.js";

/** Overdue buckets, worst first: the first whose lower bound `dpd` reaches applies. */
const OVERDUE_BUCKETS: ReadonlyArray<readonly [minDpd: number, installment: PaymentStatus, loan: LoanStatus]> = [
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

/** Throws a RangeError unless `dpd` is a safe integer. */
export function checkDpd(dpd: number): void {
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

/** What the evaluation needs of an installment. */
export interface InstallmentState {
  dueDate: string;
  /** Still owed on the installment; 0 (or less) means it is paid. */
  outstanding: bigint;
  /** The stored status and dpd: what a paid installment keeps. */
  status?: string;
  daysPastDue?: number;
  /**
   * The Jakarta date on which it became fully paid when that happens in the caller's work (a
   * posting or a replay): it then gets the paid status of that date and dpd 0.
   */
  paidOn?: string | null;
}

export interface EvaluatedInstallment {
  unpaid: boolean;
  /** asOf − dueDate in days (negative before the due date). */
  dpd: number;
  status: string;
  daysPastDue: number;
}

export interface InstallmentsEvaluation {
  /** One per input installment, in the same order. */
  installments: EvaluatedInstallment[];
  /** The loan's status (PAID_OFF when nothing is unpaid) and dpd: its worst unpaid installment's, ≥ 0. */
  loan: { status: LoanStatus; daysPastDue: number };
}

/**
 * A disbursed loan's installments and the loan as of `asOf`. An unpaid installment gets
 * `unpaidPaymentStatus(dpd)` and `daysPastDue = max(dpd, 0)`; one paid on `paidOn` gets
 * `paidPaymentStatus(paidOn)` and 0; any other paid one keeps its stored status and dpd.
 * `dayOf` lets a caller evaluating many loans memoise day numbers.
 */
export function evaluateInstallments(
  installments: readonly InstallmentState[],
  asOf: string,
  dayOf: (date: string) => number = toEpochDay,
): InstallmentsEvaluation {
  const asOfDay = dayOf(asOf);
  let worst: number | null = null;
  const out = installments.map((i): EvaluatedInstallment => {
    const dpd = asOfDay - dayOf(i.dueDate);
    if (i.outstanding > 0n) {
      if (worst === null || dpd > worst) worst = dpd;
      return { unpaid: true, dpd, status: unpaidPaymentStatus(dpd), daysPastDue: Math.max(dpd, 0) };
    }
    if (i.paidOn) return { unpaid: false, dpd, status: paidPaymentStatus(i.paidOn, i.dueDate), daysPastDue: 0 };
    return { unpaid: false, dpd, status: i.status ?? "", daysPastDue: i.daysPastDue ?? 0 };
  });
  return { installments: out, loan: { status: loanStatusForDpd(worst), daysPastDue: Math.max(worst ?? 0, 0) } };
}

/**
 * A disbursed loan's status as of `asOf` and its daysPastDue: the largest dpd of its unpaid
 * installments, never negative, 0 when none is unpaid.
 */
export function evaluateLoan(installments: readonly InstallmentState[], asOf: string): InstallmentsEvaluation["loan"] {
  return evaluateInstallments(installments, asOf).loan;
}
