/**
 * disburseLoan, failDisbursement and writeOffLoan through HTTP (RULES §1, §5, §6): schedules,
 * status moves with history and events, back-dated and future times, invalid moves, roles.
 */
import { and, eq, inArray } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loans, payments, statusChanges, statusEvents } from "../src/db/schema.js";
import { type LoanStatus } from "../src/domain/statuses.js";
import { buildSchedule } from "../src/features/loans/schedule.js";
import { jakartaDate } from "../src/shared/dates.js";
import { makeCustomer, makeLoan, makePartner, type LoanWorld } from "./support/factories.js";
import { adminToken, codeOf, gql, tokenFor, world } from "./support/world.js";

let admin: string;
beforeAll(async () => {
  admin = await adminToken();
});
afterEach(async () => {
  (await world()).clock.set(null);
});

const LOAN_FIELDS = `id status statusCode daysPastDue principal originationFee disbursedAmount disbursedAt tenorMonths
  application { id status statusCode statusHistory { fromCode toCode reason actor } }
  payments { id installmentNumber dueDate principalDue interestDue lateFeeDue status statusCode daysPastDue }
  statusHistory { fromCode toCode reason actor at }`;

const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { ${LOAN_FIELDS} } }`;
const FAIL = `mutation($input: FailDisbursementInput!) { failDisbursement(input: $input) { ${LOAN_FIELDS} } }`;
const WRITE_OFF = `mutation($id: ID!, $reason: String!) { writeOffLoan(loanId: $id, reason: $reason) { ${LOAN_FIELDS} } }`;
const READ = `query($id: ID!) { loan(id: $id) { ${LOAN_FIELDS} } }`;
const DAILY = `mutation($asOf: Date!) { runDailyUpdate(asOf: $asOf) { asOf paymentsUpdated loansUpdated lateFeesApplied offersExpired } }`;

async function readLoan(id: string) {
  const r = await gql(READ, { id }, admin);
  expect(r.errors).toBeUndefined();
  return r.data!.loan;
}

async function inactiveLoan(o: { productCode?: "MTL" | "STL"; principal?: bigint; tenorMonths?: number; rateBps?: number } = {}): Promise<LoanWorld> {
  const customer = await makeCustomer();
  return makeLoan({ customer, status: "INACTIVE", ...o });
}

async function eventsOf(ids: string[]) {
  const db = (await world()).database.db;
  return db.select().from(statusEvents).where(inArray(statusEvents.entityId, ids)).orderBy(statusEvents.id);
}

async function historyCount(id: string): Promise<number> {
  const db = (await world()).database.db;
  return (await db.select().from(statusChanges).where(eq(statusChanges.entityId, id))).length;
}

function expectScheduleRows(rows: any[], s: ReturnType<typeof buildSchedule>) {
  expect(rows).toHaveLength(s.installments.length);
  rows.forEach((row, k) => {
    const i = s.installments[k]!;
    expect(row).toMatchObject({
      installmentNumber: i.installmentNumber,
      dueDate: i.dueDate,
      principalDue: String(i.principal),
      interestDue: String(i.interest),
      lateFeeDue: "0",
      status: "NOT_DUE",
      statusCode: 310,
      daysPastDue: 0,
    });
  });
}

describe("disburseLoan", () => {
  it("disburses an INACTIVE loan now: the schedule, CURRENT (220), application 180, history and events", async () => {
    const w = await world();
    const now = "2026-11-20T05:00:00.000Z";
    w.clock.set(now);
    const { loan, application } = await inactiveLoan({ principal: 6_000_000n, tenorMonths: 6, rateBps: 500 });
    const r = await gql(DISBURSE, { input: { loanId: loan.id } }, admin);
    expect(r.errors).toBeUndefined();
    const out = r.data!.disburseLoan;

    const s = buildSchedule({ principal: 6_000_000n, tenorMonths: 6, monthlyInterestRateBps: 500, originationFeeBps: 500, loanDate: "2026-11-20" });
    expect(out).toMatchObject({
      status: "CURRENT",
      statusCode: 220,
      daysPastDue: 0,
      disbursedAt: now,
      originationFee: String(s.originationFee),
      disbursedAmount: String(s.disbursedAmount),
    });
    expect(out.application).toMatchObject({ id: application.id, status: "FUND_DISBURSAL_SUCCESSFUL", statusCode: 180 });
    expectScheduleRows(out.payments, s);
    expect(out.payments[0].dueDate).toBe("2026-12-20");

    expect(out.statusHistory.at(-1)).toMatchObject({ fromCode: 210, toCode: 220, actor: "admin:tester" });
    expect(out.statusHistory.at(-1).at).toBe(now);
    expect(out.application.statusHistory.at(-1)).toMatchObject({ fromCode: 141, toCode: 180, actor: "admin:tester" });

    const events = await eventsOf([loan.id, application.id]);
    const latest = events.slice(-2);
    expect(latest.map((e) => [e.entityType, e.entityId, e.fromStatus, e.toStatus, e.actor])).toEqual([
      ["LOAN", loan.id, "INACTIVE", "CURRENT", "admin:tester"],
      ["APPLICATION", application.id, "OFFER_ACCEPTED", "FUND_DISBURSAL_SUCCESSFUL", "admin:tester"],
    ]);

    // Read back: what was returned is what was stored.
    expect(await readLoan(loan.id)).toEqual(out);
  });

  it("a back-dated disbursedAt sets the schedule from its Jakarta date and leaves lateness to the daily update", async () => {
    const { loan } = await inactiveLoan({ productCode: "STL" });
    // 2026-03-14 18:30 UTC is 2026-03-15 01:30 in Jakarta.
    const disbursedAt = "2026-03-14T18:30:00.000Z";
    const r = await gql(DISBURSE, { input: { loanId: loan.id, disbursedAt } }, admin);
    expect(r.errors).toBeUndefined();
    const out = r.data!.disburseLoan;
    const s = buildSchedule({ principal: 1_000_000n, tenorMonths: 1, monthlyInterestRateBps: 1000, originationFeeBps: 500, loanDate: "2026-03-15" });
    expect(out).toMatchObject({ status: "CURRENT", disbursedAt, daysPastDue: 0, originationFee: String(s.originationFee) });
    expectScheduleRows(out.payments, s);
    expect(out.payments[0].dueDate).toBe("2026-04-15");

    // The due date has passed, but only the daily update evaluates lateness.
    const today = jakartaDate(new Date());
    const d = await gql(DAILY, { asOf: today }, admin);
    expect(d.errors).toBeUndefined();
    const after = await readLoan(loan.id);
    expect(after.status).toMatch(/^LATE_/);
    expect(after.payments[0].status).toMatch(/^OVERDUE_/);
  });

  it("recomputes the fee and disbursed amount from the schedule when the loan row differs", async () => {
    const { loan } = await inactiveLoan({ productCode: "STL" });
    const db = (await world()).database.db;
    await db.update(loans).set({ originationFee: 0n, disbursedAmount: 1_000_000n }).where(eq(loans.id, loan.id));
    const r = await gql(DISBURSE, { input: { loanId: loan.id, disbursedAt: "2026-02-10T03:00:00.000Z" } }, admin);
    expect(r.errors).toBeUndefined();
    const s = buildSchedule({ principal: 1_000_000n, tenorMonths: 1, monthlyInterestRateBps: 1000, originationFeeBps: 500, loanDate: "2026-02-10" });
    expect(r.data!.disburseLoan).toMatchObject({ originationFee: String(s.originationFee), disbursedAmount: String(s.disbursedAmount) });
    expect(s.originationFee).toBe(50_000n);
  });

  it("accepts disbursedAt equal to now and rejects a future one with BAD_USER_INPUT, writing nothing", async () => {
    const w = await world();
    w.clock.set("2026-06-01T00:00:00.000Z");
    const { loan, application } = await inactiveLoan();
    const before = await historyCount(loan.id);
    const r = await gql(DISBURSE, { input: { loanId: loan.id, disbursedAt: "2026-06-01T00:00:00.001Z" } }, admin);
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.extensions!.field).toBe("disbursedAt");
    const still = await readLoan(loan.id);
    expect(still).toMatchObject({ status: "INACTIVE", disbursedAt: null, payments: [] });
    expect(still.application.status).toBe("OFFER_ACCEPTED");
    expect(await historyCount(loan.id)).toBe(before);
    expect(await historyCount(application.id)).toBe(3);

    const ok = await gql(DISBURSE, { input: { loanId: loan.id, disbursedAt: "2026-06-01T00:00:00.000Z" } }, admin);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.disburseLoan.payments[0].dueDate).toBe("2026-07-01");
  });

  it("is INVALID_STATE from every status but INACTIVE and DISBURSAL_FAILED, and changes nothing", async () => {
    const statuses: LoanStatus[] = [
      "CANCELLED",
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
    const db = (await world()).database.db;
    for (const status of statuses) {
      const customer = await makeCustomer();
      const { loan } = await makeLoan({ customer, status });
      const before = await historyCount(loan.id);
      const count = (await db.select().from(payments).where(eq(payments.loanId, loan.id))).length;
      const r = await gql(DISBURSE, { input: { loanId: loan.id } }, admin);
      expect(codeOf(r), status).toBe("INVALID_STATE");
      expect(r.errors![0]!.extensions!.currentStatus).toBe(status);
      expect(await historyCount(loan.id)).toBe(before);
      expect((await db.select().from(payments).where(eq(payments.loanId, loan.id))).length).toBe(count);
      expect((await readLoan(loan.id)).status).toBe(status);
    }
  });

  it("is NOT_FOUND for an unknown or malformed loan id", async () => {
    for (const loanId of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      expect(codeOf(await gql(DISBURSE, { input: { loanId } }, admin))).toBe("NOT_FOUND");
      expect(codeOf(await gql(FAIL, { input: { loanId, reason: "x" } }, admin))).toBe("NOT_FOUND");
      expect(codeOf(await gql(WRITE_OFF, { id: loanId, reason: "x" }, admin))).toBe("NOT_FOUND");
    }
  });

  it("two concurrent disbursements of one loan: one wins, the other is INVALID_STATE, one schedule", async () => {
    const { loan } = await inactiveLoan();
    const results = await Promise.all([1, 2].map(() => gql(DISBURSE, { input: { loanId: loan.id } }, admin)));
    const codes = results.map((r) => codeOf(r) ?? "OK").sort();
    expect(codes).toEqual(["INVALID_STATE", "OK"]);
    const after = await readLoan(loan.id);
    expect(after.payments).toHaveLength(3);
    expect(after.statusHistory.filter((h: any) => h.toCode === 220)).toHaveLength(1);
  });
});

describe("failDisbursement", () => {
  it("INACTIVE → DISBURSAL_FAILED (218), application → 181; a second failure writes no no-op change; a retry disburses", async () => {
    const { loan, application } = await inactiveLoan();
    const r = await gql(FAIL, { input: { loanId: loan.id, reason: "  bank account rejected " } }, admin);
    expect(r.errors).toBeUndefined();
    const out = r.data!.failDisbursement;
    expect(out).toMatchObject({ status: "DISBURSAL_FAILED", statusCode: 218, payments: [], disbursedAt: null });
    expect(out.application).toMatchObject({ status: "FUND_DISBURSAL_FAILED", statusCode: 181 });
    expect(out.statusHistory.at(-1)).toMatchObject({ fromCode: 210, toCode: 218, reason: "bank account rejected", actor: "admin:tester" });
    expect(out.application.statusHistory.at(-1)).toMatchObject({ fromCode: 141, toCode: 181, reason: "bank account rejected" });
    const events = (await eventsOf([loan.id, application.id])).slice(-2);
    expect(events.map((e) => [e.entityType, e.fromStatus, e.toStatus])).toEqual([
      ["LOAN", "INACTIVE", "DISBURSAL_FAILED"],
      ["APPLICATION", "OFFER_ACCEPTED", "FUND_DISBURSAL_FAILED"],
    ]);

    const loanHistory = await historyCount(loan.id);
    const appHistory = await historyCount(application.id);
    const eventCount = (await eventsOf([loan.id, application.id])).length;
    const again = await gql(FAIL, { input: { loanId: loan.id, reason: "bank timeout" } }, admin);
    expect(again.errors).toBeUndefined();
    expect(again.data!.failDisbursement).toMatchObject({ status: "DISBURSAL_FAILED", application: { status: "FUND_DISBURSAL_FAILED" } });
    expect(await historyCount(loan.id)).toBe(loanHistory);
    expect(await historyCount(application.id)).toBe(appHistory);
    expect((await eventsOf([loan.id, application.id])).length).toBe(eventCount);

    const retry = await gql(DISBURSE, { input: { loanId: loan.id } }, admin);
    expect(retry.errors).toBeUndefined();
    const done = retry.data!.disburseLoan;
    expect(done).toMatchObject({ status: "CURRENT", statusCode: 220, application: { status: "FUND_DISBURSAL_SUCCESSFUL", statusCode: 180 } });
    expect(done.payments).toHaveLength(3);
    expect(done.statusHistory.map((h: any) => [h.fromCode, h.toCode])).toEqual([
      [null, 210],
      [210, 218],
      [218, 220],
    ]);
    expect(done.application.statusHistory.at(-1)).toMatchObject({ fromCode: 181, toCode: 180 });

    // Disbursed: failing now is INVALID_STATE.
    const late = await gql(FAIL, { input: { loanId: loan.id, reason: "too late" } }, admin);
    expect(codeOf(late)).toBe("INVALID_STATE");
    expect(late.errors![0]!.extensions!.currentStatus).toBe("CURRENT");
  });

  it("requires a non-empty reason (BAD_USER_INPUT, nothing written)", async () => {
    const { loan } = await inactiveLoan();
    for (const reason of ["", "   "]) {
      const r = await gql(FAIL, { input: { loanId: loan.id, reason } }, admin);
      expect(codeOf(r)).toBe("BAD_USER_INPUT");
      expect(r.errors![0]!.extensions!.field).toBe("reason");
    }
    expect((await readLoan(loan.id)).status).toBe("INACTIVE");
  });

  it("is INVALID_STATE from CANCELLED, a disbursed status or WRITTEN_OFF", async () => {
    for (const status of ["CANCELLED", "CURRENT", "LATE_30DPD", "PAID_OFF", "WRITTEN_OFF"] as LoanStatus[]) {
      const { loan } = await makeLoan({ customer: await makeCustomer(), status });
      const r = await gql(FAIL, { input: { loanId: loan.id, reason: "bank" } }, admin);
      expect(codeOf(r), status).toBe("INVALID_STATE");
      expect(r.errors![0]!.extensions!.currentStatus).toBe(status);
    }
  });
});

describe("writeOffLoan", () => {
  it("writes off a LATE_90DPD loan (260, terminal) with history and event", async () => {
    const { loan } = await makeLoan({ customer: await makeCustomer(), status: "LATE_90DPD", daysPastDue: 95 });
    const r = await gql(WRITE_OFF, { id: loan.id, reason: "uncollectible" }, admin);
    expect(r.errors).toBeUndefined();
    const out = r.data!.writeOffLoan;
    expect(out).toMatchObject({ status: "WRITTEN_OFF", statusCode: 260, daysPastDue: 95 });
    expect(out.statusHistory.at(-1)).toMatchObject({ fromCode: 234, toCode: 260, reason: "uncollectible", actor: "admin:tester" });
    const [event] = (await eventsOf([loan.id])).slice(-1);
    expect(event).toMatchObject({ entityType: "LOAN", fromStatus: "LATE_90DPD", toStatus: "WRITTEN_OFF", reason: "uncollectible" });

    // Terminal: a second write-off, a disbursement, and the daily update leave it alone.
    const again = await gql(WRITE_OFF, { id: loan.id, reason: "again" }, admin);
    expect(codeOf(again)).toBe("INVALID_STATE");
    expect(again.errors![0]!.extensions!.currentStatus).toBe("WRITTEN_OFF");
    expect((await gql(DAILY, { asOf: "2027-06-01" }, admin)).errors).toBeUndefined();
    const after = await readLoan(loan.id);
    expect(after.status).toBe("WRITTEN_OFF");
    expect(after.payments.every((p: any) => p.status === "NOT_DUE" && p.lateFeeDue === "0")).toBe(true);
  });

  it("writes off from LATE_120DPD … LATE_180DPD too", async () => {
    for (const status of ["LATE_120DPD", "LATE_150DPD", "LATE_180DPD"] as LoanStatus[]) {
      const { loan } = await makeLoan({ customer: await makeCustomer(), status });
      const r = await gql(WRITE_OFF, { id: loan.id, reason: "uncollectible" }, admin);
      expect(r.errors, status).toBeUndefined();
      expect(r.data!.writeOffLoan.status).toBe("WRITTEN_OFF");
    }
  });

  it("is INVALID_STATE before LATE_90DPD (CURRENT, LATE_60DPD, INACTIVE, PAID_OFF) and writes nothing", async () => {
    for (const status of ["CURRENT", "LATE_1DPD", "LATE_60DPD", "INACTIVE", "PAID_OFF"] as LoanStatus[]) {
      const { loan } = await makeLoan({ customer: await makeCustomer(), status });
      const before = await historyCount(loan.id);
      const r = await gql(WRITE_OFF, { id: loan.id, reason: "uncollectible" }, admin);
      expect(codeOf(r), status).toBe("INVALID_STATE");
      expect(r.errors![0]!.extensions!.currentStatus).toBe(status);
      expect(await historyCount(loan.id)).toBe(before);
      expect((await readLoan(loan.id)).status).toBe(status);
    }
  });

  it("requires a reason", async () => {
    const { loan } = await makeLoan({ customer: await makeCustomer(), status: "LATE_90DPD" });
    const r = await gql(WRITE_OFF, { id: loan.id, reason: " " }, admin);
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.extensions!.field).toBe("reason");
    expect((await readLoan(loan.id)).status).toBe("LATE_90DPD");
  });
});

describe("roles", () => {
  it("only ADMIN may disburse, fail, write off or run the daily update", async () => {
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const { loan } = await makeLoan({ customer, status: "INACTIVE" });
    const late = await makeLoan({ customer: await makeCustomer({ partnerId: partner.id }), status: "LATE_90DPD" });
    const calls: [string, Record<string, unknown>][] = [
      [DISBURSE, { input: { loanId: loan.id } }],
      [FAIL, { input: { loanId: loan.id, reason: "x" } }],
      [WRITE_OFF, { id: late.loan.id, reason: "x" }],
      [DAILY, { asOf: "2026-03-01" }],
    ];
    const asCustomer = await tokenFor("CUSTOMER", customer.id);
    const asPartner = await tokenFor("PARTNER", partner.id);
    for (const [q, vars] of calls) {
      expect(codeOf(await gql(q, vars, asCustomer))).toBe("FORBIDDEN");
      expect(codeOf(await gql(q, vars, asPartner))).toBe("FORBIDDEN");
      expect(codeOf(await gql(q, vars, null))).toBe("UNAUTHENTICATED");
    }
    expect((await readLoan(loan.id)).status).toBe("INACTIVE");
    expect((await readLoan(late.loan.id)).status).toBe("LATE_90DPD");
    const db = (await world()).database.db;
    expect(await db.select().from(payments).where(and(eq(payments.loanId, loan.id)))).toHaveLength(0);
  });
});
