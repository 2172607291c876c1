import { describe, expect, it } from "vitest";
import { LoanStatusEnum } from "../graphql/enums.js";
import * as delinquency from "./statuses.js";
import { InvalidTransitionError, LOAN_EVENTS, canApplyLoanEvent, nextLoanStatus, type LoanEvent } from "./lifecycle.js";
import { LOAN_STATUS_CODES, LOAN_STATUSES, isActiveLoanStatus, isOpenLoanStatus, type LoanStatus } from "./statuses.js";

/** The allowed moves, written out independently of the implementation's table. */
const ALLOWED: Record<string, LoanStatus> = {
  "INACTIVE CANCEL": "CANCELLED",
  "INACTIVE DISBURSE": "CURRENT",
  "DISBURSAL_FAILED DISBURSE": "CURRENT",
  "INACTIVE FAIL_DISBURSEMENT": "DISBURSAL_FAILED",
  "DISBURSAL_FAILED FAIL_DISBURSEMENT": "DISBURSAL_FAILED",
  "LATE_90DPD WRITE_OFF": "WRITTEN_OFF",
  "LATE_120DPD WRITE_OFF": "WRITTEN_OFF",
  "LATE_150DPD WRITE_OFF": "WRITTEN_OFF",
  "LATE_180DPD WRITE_OFF": "WRITTEN_OFF",
};

const STATUSES: LoanStatus[] = [
  "INACTIVE",
  "CANCELLED",
  "DISBURSAL_FAILED",
  "CURRENT",
  "LATE_1DPD",
  "LATE_5DPD",
  "LATE_30DPD",
  "LATE_60DPD",
  "LATE_90DPD",
  "LATE_120DPD",
  "LATE_150DPD",
  "LATE_180DPD",
  "PAID_OFF",
  "WRITTEN_OFF",
];
const EVENTS: LoanEvent[] = ["CANCEL", "DISBURSE", "FAIL_DISBURSEMENT", "WRITE_OFF"];
const ALL = STATUSES.flatMap((s) => EVENTS.map((e) => [s, e] as const));

describe("loan status table", () => {
  it("is the one table (statuses.ts), not a copy: the GraphQL enum is built from it", () => {
    expect(LOAN_STATUS_CODES).toBe(delinquency.LOAN_STATUS_CODES);
    expect(LOAN_STATUSES).toBe(delinquency.LOAN_STATUSES);
    // The enum the API serves lists exactly these statuses, in the table's order.
    expect(Object.keys(LoanStatusEnum)).toEqual([...LOAN_STATUSES]);
    // Every move of the state machine goes between statuses of the table.
    for (const [from, to] of Object.entries(ALLOWED)) {
      expect(LOAN_STATUSES).toContain(from.split(" ")[0]);
      expect(LOAN_STATUSES).toContain(to);
    }
    expect([...LOAN_STATUSES].sort()).toEqual([...STATUSES].sort());
    expect([...LOAN_EVENTS].sort()).toEqual([...EVENTS].sort());
  });
});

describe("nextLoanStatus", () => {
  it.each(ALL.filter(([s, e]) => `${s} ${e}` in ALLOWED))("%s + %s is allowed", (status, event) => {
    expect(nextLoanStatus(status, event)).toBe(ALLOWED[`${status} ${event}`]);
    expect(canApplyLoanEvent(status, event)).toBe(true);
  });

  it.each(ALL.filter(([s, e]) => !(`${s} ${e}` in ALLOWED)))("%s + %s is rejected", (status, event) => {
    expect(canApplyLoanEvent(status, event)).toBe(false);
    try {
      nextLoanStatus(status, event);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidTransitionError);
      expect((e as InvalidTransitionError).currentStatus).toBe(status);
      expect((e as InvalidTransitionError).event).toBe(event);
      expect((e as Error).message).toBe(`cannot ${event} a loan in status ${status}`);
    }
  });

  it("covers 9 allowed moves out of 56", () => {
    expect(ALL).toHaveLength(56);
    expect(ALL.filter(([s, e]) => canApplyLoanEvent(s, e))).toHaveLength(9);
  });

  it("rejects unknown statuses and events", () => {
    expect(() => nextLoanStatus("constructor" as LoanStatus, "CANCEL")).toThrow(InvalidTransitionError);
    expect(() => nextLoanStatus("INACTIVE", "hasOwnProperty" as LoanEvent)).toThrow(InvalidTransitionError);
  });
});

describe("isActiveLoanStatus / isOpenLoanStatus", () => {
  const ACTIVE = ["CURRENT", "LATE_1DPD", "LATE_5DPD", "LATE_30DPD", "LATE_60DPD", "LATE_90DPD", "LATE_120DPD", "LATE_150DPD", "LATE_180DPD"];
  const CLOSED = ["PAID_OFF", "CANCELLED", "WRITTEN_OFF"];
  it.each(STATUSES)("%s", (s) => {
    expect(isActiveLoanStatus(s)).toBe(ACTIVE.includes(s));
    expect(isOpenLoanStatus(s)).toBe(!CLOSED.includes(s));
  });
});
