/**
 * approveApplication, rejectApplication, acceptOffer, declineOffer, cancelApplication (RULES §5):
 * offers cut to the grade and product, the offer's schedule fields, expiry, the INACTIVE loan,
 * cancellation with its loan, INVALID_STATE from every other status, roles and visibility, and the
 * history/event written for each change.
 */
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { loans, statusChanges } from "../src/db/schema.js";
import { APPLICATION_STATUS_CODES, APPLICATION_STATUSES, type ApplicationStatus } from "../src/domain/statuses.js";
import { LOAN_STATUS_CODES } from "../src/domain/statuses.js";
import { buildSchedule } from "../src/features/loans/schedule.js";
import {
  ACCEPT,
  APPROVE,
  CANCEL,
  DECLINE,
  REJECT,
  customerToken,
  dbApplication,
  dbLoansOfApplication,
  eventsOf,
  expectError,
  expectEventsMatchHistory,
  offerFor,
  ok,
  readApplication,
  submitAs,
} from "./support/applications.js";
import { makeApplication, makeCustomer, makePartner } from "./support/factories.js";
import { adminToken, gql, tokenFor, world } from "./support/world.js";

const HOUR = 3600_000;

afterEach(async () => {
  (await world()).clock.set(null);
});

async function setClock(at: string) {
  (await world()).clock.set(at);
}

/** Snapshot of everything a rejected mutation must leave alone. */
async function snapshot(applicationId: string) {
  const db = (await world()).database.db;
  return {
    application: await dbApplication(applicationId),
    loans: await dbLoansOfApplication(applicationId),
    history: await db.select().from(statusChanges).where(eq(statusChanges.entityId, applicationId)),
    events: await eventsOf(applicationId),
  };
}

