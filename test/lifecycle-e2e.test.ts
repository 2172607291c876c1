/**
 * The whole lifecycle through HTTP (and a partner's subscription over WebSocket), on the
 * embedded database or PostgreSQL: registration to PAID_OFF on time; a late path with daily
 * updates at 5, 30, 60 and 90 days past due, late fees, and payment of everything; write-off.
 * Every amount is the exact one of RULES §6–§8 for the worked example (3,000,000 over 3 months).
 */
import type { Client } from "graphql-ws";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { auditLedger } from "../src/audit/ledger-audit.js";
import { nikFor } from "./support/factories.js";
import { uniqueDigits } from "./support/unique.js";
import { collect, gatewayWsUrl, subscribed, wsClient } from "./support/ws.js";
import { adminToken, gql, tokenFor, world, type GqlResult } from "./support/world.js";

const clients: Client[] = [];
afterAll(async () => Promise.all(clients.map((c) => c.dispose())));
afterEach(async () => (await world()).clock.set(null));

function ok<T = any>(r: GqlResult<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

/** Jakarta 09:00 on that date. */
const at9 = (date: string) => `${date}T02:00:00.000Z`;

const madeCustomers: string[] = [];
async function customerThroughTheApi(partnerToken: string) {
  const n = uniqueDigits();
  const dob = "1990-05-17";
  const reg = ok(
    await gql(
      `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token customer { id partner { code } } } }`,
      {
        input: {
          fullName: `Siti Lifecycle ${n}`,
          nik: nikFor(dob, true),
          phone: `0812${n}`,
          email: `Siti.${n}@Example.ID`,
          dateOfBirth: dob,
          monthlyIncome: "10000000",
          pin: "246810",
        },
      },
      partnerToken,
    ),
  ).registerCustomer;
  madeCustomers.push(reg.customer.id);
  return reg as { token: string; customer: { id: string; partner: { code: string } | null } };
}

/** Register, apply, approve, accept, disburse on 2026-01-10: the worked example's loan. */
async function disbursedWorkedExample(admin: string, partnerToken: string) {
  const w = await world();
  w.clock.set(at9("2026-01-10"));
  const reg = await customerThroughTheApi(partnerToken);
  const app = ok(
    await gql(
      `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id status statusCode creditScore { grade maxAmount maxTenorMonths monthlyInterestRateBps reasons } } }`,
      { input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "Modal usaha warung" } },
      reg.token,
    ),
  ).submitApplication;
  expect(app).toMatchObject({
    status: "SUBMITTED",
    statusCode: 110,
    creditScore: { grade: "A-", maxAmount: "8000000", maxTenorMonths: 6, monthlyInterestRateBps: 400, reasons: [] },
  });
  const offered = ok(
    await gql(
      `mutation($id: ID!) { approveApplication(input: { applicationId: $id, note: "KYC ok" }) { status statusCode offer { amount tenorMonths monthlyInterestRateBps originationFee disbursedAmount installmentAmount firstDueDate expiresAt } } }`,
      { id: app.id },
      admin,
    ),
  ).approveApplication;
  expect(offered).toMatchObject({
    status: "OFFER_MADE",
    statusCode: 140,
    offer: {
      amount: "3000000",
      tenorMonths: 3,
      monthlyInterestRateBps: 400,
      originationFee: "150000",
      disbursedAmount: "2850000",
      installmentAmount: "1120000",
      firstDueDate: "2026-02-10",
      expiresAt: "2026-01-13T02:00:00.000Z",
    },
  });
  w.clock.set("2026-01-10T05:00:00.000Z");
  const loan = ok(await gql(`mutation($id: ID!) { acceptOffer(applicationId: $id) { id status statusCode } }`, { id: app.id }, reg.token)).acceptOffer;
  expect(loan).toMatchObject({ status: "INACTIVE", statusCode: 210 });
  w.clock.set("2026-01-10T06:00:00.000Z");
  const disbursed = ok(
    await gql(
      `mutation($id: ID!) { disburseLoan(input: { loanId: $id }) { status statusCode principal originationFee disbursedAmount disbursedAt totalDue outstandingAmount
        application { status statusCode }
        payments { installmentNumber dueDate principalDue interestDue amountDue status statusCode } } }`,
      { id: loan.id },
      admin,
    ),
  ).disburseLoan;
  expect(disbursed).toMatchObject({
    status: "CURRENT",
    statusCode: 220,
    principal: "3000000",
    originationFee: "150000",
    disbursedAmount: "2850000",
    disbursedAt: "2026-01-10T06:00:00.000Z",
    totalDue: "3364000",
    outstandingAmount: "3364000",
    application: { status: "FUND_DISBURSAL_SUCCESSFUL", statusCode: 180 },
  });
  expect(disbursed.payments).toEqual([
    { installmentNumber: 1, dueDate: "2026-02-10", principalDue: "1000000", interestDue: "124000", amountDue: "1124000", status: "NOT_DUE", statusCode: 310 },
    { installmentNumber: 2, dueDate: "2026-03-10", principalDue: "1000000", interestDue: "120000", amountDue: "1120000", status: "NOT_DUE", statusCode: 310 },
    { installmentNumber: 3, dueDate: "2026-04-10", principalDue: "1000000", interestDue: "120000", amountDue: "1120000", status: "NOT_DUE", statusCode: 310 },
  ]);
  return { reg, applicationId: app.id as string, loanId: loan.id as string };
}

