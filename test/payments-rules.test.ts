/**
 * recordPayment input checks, idempotency, states and roles (RULES §8, §2, §10). Every rejected
 * request is checked to have written nothing.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LoanStatus } from "../src/domain/statuses.js";
import { MAX_MONEY } from "../src/shared/money.js";
import { makeCustomer, makeLoan, makePartner, type LoanWorld } from "./support/factories.js";
import { checkMoneyInvariants, loanSnapshot, newKey, pay, transactionsWithKey, type PayArgs } from "./support/payments.js";
import { adminToken, codeOf, tokenFor, world } from "./support/world.js";

let admin: string;
const NOW = "2026-06-01T05:00:00.000Z";

beforeAll(async () => {
  admin = await adminToken();
});
beforeEach(async () => {
  (await world()).clock.set(NOW);
});
afterEach(async () => {
  (await world()).clock.set(null);
});

async function freshLoan(status: LoanStatus = "CURRENT"): Promise<LoanWorld> {
  const customer = await makeCustomer();
  return makeLoan({ customer, status, loanDate: "2026-01-10" });
}

/** Runs a request that must fail and checks that nothing about the loan changed. */
async function rejected(l: LoanWorld, args: PayArgs, token: string | null = admin) {
  const before = await loanSnapshot(l.loan.id);
  const r = await pay(token, args);
  expect(r.data?.recordPayment ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  const after = await loanSnapshot(l.loan.id);
  expect(after).toEqual(before);
  return r.errors![0]!;
}

describe("idempotency", () => {
  it("a repeat with the same key and amount returns the first result and changes nothing", async () => {
    const l = await freshLoan();
    const key = newKey();
    const first = await pay(admin, { loanId: l.loan.id, amount: "600000", idempotencyKey: key, paidAt: "2026-02-01T03:00:00.000Z", channel: "VA" });
    expect(first.errors).toBeUndefined();
    expect(first.data!.recordPayment.replayed).toBe(false);
    const afterFirst = await loanSnapshot(l.loan.id);

    // Same key (surrounding spaces are trimmed), same amount (as an Int this time); paidAt differs.
    const again = await pay(admin, { loanId: l.loan.id, amount: 600000, idempotencyKey: `  ${key} `, paidAt: "2026-02-02T03:00:00.000Z" });
    expect(again.errors).toBeUndefined();
    expect(again.data!.recordPayment.replayed).toBe(true);
    expect(again.data!.recordPayment.transaction).toEqual(first.data!.recordPayment.transaction);
    expect(again.data!.recordPayment.loan.totalPaid).toBe("600000");
    expect(await loanSnapshot(l.loan.id)).toEqual(afterFirst);
    expect(await transactionsWithKey(key)).toHaveLength(1);
  });

  it("replays even after the loan was paid off by that payment", async () => {
    const l = await freshLoan();
    const key = newKey();
    const first = await pay(admin, { loanId: l.loan.id, amount: "3400000", idempotencyKey: key });
    expect(first.data!.recordPayment.loan.status).toBe("PAID_OFF");
    const snap = await loanSnapshot(l.loan.id);
    const again = await pay(admin, { loanId: l.loan.id, amount: "3400000", idempotencyKey: key });
    expect(again.errors).toBeUndefined();
    expect(again.data!.recordPayment).toMatchObject({ replayed: true, transaction: { id: first.data!.recordPayment.transaction.id, walletCredit: "36000" } });
    expect(await loanSnapshot(l.loan.id)).toEqual(snap);
    expect(snap.walletBalance).toBe(36_000n);
  });

  it("the same key with a different amount is IDEMPOTENCY_CONFLICT", async () => {
    const l = await freshLoan();
    const key = newKey();
    expect((await pay(admin, { loanId: l.loan.id, amount: "100000", idempotencyKey: key })).errors).toBeUndefined();
    const err = await rejected(l, { loanId: l.loan.id, amount: "100001", idempotencyKey: key });
    expect(err.extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
  });

  it("the same key on a different loan is IDEMPOTENCY_CONFLICT", async () => {
    const l1 = await freshLoan();
    const l2 = await freshLoan();
    const key = newKey();
    expect((await pay(admin, { loanId: l1.loan.id, amount: "100000", idempotencyKey: key })).errors).toBeUndefined();
    const err = await rejected(l2, { loanId: l2.loan.id, amount: "100000", idempotencyKey: key });
    expect(err.extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
    expect(await transactionsWithKey(key)).toHaveLength(1);
  });

  it("keys are case-sensitive: a key differing only in case is a new payment", async () => {
    const l = await freshLoan();
    const key = `Abc-${newKey()}`;
    const a = await pay(admin, { loanId: l.loan.id, amount: "1000", idempotencyKey: key });
    const b = await pay(admin, { loanId: l.loan.id, amount: "1000", idempotencyKey: key.toLowerCase() });
    expect(a.data!.recordPayment.replayed).toBe(false);
    expect(b.data!.recordPayment.replayed).toBe(false);
    expect(b.data!.recordPayment.transaction.id).not.toBe(a.data!.recordPayment.transaction.id);
  });
});

describe("input checks (BAD_USER_INPUT, nothing written)", () => {
  let l: LoanWorld;
  beforeAll(async () => {
    l = await freshLoan();
  });

  it.each([["0"], [0]])("amount %j (must be > 0) names the field", async (amount) => {
    const err = await rejected(l, { loanId: l.loan.id, amount, idempotencyKey: newKey() });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "amount" });
  });

  it.each([["-1"], ["1.5"], ["1e6"], [""], [" 100"], ["1,000"], [-1], [1.5]])("amount %j is not Money", async (amount) => {
    const err = await rejected(l, { loanId: l.loan.id, amount, idempotencyKey: newKey() });
    expect(err.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("a future paidAt", async () => {
    const err = await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey(), paidAt: "2026-06-01T05:00:01.000Z" });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "paidAt" });
  });

  it("paidAt exactly now and back-dated are accepted", async () => {
    const now = await pay(admin, { loanId: l.loan.id, amount: "1000", paidAt: NOW });
    expect(now.errors).toBeUndefined();
    const old = await pay(admin, { loanId: l.loan.id, amount: "1000", paidAt: "2026-01-10T03:00:00.000Z" });
    expect(old.errors).toBeUndefined();
  });

  it("a paidAt before the loan was disbursed", async () => {
    const err = await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey(), paidAt: "2026-01-10T02:59:59.999Z" });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "paidAt" });
  });

  it("a paidAt that is not a DateTime", async () => {
    const err = await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey(), paidAt: "2026-02-01" });
    expect(err.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it.each([[""], ["   "], ["k".repeat(101)], ["kunci-é"], ["a\tb"], ["line\nbreak"]])("idempotencyKey %j", async (key) => {
    const err = await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: key });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "idempotencyKey" });
  });

  it("a 100-character key (after trimming) is accepted", async () => {
    const key = `${newKey()}${"x".repeat(100)}`.slice(0, 100);
    const r = await pay(admin, { loanId: l.loan.id, amount: "1000", idempotencyKey: `\t ${key}  ` });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPayment.transaction.idempotencyKey).toBe(key);
  });

  it("a channel over 50 characters", async () => {
    const err = await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey(), channel: "c".repeat(51) });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "channel" });
    const ok = await pay(admin, { loanId: l.loan.id, amount: "1000", channel: "c".repeat(50) });
    expect(ok.data!.recordPayment.transaction.channel).toBe("c".repeat(50));
  });

  it("a wallet credit that would overflow the customer's balance names amount", async () => {
    const customer = await makeCustomer({ walletBalance: MAX_MONEY - 5n });
    const big = await makeLoan({ customer, status: "CURRENT", loanDate: "2026-01-10" });
    const err = await rejected(big, { loanId: big.loan.id, amount: (3_364_000n + 6n).toString(), idempotencyKey: newKey() });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "amount" });
    const ok = await pay(admin, { loanId: big.loan.id, amount: (3_364_000n + 5n).toString() });
    expect(ok.errors).toBeUndefined();
    expect((await loanSnapshot(big.loan.id)).walletBalance).toBe(MAX_MONEY);
  });

  it("the accepted payments above kept the books straight", async () => {
    checkMoneyInvariants(await loanSnapshot(l.loan.id));
  });
});

