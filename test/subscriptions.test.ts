/**
 * Subscriptions through the real WebSocket server, once per event transport (EVENT_BUS: postgres
 * LISTEN/NOTIFY, and NATS with the outbox relay; support/transports.ts): live delivery, scoping,
 * resume with `after`, rollbacks, cursors, fan-out. Retention does not depend on the transport.
 */
import { afterEach, describe, expect, it } from "vitest";
import { recordStatusChange, transact } from "../src/events/outbox.js";
import { changeApplicationStatus, changeLoanStatus } from "./support/events.js";
import { makeApplication, makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { collect, gatewayWsUrl, noSubscribers, settle, subscribed, wsClient } from "./support/ws.js";
import { EVENT_TRANSPORTS, useEventTransport } from "./support/transports.js";
import { adminToken, subscriptionGateway, tokenFor, world } from "./support/world.js";
import type { Client } from "graphql-ws";

const LOAN_SUB = `subscription($loanId: ID, $partnerId: ID, $after: String) {
  loanStatusChanged(loanId: $loanId, partnerId: $partnerId, after: $after) {
    cursor fromStatus toStatus reason at loan { id status statusCode }
  }
}`;
const APP_SUB = `subscription($applicationId: ID, $partnerId: ID, $after: String) {
  applicationStatusChanged(applicationId: $applicationId, partnerId: $partnerId, after: $after) {
    cursor fromStatus toStatus reason application { id status }
  }
}`;

const clients: Client[] = [];
async function client(token?: string | null) {
  const c = wsClient(await gatewayWsUrl(), token);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await noSubscribers();
});

async function partnerLoan() {
  const partner = await makePartner();
  const customer = await makeCustomer({ partnerId: partner.id });
  const l = await makeLoan({ customer, status: "CURRENT" });
  return { partner, customer, ...l };
}