const PAY = `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  replayed transaction { amount walletCredit allocations { principal interest lateFee payment { installmentNumber } } }
  loan { status statusCode daysPastDue totalPaid outstandingAmount payments { installmentNumber status statusCode paidAt } } } }`;

async function pay(admin: string, loanId: string, amount: string, paidAt: string, key: string) {
  (await world()).clock.set(paidAt);
  return ok(await gql(PAY, { input: { loanId, amount, idempotencyKey: key, paidAt, channel: "VA_BCA" } }, admin)).recordPayment;
}

async function dailyUpdate(admin: string, asOf: string) {
  (await world()).clock.set(at9(asOf));
  return ok(await gql(`mutation($d: Date!) { runDailyUpdate(asOf: $d) { asOf paymentsUpdated loansUpdated lateFeesApplied offersExpired } }`, { d: asOf }, admin)).runDailyUpdate;
}

const LOAN_STATE = `query($id: ID!) { loan(id: $id) { status statusCode daysPastDue totalDue totalPaid outstandingAmount
  payments { installmentNumber status statusCode daysPastDue lateFeeDue amountDue paidAmount }
  statusHistory { fromCode toCode actor } } }`;

async function loanState(token: string, id: string) {
  return ok(await gql(LOAN_STATE, { id }, token)).loan;
}

async function newPartner(admin: string) {
  const code = `E2E${uniqueDigits()}`;
  const partner = ok(await gql(`mutation($c: String!) { createPartner(input: { code: $c, name: "Mitra E2E" }) { id code } }`, { c: code }, admin)).createPartner;
  return { partner, token: await tokenFor("PARTNER", partner.id) };
}

