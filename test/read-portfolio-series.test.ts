/**
 * portfolioSeries (money disbursed and collected per Asia/Jakarta day, for the dashboard's
 * charts) and portfolioSummary.byDaysPastDue, through the HTTP API: figures worked out by hand
 * from disbursements and payments made on given instants (either side of a Jakarta midnight), a
 * reversed payment no longer collected, and the same scoping as portfolioSummary (RULES §6).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import type { PartnerRow } from "../src/db/schema.js";
import { makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { pay } from "./support/payments.js";
import { adminToken, codeOf, gql, tokenFor } from "./support/world.js";

const SERIES = `query($from: Date!, $to: Date!, $p: ID) {
  portfolioSeries(from: $from, to: $to, partnerId: $p) { date disbursedCount disbursedAmount collectedCount collectedAmount }
}`;
const SUMMARY = `query($p: ID) { portfolioSummary(partnerId: $p) {
  disbursedTotal collectedTotal byDaysPastDue { label minDays maxDays count outstandingAmount } } }`;
const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id status disbursedAmount disbursedAt } }`;
const REQUEST_REVERSAL = `mutation($input: RequestPaymentReversalInput!) { requestPaymentReversal(input: $input) { id } }`;
const APPROVE_REVERSAL = `mutation($input: DecidePaymentReversalInput!) { approvePaymentReversal(input: $input) { id status } }`;

type Day = { date: string; disbursedCount: number; disbursedAmount: string; collectedCount: number; collectedAmount: string };
const day = (date: string, dn: number, da: number, cn: number, ca: number): Day => ({
  date,
  disbursedCount: dn,
  disbursedAmount: String(da),
  collectedCount: cn,
  collectedAmount: String(ca),
});

let admin: string;
let partner: PartnerRow;
let other: PartnerRow;
let customerId: string;
let reversibleId: string;

/** An INACTIVE loan of the partner disbursed through the API at `at` (MTL 3,000,000 → 2,850,000; STL 1,000,000 → 950,000). */
async function disburseAt(p: PartnerRow, at: string, productCode: "MTL" | "STL" = "MTL") {
  const customer = await makeCustomer({ partnerId: p.id });
  const l = await makeLoan({ customer, productCode, status: "INACTIVE" });
  const r = await gql(DISBURSE, { input: { loanId: l.loan.id, disbursedAt: at } }, admin);
  expect(r.errors).toBeUndefined();
  expect(r.data!.disburseLoan.disbursedAmount).toBe(productCode === "MTL" ? "2850000" : "950000");
  return l;
}

async function payAt(loanId: string, amount: bigint, paidAt: string): Promise<string> {
  const r = await pay(admin, { loanId, amount, paidAt, channel: "VA_BCA" });
  expect(r.errors).toBeUndefined();
  return r.data!.recordPayment.transaction.id;
}

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner();
  other = await makePartner();
  // Jakarta is UTC+7: 16:59:59Z is 23:59:59 the same day there, 17:00Z is 00:00 the next day.
  await disburseAt(partner, "2026-02-28T16:59:00.000Z"); // Jakarta 2026-02-28: before the period
  const a = await disburseAt(partner, "2026-03-01T16:59:59.000Z"); // Jakarta 2026-03-01 23:59:59
  const b = await disburseAt(partner, "2026-03-02T03:00:00.000Z"); // Jakarta 2026-03-02 10:00
  await disburseAt(partner, "2026-03-02T17:00:00.000Z", "STL"); // Jakarta 2026-03-03 00:00
  await disburseAt(partner, "2026-03-05T17:00:00.000Z"); // Jakarta 2026-03-06: after the period
  customerId = a.loan.customerId;
  await payAt(b.loan.id, 500_000n, "2026-03-02T18:00:00.000Z"); // Jakarta 2026-03-03 01:00
  reversibleId = await payAt(b.loan.id, 200_000n, "2026-03-04T05:00:00.000Z"); // Jakarta 2026-03-04 12:00, reversed below
  await payAt(a.loan.id, 300_000n, "2026-03-04T16:30:00.000Z"); // Jakarta 2026-03-04 23:30
  await payAt(a.loan.id, 1_000_000n, "2026-03-05T17:00:00.000Z"); // Jakarta 2026-03-06: after the period
  // Another partner's money on the same days: never in the partner's series.
  const o = await disburseAt(other, "2026-03-03T02:00:00.000Z");
  await payAt(o.loan.id, 700_000n, "2026-03-03T04:00:00.000Z");
});

const PERIOD = { from: "2026-03-01", to: "2026-03-05" };

