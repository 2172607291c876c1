import { describe, expect, it } from "vitest";
import { LOAN_STATUS_CODES, LOAN_STATUSES, PAYMENT_STATUS_CODES, PAYMENT_STATUSES } from "./statuses.js";

describe("status code tables", () => {
  it("payment statuses", () => {
    expect(PAYMENT_STATUS_CODES).toEqual({
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
    });
    expect(PAYMENT_STATUSES).toHaveLength(14);
    expect(Object.isFrozen(PAYMENT_STATUS_CODES)).toBe(true);
  });

  it("loan statuses", () => {
    expect(LOAN_STATUS_CODES).toEqual({
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
    });
    expect(LOAN_STATUSES).toHaveLength(14);
  });
});
