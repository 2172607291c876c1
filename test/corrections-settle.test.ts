/**
 * settleLoan (RULES §12.2, contract corrections.graphql): the quote as of paidAt's date is the
 * floor; later installments' interest is waived (interestDue := paidInterest); allocation and
 * paid statuses as recordPayment (§8); PAID_OFF with reason "early settlement"; kind SETTLEMENT;
 * idempotency in recordPayment's key space.
 *
 * The loan is the §6 example (P 3,000,000, 3 months, 400 bps, loanDate 2026-01-10):
 *   #1 due 02-10: 1,000,000 + 124,000 · #2 03-10: 1,000,000 + 120,000 · #3 04-10: 1,000,000 + 120,000
 * (worked out in test/corrections-quote.test.ts, which also reads it back through the API).
 * Every expected figure below is hand arithmetic from RULES, written as a literal.
 */
import type { Client } from "graphql-ws";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LoanStatus } from "../src/domain/statuses.js";
import { allocs, checkLedger, expectAuditClean, ledger, ok, payoffQuote, row, settle, type SettleArgs } from "./support/corrections.js";
import { makeCustomer, makeLoan, makePartner, setInstallment, type LoanWorld } from "./support/factories.js";
import { loanSnapshot, newKey, pay, transactionsWithKey } from "./support/payments.js";
import { collect, gatewayWsUrl, noSubscribers, subscribed, wsClient } from "./support/ws.js";
import { adminToken, tokenFor, world } from "./support/world.js";

let admin: string;
const customersMade: string[] = [];

beforeAll(async () => {
  admin = await adminToken();
});
afterEach(async () => {
  (await world()).clock.set(null);
});

async function setNow(iso: string) {
  (await world()).clock.set(iso);
}

async function exampleLoan(over: Partial<Parameters<typeof makeLoan>[0]> = {}): Promise<LoanWorld> {
  const customer = over.customer ?? (await makeCustomer());
  customersMade.push(customer.id);
  return makeLoan({ customer, principal: 3_000_000n, tenorMonths: 3, rateBps: 400, loanDate: "2026-01-10", status: "CURRENT", ...over });
}

