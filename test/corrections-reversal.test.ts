/**
 * Payment reversal with four eyes (RULES §12.3, contract corrections.graphql):
 * requestPaymentReversal → approvePaymentReversal / rejectPaymentReversal by two ADMIN subs.
 *
 * The loan is always the §6 example (P 3,000,000, 3 months, 400 bps, loanDate 2026-01-10):
 *   #1 due 02-10: 1,000,000 + 124,000 · #2 03-10: 1,000,000 + 120,000 · #3 04-10: 1,000,000 + 120,000
 * (worked out and read back in test/corrections-quote.test.ts). Every installment, allocation
 * and wallet figure below is hand arithmetic from RULES §8 and §12.3, written as a literal.
 * Times are 12:00 in Jakarta (05:00Z) unless said otherwise.
 */
import type { Client } from "graphql-ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  allocs,
  allReversals,
  approveReversal,
  checkLedger,
  expectAuditClean,
  ledger,
  noonJakarta,
  ok,
  PAYMENT_REVERSALS,
  rejectReversal,
  requestReversal,
  row,
  settle,
  type Ledger,
  type ReversalOut,
} from "./support/corrections.js";
import { makeCustomer, makeLoan, makePartner, setInstallment, type LoanWorld } from "./support/factories.js";
import { loanSnapshot, newKey, pay, transactionsWithKey } from "./support/payments.js";
import { collect, gatewayWsUrl, noSubscribers, subscribed, wsClient } from "./support/ws.js";
import { adminToken, codeOf, gql, tokenFor, world, type GqlResult } from "./support/world.js";

let admin: string;
let alice: string;
let bob: string;
let carol: string;
let tokenForAlice2: string;

beforeAll(async () => {
  admin = await adminToken();
  alice = await tokenFor("ADMIN", "alice");
  bob = await tokenFor("ADMIN", "bob");
  carol = await tokenFor("ADMIN", "carol");
  tokenForAlice2 = await tokenFor("ADMIN", "alice", "2h");
});
afterAll(async () => {
  (await world()).clock.set(null);
});

async function setNow(iso: string) {
  (await world()).clock.set(iso);
}

async function exampleLoan(over: Partial<Parameters<typeof makeLoan>[0]> = {}): Promise<LoanWorld> {
  const customer = over.customer ?? (await makeCustomer());
  return makeLoan({ customer, principal: 3_000_000n, tenorMonths: 3, rateBps: 400, loanDate: "2026-01-10", status: "CURRENT", ...over });
}

/** recordPayment that must succeed; returns the transaction id and key. */
async function paid(loanId: string, amount: string, paidAt: string) {
  const key = newKey();
  const t = ok(await pay(admin, { loanId, amount, paidAt, idempotencyKey: key })).recordPayment.transaction;
  return { id: t.id, key, amount, paidAt };
}

const txOf = (l: Ledger, id: string) => {
  const t = l.transactions.nodes.find((x) => x.id === id);
  expect(t, `transaction ${id}`).toBeDefined();
  return t!;
};

const PORTFOLIO = `query($p: ID) { portfolioSummary(partnerId: $p) { loanCount activeLoanCount collectedTotal outstandingAmount } }`;

/** A mutation that must fail with one error and leave the loan's rows as they were. */
async function refused<T>(loanId: string, call: () => Promise<GqlResult<T>>) {
  const before = await loanSnapshot(loanId);
  const r = await call();
  expect(r.errors, JSON.stringify(r.data)).toHaveLength(1);
  expect(await loanSnapshot(loanId)).toEqual(before);
  return r.errors![0]!;
}

async function reversalStatusOf(txId: string, loanId: string): Promise<ReversalOut | null> {
  return txOf(await ledger(admin, loanId), txId).reversal;
}

// ---------------------------------------------------------------------------------------------

