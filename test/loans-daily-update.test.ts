/**
 * runDailyUpdate through HTTP (RULES §7): installment statuses at the dpd boundaries, late fees
 * per threshold (MTL 500 bps with the Rp 55,000 minimum, STL 1000 bps), the cap, catch-up after
 * a gap, idempotence (also as a property), the loan status from its worst unpaid installment,
 * offer expiry, the run record, and the work done per run.
 *
 * The update evaluates every active loan of the worker's database, so its counts are global.
 * Tests that assert counts first "settle" the database at the date (run it once), then create
 * their own rows and run the same date again: only their rows can change.
 */
import fc from "fast-check";
import { eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import { dailyUpdateRuns, loanApplications, loans, payments, statusChanges, statusEvents } from "../src/db/schema.js";
import { runDailyUpdate as runDailyUpdateService } from "../src/features/loans/daily-update.js";
import { buildSchedule } from "../src/features/loans/schedule.js";
import { addDays, daysBetween, startOfJakartaDay } from "../src/shared/dates.js";
import { makeApplication, makeCustomer, makeLoan, makeTransaction, product } from "./support/factories.js";
import { adminToken, codeOf, gql, world } from "./support/world.js";

let admin: string;
beforeAll(async () => {
  admin = await adminToken();
});

const DAILY = `mutation($asOf: Date!) { runDailyUpdate(asOf: $asOf) { asOf paymentsUpdated loansUpdated lateFeesApplied offersExpired } }`;
const STATE = `query($id: ID!) { loan(id: $id) {
  id status statusCode daysPastDue
  payments { installmentNumber dueDate status statusCode daysPastDue principalDue interestDue lateFeeDue }
  statusHistory { fromCode toCode reason actor }
} }`;

interface Counts {
  asOf: string;
  paymentsUpdated: number;
  loansUpdated: number;
  lateFeesApplied: number;
  offersExpired: number;
}

async function daily(asOf: string): Promise<Counts> {
  const r = await gql(DAILY, { asOf }, admin);
  expect(r.errors).toBeUndefined();
  return r.data!.runDailyUpdate;
}

const nothing = (asOf: string): Counts => ({ asOf, paymentsUpdated: 0, loansUpdated: 0, lateFeesApplied: 0, offersExpired: 0 });

async function state(id: string) {
  const r = await gql(STATE, { id }, admin);
  expect(r.errors).toBeUndefined();
  return r.data!.loan;
}

async function thresholdsOf(loanId: string): Promise<number[]> {
  const db = (await world()).database.db;
  const rows = await db.select().from(payments).where(eq(payments.loanId, loanId)).orderBy(payments.installmentNumber);
  return rows.map((r) => r.lateFeeThresholdsApplied);
}

// Independent oracle of the status tables (RULES §6, §7).
const BUCKETS: [number, string, string][] = [
  [180, "OVERDUE_180DPD", "LATE_180DPD"],
  [150, "OVERDUE_150DPD", "LATE_150DPD"],
  [120, "OVERDUE_120DPD", "LATE_120DPD"],
  [90, "OVERDUE_90DPD", "LATE_90DPD"],
  [60, "OVERDUE_60DPD", "LATE_60DPD"],
  [30, "OVERDUE_30DPD", "LATE_30DPD"],
  [5, "OVERDUE_5DPD", "LATE_5DPD"],
  [1, "OVERDUE_1DPD", "LATE_1DPD"],
];
function expectedPaymentStatus(dpd: number): string {
  if (dpd < -3) return "NOT_DUE";
  if (dpd < 0) return "DUE_IN_3_DAYS";
  if (dpd === 0) return "DUE_TODAY";
  return BUCKETS.find(([min]) => dpd >= min)![1];
}
function expectedLoanStatus(worstDpd: number): string {
  if (worstDpd <= 0) return "CURRENT";
  return BUCKETS.find(([min]) => worstDpd >= min)![2];
}
const THRESHOLDS = [5, 30, 60, 90, 120, 150, 180];
const reached = (dpd: number) => THRESHOLDS.filter((t) => dpd >= t).length;

const LOAN_DATE = "2026-01-10";

describe("runDailyUpdate: installment status, dpd and loan status", () => {
  it("walks a 6-month MTL loan through every dpd boundary (−4 … 181) with fees at each threshold", async () => {
    const { loan } = await makeLoan({ customer: await makeCustomer(), principal: 6_000_000n, tenorMonths: 6, rateBps: 400, loanDate: LOAN_DATE });
    const due1 = "2026-02-10";
    // offset from the first due date → [installment status, code, loan status, loan code]
    const table: [number, string, number, string, number][] = [
      [-4, "NOT_DUE", 310, "CURRENT", 220],
      [-3, "DUE_IN_3_DAYS", 311, "CURRENT", 220],
      [-1, "DUE_IN_3_DAYS", 311, "CURRENT", 220],
      [0, "DUE_TODAY", 312, "CURRENT", 220],
      [1, "OVERDUE_1DPD", 320, "LATE_1DPD", 230],
      [4, "OVERDUE_1DPD", 320, "LATE_1DPD", 230],
      [5, "OVERDUE_5DPD", 321, "LATE_5DPD", 231],
      [29, "OVERDUE_5DPD", 321, "LATE_5DPD", 231],
      [30, "OVERDUE_30DPD", 322, "LATE_30DPD", 232],
      [59, "OVERDUE_30DPD", 322, "LATE_30DPD", 232],
      [60, "OVERDUE_60DPD", 323, "LATE_60DPD", 233],
      [89, "OVERDUE_60DPD", 323, "LATE_60DPD", 233],
      [90, "OVERDUE_90DPD", 324, "LATE_90DPD", 234],
      [119, "OVERDUE_90DPD", 324, "LATE_90DPD", 234],
      [120, "OVERDUE_120DPD", 325, "LATE_120DPD", 235],
      [149, "OVERDUE_120DPD", 325, "LATE_120DPD", 235],
      [150, "OVERDUE_150DPD", 326, "LATE_150DPD", 236],
      [179, "OVERDUE_150DPD", 326, "LATE_150DPD", 236],
      [180, "OVERDUE_180DPD", 327, "LATE_180DPD", 237],
      [181, "OVERDUE_180DPD", 327, "LATE_180DPD", 237],
    ];
    // (principal + interest) * 500 bps, rounded to Rp 100: 1,248,000 → 62,400; 1,240,000 → 62,000.
    const feeOf = [62_400n, 62_000n, 62_000n, 62_000n, 62_000n, 62_000n];
    for (const [offset, status, code, loanStatus, loanCode] of table) {
      const asOf = addDays(due1, offset);
      await daily(asOf);
      const s = await state(loan.id);
      const first = s.payments[0];
      expect([offset, first.status, first.statusCode, first.daysPastDue]).toEqual([offset, status, code, Math.max(offset, 0)]);
      expect([offset, s.status, s.statusCode, s.daysPastDue]).toEqual([offset, loanStatus, loanCode, Math.max(offset, 0)]);
      for (const [k, p] of s.payments.entries()) {
        const dpd = daysBetween(p.dueDate, asOf);
        expect([offset, k, p.status, p.daysPastDue]).toEqual([offset, k, expectedPaymentStatus(dpd), Math.max(dpd, 0)]);
        expect([offset, k, p.lateFeeDue]).toEqual([offset, k, String(BigInt(reached(dpd)) * feeOf[k]!)]);
      }
    }
    const dues = ["2026-02-10", "2026-03-10", "2026-04-10", "2026-05-10", "2026-06-10", "2026-07-10"];
    expect(await thresholdsOf(loan.id)).toEqual(dues.map((d) => reached(daysBetween(d, addDays(due1, 181)))));
    // One history row per status change, by the system, none for runs that changed nothing.
    const history = (await state(loan.id)).statusHistory.slice(2);
    expect(history.map((h: any) => [h.fromCode, h.toCode])).toEqual([
      [220, 230],
      [230, 231],
      [231, 232],
      [232, 233],
      [233, 234],
      [234, 235],
      [235, 236],
      [236, 237],
    ]);
    expect(history.every((h: any) => h.actor === "system")).toBe(true);
    expect(history[0].reason).toBe(`daily update ${addDays(due1, 1)}`);
  });

  it("the loan follows its worst UNPAID installment; paid installments are not touched", async () => {
    const l = await makeLoan({ customer: await makeCustomer(), principal: 2_000_000n, tenorMonths: 3, loanDate: LOAN_DATE });
    await makeTransaction(l, 748_644n, new Date("2026-02-09T03:00:00Z")); // installment 1 in full
    const asOf = "2026-03-20"; // installment 1 would be 38 dpd, installment 2 is 10
    await daily(asOf);
    const s = await state(l.loan.id);
    expect(s.payments[0]).toMatchObject({ status: "NOT_DUE", daysPastDue: 0, lateFeeDue: "0" });
    expect(s.payments[1]).toMatchObject({ status: "OVERDUE_5DPD", daysPastDue: 10, lateFeeDue: "55000" });
    expect(s.payments[2]).toMatchObject({ status: "NOT_DUE", daysPastDue: 0, lateFeeDue: "0" });
    expect(s).toMatchObject({ status: "LATE_5DPD", statusCode: 231, daysPastDue: 10 });
    expect(await thresholdsOf(l.loan.id)).toEqual([0, 1, 0]);
  });

  it("a loan whose installments are all paid becomes PAID_OFF", async () => {
    const l = await makeLoan({ customer: await makeCustomer(), productCode: "STL", loanDate: LOAN_DATE });
    await makeTransaction(l, 1_074_000n, new Date("2026-02-01T03:00:00Z"));
    await daily("2026-03-01");
    const s = await state(l.loan.id);
    expect(s).toMatchObject({ status: "PAID_OFF", statusCode: 250, daysPastDue: 0 });
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 220, toCode: 250, actor: "system" });
  });
});