describe("approveApplication", () => {
  it("offers the request as asked when the grade allows it; schedule fields as buildSchedule (RULES §6 example)", async () => {
    // 2026-01-09 18:00 UTC = 2026-01-10 01:00 in Jakarta: the offer assumes a 2026-01-10 loan date.
    await setClock("2026-01-09T18:00:00.000Z");
    const c = await makeCustomer({ monthlyIncome: 10_000_000n });
    const app = await offerFor(c, { requestedAmount: "3000000", tenorMonths: 3 }, { note: "  looks good  " });
    expect(app).toMatchObject({ status: "OFFER_MADE", statusCode: 140, updatedAt: "2026-01-09T18:00:00.000Z" });
    expect(app.offer).toEqual({
      amount: "3000000",
      tenorMonths: 3,
      monthlyInterestRateBps: 400,
      originationFee: "150000",
      disbursedAmount: "2850000",
      installmentAmount: "1120000",
      firstDueDate: "2026-02-10",
      expiresAt: "2026-01-12T18:00:00.000Z",
    });
    expect(app.statusHistory.slice(1)).toEqual([
      expect.objectContaining({ fromCode: 110, toCode: 140, reason: "looks good", actor: "admin:tester", at: "2026-01-09T18:00:00.000Z" }),
    ]);
    await expectEventsMatchHistory(app.id, app.statusHistory, APPLICATION_STATUS_CODES);
  });

  it("cuts amount and tenor to the grade (B- → 5,000,000 / 4 months / 600 bps)", async () => {
    await setClock("2026-05-20T03:00:00.000Z");
    const c = await makeCustomer({ monthlyIncome: 4_500_000n });
    const app = await offerFor(c, { requestedAmount: "8000000", tenorMonths: 6 });
    expect(app.creditScore.grade).toBe("B-");
    const s = buildSchedule({ principal: 5_000_000n, tenorMonths: 4, monthlyInterestRateBps: 600, originationFeeBps: 500, loanDate: "2026-05-20" });
    expect(app.offer).toEqual({
      amount: "5000000",
      tenorMonths: 4,
      monthlyInterestRateBps: 600,
      originationFee: String(s.originationFee),
      disbursedAmount: String(s.disbursedAmount),
      installmentAmount: String(s.regularInstallment),
      firstDueDate: s.firstDueDate,
      expiresAt: "2026-05-23T03:00:00.000Z",
    });
    expect(app.offer).toMatchObject({ originationFee: "250000", disbursedAmount: "4750000", installmentAmount: "1550000", firstDueDate: "2026-06-20" });
    expect(app.statusHistory[1].reason).toBeNull();
  });

  it("B+ cuts 8,000,000 to 7,000,000 and keeps the requested tenor; a request below the limits is offered as asked", async () => {
    await setClock("2026-01-31T03:00:00.000Z");
    const c = await makeCustomer({ monthlyIncome: 7_000_000n });
    const app = await offerFor(c, { requestedAmount: "8000000", tenorMonths: 5 });
    expect(app.creditScore.grade).toBe("B+");
    const s = buildSchedule({ principal: 7_000_000n, tenorMonths: 5, monthlyInterestRateBps: 500, originationFeeBps: 500, loanDate: "2026-01-31" });
    expect(app.offer).toMatchObject({
      amount: "7000000",
      tenorMonths: 5,
      monthlyInterestRateBps: 500,
      installmentAmount: String(s.regularInstallment),
      firstDueDate: "2026-02-28",
    });
    const small = await offerFor(await makeCustomer({ monthlyIncome: 4_500_000n }), { requestedAmount: "2500000", tenorMonths: 3 });
    expect(small.offer).toMatchObject({ amount: "2500000", tenorMonths: 3, monthlyInterestRateBps: 600 });
  });

  it("uses a smaller amount and tenor the admin names; more than allowed is BAD_USER_INPUT and writes nothing", async () => {
    const admin = await adminToken();
    const c = await makeCustomer({ monthlyIncome: 4_500_000n }); // B-: 5,000,000 / 4
    const app = await submitAs(c, { requestedAmount: "8000000", tenorMonths: 6 });
    const before = await snapshot(app.id);
    const bad: [Record<string, unknown>, string][] = [
      [{ amount: "5000001" }, "amount"],
      [{ tenorMonths: 5 }, "tenorMonths"],
      [{ amount: "1999999" }, "amount"], // below the product minimum
      [{ tenorMonths: 2 }, "tenorMonths"],
      [{ note: "n".repeat(501) }, "note"],
    ];
    for (const [named, field] of bad) {
      const r = await gql(APPROVE, { input: { applicationId: app.id, ...named } }, admin);
      expectError(r, "BAD_USER_INPUT", { field });
    }
    expect(await snapshot(app.id)).toEqual(before);
    const ok1 = ok(await gql(APPROVE, { input: { applicationId: app.id, amount: "4000000", tenorMonths: 3 } }, admin)).approveApplication;
    expect(ok1.offer).toMatchObject({ amount: "4000000", tenorMonths: 3, monthlyInterestRateBps: 600 });

    // A named amount above the request (but within the grade) is more than allowed too.
    const rich = await makeCustomer({ monthlyIncome: 20_000_000n });
    const app2 = await submitAs(rich, { requestedAmount: "3000000", tenorMonths: 3 });
    expectError(await gql(APPROVE, { input: { applicationId: app2.id, amount: "3000001" } }, admin), "BAD_USER_INPUT", { field: "amount" });
    expectError(await gql(APPROVE, { input: { applicationId: app2.id, tenorMonths: 4 } }, admin), "BAD_USER_INPUT", { field: "tenorMonths" });
  });

  it("STL offers use the product rate (1000 bps)", async () => {
    await setClock("2026-01-10T03:00:00.000Z");
    const c = await makeCustomer({ monthlyIncome: 10_000_000n });
    const app = await offerFor(c, { productCode: "STL", requestedAmount: "1000000", tenorMonths: 1 });
    const s = buildSchedule({ principal: 1_000_000n, tenorMonths: 1, monthlyInterestRateBps: 1000, originationFeeBps: 500, loanDate: "2026-01-10" });
    expect(app.offer).toEqual({
      amount: "1000000",
      tenorMonths: 1,
      monthlyInterestRateBps: 1000,
      originationFee: String(s.originationFee),
      disbursedAmount: String(s.disbursedAmount),
      installmentAmount: String(s.regularInstallment),
      firstDueDate: "2026-02-10",
      expiresAt: "2026-01-13T03:00:00.000Z",
    });
  });

  it("only from SUBMITTED: every other status is INVALID_STATE with currentStatus, nothing written", async () => {
    const admin = await adminToken();
    const c = await makeCustomer();
    for (const status of APPLICATION_STATUSES.filter((s) => s !== "SUBMITTED")) {
      const app = await makeApplication({ customer: c, status });
      const before = await snapshot(app.id);
      const r = await gql(APPROVE, { input: { applicationId: app.id, amount: "99999999" } }, admin);
      expectError(r, "INVALID_STATE", { currentStatus: status });
      expect(await snapshot(app.id)).toEqual(before);
    }
  });

  it("ADMIN only: CUSTOMER and PARTNER are FORBIDDEN, anonymous UNAUTHENTICATED; unknown ids NOT_FOUND", async () => {
    const partner = await makePartner();
    const c = await makeCustomer({ partnerId: partner.id });
    const app = await submitAs(c);
    const input = { applicationId: app.id };
    expectError(await gql(APPROVE, { input }, await customerToken(c)), "FORBIDDEN");
    expectError(await gql(APPROVE, { input }, await tokenFor("PARTNER", partner.id)), "FORBIDDEN");
    expectError(await gql(APPROVE, { input }), "UNAUTHENTICATED");
    expectError(await gql(REJECT, { input: { ...input, reason: "no" } }, await customerToken(c)), "FORBIDDEN");
    expectError(await gql(REJECT, { input: { ...input, reason: "no" } }), "UNAUTHENTICATED");
    expectError(await gql(APPROVE, { input: { applicationId: "nope" } }, await adminToken()), "NOT_FOUND");
    expectError(await gql(APPROVE, { input: { applicationId: "00000000-0000-4000-8000-000000000000" } }, await adminToken()), "NOT_FOUND");
    expect((await readApplication(app.id)).status).toBe("SUBMITTED");
  });
});

