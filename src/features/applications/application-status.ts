/**
 * Application statuses and the moves between them (RULES §4, §5). Any move not in the table is
 * an `InvalidTransitionError` (the API's INVALID_STATE).
 */

export const APPLICATION_STATUS_CODES = Object.freeze({
  SUBMITTED: 110,
  DENIED: 135,
  CANCELLED: 137,
  OFFER_MADE: 140,
  OFFER_ACCEPTED: 141,
  OFFER_DECLINED: 142,
  OFFER_EXPIRED: 143,
  FUND_DISBURSAL_SUCCESSFUL: 180,
  FUND_DISBURSAL_FAILED: 181,
} as const);
export type ApplicationStatus = keyof typeof APPLICATION_STATUS_CODES;
export const APPLICATION_STATUSES = Object.freeze(Object.keys(APPLICATION_STATUS_CODES) as ApplicationStatus[]);

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

/**
 * Statuses that block a new application (RULES §4: a customer may not apply again while one is
 * SUBMITTED, OFFER_MADE or OFFER_ACCEPTED).
 */
export const OPEN_APPLICATION_STATUSES: readonly ApplicationStatus[] = Object.freeze([
  "SUBMITTED",
  "OFFER_MADE",
  "OFFER_ACCEPTED",
]);

export function isOpenApplicationStatus(s: ApplicationStatus): boolean {
  return OPEN_APPLICATION_STATUSES.includes(s);
}

/** A move not allowed from the current status (shared by applications and loans). */
export class InvalidTransitionError extends Error {
  readonly currentStatus: string;
  readonly event: string;
  constructor(currentStatus: string, event: string, entity: "application" | "loan" = "application") {
    super(`cannot ${event} ${entity === "loan" ? "a loan" : "an application"} in status ${currentStatus}`);
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

/** The status after `event`, or throws `InvalidTransitionError`. */
export function nextApplicationStatus(current: ApplicationStatus, event: ApplicationEvent): ApplicationStatus {
  const to = lookupTransition(APPLICATION_TRANSITIONS, current, event);
  if (to === undefined) throw new InvalidTransitionError(current, event, "application");
  return to;
}

/** Whether `event` is allowed from `current`. */
export function canApplyApplicationEvent(current: ApplicationStatus, event: ApplicationEvent): boolean {
  return lookupTransition(APPLICATION_TRANSITIONS, current, event) !== undefined;
}
