import { describe, expect, it } from "vitest";
import { APPLICATION_EVENTS, InvalidTransitionError, canApplyApplicationEvent, nextApplicationStatus, type ApplicationEvent } from "./lifecycle.js";
import { APPLICATION_STATUS_CODES, APPLICATION_STATUSES, isOpenApplicationStatus, type ApplicationStatus } from "./statuses.js";

/** The allowed moves, written out independently of the implementation's table. */
const ALLOWED: Record<string, ApplicationStatus> = {
  "SUBMITTED DENY": "DENIED",
  "SUBMITTED REJECT": "DENIED",
  "SUBMITTED APPROVE": "OFFER_MADE",
  "SUBMITTED CANCEL": "CANCELLED",
  "OFFER_MADE ACCEPT": "OFFER_ACCEPTED",
  "OFFER_MADE DECLINE": "OFFER_DECLINED",
  "OFFER_MADE EXPIRE": "OFFER_EXPIRED",
  "OFFER_MADE CANCEL": "CANCELLED",
  "OFFER_ACCEPTED CANCEL": "CANCELLED",
  "OFFER_ACCEPTED DISBURSE": "FUND_DISBURSAL_SUCCESSFUL",
  "OFFER_ACCEPTED FAIL_DISBURSEMENT": "FUND_DISBURSAL_FAILED",
  "FUND_DISBURSAL_FAILED DISBURSE": "FUND_DISBURSAL_SUCCESSFUL",
  "FUND_DISBURSAL_FAILED FAIL_DISBURSEMENT": "FUND_DISBURSAL_FAILED",
};

const STATUSES: ApplicationStatus[] = [
  "SUBMITTED",
  "DENIED",
  "CANCELLED",
  "OFFER_MADE",
  "OFFER_ACCEPTED",
  "OFFER_DECLINED",
  "OFFER_EXPIRED",
  "FUND_DISBURSAL_SUCCESSFUL",
  "FUND_DISBURSAL_FAILED",
];
const EVENTS: ApplicationEvent[] = ["DENY", "APPROVE", "REJECT", "ACCEPT", "DECLINE", "EXPIRE", "CANCEL", "DISBURSE", "FAIL_DISBURSEMENT"];
const ALL = STATUSES.flatMap((s) => EVENTS.map((e) => [s, e] as const));

describe("application status codes", () => {
  it("match RULES §5", () => {
    expect(APPLICATION_STATUS_CODES).toEqual({
      SUBMITTED: 110,
      DENIED: 135,
      CANCELLED: 137,
      OFFER_MADE: 140,
      OFFER_ACCEPTED: 141,
      OFFER_DECLINED: 142,
      OFFER_EXPIRED: 143,
      FUND_DISBURSAL_SUCCESSFUL: 180,
      FUND_DISBURSAL_FAILED: 181,
    });
    expect([...APPLICATION_STATUSES].sort()).toEqual([...STATUSES].sort());
    expect([...APPLICATION_EVENTS].sort()).toEqual([...EVENTS].sort());
  });
});

describe("nextApplicationStatus", () => {
  it.each(ALL.filter(([s, e]) => `${s} ${e}` in ALLOWED))("%s + %s is allowed", (status, event) => {
    expect(nextApplicationStatus(status, event)).toBe(ALLOWED[`${status} ${event}`]);
    expect(canApplyApplicationEvent(status, event)).toBe(true);
  });

  it.each(ALL.filter(([s, e]) => !(`${s} ${e}` in ALLOWED)))("%s + %s is rejected", (status, event) => {
    expect(canApplyApplicationEvent(status, event)).toBe(false);
    try {
      nextApplicationStatus(status, event);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidTransitionError);
      expect((e as InvalidTransitionError).currentStatus).toBe(status);
      expect((e as InvalidTransitionError).event).toBe(event);
      expect((e as Error).message).toContain(status);
    }
  });

  it("covers 13 allowed moves out of 81", () => {
    expect(ALL).toHaveLength(81);
    expect(ALL.filter(([s, e]) => canApplyApplicationEvent(s, e))).toHaveLength(13);
  });

  it("rejects unknown statuses and events, including inherited property names", () => {
    expect(() => nextApplicationStatus("constructor" as ApplicationStatus, "CANCEL")).toThrow(InvalidTransitionError);
    expect(() => nextApplicationStatus("SUBMITTED", "toString" as ApplicationEvent)).toThrow(InvalidTransitionError);
    expect(() => nextApplicationStatus("SUBMITTED", "NOPE" as ApplicationEvent)).toThrow(InvalidTransitionError);
  });

  it("terminal statuses have no way out", () => {
    for (const s of ["DENIED", "CANCELLED", "OFFER_DECLINED", "OFFER_EXPIRED", "FUND_DISBURSAL_SUCCESSFUL"] as const) {
      expect(EVENTS.some((e) => canApplyApplicationEvent(s, e))).toBe(false);
    }
  });
});

describe("isOpenApplicationStatus", () => {
  it.each(STATUSES)("%s", (s) => {
    expect(isOpenApplicationStatus(s)).toBe(["SUBMITTED", "OFFER_MADE", "OFFER_ACCEPTED"].includes(s));
  });
});

describe("InvalidTransitionError", () => {
  it("is an Error naming the status and event", () => {
    const e = new InvalidTransitionError("DENIED", "APPROVE");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("InvalidTransitionError");
    expect(e.message).toBe("cannot APPROVE an application in status DENIED");
    expect(new InvalidTransitionError("PAID_OFF", "WRITE_OFF", "loan").message).toBe("cannot WRITE_OFF a loan in status PAID_OFF");
  });
});