/** A settleLoan call that must fail: one error, nothing about the loan (or its customer) changed. */
async function rejected(l: LoanWorld, args: SettleArgs, token: string | null = admin) {
  const before = await loanSnapshot(l.loan.id);
  const r = await settle(token, args);
  expect(r.data?.settleLoan ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  expect(await loanSnapshot(l.loan.id)).toEqual(before);
  return r.errors![0]!;
}

/**
 * On 2026-02-13 (12:00 Jakarta) the §6 loan as a daily update leaves it: #1 3 days past due
 * (OVERDUE_1DPD, no late fee before 5 dpd), loan LATE_1DPD.
 * Quote as of 02-13: #1 due before → 1,124,000; #2 (03-10) current → 1,120,000; #3 later →
 * principal 1,000,000, interest 120,000 waived. amount 3,244,000.
 */
async function lateByThreeDays(): Promise<LoanWorld> {
  await setNow("2026-02-13T05:00:00.000Z");
  const l = await exampleLoan({ status: "LATE_1DPD", daysPastDue: 3 });
  await setInstallment(l.payments[0]!.id, { status: "OVERDUE_1DPD", daysPastDue: 3 });
  return l;
}

describe("amount against the quote", () => {
  it("below the quote is BAD_USER_INPUT on amount, with extensions.payoffAmount, and writes nothing", async () => {
    const l = await lateByThreeDays();
    expect(ok(await payoffQuote(admin, l.loan.id)).loan!.payoffQuote!.amount).toBe("3244000");
    const err = await rejected(l, { loanId: l.loan.id, amount: "3243999" });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "amount" });
    expect(String(err.extensions!.payoffAmount)).toBe("3244000");
  });

  it("exactly the quote: every installment paid, #3's interest waived, PAID_OFF 'early settlement', kind SETTLEMENT", async () => {
    const l = await lateByThreeDays();
    const key = newKey();
    const r = await settle(admin, { loanId: l.loan.id, amount: "3244000", idempotencyKey: key, channel: "BCA VA" });
    const out = ok(r).settleLoan;
    expect(out.replayed).toBe(false);
    expect(out.transaction).toMatchObject({
      kind: "SETTLEMENT",
      reversed: false,
      amount: "3244000",
      walletCredit: "0",
      paidAt: "2026-02-13T05:00:00.000Z", // default: now
      idempotencyKey: key,
      channel: "BCA VA",
    });
    // Oldest first, principal → interest → late fee; #3 owes only its principal once its
    // interest is waived: 1,124,000 + 1,120,000 + 1,000,000 = 3,244,000.
    expect(allocs(out.transaction)).toEqual(["1:1000000/124000/0", "2:1000000/120000/0", "3:1000000/0/0"]);
    // totalDue 3,364,000 - 120,000 waived = 3,244,000, all of it paid.
    expect(out.loan).toMatchObject({ status: "PAID_OFF", statusCode: 250, daysPastDue: 0, totalDue: "3244000", totalPaid: "3244000", outstandingAmount: "0" });

    const s = await ledger(admin, l.loan.id);
    const at = "2026-02-13T05:00:00.000Z";
    // #1 due 02-10 paid 02-13: 3 days late → PAID_WITHIN_GRACE; #2, #3 before their due dates.
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_WITHIN_GRACE", paidAt: at, dpd: 0 },
      { n: 2, paid: "1000000/120000/0", status: "PAID_ON_TIME", paidAt: at, dpd: 0 },
      { n: 3, paid: "1000000/0/0", status: "PAID_ON_TIME", paidAt: at, dpd: 0 },
    ]);
    expect(s.payments.map((p) => [p.principalDue, p.interestDue, p.lateFeeDue, p.outstandingAmount])).toEqual([
      ["1000000", "124000", "0", "0"],
      ["1000000", "120000", "0", "0"],
      ["1000000", "0", "0", "0"], // interestDue := paidInterest (0)
    ]);
    expect(s.payments.map((p) => p.statusCode)).toEqual([331, 330, 330]);
    expect(s.customer.walletBalance).toBe("0");
    expect(s.statusHistory.at(-1)).toEqual({ fromCode: 230, toCode: 250, reason: "early settlement", actor: "admin:tester" });
    expect(s.transactions.nodes.map((t) => [t.id, t.kind, t.reversed, t.reversal])).toEqual([[out.transaction.id, "SETTLEMENT", false, null]]);
    expect(checkLedger(s)).toEqual({ collected: 3_244_000n, allocated: 3_244_000n, wallet: 0n });
    // Closed: no quote any more.
    expect(ok(await payoffQuote(admin, l.loan.id)).loan!.payoffQuote).toBeNull();
  });

  it("a back-dated paidAt takes the quote as of ITS date, and the excess goes to the wallet", async () => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan();
    const paidAt = "2026-02-05T03:00:00.000Z"; // 10:00 on 02-05 in Jakarta
    // Quote as of 02-05: #1 current (1,124,000), #2 and #3 later (1,000,000 each, 240,000 waived)
    // = 3,124,000. As of today (02-13) it would be 3,244,000.
    const low = await rejected(l, { loanId: l.loan.id, amount: "3123999", paidAt });
    expect(low.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "amount" });
    expect(String(low.extensions!.payoffAmount)).toBe("3124000");

    // 3,200,000 - 3,124,000 = 76,000 to the wallet (below today's quote, enough for 02-05's).
    const out = ok(await settle(admin, { loanId: l.loan.id, amount: 3_200_000, paidAt })).settleLoan;
    expect(out.transaction).toMatchObject({ kind: "SETTLEMENT", amount: "3200000", walletCredit: "76000", paidAt });
    expect(allocs(out.transaction)).toEqual(["1:1000000/124000/0", "2:1000000/0/0", "3:1000000/0/0"]);
    // totalDue = 3,364,000 - 240,000 = 3,124,000.
    expect(out.loan).toMatchObject({ status: "PAID_OFF", totalDue: "3124000", totalPaid: "3124000", outstandingAmount: "0" });
    const s = await ledger(admin, l.loan.id);
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/0", status: "PAID_ON_TIME", paidAt, dpd: 0 },
      { n: 2, paid: "1000000/0/0", status: "PAID_ON_TIME", paidAt, dpd: 0 },
      { n: 3, paid: "1000000/0/0", status: "PAID_ON_TIME", paidAt, dpd: 0 },
    ]);
    expect(s.payments.map((p) => p.interestDue)).toEqual(["124000", "0", "0"]);
    expect(s.customer.walletBalance).toBe("76000");
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 220, toCode: 250, reason: "early settlement" });
    expect(checkLedger(s)).toEqual({ collected: 3_200_000n, allocated: 3_124_000n, wallet: 76_000n });
  });

  it("with late fees and an earlier partial payment (kind PAYMENT): late fees are owed, nothing waived when the last installment is current", async () => {
    // On 03-20: #1 38 dpd with two late fees 2 × 56,200 = 112,400 (5% of 1,124,000, above the
    // 55,000 minimum), #2 10 dpd with one: 5% of 1,120,000 = 56,000. Loan LATE_30DPD.
    await setNow("2026-03-20T05:00:00.000Z");
    const l = await exampleLoan({ status: "LATE_30DPD", daysPastDue: 38 });
    await setInstallment(l.payments[0]!.id, { lateFeeDue: 112_400n, lateFeeThresholdsApplied: 2, status: "OVERDUE_30DPD", daysPastDue: 38 });
    await setInstallment(l.payments[1]!.id, { lateFeeDue: 56_000n, lateFeeThresholdsApplied: 1, status: "OVERDUE_5DPD", daysPastDue: 10 });
    const p = ok(await pay(admin, { loanId: l.loan.id, amount: "500000", paidAt: "2026-03-15T05:00:00.000Z" })).recordPayment;

    // Quote as of 03-20: #1, #2 due before, #3 current: 2,500,000 + 364,000 + 168,400 = 3,032,400.
    // 3,040,000 leaves 7,600 for the wallet.
    const out = ok(await settle(admin, { loanId: l.loan.id, amount: "3040000" })).settleLoan;
    expect(allocs(out.transaction)).toEqual(["1:500000/124000/112400", "2:1000000/120000/56000", "3:1000000/120000/0"]);
    expect(out.transaction.walletCredit).toBe("7600");
    // totalDue 3,364,000 + 168,400 late fees = 3,532,400, nothing waived; paid 500,000 + 3,032,400.
    expect(out.loan).toMatchObject({ status: "PAID_OFF", totalDue: "3532400", totalPaid: "3532400", outstandingAmount: "0" });
    const s = await ledger(admin, l.loan.id);
    const at = "2026-03-20T05:00:00.000Z";
    // #1 due 02-10, paid 03-20: 38 days → PAID_LATE; #2 due 03-10: 10 days → PAID_LATE; #3 on time.
    expect(s.payments.map(row)).toEqual([
      { n: 1, paid: "1000000/124000/112400", status: "PAID_LATE", paidAt: at, dpd: 0 },
      { n: 2, paid: "1000000/120000/56000", status: "PAID_LATE", paidAt: at, dpd: 0 },
      { n: 3, paid: "1000000/120000/0", status: "PAID_ON_TIME", paidAt: at, dpd: 0 },
    ]);
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 232, toCode: 250, reason: "early settlement" });
    expect(s.customer.walletBalance).toBe("7600");
    const kinds = Object.fromEntries(s.transactions.nodes.map((t) => [t.id, t.kind]));
    expect(kinds).toEqual({ [p.transaction.id]: "PAYMENT", [out.transaction.id]: "SETTLEMENT" });
    expect(checkLedger(s)).toEqual({ collected: 3_540_000n, allocated: 3_532_400n, wallet: 7_600n });
    await expectAuditClean([s.customer.id]);
  });
});

