/**
 * The status tables (RULES §4–§8): application, loan and installment statuses with their numeric
 * codes, and which of them count as open or active. The contract calls an installment a `Payment`,
 * so its status type keeps the contract's name `PaymentStatus`.
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

/** Installment statuses (the contract's `PaymentStatus`). */
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

/** The entities whose status moves are recorded (status_changes, status_events). */
export type StatusEntity = "APPLICATION" | "LOAN";
export type StatusOf<E extends StatusEntity> = E extends "APPLICATION" ? ApplicationStatus : LoanStatus;

/** The numeric code of an application or loan status (status_changes.from_code / to_code). */
export function statusCode<E extends StatusEntity>(entityType: E, status: StatusOf<E>): number {
  return entityType === "APPLICATION"
    ? APPLICATION_STATUS_CODES[status as ApplicationStatus]
    : LOAN_STATUS_CODES[status as LoanStatus];
}