describe("THE worked example: three payments, the first reversed, the loan back from PAID_OFF", () => {
  /*
   * P1 02-09 1,124,000 → #1 1,000,000/124,000 (paid on 02-09 ≤ due 02-10: PAID_ON_TIME).
   * P2 03-12 1,130,000 → #2 1,000,000/120,000 (03-12 is 2 days after 03-10: PAID_WITHIN_GRACE),
   *                      #3 principal 10,000.
   * P3 04-10 1,150,000 → #3 principal 990,000 + interest 120,000 = 1,110,000 (on its due date:
   *                      PAID_ON_TIME), 40,000 to the wallet. Loan PAID_OFF.
   * Σ 3,404,000 = 3,364,000 allocated + 40,000 wallet.
   *
   * Reverse P1 (asOf 2026-04-20). T = P1, S = {P2, P3}: subtract all three (installments back to 0,
   * wallet 40,000 - 40,000 = 0), mark P1 reversed, re-post oldest first:
   * P2 03-12 1,130,000 → #1 1,000,000/124,000 (completed 03-12: 30 days after 02-10 → PAID_LATE),
   *                      #2 principal 6,000 (1,130,000 - 1,124,000).
   * P3 04-10 1,150,000 → #2 principal 994,000 + interest 120,000 = 1,114,000 (completed 04-10:
   *                      31 days after 03-10 → PAID_LATE), #3 principal 36,000 (1,150,000 -
   *                      1,114,000), wallet 0.
   * As of 04-20: #3 outstanding 1,120,000 - 36,000 = 1,084,000, 10 days past due → OVERDUE_5DPD,
   * loan LATE_5DPD, daysPastDue 10. totalPaid 2,280,000 (= 1,130,000 + 1,150,000 = 1,124,000 +
   * 1,120,000 + 36,000). Late fees untouched (none).
   */
  const NOW = "2026-04-20T05:00:00.000Z";
  let partnerId: string;
  let customerId: string;
  let l: LoanWorld;
  let p1: Awaited<ReturnType<typeof paid>>;
  let p2: Awaited<ReturnType<typeof paid>>;
  let p3: Awaited<ReturnType<typeof paid>>;
  let reversal: ReversalOut;
  let beforeHistoryLength: number;
  let customerToken: string;
  let partnerToken: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    await setNow(NOW);
    const partner = await makePartner();
    partnerId = partner.id;
    partnerToken = await tokenFor("PARTNER", partner.id);
    const customer = await makeCustomer({ partnerId });
    customerId = customer.id;
    customerToken = await tokenFor("CUSTOMER", customer.id);
    l = await exampleLoan({ customer });
    p1 = await paid(l.loan.id, "1124000", noonJakarta("2026-02-09"));
    p2 = await paid(l.loan.id, "1130000", noonJakarta("2026-03-12"));
    p3 = await paid(l.loan.id, "1150000", noonJakarta("2026-04-10"));
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await noSubscribers();
  });

  it("before: the three payments as posted", async () => {
    await setNow(NOW);
    const s = await ledger(admin, l.loan.id);
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_ON_TIME", paidAt: p1.paidAt, dpd: 0 },
      { n: 2, paid: "1000000/120000/0", status: "PAID_WITHIN_GRACE", paidAt: p2.paidAt, dpd: 0 },
      { n: 3, paid: "1000000/120000/0", status: "PAID_ON_TIME", paidAt: p3.paidAt, dpd: 0 },
    ]);
    expect(allocs(txOf(s, p1.id))).toEqual(["1:1000000/124000/0"]);
    expect(allocs(txOf(s, p2.id))).toEqual(["2:1000000/120000/0", "3:10000/0/0"]);
    expect(allocs(txOf(s, p3.id))).toEqual(["3:990000/120000/0"]);
    expect(s.transactions.nodes.map((t) => [t.kind, t.reversed, t.walletCredit, t.reversal])).toEqual([
      ["PAYMENT", false, "0", null],
      ["PAYMENT", false, "0", null],
      ["PAYMENT", false, "40000", null],
    ]);
    expect(s).toMatchObject({ status: "PAID_OFF", totalDue: "3364000", totalPaid: "3364000", outstandingAmount: "0", customer: { walletBalance: "40000" } });
    expect(checkLedger(s)).toEqual({ collected: 3_404_000n, allocated: 3_364_000n, wallet: 40_000n });
    beforeHistoryLength = s.statusHistory.length;
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 220, toCode: 250 });
    expect(ok(await gql(PORTFOLIO, { p: partnerId }, admin)).portfolioSummary).toEqual({
      loanCount: 1,
      activeLoanCount: 0,
      collectedTotal: "3404000",
      outstandingAmount: "0",
    });
  });

  it("alice requests: PENDING, no money moves", async () => {
    await setNow(NOW);
    const before = await loanSnapshot(l.loan.id);
    reversal = ok(await requestReversal(alice, p1.id, "bounced transfer: BCA returned the funds")).requestPaymentReversal;
    expect(reversal).toMatchObject({
      status: "PENDING",
      reason: "bounced transfer: BCA returned the funds",
      requestedBy: "alice",
      decidedBy: null,
      decidedAt: null,
      decisionNote: null,
      transaction: { id: p1.id, reversed: false, kind: "PAYMENT" },
    });
    expect(Number.isNaN(Date.parse(reversal.requestedAt))).toBe(false);
    expect(await loanSnapshot(l.loan.id)).toEqual(before);
    expect((await reversalStatusOf(p1.id, l.loan.id))?.status).toBe("PENDING");
    expect((await allReversals(admin, "PENDING")).map((r) => r.id)).toContain(reversal.id);
  });

  it("alice may not approve her own request (FORBIDDEN); it stays PENDING", async () => {
    await setNow(NOW);
    const err = await refused(l.loan.id, () => approveReversal(alice, reversal.id, { asOf: "2026-04-20" }));
    expect(err.extensions?.code).toBe("FORBIDDEN");
    expect((await reversalStatusOf(p1.id, l.loan.id))?.status).toBe("PENDING");
  });

  it("an asOf before the latest remaining paidAt (P3, 04-10) is BAD_USER_INPUT on asOf", async () => {
    await setNow(NOW);
    const err = await refused(l.loan.id, () => approveReversal(bob, reversal.id, { asOf: "2026-04-09" }));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "asOf" });
    expect((await reversalStatusOf(p1.id, l.loan.id))?.status).toBe("PENDING");
  });

  it("bob approves (asOf 04-20): P1 reversed, P2 and P3 re-posted oldest first, the loan LATE_5DPD", async () => {
    await setNow(NOW);
    await noSubscribers();
    const c = wsClient(await gatewayWsUrl(), admin);
    clients.push(c);
    const sub = collect(c, `subscription($id: ID) { loanStatusChanged(loanId: $id) { fromStatus toStatus reason loan { id status } } }`, { id: l.loan.id });
    await subscribed(1);

    const out = ok(await approveReversal(bob, reversal.id, { asOf: "2026-04-20", note: "checked with BCA" })).approvePaymentReversal;
    expect(out).toMatchObject({
      id: reversal.id,
      status: "APPROVED",
      reason: "bounced transfer: BCA returned the funds",
      requestedBy: "alice",
      decidedBy: "bob",
      decisionNote: "checked with BCA",
      transaction: { id: p1.id, reversed: true, kind: "PAYMENT" },
    });
    expect(Number.isNaN(Date.parse(out.decidedAt!))).toBe(false);

    const s = await ledger(admin, l.loan.id);
    // Installments after (see the header comment for the arithmetic).
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_LATE", paidAt: p2.paidAt, dpd: 0 },
      { n: 2, paid: "1000000/120000/0", status: "PAID_LATE", paidAt: p3.paidAt, dpd: 0 },
      { n: 3, paid: "36000/0/0", status: "OVERDUE_5DPD", paidAt: null, dpd: 10 },
    ]);
    expect(s.payments.map((p) => [p.principalDue, p.interestDue, p.lateFeeDue, p.outstandingAmount])).toEqual([
      ["1000000", "124000", "0", "0"],
      ["1000000", "120000", "0", "0"],
      ["1000000", "120000", "0", "1084000"],
    ]);
    // T keeps its allocations on record; S keep id, key, amount, paidAt with new allocations.
    const t1 = txOf(s, p1.id);
    expect(t1).toMatchObject({ reversed: true, kind: "PAYMENT", amount: "1124000", walletCredit: "0", idempotencyKey: p1.key, paidAt: p1.paidAt });
    expect(allocs(t1)).toEqual(["1:1000000/124000/0"]);
    const t2 = txOf(s, p2.id);
    expect(t2).toMatchObject({ reversed: false, amount: "1130000", walletCredit: "0", idempotencyKey: p2.key, paidAt: p2.paidAt });
    expect(allocs(t2)).toEqual(["1:1000000/124000/0", "2:6000/0/0"]);
    const t3 = txOf(s, p3.id);
    expect(t3).toMatchObject({ reversed: false, amount: "1150000", walletCredit: "0", idempotencyKey: p3.key, paidAt: p3.paidAt });
    expect(allocs(t3)).toEqual(["2:994000/120000/0", "3:36000/0/0"]);
    expect(s.transactions.totalCount).toBe(3);

    // 40,000 wallet credit subtracted, nothing re-credited; totalPaid counts P2 + P3 only.
    expect(s).toMatchObject({
      status: "LATE_5DPD",
      statusCode: 231,
      daysPastDue: 10,
      totalDue: "3364000",
      totalPaid: "2280000",
      outstandingAmount: "1084000",
      customer: { walletBalance: "0" },
    });
    expect(s.statusHistory).toHaveLength(beforeHistoryLength + 1);
    expect(s.statusHistory.at(-1)).toEqual({ fromCode: 250, toCode: 231, reason: "payment reversal", actor: "admin:bob" });
    expect(checkLedger(s)).toEqual({ collected: 2_280_000n, allocated: 2_280_000n, wallet: 0n });

    const [e] = await sub.waitFor(1);
    expect(e.loanStatusChanged).toEqual({ fromStatus: "PAID_OFF", toStatus: "LATE_5DPD", reason: "payment reversal", loan: { id: l.loan.id, status: "LATE_5DPD" } });
  });

  it("portfolioSummary: collectedTotal leaves the reversed payment out; the loan is active again", async () => {
    await setNow(NOW);
    // 1,130,000 + 1,150,000 = 2,280,000; outstanding 1,084,000.
    expect(ok(await gql(PORTFOLIO, { p: partnerId }, admin)).portfolioSummary).toEqual({
      loanCount: 1,
      activeLoanCount: 1,
      collectedTotal: "2280000",
      outstandingAmount: "1084000",
    });
  });

  it("the reversed payment's key still replays (no new posting); so does a re-posted one's", async () => {
    await setNow(NOW);
    const before = await loanSnapshot(l.loan.id);
    const again = ok(await pay(admin, { loanId: l.loan.id, amount: "1124000", idempotencyKey: p1.key }));
    expect(again.recordPayment.replayed).toBe(true);
    expect(again.recordPayment.transaction.id).toBe(p1.id);
    const again2 = ok(await pay(admin, { loanId: l.loan.id, amount: "1130000", idempotencyKey: p2.key }));
    expect(again2.recordPayment).toMatchObject({ replayed: true, transaction: { id: p2.id } });
    expect(await loanSnapshot(l.loan.id)).toEqual(before);
    expect(await transactionsWithKey(p1.key)).toHaveLength(1);
  });

  it("the ledger audit finds nothing wrong", async () => {
    await expectAuditClean([customerId]);
  });

  it("PaymentTransaction.reversal: ADMIN sees the subs, the customer and its partner see null for them", async () => {
    await setNow(NOW);
    const full = { id: reversal.id, status: "APPROVED", reason: "bounced transfer: BCA returned the funds", decisionNote: "checked with BCA" };
    const forAdmin = txOf(await ledger(admin, l.loan.id), p1.id).reversal!;
    expect(forAdmin).toMatchObject({ ...full, requestedBy: "alice", decidedBy: "bob" });
    for (const token of [customerToken, partnerToken]) {
      const t = txOf(await ledger(token, l.loan.id), p1.id);
      expect(t.reversed).toBe(true);
      expect(t.reversal).toMatchObject({ ...full, requestedBy: null, decidedBy: null });
      expect(t.reversal!.requestedAt).toBe(forAdmin.requestedAt);
      expect(t.reversal!.decidedAt).toBe(forAdmin.decidedAt);
      expect(txOf(await ledger(token, l.loan.id), p2.id).reversal).toBeNull();
    }
  });

  it("paymentReversals(status:) lists it under APPROVED, not PENDING", async () => {
    const approved = await allReversals(admin, "APPROVED");
    expect(approved.find((r) => r.id === reversal.id)).toMatchObject({ status: "APPROVED", requestedBy: "alice", decidedBy: "bob", transaction: { id: p1.id } });
    expect((await allReversals(admin, "PENDING")).map((r) => r.id)).not.toContain(reversal.id);
    expect((await allReversals(admin)).map((r) => r.id)).toContain(reversal.id);
  });

  it("a decided request cannot be decided again (INVALID_STATE), and the payment cannot be asked for again", async () => {
    await setNow(NOW);
    expect((await refused(l.loan.id, () => approveReversal(carol, reversal.id))).extensions?.code).toBe("INVALID_STATE");
    expect((await refused(l.loan.id, () => rejectReversal(carol, reversal.id))).extensions?.code).toBe("INVALID_STATE");
    expect((await refused(l.loan.id, () => requestReversal(alice, p1.id, "again"))).extensions?.code).toBe("INVALID_STATE");
  });
});

