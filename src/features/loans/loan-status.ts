/**
 * Loan status moves made by an action (RULES §5, §6). Moves driven by delinquency and repayment
 * (CURRENT ↔ LATE_* → PAID_OFF) are computed from the installments by `loanStatusForDpd` /
 * `evaluateLoan` in payments/delinquency.ts, which also holds the status table re-exported here.
 */
import { InvalidTransitionError, lookupTransition } from "../applications/application-status.js";
import { LOAN_STATUS_CODES, LOAN_STATUSES, type LoanStatus } from "../payments/delinquency.js";

export { InvalidTransitionError, LOAN_STATUS_CODES, LOAN_STATUSES, type LoanStatus };

export type LoanEvent = "CANCEL" | "DISBURSE" | "FAIL_DISBURSEMENT" | "WRITE_OFF";

/**
 * event → (from status → to status). A failed disbursement may be retried (DISBURSE) or fail
 * again (FAIL_DISBURSEMENT from DISBURSAL_FAILED). Write-off only from LATE_90DPD or worse.
 */
export const LOAN_TRANSITIONS: Readonly<Record<LoanEvent, Readonly<Partial<Record<LoanStatus, LoanStatus>>>>> =
  Object.freeze({
    CANCEL: { INACTIVE: "CANCELLED" },
    DISBURSE: { INACTIVE: "CURRENT", DISBURSAL_FAILED: "CURRENT" },
    FAIL_DISBURSEMENT: { INACTIVE: "DISBURSAL_FAILED", DISBURSAL_FAILED: "DISBURSAL_FAILED" },
    WRITE_OFF: {
      LATE_90DPD: "WRITTEN_OFF",
      LATE_120DPD: "WRITTEN_OFF",
      LATE_150DPD: "WRITTEN_OFF",
      LATE_180DPD: "WRITTEN_OFF",
    },
  });
export const LOAN_EVENTS = Object.freeze(Object.keys(LOAN_TRANSITIONS) as LoanEvent[]);

/** The status after `event`, or throws `InvalidTransitionError`. */
export function nextLoanStatus(current: LoanStatus, event: LoanEvent): LoanStatus {
  const to = lookupTransition(LOAN_TRANSITIONS, current, event);
  if (to === undefined) throw new InvalidTransitionError(current, event, "loan");
  return to;
}

/** Whether `event` is allowed from `current`. */
export function canApplyLoanEvent(current: LoanStatus, event: LoanEvent): boolean {
  return lookupTransition(LOAN_TRANSITIONS, current, event) !== undefined;
}

/** Disbursed and not finished: CURRENT or any LATE_* (payments and the daily update apply). */
export function isActiveLoanStatus(s: LoanStatus): boolean {
  return s === "CURRENT" || s.startsWith("LATE_");
}

/** CURRENT and every LATE_* status, in code order. */
export const ACTIVE_LOAN_STATUSES: readonly LoanStatus[] = Object.freeze(LOAN_STATUSES.filter(isActiveLoanStatus));

/** Not finished: anything but PAID_OFF, CANCELLED, WRITTEN_OFF (blocks a new application). */
export function isOpenLoanStatus(s: LoanStatus): boolean {
  return s !== "PAID_OFF" && s !== "CANCELLED" && s !== "WRITTEN_OFF";
}
