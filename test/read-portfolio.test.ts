/**
 * portfolioSummary (RULES §6): who may ask for what, and the numbers on a fresh partner's book.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { payments, type PartnerRow } from "../src/db/schema.js";
import { makeCustomer, makeLoan, makePartner, makeTransaction } from "./support/factories.js";
import { adminToken, codeOf, gql, tokenFor, world } from "./support/world.js";

const Q = `query($p: ID) { portfolioSummary(partnerId: $p) {
  loanCount activeLoanCount disbursedTotal collectedTotal outstandingAmount byStatus { status count outstandingAmount } } }`;

let admin: string;
let partner: PartnerRow;
let customerId: string;

/** The expected summary of the partner's book built in beforeAll (worked out by hand). */
const EXPECTED = {
  loanCount: 8,
  activeLoanCount: 3, // CURRENT ×2, LATE_30DPD
  // four disbursed MTL loans of 3,000,000 (2,850,000 each after the fee) + one STL of 1,000,000 (950,000)
  disbursedTotal: "12350000",
  collectedTotal: "4964000", // 1,500,000 + 3,364,000 + 100,000
  outstandingAmount: "6357000", // 1,864,000 + 3,419,000 + 1,074,000
  byStatus: [
    { status: "INACTIVE", count: 1, outstandingAmount: "0" },
    { status: "CANCELLED", count: 1, outstandingAmount: "0" },
    { status: "DISBURSAL_FAILED", count: 1, outstandingAmount: "0" },
    { status: "CURRENT", count: 2, outstandingAmount: "2938000" },
    { status: "LATE_30DPD", count: 1, outstandingAmount: "3419000" },
    { status: "PAID_OFF", count: 1, outstandingAmount: "0" },
    { status: "WRITTEN_OFF", count: 1, outstandingAmount: "3264000" },
  ],
};

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner();
  const customer = () => makeCustomer({ partnerId: partner.id });
  // CURRENT, half paid: due 3,364,000, paid 1,500,000 → outstanding 1,864,000.
  const current = await makeLoan({ customer: await customer() });
  customerId = current.loan.customerId;
  await makeTransaction(current, 1_500_000n);
  // LATE_30DPD with a late fee of 55,000 on the first installment: outstanding 3,419,000.
  const late = await makeLoan({ customer: await customer(), status: "LATE_30DPD", daysPastDue: 35 });
  const db = (await world()).database.db;
  await db.update(payments).set({ lateFeeDue: 55_000n, status: "OVERDUE_30DPD", daysPastDue: 35 }).where(eq(payments.id, late.payments[0]!.id));
  // PAID_OFF: paid in full.
  const paid = await makeLoan({ customer: await customer(), status: "PAID_OFF" });
  await makeTransaction(paid, 3_364_000n);
  // Never disbursed: not in disbursedTotal, nothing outstanding.
  await makeLoan({ customer: await customer(), status: "INACTIVE" });
  await makeLoan({ customer: await customer(), status: "CANCELLED" });
  await makeLoan({ customer: await customer(), status: "DISBURSAL_FAILED" });
  // WRITTEN_OFF: disbursed and collected count, its outstanding is not an active loan's.
  const writtenOff = await makeLoan({ customer: await customer(), status: "WRITTEN_OFF" });
  await makeTransaction(writtenOff, 100_000n);
  // STL CURRENT: due 1,074,000 (interest cut by the fee cap), disbursed 950,000.
  await makeLoan({ customer: await customer(), productCode: "STL" });
});

