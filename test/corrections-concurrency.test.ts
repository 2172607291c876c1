/**
 * RULES §12 under concurrency (PostgreSQL only: PGlite runs one transaction at a time, so races
 * cannot happen there). Every race is run on several loans at once and must end in a state that
 * one of the serial orders gives, with the money invariants holding and the ledger audit clean.
 *
 * The loan is the §6 example (P 3,000,000, 3 months, 400 bps, loanDate 2026-01-10):
 *   #1 due 02-10: 1,000,000 + 124,000 · #2 03-10: 1,000,000 + 120,000 · #3 04-10: 1,000,000 + 120,000.
 * The expected figures are hand arithmetic, written as literals (see each test's comment).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allocs, approveReversal, checkLedger, expectAuditClean, ledger, noonJakarta, ok, requestReversal, row, settle } from "./support/corrections.js";
import { makeCustomer, makeLoan } from "./support/factories.js";
import { newKey, pay } from "./support/payments.js";
import { adminToken, tokenFor, usingPostgres, world } from "./support/world.js";

if (!usingPostgres()) {
  console.log("corrections-concurrency: skipped on PGlite (set TEST_DATABASE_URL to run the races on PostgreSQL)");
}

/** Loans raced at the same time per round, and rounds. */
const PARALLEL = 4;
const ROUNDS = 3;