describe("rejectApplication", () => {
  it("SUBMITTED → DENIED with the (trimmed) reason; an empty reason is BAD_USER_INPUT", async () => {
    const admin = await adminToken();
    const c = await makeCustomer();
    const app = await submitAs(c);
    expectError(await gql(REJECT, { input: { applicationId: app.id, reason: "   " } }, admin), "BAD_USER_INPUT", { field: "reason" });
    const r = ok(await gql(REJECT, { input: { applicationId: app.id, reason: "  documents do not match  " } }, admin)).rejectApplication;
    expect(r).toMatchObject({ status: "DENIED", statusCode: 135, offer: null });
    expect(r.statusHistory.map((h: any) => [h.fromCode, h.toCode, h.reason, h.actor])).toEqual([
      [null, 110, null, `customer:${c.id}`],
      [110, 135, "documents do not match", "admin:tester"],
    ]);
    await expectEventsMatchHistory(app.id, r.statusHistory, APPLICATION_STATUS_CODES);
    expectError(await gql(REJECT, { input: { applicationId: app.id, reason: "again" } }, admin), "INVALID_STATE", { currentStatus: "DENIED" });
  });

  it("from OFFER_MADE is INVALID_STATE", async () => {
    const app = await offerFor(await makeCustomer());
    const before = await snapshot(app.id);
    expectError(await gql(REJECT, { input: { applicationId: app.id, reason: "late" } }, await adminToken()), "INVALID_STATE", { currentStatus: "OFFER_MADE" });
    expect(await snapshot(app.id)).toEqual(before);
  });
});