describe("portfolioSummary numbers", () => {
  it("ADMIN asking for one partner gets that partner's book", async () => {
    const r = await gql(Q, { p: partner.id }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.portfolioSummary).toEqual(EXPECTED);
  });

  it("the PARTNER gets its own book, with or without its id", async () => {
    const token = await tokenFor("PARTNER", partner.id);
    for (const p of [undefined, partner.id, partner.id.toUpperCase()]) {
      const r = await gql(Q, p === undefined ? {} : { p }, token);
      expect(r.errors).toBeUndefined();
      expect(r.data!.portfolioSummary).toEqual(EXPECTED);
    }
  });

  it("byStatus adds up to the totals", async () => {
    const r = await gql(Q, { p: partner.id }, admin);
    const s = r.data!.portfolioSummary;
    expect(s.byStatus.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(s.loanCount);
    const active = s.byStatus.filter((b: { status: string }) => b.status === "CURRENT" || b.status.startsWith("LATE_"));
    expect(active.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(s.activeLoanCount);
    expect(String(active.reduce((n: bigint, b: { outstandingAmount: string }) => n + BigInt(b.outstandingAmount), 0n))).toBe(s.outstandingAmount);
  });

  it("agrees with the loans list and the loans' own fields", async () => {
    const r = await gql(
      `query($p: ID!) { loans(first: 100, filter: { partnerId: $p }) { totalCount nodes { status disbursedAmount outstandingAmount transactions(first: 100) { nodes { amount } } } } }`,
      { p: partner.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    const nodes = r.data!.loans.nodes as { status: string; disbursedAmount: string; outstandingAmount: string; transactions: { nodes: { amount: string }[] } }[];
    const active = nodes.filter((l) => l.status === "CURRENT" || l.status.startsWith("LATE_"));
    const disbursed = nodes.filter((l) => !["INACTIVE", "CANCELLED", "DISBURSAL_FAILED"].includes(l.status));
    const sum = (xs: string[]) => String(xs.reduce((s, x) => s + BigInt(x), 0n));
    expect(r.data!.loans.totalCount).toBe(EXPECTED.loanCount);
    expect(active).toHaveLength(EXPECTED.activeLoanCount);
    expect(sum(active.map((l) => l.outstandingAmount))).toBe(EXPECTED.outstandingAmount);
    expect(sum(disbursed.map((l) => l.disbursedAmount))).toBe(EXPECTED.disbursedTotal);
    expect(sum(nodes.flatMap((l) => l.transactions.nodes.map((t) => t.amount)))).toBe(EXPECTED.collectedTotal);
  });

  it("a partner with no loans gets zeros and no rows", async () => {
    const empty = await makePartner();
    const r = await gql(Q, {}, await tokenFor("PARTNER", empty.id));
    expect(r.errors).toBeUndefined();
    expect(r.data!.portfolioSummary).toEqual({ loanCount: 0, activeLoanCount: 0, disbursedTotal: "0", collectedTotal: "0", outstandingAmount: "0", byStatus: [] });
  });

  it("ADMIN without a partner gets every loan", async () => {
    const r = await gql(
      `{ portfolioSummary { loanCount activeLoanCount byStatus { status count } }
         all: loans(first: 1) { totalCount }
         active: loans(first: 1, filter: { status: [CURRENT, LATE_1DPD, LATE_5DPD, LATE_30DPD, LATE_60DPD, LATE_90DPD, LATE_120DPD, LATE_150DPD, LATE_180DPD] }) { totalCount } }`,
      {},
      admin,
    );
    expect(r.errors).toBeUndefined();
    const s = r.data!.portfolioSummary;
    expect(s.loanCount).toBe(r.data!.all.totalCount);
    expect(s.activeLoanCount).toBe(r.data!.active.totalCount);
    expect(s.loanCount).toBeGreaterThanOrEqual(EXPECTED.loanCount);
    const statuses = s.byStatus.map((b: { status: string }) => b.status);
    expect(new Set(statuses).size).toBe(statuses.length);
  });
});

describe("portfolioSummary access", () => {
  it("a PARTNER asking for another partner (or no real partner) gets NOT_FOUND", async () => {
    const other = await makePartner();
    const token = await tokenFor("PARTNER", partner.id);
    for (const p of [other.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const r = await gql(Q, { p }, token);
      expect(codeOf(r), p).toBe("NOT_FOUND");
      expect(r.data ?? null).toBeNull();
    }
  });

  it("ADMIN asking for a partner that does not exist gets NOT_FOUND", async () => {
    for (const p of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const r = await gql(Q, { p }, admin);
      expect(codeOf(r), p).toBe("NOT_FOUND");
    }
  });

  it("CUSTOMER is FORBIDDEN, anonymous UNAUTHENTICATED", async () => {
    const asCustomer = await gql(Q, {}, await tokenFor("CUSTOMER", customerId));
    expect(codeOf(asCustomer)).toBe("FORBIDDEN");
    const withPartner = await gql(Q, { p: partner.id }, await tokenFor("CUSTOMER", customerId));
    expect(codeOf(withPartner)).toBe("FORBIDDEN");
    const anonymous = await gql(Q, {});
    expect(codeOf(anonymous)).toBe("UNAUTHENTICATED");
  });
});