describe("portfolioSeries figures", () => {
  it("one row per Jakarta day, zeros included; a reversed payment stops counting", async () => {
    const before = await gql(SERIES, { ...PERIOD, p: partner.id }, admin);
    expect(before.errors).toBeUndefined();
    expect(before.data!.portfolioSeries).toEqual([
      day("2026-03-01", 1, 2_850_000, 0, 0),
      day("2026-03-02", 1, 2_850_000, 0, 0),
      day("2026-03-03", 1, 950_000, 1, 500_000),
      day("2026-03-04", 0, 0, 2, 500_000), // 200,000 + 300,000
      day("2026-03-05", 0, 0, 0, 0),
    ]);

    // Four eyes: alice asks, bob approves; the 200,000 is no longer collected.
    const alice = await tokenFor("ADMIN", "alice");
    const bob = await tokenFor("ADMIN", "bob");
    const requested = await gql(REQUEST_REVERSAL, { input: { transactionId: reversibleId, reason: "Bounced transfer" } }, alice);
    expect(requested.errors).toBeUndefined();
    const approved = await gql(APPROVE_REVERSAL, { input: { reversalId: requested.data!.requestPaymentReversal.id } }, bob);
    expect(approved.errors).toBeUndefined();

    const after = await gql(SERIES, { ...PERIOD, p: partner.id }, admin);
    expect(after.errors).toBeUndefined();
    expect(after.data!.portfolioSeries).toEqual([
      day("2026-03-01", 1, 2_850_000, 0, 0),
      day("2026-03-02", 1, 2_850_000, 0, 0),
      day("2026-03-03", 1, 950_000, 1, 500_000),
      day("2026-03-04", 0, 0, 1, 300_000),
      day("2026-03-05", 0, 0, 0, 0),
    ]);
  });

  it("the PARTNER gets its own series, with or without its id; over all time it adds up to portfolioSummary", async () => {
    const token = await tokenFor("PARTNER", partner.id);
    const admins = await gql(SERIES, { ...PERIOD, p: partner.id }, admin);
    for (const p of [undefined, partner.id, partner.id.toUpperCase()]) {
      const r = await gql(SERIES, p === undefined ? PERIOD : { ...PERIOD, p }, token);
      expect(r.errors).toBeUndefined();
      expect(r.data!.portfolioSeries).toEqual(admins.data!.portfolioSeries);
    }
    // 2026-02-28 … 2026-03-06 holds every movement of the partner: 4 × 2,850,000 + 950,000
    // disbursed; 500,000 + 300,000 + 1,000,000 collected (the reversed 200,000 not).
    const all = await gql(SERIES, { from: "2026-02-28", to: "2026-03-06" }, token);
    expect(all.errors).toBeUndefined();
    const days = all.data!.portfolioSeries as Day[];
    expect(days.map((d) => d.date)).toEqual(["2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]);
    expect(days[0]).toEqual(day("2026-02-28", 1, 2_850_000, 0, 0));
    expect(days[6]).toEqual(day("2026-03-06", 1, 2_850_000, 1, 1_000_000));
    const sum = (f: (d: Day) => string) => String(days.reduce((s, d) => s + BigInt(f(d)), 0n));
    expect(sum((d) => d.disbursedAmount)).toBe("12350000");
    expect(sum((d) => d.collectedAmount)).toBe("1800000");
    const summary = await gql(SUMMARY, {}, token);
    expect(summary.errors).toBeUndefined();
    expect(summary.data!.portfolioSummary).toMatchObject({ disbursedTotal: "12350000", collectedTotal: "1800000" });
  });

  it("ADMIN for another partner gets that partner's days; ADMIN for all gets at least both", async () => {
    const r = await gql(SERIES, { ...PERIOD, p: other.id }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.portfolioSeries).toEqual([
      day("2026-03-01", 0, 0, 0, 0),
      day("2026-03-02", 0, 0, 0, 0),
      day("2026-03-03", 1, 2_850_000, 1, 700_000),
      day("2026-03-04", 0, 0, 0, 0),
      day("2026-03-05", 0, 0, 0, 0),
    ]);
    const all = await gql(SERIES, { from: "2026-03-03", to: "2026-03-03" }, admin);
    expect(all.errors).toBeUndefined();
    const [d] = all.data!.portfolioSeries as Day[];
    expect(d!.disbursedCount).toBeGreaterThanOrEqual(2);
    expect(BigInt(d!.disbursedAmount)).toBeGreaterThanOrEqual(950_000n + 2_850_000n);
    expect(BigInt(d!.collectedAmount)).toBeGreaterThanOrEqual(500_000n + 700_000n);
  });

  it("a whole leap year is 366 rows; one day more is BAD_USER_INPUT, as is to before from", async () => {
    const year = await gql(SERIES, { from: "2024-01-01", to: "2024-12-31", p: partner.id }, admin);
    expect(year.errors).toBeUndefined();
    expect(year.data!.portfolioSeries).toHaveLength(366);
    expect(year.data!.portfolioSeries[59].date).toBe("2024-02-29");
    for (const [from, to] of [
      ["2024-01-01", "2025-01-01"],
      ["2020-01-01", "2026-12-31"],
      ["2026-03-05", "2026-03-04"],
    ]) {
      const r = await gql(SERIES, { from, to, p: partner.id }, admin);
      expect(codeOf(r), `${from}..${to}`).toBe("BAD_USER_INPUT");
      expect(r.data ?? null).toBeNull();
    }
    const notADate = await gql(SERIES, { from: "2026-02-30", to: "2026-03-05" }, admin);
    expect(codeOf(notADate)).toBe("BAD_USER_INPUT");
  });
});

describe("portfolioSeries statements", () => {
  /** The statements a request sends (the fewest of three runs; the status-event bus's own are left out). */
  async function statementsOf(query: string, variables: Record<string, unknown>, token: string): Promise<string[]> {
    let best: string[] | undefined;
    for (let i = 0; i < 3; i++) {
      const seen: string[] = [];
      const stop = onQuery((q) => {
        if (!/"?status_events"?/.test(q)) seen.push(q);
      });
      try {
        const r = await gql(query, variables, token);
        expect(r.errors).toBeUndefined();
      } finally {
        stop();
      }
      if (!best || seen.length < best.length) best = seen;
    }
    return best!;
  }

  it("a year of days is one SQL statement; portfolioSummary with byDaysPastDue is one too", async () => {
    const token = await tokenFor("PARTNER", partner.id);
    const series = await statementsOf(SERIES, { from: "2025-03-06", to: "2026-03-06" }, token);
    expect(series).toHaveLength(1);
    expect(series[0]).toMatch(/generate_series/);
    expect(await statementsOf(SUMMARY, {}, token)).toHaveLength(1);
  });
});

describe("portfolioSeries access", () => {
  it("a PARTNER asking for another partner (or no real partner) gets NOT_FOUND", async () => {
    const token = await tokenFor("PARTNER", partner.id);
    for (const p of [other.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const r = await gql(SERIES, { ...PERIOD, p }, token);
      expect(codeOf(r), p).toBe("NOT_FOUND");
      expect(r.data ?? null).toBeNull();
    }
  });

  it("ADMIN asking for a partner that does not exist gets NOT_FOUND", async () => {
    const r = await gql(SERIES, { ...PERIOD, p: "00000000-0000-4000-8000-000000000000" }, admin);
    expect(codeOf(r)).toBe("NOT_FOUND");
  });

  it("CUSTOMER is FORBIDDEN (whatever the dates), anonymous UNAUTHENTICATED", async () => {
    const customer = await tokenFor("CUSTOMER", customerId);
    expect(codeOf(await gql(SERIES, PERIOD, customer))).toBe("FORBIDDEN");
    expect(codeOf(await gql(SERIES, { ...PERIOD, p: partner.id }, customer))).toBe("FORBIDDEN");
    expect(codeOf(await gql(SERIES, { from: "2020-01-01", to: "2026-01-01" }, customer))).toBe("FORBIDDEN");
    expect(codeOf(await gql(SERIES, PERIOD))).toBe("UNAUTHENTICATED");
  });
});

describe("portfolioSummary.byDaysPastDue", () => {
  it("the active loans in every bucket by their days past due, zeros included", async () => {
    const p = await makePartner();
    const loan = async (status: Parameters<typeof makeLoan>[0]["status"], daysPastDue: number) =>
      makeLoan({ customer: await makeCustomer({ partnerId: p.id }), status, daysPastDue });
    // Each untouched MTL 3,000,000 / 3 months owes 3,364,000.
    await loan("CURRENT", 0);
    await loan("LATE_1DPD", 3);
    await loan("LATE_5DPD", 5);
    await loan("LATE_5DPD", 29);
    await loan("LATE_30DPD", 30);
    await loan("LATE_60DPD", 89);
    await loan("LATE_90DPD", 90);
    await loan("LATE_180DPD", 200);
    // Not active: in no bucket.
    await loan("WRITTEN_OFF", 200);
    await loan("INACTIVE", 0);
    const r = await gql(SUMMARY, {}, await tokenFor("PARTNER", p.id));
    expect(r.errors).toBeUndefined();
    const b = (label: string, minDays: number, maxDays: number | null, count: number) => ({ label, minDays, maxDays, count, outstandingAmount: String(3_364_000 * count) });
    expect(r.data!.portfolioSummary.byDaysPastDue).toEqual([
      b("0", 0, 0, 1),
      b("1-4", 1, 4, 1),
      b("5-29", 5, 29, 2),
      b("30-59", 30, 59, 1),
      b("60-89", 60, 89, 1),
      b("90+", 90, null, 2),
    ]);
    const empty = await gql(SUMMARY, {}, await tokenFor("PARTNER", (await makePartner()).id));
    expect(empty.data!.portfolioSummary.byDaysPastDue.map((x: { count: number }) => x.count)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