describe("acceptOffer", () => {
  it("before expiry: the application becomes OFFER_ACCEPTED (141) and an INACTIVE (210) loan is created", async () => {
    await setClock("2026-01-10T03:00:00.000Z");
    const partner = await makePartner();
    const c = await makeCustomer({ partnerId: partner.id, monthlyIncome: 4_500_000n });
    const app = await offerFor(c, { requestedAmount: "8000000", tenorMonths: 6 });
    await setClock(new Date(Date.parse("2026-01-10T03:00:00.000Z") + 72 * HOUR - 1).toISOString());
    const loan = ok(await gql(ACCEPT, { id: app.id }, await customerToken(c))).acceptOffer;
    expect(loan).toMatchObject({
      status: "INACTIVE",
      statusCode: 210,
      principal: "5000000",
      originationFee: app.offer.originationFee,
      disbursedAmount: app.offer.disbursedAmount,
      monthlyInterestRateBps: 600,
      tenorMonths: 4,
      disbursedAt: null,
      customer: { id: c.id },
      partner: { id: partner.id },
      product: { code: "MTL" },
      application: { id: app.id, status: "OFFER_ACCEPTED", statusCode: 141 },
    });
    expect(loan.statusHistory).toEqual([
      expect.objectContaining({ fromCode: null, toCode: 210, reason: null, actor: `customer:${c.id}` }),
    ]);
    await expectEventsMatchHistory(loan.id, loan.statusHistory, LOAN_STATUS_CODES);

    const after = await readApplication(app.id);
    expect(after).toMatchObject({ status: "OFFER_ACCEPTED", statusCode: 141, loan: { id: loan.id, status: "INACTIVE", statusCode: 210 } });
    expect(after.statusHistory.slice(2)).toEqual([expect.objectContaining({ fromCode: 140, toCode: 141, actor: `customer:${c.id}` })]);
    await expectEventsMatchHistory(app.id, after.statusHistory, APPLICATION_STATUS_CODES);
    const [event] = (await eventsOf(loan.id));
    expect(event).toMatchObject({ customerId: c.id, partnerId: partner.id, entityType: "LOAN" });

    // Accepting again is INVALID_STATE and creates nothing.
    expectError(await gql(ACCEPT, { id: app.id }, await customerToken(c)), "INVALID_STATE", { currentStatus: "OFFER_ACCEPTED" });
    expect(await dbLoansOfApplication(app.id)).toHaveLength(1);
  });

  it("at or after expiresAt: INVALID_STATE with currentStatus OFFER_MADE, nothing changes", async () => {
    await setClock("2026-01-10T03:00:00.000Z");
    const c = await makeCustomer();
    const app = await offerFor(c);
    const before = await snapshot(app.id);
    for (const at of ["2026-01-13T03:00:00.000Z", "2026-02-01T00:00:00.000Z"]) {
      await setClock(at);
      expectError(await gql(ACCEPT, { id: app.id }, await customerToken(c)), "INVALID_STATE", { currentStatus: "OFFER_MADE" });
    }
    expect(await snapshot(app.id)).toEqual(before);
    expect((await readApplication(app.id)).status).toBe("OFFER_MADE");
  });

  it("only from OFFER_MADE", async () => {
    const c = await makeCustomer();
    for (const status of APPLICATION_STATUSES.filter((s) => s !== "OFFER_MADE")) {
      const app = await makeApplication({ customer: c, status });
      const before = await snapshot(app.id);
      expectError(await gql(ACCEPT, { id: app.id }, await customerToken(c)), "INVALID_STATE", { currentStatus: status });
      expect(await snapshot(app.id)).toEqual(before);
    }
  });

  it("visibility: another customer or another partner gets NOT_FOUND; the customer's partner and ADMIN may act", async () => {
    const p1 = await makePartner();
    const p2 = await makePartner();
    const c = await makeCustomer({ partnerId: p1.id });
    const app = await offerFor(c);
    const stranger = await makeCustomer();
    expectError(await gql(ACCEPT, { id: app.id }, await customerToken(stranger)), "NOT_FOUND");
    expectError(await gql(ACCEPT, { id: app.id }, await tokenFor("PARTNER", p2.id)), "NOT_FOUND");
    expectError(await gql(DECLINE, { id: app.id }, await customerToken(stranger)), "NOT_FOUND");
    expectError(await gql(CANCEL, { id: app.id }, await tokenFor("PARTNER", p2.id)), "NOT_FOUND");
    expectError(await gql(ACCEPT, { id: "not-a-uuid" }, await customerToken(c)), "NOT_FOUND");
    expectError(await gql(ACCEPT, { id: app.id }), "UNAUTHENTICATED");
    expect((await readApplication(app.id)).status).toBe("OFFER_MADE");
    const loan = ok(await gql(ACCEPT, { id: app.id }, await tokenFor("PARTNER", p1.id))).acceptOffer;
    expect(loan.statusHistory[0]).toMatchObject({ actor: `partner:${p1.id}` });

    const c2 = await makeCustomer();
    const app2 = await offerFor(c2);
    const loan2 = ok(await gql(ACCEPT, { id: app2.id }, await adminToken())).acceptOffer;
    expect(loan2).toMatchObject({ status: "INACTIVE", partner: null });
  });

  it("3 concurrent accepts: exactly one loan, the others INVALID_STATE", async () => {
    const c = await makeCustomer();
    const app = await offerFor(c);
    const token = await customerToken(c);
    const results = await Promise.all([1, 2, 3].map(() => gql(ACCEPT, { id: app.id }, token)));
    const wins = results.filter((r) => !r.errors);
    expect(wins).toHaveLength(1);
    for (const r of results.filter((r) => r.errors)) expectError(r, "INVALID_STATE", { currentStatus: "OFFER_ACCEPTED" });
    const rows = await dbLoansOfApplication(app.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(wins[0]!.data!.acceptOffer.id);
    expect(await eventsOf(rows[0]!.id)).toHaveLength(1);
    expect((await eventsOf(app.id)).map((e) => e.toStatus)).toEqual(["SUBMITTED", "OFFER_MADE", "OFFER_ACCEPTED"]);
  });
});

describe("declineOffer", () => {
  it("OFFER_MADE → OFFER_DECLINED (142); anything else INVALID_STATE", async () => {
    const c = await makeCustomer();
    const app = await offerFor(c);
    const r = ok(await gql(DECLINE, { id: app.id }, await customerToken(c))).declineOffer;
    expect(r).toMatchObject({ status: "OFFER_DECLINED", statusCode: 142, loan: null });
    expect(r.statusHistory.slice(2)).toEqual([expect.objectContaining({ fromCode: 140, toCode: 142, reason: null, actor: `customer:${c.id}` })]);
    await expectEventsMatchHistory(app.id, r.statusHistory, APPLICATION_STATUS_CODES);
    expect(await dbLoansOfApplication(app.id)).toHaveLength(0);
    expectError(await gql(DECLINE, { id: app.id }, await customerToken(c)), "INVALID_STATE", { currentStatus: "OFFER_DECLINED" });

    const other = await makeCustomer();
    const submitted = await submitAs(other);
    expectError(await gql(DECLINE, { id: submitted.id }, await customerToken(other)), "INVALID_STATE", { currentStatus: "SUBMITTED" });
  });
});

describe("cancelApplication", () => {
  it("from SUBMITTED", async () => {
    const c = await makeCustomer();
    const app = await submitAs(c);
    const r = ok(await gql(CANCEL, { id: app.id, reason: " changed my mind " }, await customerToken(c))).cancelApplication;
    expect(r).toMatchObject({ status: "CANCELLED", statusCode: 137 });
    expect(r.statusHistory[1]).toMatchObject({ fromCode: 110, toCode: 137, reason: "changed my mind", actor: `customer:${c.id}` });
    await expectEventsMatchHistory(app.id, r.statusHistory, APPLICATION_STATUS_CODES);
  });

  it("from OFFER_MADE (no reason)", async () => {
    const partner = await makePartner();
    const c = await makeCustomer({ partnerId: partner.id });
    const app = await offerFor(c);
    const r = ok(await gql(CANCEL, { id: app.id }, await tokenFor("PARTNER", partner.id))).cancelApplication;
    expect(r).toMatchObject({ status: "CANCELLED", statusCode: 137 });
    expect(r.statusHistory[2]).toMatchObject({ fromCode: 140, toCode: 137, reason: null, actor: `partner:${partner.id}` });
    expect(await dbLoansOfApplication(app.id)).toHaveLength(0);
  });

  it("from OFFER_ACCEPTED: the INACTIVE loan becomes CANCELLED (216) with its own change and event; a new application is allowed", async () => {
    await setClock("2026-02-01T03:00:00.000Z");
    const c = await makeCustomer();
    const app = await offerFor(c);
    const loan = ok(await gql(ACCEPT, { id: app.id }, await customerToken(c))).acceptOffer;
    await setClock("2026-02-02T03:00:00.000Z");
    const r = ok(await gql(CANCEL, { id: app.id, reason: "no longer needed" }, await adminToken())).cancelApplication;
    expect(r).toMatchObject({ status: "CANCELLED", statusCode: 137, loan: { id: loan.id, status: "CANCELLED", statusCode: 216 } });
    expect(r.statusHistory[3]).toMatchObject({ fromCode: 141, toCode: 137, reason: "no longer needed", actor: "admin:tester" });
    await expectEventsMatchHistory(app.id, r.statusHistory, APPLICATION_STATUS_CODES);

    const l = ok(await gql(`query($id: ID!) { loan(id: $id) { status statusCode statusHistory { fromCode toCode reason actor at } } }`, { id: loan.id }, await adminToken())).loan;
    expect(l).toMatchObject({ status: "CANCELLED", statusCode: 216 });
    expect(l.statusHistory.map((h: any) => [h.fromCode, h.toCode, h.reason, h.actor, h.at])).toEqual([
      [null, 210, null, `customer:${c.id}`, "2026-02-01T03:00:00.000Z"],
      [210, 216, "no longer needed", "admin:tester", "2026-02-02T03:00:00.000Z"],
    ]);
    await expectEventsMatchHistory(loan.id, l.statusHistory, LOAN_STATUS_CODES);
    const db = (await world()).database.db;
    const [row] = await db.select().from(loans).where(eq(loans.id, loan.id));
    expect(row!.updatedAt.toISOString()).toBe("2026-02-02T03:00:00.000Z");

    expect((await submitAs(c)).status).toBe("SUBMITTED");
  });

  const disallowed: ApplicationStatus[] = APPLICATION_STATUSES.filter((s) => !["SUBMITTED", "OFFER_MADE", "OFFER_ACCEPTED"].includes(s));
  it(`from every other status (${disallowed.join(", ")}) is INVALID_STATE and writes nothing`, async () => {
    const c = await makeCustomer();
    for (const status of disallowed) {
      const app = await makeApplication({ customer: c, status });
      const before = await snapshot(app.id);
      expectError(await gql(CANCEL, { id: app.id, reason: "x" }, await customerToken(c)), "INVALID_STATE", { currentStatus: status });
      expect(await snapshot(app.id)).toEqual(before);
    }
  });

  it("a reason over 500 characters is BAD_USER_INPUT", async () => {
    const c = await makeCustomer();
    const app = await submitAs(c);
    expectError(await gql(CANCEL, { id: app.id, reason: "r".repeat(501) }, await customerToken(c)), "BAD_USER_INPUT", { field: "reason" });
    expect((await readApplication(app.id)).status).toBe("SUBMITTED");
  });
});

describe("the whole path in history and events", () => {
  it("submit → approve → accept → cancel: every change once, from/to codes, reasons, actors", async () => {
    const partner = await makePartner();
    const c = await makeCustomer({ partnerId: partner.id });
    const ptoken = await tokenFor("PARTNER", partner.id);
    const app = ok(await gql(`mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id } }`, {
      input: { customerId: c.id, productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "Sekolah" },
    }, ptoken)).submitApplication;
    ok(await gql(APPROVE, { input: { applicationId: app.id, note: "ok" } }, await adminToken()));
    const loan = ok(await gql(ACCEPT, { id: app.id }, await customerToken(c))).acceptOffer;
    ok(await gql(CANCEL, { id: app.id }, ptoken));
    const final = await readApplication(app.id);
    expect(final.statusHistory.map((h: any) => [h.fromCode, h.toCode, h.reason, h.actor])).toEqual([
      [null, 110, null, `partner:${partner.id}`],
      [110, 140, "ok", "admin:tester"],
      [140, 141, null, `customer:${c.id}`],
      [141, 137, null, `partner:${partner.id}`],
    ]);
    await expectEventsMatchHistory(app.id, final.statusHistory, APPLICATION_STATUS_CODES);
    const events = await eventsOf(app.id);
    expect(events.every((e) => e.customerId === c.id && e.partnerId === partner.id && e.entityType === "APPLICATION")).toBe(true);
    expect((await eventsOf(loan.id)).map((e) => [e.fromStatus, e.toStatus, e.reason])).toEqual([
      [null, "INACTIVE", null],
      ["INACTIVE", "CANCELLED", "application cancelled"],
    ]);
  });
});