describe("a reversal that leaves the loan PAID_OFF: the wallet is re-credited from the re-posting", () => {
  it("subtracts 200,000 and re-credits 150,000; no status change, no history row", async () => {
    /*
     * A 02-05 50,000 → #1 principal 50,000.
     * B 02-09 3,514,000 → #1 950,000/124,000, #2 1,000,000/120,000, #3 1,000,000/120,000
     *   (3,314,000), wallet 200,000; all PAID_ON_TIME on 02-09; PAID_OFF.
     * Reverse A (asOf default: today 04-20): re-post B → #1 1,000,000/124,000, #2, #3 as before
     *   (3,364,000), wallet 3,514,000 - 3,364,000 = 150,000. Still PAID_OFF, every paidAt B's.
     */
    await setNow("2026-04-20T05:00:00.000Z");
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const l = await exampleLoan({ customer });
    const a = await paid(l.loan.id, "50000", noonJakarta("2026-02-05"));
    const b = await paid(l.loan.id, "3514000", noonJakarta("2026-02-09"));
    const before = await ledger(admin, l.loan.id);
    expect(before.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_ON_TIME", paidAt: b.paidAt, dpd: 0 },
      { n: 2, paid: "1000000/120000/0", status: "PAID_ON_TIME", paidAt: b.paidAt, dpd: 0 },
      { n: 3, paid: "1000000/120000/0", status: "PAID_ON_TIME", paidAt: b.paidAt, dpd: 0 },
    ]);
    expect(allocs(txOf(before, b.id))).toEqual(["1:950000/124000/0", "2:1000000/120000/0", "3:1000000/120000/0"]);
    expect(txOf(before, b.id).walletCredit).toBe("200000");
    expect(before).toMatchObject({ status: "PAID_OFF", totalPaid: "3364000", customer: { walletBalance: "200000" } });
    // 50,000 + 3,514,000
    expect(ok(await gql(PORTFOLIO, { p: partner.id }, admin)).portfolioSummary.collectedTotal).toBe("3564000");

    const rq = ok(await requestReversal(bob, a.id, "posted to the wrong loan")).requestPaymentReversal;
    const out = ok(await approveReversal(alice, rq.id)).approvePaymentReversal;
    expect(out).toMatchObject({ status: "APPROVED", requestedBy: "bob", decidedBy: "alice", decisionNote: null });

    const after = await ledger(admin, l.loan.id);
    expect(after.payments.map(row)).toEqual(before.payments.map(row));
    expect(allocs(txOf(after, a.id))).toEqual(["1:50000/0/0"]);
    expect(txOf(after, a.id).reversed).toBe(true);
    expect(allocs(txOf(after, b.id))).toEqual(["1:1000000/124000/0", "2:1000000/120000/0", "3:1000000/120000/0"]);
    expect(txOf(after, b.id)).toMatchObject({ reversed: false, walletCredit: "150000", amount: "3514000", paidAt: b.paidAt, idempotencyKey: b.key });
    expect(after).toMatchObject({ status: "PAID_OFF", daysPastDue: 0, totalPaid: "3364000", outstandingAmount: "0", customer: { walletBalance: "150000" } });
    expect(after.statusHistory).toEqual(before.statusHistory);
    expect(checkLedger(after)).toEqual({ collected: 3_514_000n, allocated: 3_364_000n, wallet: 150_000n });
    expect(ok(await gql(PORTFOLIO, { p: partner.id }, admin)).portfolioSummary).toEqual({
      loanCount: 1,
      activeLoanCount: 0,
      collectedTotal: "3514000",
      outstandingAmount: "0",
    });
    await expectAuditClean([customer.id]);
  });
});