describe("runDailyUpdate: late fees", () => {
  it("MTL: 500 bps but at least Rp 55,000 per threshold", async () => {
    const { loan } = await makeLoan({ customer: await makeCustomer(), principal: 2_000_000n, tenorMonths: 3, loanDate: LOAN_DATE });
    // 748,644 * 5% = 37,432 → 37,400 < 55,000
    await daily("2026-02-15"); // installment 1 at 5 dpd
    expect((await state(loan.id)).payments.map((p: any) => p.lateFeeDue)).toEqual(["55000", "0", "0"]);
    await daily("2026-03-12"); // 30 dpd; installment 2 at 2 dpd
    expect((await state(loan.id)).payments.map((p: any) => p.lateFeeDue)).toEqual(["110000", "0", "0"]);
  });

  it("STL: 1000 bps of principal + interest, rounded to Rp 100", async () => {
    const { loan } = await makeLoan({ customer: await makeCustomer(), productCode: "STL", loanDate: LOAN_DATE });
    await daily("2026-02-14"); // 4 dpd: no fee yet
    expect((await state(loan.id)).payments[0]).toMatchObject({ status: "OVERDUE_1DPD", lateFeeDue: "0" });
    await daily("2026-02-15"); // 5 dpd
    // (1,000,000 + 74,000) * 10% = 107,400
    expect((await state(loan.id)).payments[0]).toMatchObject({ status: "OVERDUE_5DPD", lateFeeDue: "107400", interestDue: "74000" });
  });

  it("caps late fees so late fees + interest never exceed the principal (the crossing fee is cut, later ones 0)", async () => {
    const asOf = "2027-01-26"; // last due date 2026-07-10 + 200 days: every installment past every threshold
    await daily(asOf);
    const { loan } = await makeLoan({ customer: await makeCustomer(), principal: 2_000_000n, tenorMonths: 6, loanDate: LOAN_DATE });
    const s = buildSchedule({ principal: 2_000_000n, tenorMonths: 6, monthlyInterestRateBps: 400, originationFeeBps: 500, loanDate: LOAN_DATE });
    expect(s.totalInterest).toBe(480_655n);
    // Room 1,519,345 = 27 fees of 55,000 + one of 34,345; the 14 after it are 0.
    expect(await daily(asOf)).toEqual({ asOf, paymentsUpdated: 6, loansUpdated: 1, lateFeesApplied: 28, offersExpired: 0 });
    const st = await state(loan.id);
    expect(st.payments.map((p: any) => p.lateFeeDue)).toEqual(["385000", "385000", "385000", "364345", "0", "0"]);
    const fees = st.payments.reduce((a: bigint, p: any) => a + BigInt(p.lateFeeDue), 0n);
    const interest = st.payments.reduce((a: bigint, p: any) => a + BigInt(p.interestDue), 0n);
    expect(fees + interest).toBe(2_000_000n);
    expect(await thresholdsOf(loan.id)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(st).toMatchObject({ status: "LATE_180DPD", daysPastDue: daysBetween("2026-02-10", asOf) });
    // Later dates charge this loan nothing more (other loans of the database may get fees).
    await daily(addDays(asOf, 60));
    expect((await state(loan.id)).payments.map((p: any) => p.lateFeeDue)).toEqual(["385000", "385000", "385000", "364345", "0", "0"]);
  });
});

describe("runDailyUpdate: catch-up, idempotence, earlier dates", () => {
  it("catches up after a gap (0 → 65 dpd charges 3 fees at once), then a repeat changes nothing", async () => {
    const asOf = addDays("2026-02-10", 65);
    expect(asOf).toBe("2026-04-16");
    await daily(asOf);
    const { loan } = await makeLoan({ customer: await makeCustomer(), productCode: "STL", loanDate: LOAN_DATE });
    expect(await daily(asOf)).toEqual({ asOf, paymentsUpdated: 1, loansUpdated: 1, lateFeesApplied: 3, offersExpired: 0 });
    const s = await state(loan.id);
    expect(s.payments[0]).toMatchObject({ status: "OVERDUE_60DPD", statusCode: 323, daysPastDue: 65, lateFeeDue: "322200" });
    expect(s).toMatchObject({ status: "LATE_60DPD", statusCode: 233, daysPastDue: 65 });
    expect(s.statusHistory.at(-1)).toEqual({ fromCode: 220, toCode: 233, reason: `daily update ${asOf}`, actor: "system" });
    const db = (await world()).database.db;
    const events = await db.select().from(statusEvents).where(eq(statusEvents.entityId, loan.id)).orderBy(statusEvents.id);
    expect(events.at(-1)).toMatchObject({ entityType: "LOAN", fromStatus: "CURRENT", toStatus: "LATE_60DPD", actor: "system" });
    const historyLength = s.statusHistory.length;

    // Idempotent: the same date again changes nothing at all.
    expect(await daily(asOf)).toEqual(nothing(asOf));
    const again = await state(loan.id);
    expect(again).toEqual(s);
    expect(again.statusHistory).toHaveLength(historyLength);

    // An earlier date: statuses and dpd as of that date, late fees kept.
    await daily("2026-02-13");
    const earlier = await state(loan.id);
    expect(earlier.payments[0]).toMatchObject({ status: "OVERDUE_1DPD", daysPastDue: 3, lateFeeDue: "322200" });
    expect(earlier).toMatchObject({ status: "LATE_1DPD", daysPastDue: 3 });
    // Back to the later date: same as before, no fee charged twice.
    expect(await daily(asOf)).toMatchObject({ lateFeesApplied: 0 });
    expect((await state(loan.id)).payments[0]).toMatchObject({ status: "OVERDUE_60DPD", lateFeeDue: "322200" });
    expect(await thresholdsOf(loan.id)).toEqual([3]);
  });

  it("the result does not depend on the batch size (one transaction per batch)", async () => {
    const asOf = "2026-04-16";
    await daily(asOf);
    const made = await Promise.all([1, 2, 3].map(async () => (await makeLoan({ customer: await makeCustomer(), productCode: "STL", loanDate: LOAN_DATE })).loan));
    const w = await world();
    const result = await runDailyUpdateService(w.gateway.app, { asOf, now: new Date(), batchSize: 1 });
    expect(result).toEqual({ asOf, paymentsUpdated: 3, loansUpdated: 3, lateFeesApplied: 9, offersExpired: 0 });
    for (const l of made) expect((await state(l.id)).payments[0]).toMatchObject({ status: "OVERDUE_60DPD", lateFeeDue: "322200" });
    expect(await daily(asOf)).toEqual(nothing(asOf));
  });

  it("records each run in daily_update_runs (one row per asOf, latest counts)", async () => {
    const asOf = "2026-05-05";
    const first = await daily(asOf);
    const db = (await world()).database.db;
    const [row1] = await db.select().from(dailyUpdateRuns).where(eq(dailyUpdateRuns.asOf, asOf));
    expect(row1).toMatchObject({
      paymentsUpdated: first.paymentsUpdated,
      loansUpdated: first.loansUpdated,
      lateFeesApplied: first.lateFeesApplied,
      offersExpired: first.offersExpired,
    });
    await daily(asOf);
    const rows = await db.select().from(dailyUpdateRuns).where(eq(dailyUpdateRuns.asOf, asOf));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ paymentsUpdated: 0, loansUpdated: 0, lateFeesApplied: 0, offersExpired: 0 });
    expect(rows[0]!.ranAt.getTime()).toBeGreaterThanOrEqual(row1!.ranAt.getTime());
  });

  it("property: after any sequence of dates, repeating the last changes nothing; fees follow the latest date reached", async () => {
    const due = ["2026-02-10", "2026-03-10", "2026-04-10", "2026-05-10", "2026-06-10", "2026-07-10"];
    const room = 2_000_000n - 480_655n;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -10, max: 400 }), { minLength: 1, maxLength: 4 }), async (offsets) => {
        const { loan } = await makeLoan({ customer: await makeCustomer(), principal: 2_000_000n, tenorMonths: 6, loanDate: LOAN_DATE });
        for (const o of offsets) await daily(addDays(LOAN_DATE, o));
        const last = addDays(LOAN_DATE, offsets.at(-1)!);
        const latest = addDays(LOAN_DATE, Math.max(...offsets));
        const s1 = await state(loan.id);

        expect(await daily(last)).toEqual(nothing(last));
        expect(await state(loan.id)).toEqual(s1);

        // Statuses and dpd as of the last date.
        const dpds = due.map((d) => daysBetween(d, last));
        expect(s1.payments.map((p: any) => [p.status, p.daysPastDue])).toEqual(dpds.map((d) => [expectedPaymentStatus(d), Math.max(d, 0)]));
        expect([s1.status, s1.daysPastDue]).toEqual([expectedLoanStatus(Math.max(...dpds)), Math.max(...dpds, 0)]);
        // Fees: every threshold reached by the latest date, 55,000 each, capped at the room.
        const k = due.map((d) => reached(daysBetween(d, latest)));
        expect(await thresholdsOf(loan.id)).toEqual(k);
        const fees = s1.payments.reduce((a: bigint, p: any) => a + BigInt(p.lateFeeDue), 0n);
        const uncapped = BigInt(k.reduce((a, b) => a + b, 0)) * 55_000n;
        expect(fees).toBe(uncapped < room ? uncapped : room);
      }),
      { numRuns: 8 },
    );
  });
});