describe("idempotency (recordPayment's key space)", () => {
  it("a repeat returns the first result (replayed), even after PAID_OFF, and changes nothing", async () => {
    const l = await lateByThreeDays();
    const key = newKey();
    const first = ok(await settle(admin, { loanId: l.loan.id, amount: "3244000", idempotencyKey: key })).settleLoan;
    const snap = await loanSnapshot(l.loan.id);
    // The loan is PAID_OFF now: the key is checked before the status.
    const again = ok(await settle(admin, { loanId: l.loan.id, amount: 3_244_000, idempotencyKey: ` ${key} ` })).settleLoan;
    expect(again.replayed).toBe(true);
    expect(again.transaction).toEqual(first.transaction);
    expect(await loanSnapshot(l.loan.id)).toEqual(snap);
    expect(await transactionsWithKey(key)).toHaveLength(1);
  });

  it("the same key with another amount, or on another loan, is IDEMPOTENCY_CONFLICT", async () => {
    const l = await lateByThreeDays();
    const other = await exampleLoan();
    const key = newKey();
    ok(await settle(admin, { loanId: l.loan.id, amount: "3244000", idempotencyKey: key }));
    expect((await rejected(l, { loanId: l.loan.id, amount: "3244001", idempotencyKey: key })).extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
    // another loan, an amount its own quote would accept (as of 02-13: 3,244,000)
    expect((await rejected(other, { loanId: other.loan.id, amount: "3244000", idempotencyKey: key })).extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
    expect(await transactionsWithKey(key)).toHaveLength(1);
  });

  it("a key recordPayment used is IDEMPOTENCY_CONFLICT for settleLoan (same loan and amount)", async () => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan();
    const key = newKey();
    // 2,000,000 on 02-13: #1 in full (1,124,000), 876,000 to #2's principal; still CURRENT.
    // The quote after it (02-13): #2 current 124,000 + 120,000, #3 later 1,000,000 → 1,244,000,
    // so 2,000,000 would be enough for a settlement: only the key can refuse it.
    const p = ok(await pay(admin, { loanId: l.loan.id, amount: "2000000", idempotencyKey: key })).recordPayment;
    expect(p.loan.status).toBe("CURRENT");
    expect(ok(await payoffQuote(admin, l.loan.id)).loan!.payoffQuote!.amount).toBe("1244000");
    expect((await rejected(l, { loanId: l.loan.id, amount: "2000000", idempotencyKey: key })).extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
  });

  it("a recordPayment key that paid the loan off: settleLoan with it is IDEMPOTENCY_CONFLICT, not INVALID_STATE", async () => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan();
    const key = newKey();
    ok(await pay(admin, { loanId: l.loan.id, amount: "3400000", idempotencyKey: key }));
    expect((await rejected(l, { loanId: l.loan.id, amount: "3400000", idempotencyKey: key })).extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
  });

  it("a settleLoan key is IDEMPOTENCY_CONFLICT for recordPayment (no replay across kinds)", async () => {
    const l = await lateByThreeDays();
    const key = newKey();
    ok(await settle(admin, { loanId: l.loan.id, amount: "3244000", idempotencyKey: key }));
    const before = await loanSnapshot(l.loan.id);
    const r = await pay(admin, { loanId: l.loan.id, amount: "3244000", idempotencyKey: key });
    expect(r.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
    expect(r.data?.recordPayment ?? null).toBeNull();
    expect(await loanSnapshot(l.loan.id)).toEqual(before);
  });
});

describe("states, input and roles (nothing written)", () => {
  it.each<[LoanStatus]>([["INACTIVE"], ["CANCELLED"], ["DISBURSAL_FAILED"], ["PAID_OFF"], ["WRITTEN_OFF"]])("a %s loan is INVALID_STATE", async (status) => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan({ status });
    const err = await rejected(l, { loanId: l.loan.id, amount: "3364000" });
    expect(err.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: status });
  });

  it("a future paidAt is BAD_USER_INPUT on paidAt", async () => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan();
    const err = await rejected(l, { loanId: l.loan.id, amount: "3364000", paidAt: "2026-02-13T05:00:00.001Z" });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "paidAt" });
  });

  it("a paidAt before the disbursement is BAD_USER_INPUT on paidAt (as recordPayment)", async () => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan();
    const err = await rejected(l, { loanId: l.loan.id, amount: "3364000", paidAt: "2026-01-10T02:59:59.999Z" });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "paidAt" });
  });

  it.each([["0"], ["-1"], ["1.5"]])("amount %j is BAD_USER_INPUT", async (amount) => {
    await setNow("2026-02-13T05:00:00.000Z");
    const l = await exampleLoan();
    expect((await rejected(l, { loanId: l.loan.id, amount })).extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("an unknown loan is NOT_FOUND", async () => {
    const key = newKey();
    const r = await settle(admin, { loanId: "00000000-0000-4000-8000-000000000000", amount: "3364000", idempotencyKey: key });
    expect(r.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await transactionsWithKey(key)).toHaveLength(0);
  });

  it("only ADMIN: CUSTOMER and PARTNER are FORBIDDEN, anonymous UNAUTHENTICATED", async () => {
    await setNow("2026-02-13T05:00:00.000Z");
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const l = await exampleLoan({ customer });
    const args = { loanId: l.loan.id, amount: "3364000" };
    expect((await rejected(l, args, await tokenFor("CUSTOMER", customer.id))).extensions?.code).toBe("FORBIDDEN");
    expect((await rejected(l, args, await tokenFor("PARTNER", partner.id))).extensions?.code).toBe("FORBIDDEN");
    expect((await rejected(l, args, null)).extensions?.code).toBe("UNAUTHENTICATED");
    // Any ADMIN may.
    expect(ok(await settle(await tokenFor("ADMIN", "ops"), args)).settleLoan.loan.status).toBe("PAID_OFF");
  });
});

describe("events", () => {
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await noSubscribers();
  });

  it("delivers loanStatusChanged → PAID_OFF with reason 'early settlement' to a subscriber", async () => {
    const l = await lateByThreeDays();
    await noSubscribers();
    const c = wsClient(await gatewayWsUrl(), admin);
    clients.push(c);
    const sub = collect(c, `subscription($id: ID) { loanStatusChanged(loanId: $id) { fromStatus toStatus reason loan { id status } } }`, { id: l.loan.id });
    await subscribed(1);
    ok(await settle(admin, { loanId: l.loan.id, amount: "3244000" }));
    const [e] = await sub.waitFor(1);
    expect(e.loanStatusChanged).toEqual({ fromStatus: "LATE_1DPD", toStatus: "PAID_OFF", reason: "early settlement", loan: { id: l.loan.id, status: "PAID_OFF" } });
  });
});