describe("which transactions are re-posted: those posted after T or coming after it by (paidAt, createdAt)", () => {
  it("earlier ones keep their allocations (even out of paidAt order); a later-posted back-dated one is re-posted", async () => {
    /*
     * Posted in this order (NOW 03-20):
     * A  paidAt 02-03  500,000 → #1 principal 500,000.
     * B  paidAt 02-01  700,000 (back-dated) → #1 principal 500,000 + interest 124,000 (complete:
     *                  PAID_ON_TIME, paidAt 02-01), #2 principal 76,000.
     * T  paidAt 02-20  300,000 → #2 principal 300,000 (376,000).
     * Q  paidAt 02-10  200,000 (posted after T, dated before it) → #2 principal 200,000 (576,000).
     * Reverse T (asOf 03-20): S = {Q} only (A and B come before T both ways, they stay as they
     * are: re-posting them in paidAt order would give B 700,000 to #1 principal instead).
     * Subtract T and Q: #2 back to 76,000 (B's). Re-post Q: #2 principal 200,000 → 276,000.
     * As of 03-20: #2 10 days past due → OVERDUE_5DPD (outstanding 1,120,000 - 276,000 = 844,000);
     * #3 due in 21 days → NOT_DUE. Loan CURRENT → LATE_5DPD, daysPastDue 10.
     * totalPaid 500,000 + 700,000 + 200,000 = 1,400,000 = 1,124,000 + 276,000.
     */
    await setNow("2026-03-20T05:00:00.000Z");
    const customer = await makeCustomer();
    const l = await exampleLoan({ customer });
    const a = await paid(l.loan.id, "500000", noonJakarta("2026-02-03"));
    const b = await paid(l.loan.id, "700000", noonJakarta("2026-02-01"));
    const t = await paid(l.loan.id, "300000", noonJakarta("2026-02-20"));
    const q = await paid(l.loan.id, "200000", noonJakarta("2026-02-10"));
    const before = await ledger(admin, l.loan.id);
    expect(before.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_ON_TIME", paidAt: b.paidAt, dpd: 0 },
      { n: 2, paid: "576000/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
      { n: 3, paid: "0/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
    ]);
    expect(before.status).toBe("CURRENT");

    const rq = ok(await requestReversal(alice, t.id, "duplicate of another transfer")).requestPaymentReversal;
    // asOf before Q's paidAt (the latest remaining, 02-10) is refused; 03-20 is fine.
    expect((await refused(l.loan.id, () => approveReversal(bob, rq.id, { asOf: "2026-02-09" }))).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "asOf" });
    ok(await approveReversal(bob, rq.id, { asOf: "2026-03-20" }));

    const after = await ledger(admin, l.loan.id);
    expect(allocs(txOf(after, a.id))).toEqual(["1:500000/0/0"]);
    expect(allocs(txOf(after, b.id))).toEqual(["1:500000/124000/0", "2:76000/0/0"]);
    expect(allocs(txOf(after, t.id))).toEqual(["2:300000/0/0"]);
    expect(txOf(after, t.id).reversed).toBe(true);
    expect(allocs(txOf(after, q.id))).toEqual(["2:200000/0/0"]);
    expect(after.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_ON_TIME", paidAt: b.paidAt, dpd: 0 },
      { n: 2, paid: "276000/0/0", status: "OVERDUE_5DPD", paidAt: null, dpd: 10 },
      { n: 3, paid: "0/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
    ]);
    expect(after).toMatchObject({ status: "LATE_5DPD", daysPastDue: 10, totalPaid: "1400000", outstandingAmount: "1964000" });
    expect(after.statusHistory.at(-1)).toEqual({ fromCode: 220, toCode: 231, reason: "payment reversal", actor: "admin:bob" });
    expect(checkLedger(after)).toEqual({ collected: 1_400_000n, allocated: 1_400_000n, wallet: 0n });
    await expectAuditClean([customer.id]);
  });

  it("reversing the latest payment: asOf may be before ITS paidAt (only the remaining ones count); asOf defaults to today", async () => {
    /*
     * P1 02-09 1,124,000 → #1 PAID_ON_TIME. P2 03-12 1,130,000 → #2 PAID_WITHIN_GRACE, #3 10,000.
     * Reverse P2 with asOf 03-01 (after P1's 02-09, before P2's 03-12): S is empty; #2 and #3 back
     * to 0; as of 03-01 #2 is due in 9 days → NOT_DUE; loan stays CURRENT, totalPaid 1,124,000.
     */
    await setNow("2026-03-20T05:00:00.000Z");
    const customer = await makeCustomer();
    const l = await exampleLoan({ customer });
    const p1 = await paid(l.loan.id, "1124000", noonJakarta("2026-02-09"));
    const p2 = await paid(l.loan.id, "1130000", noonJakarta("2026-03-12"));
    const rq = ok(await requestReversal(alice, p2.id, "wrong customer")).requestPaymentReversal;
    expect((await refused(l.loan.id, () => approveReversal(bob, rq.id, { asOf: "2026-02-08" }))).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "asOf" });
    ok(await approveReversal(bob, rq.id, { asOf: "2026-03-01" }));
    const s = await ledger(admin, l.loan.id);
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_ON_TIME", paidAt: p1.paidAt, dpd: 0 },
      { n: 2, paid: "0/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
      { n: 3, paid: "0/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
    ]);
    expect(s).toMatchObject({ status: "CURRENT", daysPastDue: 0, totalPaid: "1124000" });
    expect(allocs(txOf(s, p2.id))).toEqual(["2:1000000/120000/0", "3:10000/0/0"]);
    checkLedger(s);

    // The same loan, another payment and its reversal with asOf omitted: evaluated as of today
    // (03-20): #2 (due 03-10) 10 days past due → OVERDUE_5DPD, loan LATE_5DPD.
    const p3 = await paid(l.loan.id, "1000", noonJakarta("2026-03-05"));
    // Posting P3 evaluated the loan as of 03-05: still CURRENT. #2 principal 1,000.
    const rq3 = ok(await requestReversal(alice, p3.id, "test transfer")).requestPaymentReversal;
    ok(await approveReversal(bob, rq3.id));
    const s3 = await ledger(admin, l.loan.id);
    expect(s3.payments.map(row)[1]).toEqual({ n: 2, paid: "0/0/0", status: "OVERDUE_5DPD", paidAt: null, dpd: 10 });
    expect(s3).toMatchObject({ status: "LATE_5DPD", daysPastDue: 10, totalPaid: "1124000" });
    expect(s3.statusHistory.at(-1)).toMatchObject({ fromCode: 220, toCode: 231, reason: "payment reversal" });
    checkLedger(s3);
    await expectAuditClean([customer.id]);
  });
});


