/**
 * The state machines (RULES §4–§7): which action moves an application or a loan from which status
 * to which. A move not in a table throws `InvalidTransitionError`, which IS the API's
 * INVALID_STATE (with `currentStatus`): commands let it through, so a refused move is reported
 * the same way everywhere. Loan moves driven by delinquency and repayment (CURRENT ↔ LATE_* →
 * PAID_OFF) are not actions: `evaluateInstallments` (installments.ts) computes them.
 */
import { DomainError } from "../shared/errors.js";
import { type ApplicationStatus, type LoanStatus } from "./statuses.js";

export type ApplicationEvent =
  | "DENY"
  | "APPROVE"
  | "REJECT"
  | "ACCEPT"
  | "DECLINE"
  | "EXPIRE"
  | "CANCEL"
  | "DISBURSE"
  | "FAIL_DISBURSEMENT";

/**
 * event → (from status → to status). DENY is the scoring denial, REJECT the admin's; both lead
 * from SUBMITTED to DENIED. FAIL_DISBURSEMENT is allowed from FUND_DISBURSAL_FAILED as well (a
 * retried disbursement can fail again; the status stays 181 and the failure is still recorded).
 */
export const APPLICATION_TRANSITIONS: Readonly<
  Record<ApplicationEvent, Readonly<Partial<Record<ApplicationStatus, ApplicationStatus>>>>
> = Object.freeze({
  DENY: { SUBMITTED: "DENIED" },
  REJECT: { SUBMITTED: "DENIED" },
  APPROVE: { SUBMITTED: "OFFER_MADE" },
  ACCEPT: { OFFER_MADE: "OFFER_ACCEPTED" },
  DECLINE: { OFFER_MADE: "OFFER_DECLINED" },
  EXPIRE: { OFFER_MADE: "OFFER_EXPIRED" },
  CANCEL: { SUBMITTED: "CANCELLED", OFFER_MADE: "CANCELLED", OFFER_ACCEPTED: "CANCELLED" },
  DISBURSE: { OFFER_ACCEPTED: "FUND_DISBURSAL_SUCCESSFUL", FUND_DISBURSAL_FAILED: "FUND_DISBURSAL_SUCCESSFUL" },
  FAIL_DISBURSEMENT: { OFFER_ACCEPTED: "FUND_DISBURSAL_FAILED", FUND_DISBURSAL_FAILED: "FUND_DISBURSAL_FAILED" },
});
export const APPLICATION_EVENTS = Object.freeze(Object.keys(APPLICATION_TRANSITIONS) as ApplicationEvent[]);

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

/**
 * How a command words a refused move when the machine's own sentence does not fit it (e.g. a loan
 * command refused because of the loan's application): the message, and the status to report as
 * `currentStatus` (default: the status the move was refused from).
 */
export interface Refusal {
  message: string;
  currentStatus?: string;
}

/** A move not allowed from the current status: the API's INVALID_STATE. */
export class InvalidTransitionError extends DomainError {
  readonly currentStatus: string;
  readonly event: string;
  constructor(currentStatus: string, event: string, entity: "application" | "loan" = "application", refusal?: Refusal) {
    const message = refusal?.message ?? `cannot ${event} ${entity === "loan" ? "a loan" : "an application"} in status ${currentStatus}`;
    super("INVALID_STATE", message, { currentStatus: refusal?.currentStatus ?? currentStatus });
    this.name = "InvalidTransitionError";
    this.currentStatus = currentStatus;
    this.event = event;
  }
}

/**
 * Looks up `table[event][current]` with own properties only, so a status or event string read
 * from outside (e.g. "constructor") can never match an inherited property.
 */
export function lookupTransition<S extends string, E extends string>(
  table: Readonly<Record<E, Readonly<Partial<Record<S, S>>>>>,
  current: S,
  event: E,
): S | undefined {
  if (!Object.hasOwn(table, event)) return undefined;
  const moves = table[event];
  return Object.hasOwn(moves, current) ? moves[current] : undefined;
}

/** The status after `event`, or throws `InvalidTransitionError` (worded by `refusal` if given). */
export function nextApplicationStatus(current: ApplicationStatus, event: ApplicationEvent, refusal?: Refusal): ApplicationStatus {
  const to = lookupTransition(APPLICATION_TRANSITIONS, current, event);
  if (to === undefined) throw new InvalidTransitionError(current, event, "application", refusal);
  return to;
}

/** Whether `event` is allowed from `current`. */
export function canApplyApplicationEvent(current: ApplicationStatus, event: ApplicationEvent): boolean {
  return lookupTransition(APPLICATION_TRANSITIONS, current, event) !== undefined;
}

/** The status after `event`, or throws `InvalidTransitionError` (worded by `refusal` if given). */
export function nextLoanStatus(current: LoanStatus, event: LoanEvent, refusal?: Refusal): LoanStatus {
  const to = lookupTransition(LOAN_TRANSITIONS, current, event);
  if (to === undefined) throw new InvalidTransitionError(current, event, "loan", refusal);
  return to;
}

/** Whether `event` is allowed from `current`. */
export function canApplyLoanEvent(current: LoanStatus, event: LoanEvent): boolean {
  return lookupTransition(LOAN_TRANSITIONS, current, event) !== undefined;
}