describe.each(EVENT_TRANSPORTS)("event bus: %s", (transport) => {
  useEventTransport(transport);

  describe("loanStatusChanged", () => {
    it("delivers a committed loan status change live, with the current loan", async () => {
      const { loan, customer } = await partnerLoan();
      const sub = collect(await client(await adminToken()), LOAN_SUB, { loanId: loan.id });
      await subscribed(1);
      await changeLoanStatus(loan.id, customer, "CURRENT", "LATE_1DPD", "daily update");
      const [e] = await sub.waitFor(1);
      expect(e.loanStatusChanged).toMatchObject({
        fromStatus: "CURRENT",
        toStatus: "LATE_1DPD",
        reason: "daily update",
        loan: { id: loan.id, status: "LATE_1DPD", statusCode: 230 },
      });
      expect(typeof e.loanStatusChanged.cursor).toBe("string");
    });

    it("scopes events: a partner gets only its own loans, asking for another partner's id gives nothing", async () => {
      const a = await partnerLoan();
      const b = await partnerLoan();
      const tokenA = await tokenFor("PARTNER", a.partner.id);
      const mine = collect(await client(tokenA), LOAN_SUB, { partnerId: a.partner.id });
      const all = collect(await client(tokenA), LOAN_SUB, {});
      const theirs = collect(await client(tokenA), LOAN_SUB, { partnerId: b.partner.id });
      const theirLoan = collect(await client(tokenA), LOAN_SUB, { loanId: b.loan.id });
      await subscribed(4);
      await changeLoanStatus(b.loan.id, b.customer, "CURRENT", "LATE_1DPD");
      await changeLoanStatus(a.loan.id, a.customer, "CURRENT", "LATE_1DPD");
      await mine.waitFor(1);
      await all.waitFor(1);
      await settle(300);
      expect(mine.events.map((e) => e.loanStatusChanged.loan.id)).toEqual([a.loan.id]);
      expect(all.events.map((e) => e.loanStatusChanged.loan.id)).toEqual([a.loan.id]);
      expect(theirs.events).toEqual([]);
      expect(theirs.errors).toEqual([]);
      expect(theirLoan.events).toEqual([]);
      expect(theirLoan.errors).toEqual([]);
    });

    it("scopes events for a customer to its own loans; ADMIN sees every partner's", async () => {
      const a = await partnerLoan();
      const b = await partnerLoan();
      const cust = collect(await client(await tokenFor("CUSTOMER", a.customer.id)), LOAN_SUB, {});
      const admin = collect(await client(await adminToken()), LOAN_SUB, { partnerId: b.partner.id });
      await subscribed(2);
      await changeLoanStatus(b.loan.id, b.customer, "CURRENT", "LATE_1DPD");
      await changeLoanStatus(a.loan.id, a.customer, "CURRENT", "LATE_1DPD");
      await cust.waitFor(1);
      await admin.waitFor(1);
      await settle(200);
      expect(cust.events.map((e) => e.loanStatusChanged.loan.id)).toEqual([a.loan.id]);
      expect(admin.events.map((e) => e.loanStatusChanged.loan.id)).toEqual([b.loan.id]);
    });

    it("resumes after a disconnect: replays what happened meanwhile, then continues live, no gap, no duplicate", async () => {
      const { loan, customer } = await partnerLoan();
      const token = await adminToken();
      const first = collect(await client(token), LOAN_SUB, { loanId: loan.id });
      await subscribed(1);
      await changeLoanStatus(loan.id, customer, "CURRENT", "LATE_1DPD");
      const [e1] = await first.waitFor(1);
      first.stop();
      // Changes while disconnected.
      await changeLoanStatus(loan.id, customer, "LATE_1DPD", "LATE_5DPD");
      await changeLoanStatus(loan.id, customer, "LATE_5DPD", "LATE_30DPD");
      const resumed = collect(await client(token), LOAN_SUB, { loanId: loan.id, after: e1.loanStatusChanged.cursor });
      const replayed = await resumed.waitFor(2);
      expect(replayed.map((e) => e.loanStatusChanged.toStatus)).toEqual(["LATE_5DPD", "LATE_30DPD"]);
      await changeLoanStatus(loan.id, customer, "LATE_30DPD", "LATE_60DPD");
      const all = await resumed.waitFor(3);
      await settle(200);
      expect(resumed.events.map((e) => e.loanStatusChanged.toStatus)).toEqual(["LATE_5DPD", "LATE_30DPD", "LATE_60DPD"]);
      const cursors = all.map((e) => e.loanStatusChanged.cursor);
      expect(new Set(cursors).size).toBe(cursors.length);
    });

    it("has no duplicate and no gap when events are committed during the replay", async () => {
      const { loan, customer } = await partnerLoan();
      const token = await adminToken();
      const statuses = ["LATE_1DPD", "LATE_5DPD", "LATE_30DPD", "LATE_60DPD", "LATE_90DPD", "LATE_120DPD", "LATE_150DPD", "LATE_180DPD"] as const;
      // A cursor from before everything.
      const probe = collect(await client(token), LOAN_SUB, { loanId: loan.id });
      await subscribed(1);
      await changeLoanStatus(loan.id, customer, "CURRENT", statuses[0]);
      const [first] = await probe.waitFor(1);
      probe.stop();
      await changeLoanStatus(loan.id, customer, statuses[0], statuses[1]);
      await changeLoanStatus(loan.id, customer, statuses[1], statuses[2]);
      // Subscribe with `after` while more changes are being committed concurrently.
      const resumed = collect(await client(token), LOAN_SUB, { loanId: loan.id, after: first.loanStatusChanged.cursor });
      for (let i = 3; i < statuses.length; i++) await changeLoanStatus(loan.id, customer, statuses[i - 1], statuses[i]);
      const got = await resumed.waitFor(statuses.length - 1);
      await settle(300);
      expect(resumed.events.map((e) => e.loanStatusChanged.toStatus)).toEqual(statuses.slice(1));
      expect(got).toHaveLength(statuses.length - 1);
    });

    it("emits nothing for a rolled-back change", async () => {
      const { loan, customer } = await partnerLoan();
      const target = await subscriptionGateway();
      const sub = collect(await client(await adminToken()), LOAN_SUB, { loanId: loan.id });
      await subscribed(1);
      await expect(
        transact(target.app, async (tx) => {
          await recordStatusChange(tx, {
            entityType: "LOAN",
            entityId: loan.id,
            customerId: customer.id,
            partnerId: customer.partnerId,
            from: "CURRENT",
            to: "LATE_1DPD",
            actor: "admin:test",
            at: new Date(),
          });
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      await changeLoanStatus(loan.id, customer, "CURRENT", "LATE_5DPD", "after rollback");
      await sub.waitFor(1);
      await settle(200);
      expect(sub.events.map((e) => e.loanStatusChanged.toStatus)).toEqual(["LATE_5DPD"]);
    });

    it("rejects a forged cursor with BAD_USER_INPUT and an anonymous subscriber with UNAUTHENTICATED", async () => {
      const forged = collect(await client(await adminToken()), LOAN_SUB, { after: "not-a-cursor" });
      const anon = collect(await client(null), LOAN_SUB, {});
      await settle(300);
      expect(JSON.stringify(forged.errors)).toContain("BAD_USER_INPUT");
      expect(JSON.stringify(anon.errors)).toContain("UNAUTHENTICATED");
    });

    it("closes the connection with 4403 for a bad token", async () => {
      const c = wsClient(await gatewayWsUrl(), "not.a.token");
      clients.push(c);
      const closed = new Promise<number>((resolve) => c.on("closed", (ev) => resolve((ev as { code: number }).code)));
      const sub = collect(c, LOAN_SUB, {});
      expect(await closed).toBe(4403);
      sub.stop();
    });

    it("ends the subscription when the token expires", async () => {
      const token = await tokenFor("ADMIN", "short", 2);
      const sub = collect(await client(token), LOAN_SUB, {});
      const deadline = Date.now() + 6000;
      while (!sub.errors.length && Date.now() < deadline) await settle(100);
      expect(JSON.stringify(sub.errors)).toContain("UNAUTHENTICATED");
    });
  });

  describe("event cursors (RULES §10: a cursor not issued by this gateway is BAD_USER_INPUT)", () => {
    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");
    /** The cursor with its event id replaced (its tag, if any, kept). */
    const withId = (cursor: string, id: string) => b64(Buffer.from(cursor, "base64url").toString("utf8").replace(/\|\d+(?=\||$)/, `|${id}`));

    /** A loan with two stored events, and the real cursor of the first as the admin got it. */
    async function loanWithHistory() {
      const { loan, customer, partner } = await partnerLoan();
      const token = await adminToken();
      const first = collect(await client(token), LOAN_SUB, { loanId: loan.id });
      await subscribed(1);
      await changeLoanStatus(loan.id, customer, "CURRENT", "LATE_1DPD");
      await changeLoanStatus(loan.id, customer, "LATE_1DPD", "LATE_5DPD");
      const [e1] = await first.waitFor(2);
      first.stop();
      await noSubscribers();
      return { loan, customer, partner, token, cursor: e1.loanStatusChanged.cursor as string };
    }

    /** Subscribes with `after`; the errors and events after a while, and whether it stayed registered. */
    async function tryResume(token: string, query: string, variables: Record<string, unknown>) {
      const sub = collect(await client(token), query, variables);
      const deadline = Date.now() + 3000;
      while (!sub.errors.length && !sub.events.length && Date.now() < deadline) await settle(50);
      await settle(200);
      return { codes: sub.errors.map((e: any) => e?.extensions?.code ?? e?.[0]?.extensions?.code), errors: sub.errors, events: sub.events };
    }

    it("the unsigned e1|0 cursor is BAD_USER_INPUT and replays nothing (it used to replay the whole history)", async () => {
      const { loan, token } = await loanWithHistory();
      const r = await tryResume(token, LOAN_SUB, { loanId: loan.id, after: b64("e1|0") });
      expect(r.events).toEqual([]);
      expect(r.codes).toEqual(["BAD_USER_INPUT"]);
      expect(JSON.stringify(r.errors)).toContain("Invalid cursor");
      expect(JSON.stringify(r.errors)).toContain('"field":"after"');
    });

    it("an id beyond bigint (e1|9999999999999999999), negative or not digits is BAD_USER_INPUT, not INTERNAL_SERVER_ERROR", async () => {
      const { loan, token, cursor } = await loanWithHistory();
      for (const after of [b64("e1|9999999999999999999"), withId(cursor, "9999999999999999999"), b64("e1|-1"), b64("e1|1e3"), b64("e2|LOAN|-1|AAAAAAAAAAAAAAAA")]) {
        const r = await tryResume(token, LOAN_SUB, { loanId: loan.id, after });
        expect(r.codes, after).toEqual(["BAD_USER_INPUT"]);
        expect(r.events).toEqual([]);
      }
    });

    it("a tampered signed cursor (another id, an edited tag, truncated) is BAD_USER_INPUT", async () => {
      const { loan, token, cursor } = await loanWithHistory();
      const text = Buffer.from(cursor, "base64url").toString("utf8");
      const tag = text.slice(text.lastIndexOf("|") + 1);
      const editedTag = b64(text.slice(0, -tag.length) + (tag[0] === "A" ? "B" : "A") + tag.slice(1));
      for (const after of [withId(cursor, "1"), editedTag, b64(text.slice(0, text.lastIndexOf("|"))), cursor.slice(0, -2), ""]) {
        const r = await tryResume(token, LOAN_SUB, { loanId: loan.id, after });
        expect(r.codes, JSON.stringify(after)).toEqual(["BAD_USER_INPUT"]);
        expect(r.events).toEqual([]);
      }
    });

    it("a cursor given to another viewer, or by the other subscription, is BAD_USER_INPUT; the same viewer with a new token resumes", async () => {
      const { loan, customer, partner, cursor } = await loanWithHistory();
      const partnerToken = await tokenFor("PARTNER", partner.id);
      const theirs = await tryResume(partnerToken, LOAN_SUB, { loanId: loan.id, after: cursor });
      expect(theirs.codes).toEqual(["BAD_USER_INPUT"]);
      expect(theirs.events).toEqual([]);
      const app = await makeApplication({ customer });
      await changeApplicationStatus(app.id, customer, "SUBMITTED", "OFFER_MADE");
      const other = await tryResume(await adminToken(), APP_SUB, { applicationId: app.id, after: cursor });
      expect(other.codes).toEqual(["BAD_USER_INPUT"]);
      expect(other.events).toEqual([]);
      // The cursor is the viewer's (the ADMIN's sub), not the token's: a renewed token resumes, no gap, no duplicate.
      const renewed = await tokenFor("ADMIN", "tester", 3600);
      expect(renewed).not.toBe(await adminToken());
      const resumed = collect(await client(renewed), LOAN_SUB, { loanId: loan.id, after: cursor });
      const replayed = await resumed.waitFor(1);
      await settle(200);
      expect(replayed.map((e) => e.loanStatusChanged.toStatus)).toEqual(["LATE_5DPD"]);
      expect(resumed.errors).toEqual([]);
    });
  });

  describe("applicationStatusChanged", () => {
    it("delivers application changes with scoping", async () => {
      const partner = await makePartner();
      const customer = await makeCustomer({ partnerId: partner.id });
      const app = await makeApplication({ customer });
      const other = await makeCustomer({ partnerId: (await makePartner()).id });
      const otherApp = await makeApplication({ customer: other });
      const sub = collect(await client(await tokenFor("PARTNER", partner.id)), APP_SUB, {});
      await subscribed(1);
      await changeApplicationStatus(otherApp.id, other, "SUBMITTED", "OFFER_MADE");
      await changeApplicationStatus(app.id, customer, "SUBMITTED", "OFFER_MADE", "approved");
      const [e] = await sub.waitFor(1);
      await settle(200);
      expect(sub.events).toHaveLength(1);
      expect(e.applicationStatusChanged).toMatchObject({
        fromStatus: "SUBMITTED",
        toStatus: "OFFER_MADE",
        reason: "approved",
        application: { id: app.id, status: "OFFER_MADE" },
      });
    });
  });

  describe("limits on subscriptions", () => {
    it("refuses an over-deep subscription with QUERY_TOO_COMPLEX before it starts", async () => {
      let inner = "id";
      for (let i = 0; i < 6; i++) inner = `customer { loans { nodes { ${inner} } } }`;
      const deep = collect(await client(await adminToken()), `subscription { loanStatusChanged { loan { ${inner} } } }`, {});
      const deadline = Date.now() + 5000;
      while (!deep.errors.length && Date.now() < deadline) await settle(50);
      expect(JSON.stringify(deep.errors)).toContain("QUERY_TOO_COMPLEX");
      expect((await subscriptionGateway()).app.events.subscriberCount).toBe(0);
    });
  });

  describe("fan-out", () => {
    it("an event is executed once for all subscribers with the same query and viewer, and each still gets it", async () => {
      const { loan, customer, partner } = await partnerLoan();
      const target = await subscriptionGateway();
      const admin = await adminToken();
      const partnerToken = await tokenFor("PARTNER", partner.id);
      const admins = await Promise.all(Array.from({ length: 12 }, async () => collect(await client(admin), LOAN_SUB, { loanId: loan.id })));
      const partners = await Promise.all(Array.from({ length: 8 }, async () => collect(await client(partnerToken), LOAN_SUB, { loanId: loan.id })));
      await subscribed(20);
      const before = target.subscriptionExecutions();
      await changeLoanStatus(loan.id, customer, "CURRENT", "LATE_1DPD", "daily update");
      for (const s of [...admins, ...partners]) {
        const [e] = await s.waitFor(1);
        expect(e.loanStatusChanged).toMatchObject({ toStatus: "LATE_1DPD", loan: { id: loan.id, status: "LATE_1DPD" } });
      }
      // Two groups (the ADMIN token and the partner's token): two executions, not twenty.
      expect(target.subscriptionExecutions() - before).toBe(2);
      await changeLoanStatus(loan.id, customer, "LATE_1DPD", "CURRENT", "paid");
      for (const s of [...admins, ...partners]) expect((await s.waitFor(2))[1].loanStatusChanged.loan.status).toBe("CURRENT");
      expect(target.subscriptionExecutions() - before).toBe(4);
    });
  });
});

describe("retention", () => {
  it("prunes events older than the retention period (never less than 7 days) and keeps the rest", async () => {
    const w = await world();
    const { loan, customer } = await partnerLoan();
    const day = 86_400_000;
    const { recordStatusChanges } = await import("../src/events/outbox.js");
    const { statusEvents, statusChanges } = await import("../src/db/schema.js");
    const { eq } = await import("drizzle-orm");
    const change = (daysAgo: number, to: "LATE_1DPD" | "LATE_5DPD") => ({
      entityType: "LOAN" as const,
      entityId: loan.id,
      customerId: customer.id,
      partnerId: customer.partnerId,
      from: "CURRENT" as const,
      to,
      actor: "admin:test",
      at: new Date(Date.now() - daysAgo * day),
    });
    await recordStatusChanges(w.database.db, [change(8, "LATE_1DPD"), change(6, "LATE_5DPD")]);
    expect(await w.gateway.app.events.prune(3)).toBeGreaterThanOrEqual(1); // 3 is raised to 7
    const left = await w.database.db.select().from(statusEvents).where(eq(statusEvents.entityId, loan.id));
    expect(left.map((e) => e.toStatus).sort()).toEqual(["CURRENT", "INACTIVE", "LATE_5DPD"]);
    // The permanent history is not pruned.
    const history = await w.database.db.select().from(statusChanges).where(eq(statusChanges.entityId, loan.id));
    expect(history.map((h) => h.toCode)).toContain(230);
  });
});