describe("late fees are not changed by a reversal", () => {
  it("the reversed late fee is owed again, no new fee is charged, the loan is evaluated as of asOf", async () => {
    /*
     * As a daily update left it on 02-15: #1 5 days past due with one late fee
     * max(round100(1,124,000 * 500 / 10000) = 56,200, 55,000) = 56,200; loan LATE_5DPD.
     * P 02-20 1,180,200 → #1 1,000,000/124,000/56,200 (10 days late: PAID_LATE); as of 02-20
     * #2 is NOT_DUE → loan CURRENT.
     * Reverse P as of 03-20: #1 owes 1,180,200 again, 38 days past due → OVERDUE_30DPD (its fee
     * stays 56,200: the 30-dpd fee is the daily update's job); #2 10 dpd → OVERDUE_5DPD; #3
     * NOT_DUE. Loan CURRENT → LATE_30DPD, daysPastDue 38; totalDue 3,364,000 + 56,200 = 3,420,200.
     */
    await setNow("2026-03-20T05:00:00.000Z");
    const customer = await makeCustomer();
    const l = await exampleLoan({ customer, status: "LATE_5DPD", daysPastDue: 5 });
    await setInstallment(l.payments[0]!.id, { lateFeeDue: 56_200n, lateFeeThresholdsApplied: 1, status: "OVERDUE_5DPD", daysPastDue: 5 });
    const p = await paid(l.loan.id, "1180200", noonJakarta("2026-02-20"));
    const before = await ledger(admin, l.loan.id);
    expect(before.payments.map(row)[0]).toEqual({ n: 1, paid: "1000000/124000/56200", status: "PAID_LATE", paidAt: p.paidAt, dpd: 0 });
    expect(before.status).toBe("CURRENT");

    const rq = ok(await requestReversal(alice, p.id, "chargeback")).requestPaymentReversal;
    ok(await approveReversal(bob, rq.id, { asOf: "2026-03-20" }));
    const s = await ledger(admin, l.loan.id);
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "0/0/0", status: "OVERDUE_30DPD", paidAt: null, dpd: 38 },
      { n: 2, paid: "0/0/0", status: "OVERDUE_5DPD", paidAt: null, dpd: 10 },
      { n: 3, paid: "0/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
    ]);
    expect(s.payments.map((x) => x.lateFeeDue)).toEqual(["56200", "0", "0"]);
    expect(s).toMatchObject({ status: "LATE_30DPD", daysPastDue: 38, totalDue: "3420200", totalPaid: "0", outstandingAmount: "3420200" });
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 220, toCode: 232, reason: "payment reversal" });
    expect(allocs(txOf(s, p.id))).toEqual(["1:1000000/124000/56200"]);
    expect(checkLedger(s)).toEqual({ collected: 0n, allocated: 0n, wallet: 0n });
    await expectAuditClean([customer.id]);
  });
});