describe("runDailyUpdate: offers", () => {
  it("expires OFFER_MADE offers whose expiresAt is on or before asOf in Jakarta (expiresAt < start of asOf + 1)", async () => {
    const asOf = "2025-06-15";
    await daily(asOf);
    const endOfDay = new Date(startOfJakartaDay("2025-06-16").getTime() - 1); // 2025-06-15 23:59:59.999 Jakarta
    expect(endOfDay.toISOString()).toBe("2025-06-15T16:59:59.999Z");
    const a = await makeApplication({ customer: await makeCustomer(), status: "OFFER_MADE", offerExpiresAt: endOfDay });
    const b = await makeApplication({ customer: await makeCustomer(), status: "OFFER_MADE", offerExpiresAt: startOfJakartaDay("2025-06-16") });
    const noExpiry = await makeApplication({ customer: await makeCustomer(), status: "OFFER_MADE", offerExpiresAt: null });

    expect(await daily(asOf)).toMatchObject({ offersExpired: 1 });
    const Q = `query($id: ID!) { application(id: $id) { status statusCode statusHistory { fromCode toCode reason actor } } }`;
    const ra = (await gql(Q, { id: a.id }, admin)).data!.application;
    expect(ra).toMatchObject({ status: "OFFER_EXPIRED", statusCode: 143 });
    expect(ra.statusHistory.at(-1)).toEqual({ fromCode: 140, toCode: 143, reason: `offer expired (daily update ${asOf})`, actor: "system" });
    expect((await gql(Q, { id: b.id }, admin)).data!.application.status).toBe("OFFER_MADE");
    const db = (await world()).database.db;
    const [event] = await db.select().from(statusEvents).where(eq(statusEvents.entityId, a.id)).orderBy(statusEvents.id).then((r) => r.slice(-1));
    expect(event).toMatchObject({ entityType: "APPLICATION", fromStatus: "OFFER_MADE", toStatus: "OFFER_EXPIRED", actor: "system" });

    expect(await daily(asOf)).toMatchObject({ offersExpired: 0 });
    expect(await daily("2025-06-16")).toMatchObject({ offersExpired: 1 });
    expect((await gql(Q, { id: b.id }, admin)).data!.application.status).toBe("OFFER_EXPIRED");
    expect((await gql(Q, { id: noExpiry.id }, admin)).data!.application.status).toBe("OFFER_MADE");
    expect((await gql(Q, { id: a.id }, admin)).data!.application.statusHistory).toHaveLength(3);
  });
});