describe.skipIf(!usingPostgres())("§12 races (PostgreSQL)", () => {
  let admin: string;
  let alice: string;
  let bob: string;
  let carol: string;
  const customers: string[] = [];

  beforeAll(async () => {
    admin = await adminToken();
    alice = await tokenFor("ADMIN", "alice");
    bob = await tokenFor("ADMIN", "bob");
    carol = await tokenFor("ADMIN", "carol");
  });
  afterAll(async () => {
    (await world()).clock.set(null);
  });

  async function exampleLoan() {
    const customer = await makeCustomer();
    customers.push(customer.id);
    return makeLoan({ customer, principal: 3_000_000n, tenorMonths: 3, rateBps: 400, loanDate: "2026-01-10", status: "CURRENT" });
  }

  async function paid(loanId: string, amount: string, paidAt: string) {
    return ok(await pay(admin, { loanId, amount, paidAt, idempotencyKey: newKey() })).recordPayment.transaction;
  }

  async function rounds(body: () => Promise<void>) {
    for (let r = 0; r < ROUNDS; r++) await Promise.all(Array.from({ length: PARALLEL }, body));
  }

  it("an approval racing a payment on the same loan: both orders give the same end state", async () => {
    /*
     * NOW 03-20. P1 02-05 1,124,000 → #1 paid. P2 03-05 500,000 → #2 principal 500,000.
     * Reversal of P1 requested by alice; then at once: bob approves (asOf today, 03-20) and
     * P3 of 300,000 is recorded (paidAt now, 03-20).
     *  approve first: P2 re-posted → #1 principal 500,000; then P3 → #1 principal 300,000.
     *  P3 first: P3 → #2 principal 300,000; then approve re-posts P2 (03-05) and P3 (03-20),
     *           oldest first → #1 500,000 then 300,000.
     * Either way: #1 800,000/0/0, 38 dpd (02-10 → 03-20) OVERDUE_30DPD; #2 nothing, 10 dpd
     * OVERDUE_5DPD; #3 NOT_DUE. Loan LATE_30DPD, daysPastDue 38, totalPaid 800,000, wallet 0.
     */
    const now = "2026-03-20T05:00:00.000Z";
    (await world()).clock.set(now);
    await rounds(async () => {
      const l = await exampleLoan();
      const p1 = await paid(l.loan.id, "1124000", noonJakarta("2026-02-05"));
      const p2 = await paid(l.loan.id, "500000", noonJakarta("2026-03-05"));
      const rq = ok(await requestReversal(alice, p1.id, "bounced")).requestPaymentReversal;
      const [approval, payment] = await Promise.all([approveReversal(bob, rq.id), pay(admin, { loanId: l.loan.id, amount: "300000", idempotencyKey: newKey() })]);
      expect(approval.errors).toBeUndefined();
      expect(payment.errors).toBeUndefined();
      const p3 = payment.data!.recordPayment.transaction;

      const s = await ledger(admin, l.loan.id);
      expect(s.payments.map(row)).toEqual([
        { n: 1, paid: "800000/0/0", status: "OVERDUE_30DPD", paidAt: null, dpd: 38 },
        { n: 2, paid: "0/0/0", status: "OVERDUE_5DPD", paidAt: null, dpd: 10 },
        { n: 3, paid: "0/0/0", status: "NOT_DUE", paidAt: null, dpd: 0 },
      ]);
      const byId = Object.fromEntries(s.transactions.nodes.map((t) => [t.id, t]));
      expect(allocs(byId[p1.id]!)).toEqual(["1:1000000/124000/0"]);
      expect(byId[p1.id]!.reversed).toBe(true);
      expect(allocs(byId[p2.id]!)).toEqual(["1:500000/0/0"]);
      expect(allocs(byId[p3.id]!)).toEqual(["1:300000/0/0"]);
      expect(byId[p3.id]!.paidAt).toBe(now);
      expect(s).toMatchObject({ status: "LATE_30DPD", daysPastDue: 38, totalPaid: "800000", customer: { walletBalance: "0" } });
      expect(s.statusHistory.at(-1)!.toCode).toBe(232);
      expect(checkLedger(s)).toEqual({ collected: 800_000n, allocated: 800_000n, wallet: 0n });
    });
    await expectAuditClean(customers);
  });

  it("two approvals of one request at once (bob, carol): exactly one succeeds, the other INVALID_STATE; applied once", async () => {
    /*
     * The worked example of corrections-reversal.test.ts: P1 02-09 1,124,000, P2 03-12 1,130,000,
     * P3 04-10 1,150,000 (PAID_OFF, wallet 40,000); reverse P1 as of 04-20 →
     * #1 PAID_LATE (by P2), #2 PAID_LATE (by P3), #3 36,000/0/0 OVERDUE_5DPD; LATE_5DPD, wallet 0,
     * totalPaid 2,280,000; one "payment reversal" history row.
     */
    (await world()).clock.set("2026-04-20T05:00:00.000Z");
    await rounds(async () => {
      const l = await exampleLoan();
      const p1 = await paid(l.loan.id, "1124000", noonJakarta("2026-02-09"));
      await paid(l.loan.id, "1130000", noonJakarta("2026-03-12"));
      await paid(l.loan.id, "1150000", noonJakarta("2026-04-10"));
      const rq = ok(await requestReversal(alice, p1.id, "bounced")).requestPaymentReversal;
      const results = await Promise.all([approveReversal(bob, rq.id, { asOf: "2026-04-20" }), approveReversal(carol, rq.id, { asOf: "2026-04-20" })]);
      const wins = results.filter((r) => !r.errors);
      const losses = results.filter((r) => r.errors);
      expect(wins).toHaveLength(1);
      expect(losses).toHaveLength(1);
      expect(losses[0]!.errors![0]!.extensions?.code).toBe("INVALID_STATE");
      expect(["bob", "carol"]).toContain(wins[0]!.data!.approvePaymentReversal.decidedBy);

      const s = await ledger(admin, l.loan.id);
      expect(s.payments.map((p) => [p.paidPrincipal, p.paidInterest, p.paidLateFee, p.status])).toEqual([
        ["1000000", "124000", "0", "PAID_LATE"],
        ["1000000", "120000", "0", "PAID_LATE"],
        ["36000", "0", "0", "OVERDUE_5DPD"],
      ]);
      expect(s).toMatchObject({ status: "LATE_5DPD", daysPastDue: 10, totalPaid: "2280000", customer: { walletBalance: "0" } });
      expect(s.statusHistory.filter((h) => h.reason === "payment reversal")).toHaveLength(1);
      expect(s.transactions.nodes.filter((t) => t.reversed).map((t) => t.id)).toEqual([p1.id]);
      expect(checkLedger(s)).toEqual({ collected: 2_280_000n, allocated: 2_280_000n, wallet: 0n });
    });
    await expectAuditClean(customers);
  });

  it("a settlement racing a payment: payment-then-settlement (excess to the wallet) or settlement-then-INVALID_STATE", async () => {
    /*
     * NOW 02-13 (12:00 Jakarta). Quote: #1 due before 1,124,000, #2 current 1,120,000, #3 later
     * 1,000,000 (120,000 waived) = 3,244,000. At once: settleLoan 3,244,000 and recordPayment
     * 500,000 (both paidAt now).
     *  payment first: #1 principal 500,000; the quote drops to 2,744,000; the settlement
     *   allocates 1:500,000/124,000, 2:1,000,000/120,000, 3:1,000,000/0 and credits 500,000.
     *  settlement first: exact (1:1,000,000/124,000 …), wallet 0; the payment is INVALID_STATE.
     * Either way PAID_OFF, totalDue = totalPaid = 3,244,000, #3 interestDue 0.
     */
    (await world()).clock.set("2026-02-13T05:00:00.000Z");
    const seen = { paymentFirst: 0, settlementFirst: 0 };
    await rounds(async () => {
      const l = await exampleLoan();
      const [st, py] = await Promise.all([settle(admin, { loanId: l.loan.id, amount: "3244000" }), pay(admin, { loanId: l.loan.id, amount: "500000", idempotencyKey: newKey() })]);
      expect(st.errors).toBeUndefined();
      const t = st.data!.settleLoan.transaction;
      const s = await ledger(admin, l.loan.id);
      expect(s).toMatchObject({ status: "PAID_OFF", totalDue: "3244000", totalPaid: "3244000", outstandingAmount: "0" });
      expect(s.payments.map((p) => p.interestDue)).toEqual(["124000", "120000", "0"]);
      if (py.errors) {
        seen.settlementFirst++;
        expect(py.errors[0]!.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "PAID_OFF" });
        expect(allocs(t)).toEqual(["1:1000000/124000/0", "2:1000000/120000/0", "3:1000000/0/0"]);
        expect(t.walletCredit).toBe("0");
        expect(s.customer.walletBalance).toBe("0");
        expect(checkLedger(s)).toEqual({ collected: 3_244_000n, allocated: 3_244_000n, wallet: 0n });
      } else {
        seen.paymentFirst++;
        expect(allocs(py.data!.recordPayment.transaction)).toEqual(["1:500000/0/0"]);
        expect(allocs(t)).toEqual(["1:500000/124000/0", "2:1000000/120000/0", "3:1000000/0/0"]);
        expect(t.walletCredit).toBe("500000");
        expect(s.customer.walletBalance).toBe("500000");
        expect(checkLedger(s)).toEqual({ collected: 3_744_000n, allocated: 3_244_000n, wallet: 500_000n });
      }
    });
    console.log(`settlement vs payment: ${seen.paymentFirst} payment-first, ${seen.settlementFirst} settlement-first`);
    await expectAuditClean(customers);
  });
});