describe("requestPaymentReversal checks (nothing written)", () => {
  beforeAll(async () => {
    await setNow("2026-03-20T05:00:00.000Z");
  });

  async function loanWithPayment() {
    const l = await exampleLoan();
    // 100,000 on 02-01 → #1 principal 100,000; the loan stays CURRENT.
    const p = await paid(l.loan.id, "100000", noonJakarta("2026-02-01"));
    return { l, p };
  }

  it.each([[""], ["r".repeat(501)]])("a reason outside 1–500 characters (case %#) is BAD_USER_INPUT on reason", async (reason) => {
    const { l, p } = await loanWithPayment();
    const err = await refused(l.loan.id, () => requestReversal(alice, p.id, reason));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "reason" });
    expect(await reversalStatusOf(p.id, l.loan.id)).toBeNull();
  });

  it("an unknown transaction is NOT_FOUND", async () => {
    const r = await requestReversal(alice, "00000000-0000-4000-8000-000000000000", "x");
    expect(codeOf(r)).toBe("NOT_FOUND");
    expect(r.data?.requestPaymentReversal ?? null).toBeNull();
  });

  it("500 characters is fine; another request while one is PENDING is INVALID_STATE", async () => {
    const { l, p } = await loanWithPayment();
    const first = ok(await requestReversal(alice, p.id, "r".repeat(500))).requestPaymentReversal;
    expect(first).toMatchObject({ status: "PENDING", requestedBy: "alice" });
    expect(first.reason).toHaveLength(500);
    expect((await refused(l.loan.id, () => requestReversal(bob, p.id, "again"))).extensions?.code).toBe("INVALID_STATE");
  });

  it("a SETTLEMENT transaction, and a payment on a loan that has one, are INVALID_STATE", async () => {
    const { l, p } = await loanWithPayment();
    // Quote as of 03-20: #1 (1,024,000 left) and #2 due before, #3 current → 3,264,000.
    const s = ok(await settle(admin, { loanId: l.loan.id, amount: "3264000" })).settleLoan;
    expect(s.loan.status).toBe("PAID_OFF");
    expect((await refused(l.loan.id, () => requestReversal(alice, s.transaction.id, "settled by mistake"))).extensions?.code).toBe("INVALID_STATE");
    expect((await refused(l.loan.id, () => requestReversal(alice, p.id, "wrong loan"))).extensions?.code).toBe("INVALID_STATE");
  });

  it("a payment of a WRITTEN_OFF loan is INVALID_STATE", async () => {
    await setNow("2026-06-01T05:00:00.000Z");
    // #1 due 02-10 is 111 days past due on 06-01: LATE_90DPD, which may be written off.
    const l = await exampleLoan({ status: "LATE_90DPD", daysPastDue: 111 });
    const p = await paid(l.loan.id, "1000", noonJakarta("2026-06-01"));
    ok(await gql(`mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "uncollectible") { status } }`, { id: l.loan.id }, admin));
    expect((await refused(l.loan.id, () => requestReversal(alice, p.id, "x"))).extensions?.code).toBe("INVALID_STATE");
    await setNow("2026-03-20T05:00:00.000Z");
  });

});