describe("loan existence and state", () => {
  it.each([["00000000-0000-4000-8000-000000000000"], ["not-a-uuid"], [""]])("unknown loan %j is NOT_FOUND", async (loanId) => {
    const key = newKey();
    const r = await pay(admin, { loanId, amount: "1000", idempotencyKey: key });
    expect(codeOf(r)).toBe("NOT_FOUND");
    expect(await transactionsWithKey(key)).toHaveLength(0);
  });

  it.each<[LoanStatus]>([["INACTIVE"], ["PAID_OFF"], ["WRITTEN_OFF"], ["CANCELLED"], ["DISBURSAL_FAILED"]])("a %s loan is INVALID_STATE", async (status) => {
    const l = await freshLoan(status);
    const err = await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey() });
    expect(err.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: status });
  });

  it.each<[LoanStatus]>([["LATE_1DPD"], ["LATE_90DPD"], ["LATE_180DPD"]])("a %s loan takes payments", async (status) => {
    const l = await freshLoan(status);
    const r = await pay(admin, { loanId: l.loan.id, amount: "1000" });
    expect(r.errors).toBeUndefined();
  });
});

describe("roles", () => {
  it("only ADMIN may record a payment", async () => {
    const partner = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const l = await makeLoan({ customer, status: "CURRENT", loanDate: "2026-01-10" });
    const own = await tokenFor("CUSTOMER", customer.id);
    const partnerToken = await tokenFor("PARTNER", partner.id);
    expect((await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey() }, own)).extensions?.code).toBe("FORBIDDEN");
    expect((await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey() }, partnerToken)).extensions?.code).toBe("FORBIDDEN");
    expect((await rejected(l, { loanId: l.loan.id, amount: "1000", idempotencyKey: newKey() }, null)).extensions?.code).toBe("UNAUTHENTICATED");
    const ok = await pay(await tokenFor("ADMIN", "ops"), { loanId: l.loan.id, amount: "1124000" });
    expect(ok.errors).toBeUndefined();
  });
});