describe("the loan lifecycle through the API", () => {
  it("registration → application → offer → loan → on-time payments → PAID_OFF, seen live by the partner", async () => {
    const admin = await adminToken();
    const { partner, token: partnerToken } = await newPartner(admin);
    const c = wsClient(await gatewayWsUrl(), partnerToken);
    clients.push(c);
    const live = collect(c, `subscription($p: ID) { loanStatusChanged(partnerId: $p) { fromStatus toStatus loan { id } } }`, { p: partner.id });
    await subscribed(1);

    const { reg, applicationId, loanId } = await disbursedWorkedExample(admin, partnerToken);
    expect(reg.customer.partner?.code).toBe(partner.code);

    // Installment 1 on its due date, 2 two days late (grace), 3 on time with 10,000 extra.
    const p1 = await pay(admin, loanId, "1124000", at9("2026-02-10"), `e2e-${loanId}-1`);
    expect(p1.transaction.allocations).toEqual([{ principal: "1000000", interest: "124000", lateFee: "0", payment: { installmentNumber: 1 } }]);
    expect(p1.loan.payments[0]).toMatchObject({ status: "PAID_ON_TIME", statusCode: 330 });
    const p2 = await pay(admin, loanId, "1120000", at9("2026-03-12"), `e2e-${loanId}-2`);
    expect(p2.loan.payments[1]).toMatchObject({ status: "PAID_WITHIN_GRACE", statusCode: 331 });
    const replay = await pay(admin, loanId, "1120000", at9("2026-03-12"), `e2e-${loanId}-2`);
    expect(replay.replayed).toBe(true);
    const p3 = await pay(admin, loanId, "1130000", at9("2026-04-10"), `e2e-${loanId}-3`);
    expect(p3.transaction.walletCredit).toBe("10000");
    expect(p3.loan).toMatchObject({ status: "PAID_OFF", statusCode: 250, totalPaid: "3364000", outstandingAmount: "0", daysPastDue: 0 });

    const me = ok(await gql(`{ me { customer { walletBalance loans { totalCount nodes { id status } } applications { nodes { id status statusCode statusHistory { fromCode toCode actor } } } } } }`, {}, reg.token)).me.customer;
    expect(me.walletBalance).toBe("10000");
    expect(me.loans.nodes).toEqual([{ id: loanId, status: "PAID_OFF" }]);
    const app = me.applications.nodes.find((a: { id: string }) => a.id === applicationId);
    expect(app.statusHistory.map((h: { toCode: number }) => h.toCode)).toEqual([110, 140, 141, 180]);
    expect(app.statusHistory[0].actor).toBe(`customer:${reg.customer.id}`);
    const state = await loanState(admin, loanId);
    expect(state.statusHistory.map((h: { fromCode: number | null; toCode: number }) => [h.fromCode, h.toCode])).toEqual([
      [null, 210],
      [210, 220],
      [220, 250],
    ]);

    // The partner's dashboard saw every loan status change of its customer, in order.
    await live.waitFor(3);
    expect(live.events.map((e) => [e.loanStatusChanged.fromStatus, e.loanStatusChanged.toStatus])).toEqual([
      [null, "INACTIVE"],
      ["INACTIVE", "CURRENT"],
      ["CURRENT", "PAID_OFF"],
    ]);
    // A customer who has paid off may apply again.
    const again = await gql(`mutation { submitApplication(input: { productCode: "STL", requestedAmount: 1000000, tenorMonths: 1, purpose: "Lagi" }) { status } }`, {}, reg.token);
    expect(ok(again).submitApplication.status).toBe("SUBMITTED");
  });

  it("late path: daily updates at 5, 30, 60, 90 dpd charge each late fee once, then everything is paid", async () => {
    const admin = await adminToken();
    const { token: partnerToken } = await newPartner(admin);
    const { loanId } = await disbursedWorkedExample(admin, partnerToken);

    await dailyUpdate(admin, "2026-02-15");
    let s = await loanState(admin, loanId);
    expect(s).toMatchObject({ status: "LATE_5DPD", statusCode: 231, daysPastDue: 5 });
    expect(s.payments.map((p: any) => [p.status, p.daysPastDue, p.lateFeeDue])).toEqual([
      ["OVERDUE_5DPD", 5, "56200"], // max(round100(1,124,000 × 5%) = 56,200, 55,000)
      ["NOT_DUE", 0, "0"],
      ["NOT_DUE", 0, "0"],
    ]);

    await dailyUpdate(admin, "2026-03-12");
    s = await loanState(admin, loanId);
    expect(s).toMatchObject({ status: "LATE_30DPD", statusCode: 232, daysPastDue: 30 });
    expect(s.payments.map((p: any) => [p.status, p.daysPastDue, p.lateFeeDue])).toEqual([
      ["OVERDUE_30DPD", 30, "112400"],
      ["OVERDUE_1DPD", 2, "0"],
      ["NOT_DUE", 0, "0"],
    ]);

    // A gap: installment 2 jumps from 2 to 32 dpd and is charged the 5- and 30-day fees at once.
    await dailyUpdate(admin, "2026-04-11");
    s = await loanState(admin, loanId);
    expect(s).toMatchObject({ status: "LATE_60DPD", statusCode: 233, daysPastDue: 60 });
    expect(s.payments.map((p: any) => [p.status, p.daysPastDue, p.lateFeeDue])).toEqual([
      ["OVERDUE_60DPD", 60, "168600"],
      ["OVERDUE_30DPD", 32, "112000"], // 2 × 56,000
      ["OVERDUE_1DPD", 1, "0"],
    ]);

    await dailyUpdate(admin, "2026-05-11");
    const twice = await dailyUpdate(admin, "2026-05-11");
    expect(twice).toEqual({ asOf: "2026-05-11", paymentsUpdated: 0, loansUpdated: 0, lateFeesApplied: 0, offersExpired: 0 });
    s = await loanState(admin, loanId);
    expect(s).toMatchObject({ status: "LATE_90DPD", statusCode: 234, daysPastDue: 90 });
    expect(s.payments.map((p: any) => [p.status, p.daysPastDue, p.lateFeeDue])).toEqual([
      ["OVERDUE_90DPD", 90, "224800"],
      ["OVERDUE_60DPD", 62, "168000"],
      ["OVERDUE_30DPD", 31, "112000"],
    ]);
    // 3,364,000 scheduled + 504,800 late fees (with interest 364,000 far below the cap P).
    expect(s.totalDue).toBe("3868800");

    const paid = await pay(admin, loanId, "3868800", at9("2026-05-12"), `e2e-late-${loanId}`);
    expect(paid.transaction.walletCredit).toBe("0");
    expect(paid.transaction.allocations).toEqual([
      { principal: "1000000", interest: "124000", lateFee: "224800", payment: { installmentNumber: 1 } },
      { principal: "1000000", interest: "120000", lateFee: "168000", payment: { installmentNumber: 2 } },
      { principal: "1000000", interest: "120000", lateFee: "112000", payment: { installmentNumber: 3 } },
    ]);
    expect(paid.loan).toMatchObject({ status: "PAID_OFF", statusCode: 250, daysPastDue: 0, outstandingAmount: "0" });
    expect(paid.loan.payments.map((p: any) => p.statusCode)).toEqual([332, 332, 332]);
    s = await loanState(admin, loanId);
    expect(s.statusHistory.map((h: any) => h.toCode)).toEqual([210, 220, 231, 232, 233, 234, 250]);
    expect(s.statusHistory.filter((h: any) => [231, 232, 233, 234].includes(h.toCode)).every((h: any) => h.actor === "system")).toBe(true);
  });

  it("write-off: only from 90 dpd, terminal, and no payment afterwards", async () => {
    const admin = await adminToken();
    const { token: partnerToken } = await newPartner(admin);
    const { loanId } = await disbursedWorkedExample(admin, partnerToken);
    await dailyUpdate(admin, "2026-04-11");
    const early = await gql(`mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "uncollectible") { status } }`, { id: loanId }, admin);
    expect(early.errors?.[0]?.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "LATE_60DPD" });
    await dailyUpdate(admin, "2026-05-11");
    const off = ok(await gql(`mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "uncollectible") { status statusCode statusHistory { toCode reason } } }`, { id: loanId }, admin)).writeOffLoan;
    expect(off).toMatchObject({ status: "WRITTEN_OFF", statusCode: 260 });
    expect(off.statusHistory.at(-1)).toEqual({ toCode: 260, reason: "uncollectible" });
    (await world()).clock.set(at9("2026-05-12"));
    const late = await gql(PAY, { input: { loanId, amount: "100000", idempotencyKey: `wo-${loanId}` } }, admin);
    expect(late.errors?.[0]?.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "WRITTEN_OFF" });
    await dailyUpdate(admin, "2026-06-30");
    expect((await loanState(admin, loanId)).status).toBe("WRITTEN_OFF");
    const again = await gql(`mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "twice") { status } }`, { id: loanId }, admin);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "WRITTEN_OFF" });
  });

  it("leaves a ledger that passes every audit check", async () => {
    const report = await auditLedger((await world()).database.db, { customerIds: madeCustomers });
    expect(madeCustomers.length).toBeGreaterThanOrEqual(3);
    expect(report.checks.filter((c) => c.violations > 0)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