describe("reject, approve: who and when", () => {
  beforeAll(async () => {
    await setNow("2026-03-20T05:00:00.000Z");
  });

  async function pending() {
    const customer = await makeCustomer();
    const l = await exampleLoan({ customer });
    // 1,124,000 on 02-09 → #1 PAID_ON_TIME; the loan stays CURRENT.
    const p = await paid(l.loan.id, "1124000", noonJakarta("2026-02-09"));
    const rq = ok(await requestReversal(alice, p.id, "bounced")).requestPaymentReversal;
    return { l, p, rq, customer };
  }

  it("reject: REJECTED with decidedBy/decidedAt/decisionNote, nothing else changes; a new request is then allowed", async () => {
    const { l, p, rq } = await pending();
    const before = await loanSnapshot(l.loan.id);
    const historyBefore = (await ledger(admin, l.loan.id)).statusHistory;
    const out = ok(await rejectReversal(bob, rq.id, { note: "the transfer cleared" })).rejectPaymentReversal;
    expect(out).toMatchObject({ id: rq.id, status: "REJECTED", requestedBy: "alice", decidedBy: "bob", decisionNote: "the transfer cleared", transaction: { id: p.id, reversed: false } });
    expect(Number.isNaN(Date.parse(out.decidedAt!))).toBe(false);
    expect(await loanSnapshot(l.loan.id)).toEqual(before);
    expect((await ledger(admin, l.loan.id)).statusHistory).toEqual(historyBefore);
    expect((await allReversals(admin, "REJECTED")).map((r) => r.id)).toContain(rq.id);

    // Rejected is final: neither approve nor reject again.
    expect((await refused(l.loan.id, () => approveReversal(carol, rq.id))).extensions?.code).toBe("INVALID_STATE");
    expect((await refused(l.loan.id, () => rejectReversal(carol, rq.id))).extensions?.code).toBe("INVALID_STATE");

    // A new request for the same payment; the transaction's `reversal` is the latest one.
    const again = ok(await requestReversal(bob, p.id, "bounced after all")).requestPaymentReversal;
    expect(again).toMatchObject({ status: "PENDING", requestedBy: "bob" });
    expect(again.id).not.toBe(rq.id);
    expect(await reversalStatusOf(p.id, l.loan.id)).toMatchObject({ id: again.id, status: "PENDING" });
  });

  it("the requester may reject her own request (any ADMIN may reject)", async () => {
    const { rq } = await pending();
    expect(ok(await rejectReversal(alice, rq.id)).rejectPaymentReversal).toMatchObject({ status: "REJECTED", decidedBy: "alice", decisionNote: null });
  });

  it("approve by the requester's sub is FORBIDDEN, the request stays PENDING", async () => {
    const { l, rq } = await pending();
    expect((await refused(l.loan.id, () => approveReversal(alice, rq.id))).extensions?.code).toBe("FORBIDDEN");
    // Same sub, another token: still the same admin.
    expect((await refused(l.loan.id, () => approveReversal(tokenForAlice2, rq.id))).extensions?.code).toBe("FORBIDDEN");
    expect((await allReversals(admin, "PENDING")).map((r) => r.id)).toContain(rq.id);
  });

  it("an asOf before the disbursement date is BAD_USER_INPUT on asOf", async () => {
    const { l, rq } = await pending();
    // Disbursed 2026-01-10 (10:00 in Jakarta).
    expect((await refused(l.loan.id, () => approveReversal(bob, rq.id, { asOf: "2026-01-09" }))).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "asOf" });
    expect((await allReversals(admin, "PENDING")).map((r) => r.id)).toContain(rq.id);
  });

  it("the request's conditions are checked again at approval: the loan settled meanwhile → INVALID_STATE, still PENDING", async () => {
    const { l, rq } = await pending();
    // Quote as of 03-20 with #1 paid: #2 due before (1,120,000), #3 current (1,120,000) = 2,240,000.
    ok(await settle(admin, { loanId: l.loan.id, amount: "2240000" }));
    expect((await refused(l.loan.id, () => approveReversal(bob, rq.id))).extensions?.code).toBe("INVALID_STATE");
    expect((await allReversals(admin, "PENDING")).map((r) => r.id)).toContain(rq.id);
  });

  it("the loan written off meanwhile → INVALID_STATE, still PENDING", async () => {
    await setNow("2026-06-01T05:00:00.000Z");
    const l = await exampleLoan({ status: "LATE_90DPD", daysPastDue: 111 });
    const p = await paid(l.loan.id, "1000", noonJakarta("2026-06-01"));
    const rq = ok(await requestReversal(alice, p.id, "x")).requestPaymentReversal;
    ok(await gql(`mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "uncollectible") { status } }`, { id: l.loan.id }, admin));
    expect((await refused(l.loan.id, () => approveReversal(bob, rq.id))).extensions?.code).toBe("INVALID_STATE");
    expect((await allReversals(admin, "PENDING")).map((r) => r.id)).toContain(rq.id);
    await setNow("2026-03-20T05:00:00.000Z");
  });

  it("an unknown reversal is NOT_FOUND", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    expect(codeOf(await approveReversal(bob, id))).toBe("NOT_FOUND");
    expect(codeOf(await rejectReversal(bob, id))).toBe("NOT_FOUND");
  });

  it("only ADMIN for the three mutations and paymentReversals: CUSTOMER/PARTNER FORBIDDEN, anonymous UNAUTHENTICATED", async () => {
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const l = await exampleLoan({ customer });
    const p = await paid(l.loan.id, "1000", noonJakarta("2026-02-01"));
    const rq = ok(await requestReversal(alice, p.id, "x")).requestPaymentReversal;
    const others: [string | null, string][] = [
      [await tokenFor("CUSTOMER", customer.id), "FORBIDDEN"],
      [await tokenFor("PARTNER", partner.id), "FORBIDDEN"],
      [null, "UNAUTHENTICATED"],
    ];
    for (const [token, code] of others) {
      expect((await refused(l.loan.id, () => requestReversal(token, p.id, "y"))).extensions?.code).toBe(code);
      expect((await refused(l.loan.id, () => approveReversal(token, rq.id))).extensions?.code).toBe(code);
      expect((await refused(l.loan.id, () => rejectReversal(token, rq.id))).extensions?.code).toBe(code);
      const list = await gql(PAYMENT_REVERSALS, { first: 10 }, token);
      expect(codeOf(list)).toBe(code);
      expect(list.data?.paymentReversals ?? null).toBeNull();
    }
    // Still one PENDING request, untouched.
    expect(await reversalStatusOf(p.id, l.loan.id)).toMatchObject({ id: rq.id, status: "PENDING", requestedBy: "alice" });
  });

  it("paymentReversals: first outside 1–100 is BAD_USER_INPUT; the status filter holds; pages do not overlap", async () => {
    for (const first of [0, 101]) {
      expect(codeOf(await gql(PAYMENT_REVERSALS, { first }, admin))).toBe("BAD_USER_INPUT");
    }
    const { rq } = await pending();
    const page1 = ok(await gql<any>(PAYMENT_REVERSALS, { first: 1, status: "PENDING" }, admin)).paymentReversals;
    expect(page1.nodes).toHaveLength(1);
    expect(page1.totalCount).toBeGreaterThanOrEqual(1);
    const pendingAll = await allReversals(admin, "PENDING");
    expect(pendingAll.every((r) => r.status === "PENDING")).toBe(true);
    expect(pendingAll.map((r) => r.id)).toContain(rq.id);
    expect(new Set(pendingAll.map((r) => r.id)).size).toBe(pendingAll.length);
    expect(pendingAll).toHaveLength(page1.totalCount);
  });
});