describe("runDailyUpdate: input and cost", () => {
  it("rejects an invalid date with BAD_USER_INPUT", async () => {
    for (const asOf of ["2026-02-30", "2026-1-01", "yesterday"]) {
      expect(codeOf(await gql(DAILY, { asOf }, admin))).toBe("BAD_USER_INPUT");
    }
  });

  it("a few hundred loans take a bounded number of statements and well under a few seconds", async () => {
    const n = 300;
    const db = (await world()).database.db;
    const customer = await makeCustomer();
    const prod = await product("MTL");
    const s = buildSchedule({ principal: 2_000_000n, tenorMonths: 6, monthlyInterestRateBps: 400, originationFeeBps: 500, loanDate: LOAN_DATE });
    const apps = await db
      .insert(loanApplications)
      .values(
        Array.from({ length: n }, () => ({
          customerId: customer.id,
          productId: prod.id,
          requestedAmount: 2_000_000n,
          tenorMonths: 6,
          purpose: "bulk",
          status: "FUND_DISBURSAL_SUCCESSFUL",
        })),
      )
      .returning({ id: loanApplications.id });
    const ls = await db
      .insert(loans)
      .values(
        apps.map((a) => ({
          applicationId: a.id,
          customerId: customer.id,
          productId: prod.id,
          principal: 2_000_000n,
          originationFee: s.originationFee,
          disbursedAmount: s.disbursedAmount,
          monthlyInterestBps: 400,
          tenorMonths: 6,
          status: "CURRENT",
          disbursedAt: new Date(`${LOAN_DATE}T03:00:00.000Z`),
        })),
      )
      .returning({ id: loans.id });
    const loanIds = ls.map((l) => l.id);
    await db.insert(payments).values(
      loanIds.flatMap((loanId) =>
        s.installments.map((i) => ({
          loanId,
          installmentNumber: i.installmentNumber,
          dueDate: i.dueDate,
          principalDue: i.principal,
          interestDue: i.interest,
          status: "NOT_DUE",
        })),
      ),
    );
    try {
      const active = (await db.select({ id: loans.id }).from(loans).where(inArray(loans.status, ["CURRENT", "LATE_1DPD", "LATE_5DPD", "LATE_30DPD", "LATE_60DPD", "LATE_90DPD", "LATE_120DPD", "LATE_150DPD", "LATE_180DPD"]))).length;
      let statements = 0;
      const off = onQuery(() => statements++);
      const started = performance.now();
      let result: Counts;
      try {
        result = await daily("2026-05-01"); // every bulk loan: 3 installments overdue (80, 52, 21 dpd), 6 fees
      } finally {
        off();
      }
      const ms = performance.now() - started;
      expect(result.loansUpdated).toBeGreaterThanOrEqual(n);
      expect(result.paymentsUpdated).toBeGreaterThanOrEqual(n * 3);
      expect(result.lateFeesApplied).toBeGreaterThanOrEqual(n * 6);
      const batches = Math.ceil(active / 500);
      expect(statements).toBeLessThanOrEqual(8 * batches + 12);
      expect(ms).toBeLessThan(5000); // ~0.3–1.5 s measured on PGlite; generous for loaded CI machines
      const [sample] = await db.select().from(payments).where(eq(payments.loanId, loanIds[0]!)).orderBy(payments.installmentNumber);
      expect(sample).toMatchObject({ status: "OVERDUE_60DPD", lateFeeDue: 165_000n, lateFeeThresholdsApplied: 3 });
    } finally {
      // Keep the worker's database small for the tests that follow.
      await db.delete(statusEvents).where(inArray(statusEvents.entityId, loanIds));
      await db.delete(statusChanges).where(inArray(statusChanges.entityId, loanIds));
      await db.delete(payments).where(inArray(payments.loanId, loanIds));
      await db.delete(loans).where(inArray(loans.id, loanIds));
      await db.delete(loanApplications).where(inArray(loanApplications.id, apps.map((a) => a.id)));
    }
  });
});
