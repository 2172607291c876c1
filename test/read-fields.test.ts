/**
 * Every field of every read type, computed fields included, checked against rows built by the
 * factories (schedules from the RULES §6 worked example); `loanQuote` (RULES §6); and the
 * error masking of the read path.
 */
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loans, payments, type CustomerRow, type PartnerRow, type PaymentTransactionRow } from "../src/db/schema.js";
import { APPLICATION_STATUS_CODES } from "../src/domain/statuses.js";
import { LOAN_STATUS_CODES, PAYMENT_STATUS_CODES } from "../src/domain/statuses.js";
import { makeApplication, makeCustomer, makeLoan, makePartner, makeTransaction, product, type LoanWorld } from "./support/factories.js";
import { adminToken, codeOf, gql, tokenFor, world } from "./support/world.js";

let admin: string;
let partner: PartnerRow;
let customer: CustomerRow;
let lw: LoanWorld;
let tx: PaymentTransactionRow;

async function db() {
  return (await world()).database.db;
}

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner({ name: "Koperasi Maju" });
  customer = await makeCustomer({
    partnerId: partner.id,
    fullName: "Rina Kartika",
    dateOfBirth: "1991-02-03",
    monthlyIncome: 12_500_000n,
    walletBalance: 36_000n,
    createdAt: new Date("2026-01-02T03:04:05.678Z"),
  });
  // RULES §6 example: P 3,000,000, 3 months, 400 bps, loan date 2026-01-10.
  lw = await makeLoan({ customer, loanDate: "2026-01-10" });
  tx = await makeTransaction(lw, 1_500_000n, new Date("2026-02-09T05:00:00.000Z"));
  const d = await db();
  // As repayment and the daily update would leave them: #1 paid on time, #3 late with a fee.
  await d.update(payments).set({ status: "PAID_ON_TIME", paidAt: new Date("2026-02-09T05:00:00.000Z") }).where(eq(payments.id, lw.payments[0]!.id));
  await d.update(payments).set({ status: "OVERDUE_5DPD", daysPastDue: 7, lateFeeDue: 55_000n, lateFeeThresholdsApplied: 1 }).where(eq(payments.id, lw.payments[2]!.id));
  await d.update(loans).set({ status: "LATE_5DPD", daysPastDue: 7 }).where(eq(loans.id, lw.loan.id));
});

describe("Loan and its installments", () => {
  it("every field, with the schedule of the RULES example and computed amounts", async () => {
    const r = await gql(
      `query($id: ID!) { loan(id: $id) {
        id principal originationFee disbursedAmount monthlyInterestRateBps tenorMonths status statusCode
        disbursedAt daysPastDue totalDue totalPaid outstandingAmount createdAt
        application { id } customer { id } partner { id name } product { code }
        payments { id loan { id } installmentNumber dueDate principalDue interestDue lateFeeDue amountDue
          paidPrincipal paidInterest paidLateFee paidAmount outstandingAmount status statusCode daysPastDue paidAt }
        statusHistory { fromCode toCode reason actor at }
      } }`,
      { id: lw.loan.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    const loan = r.data!.loan;
    expect(loan).toMatchObject({
      id: lw.loan.id,
      principal: "3000000",
      originationFee: "150000",
      disbursedAmount: "2850000",
      monthlyInterestRateBps: 400,
      tenorMonths: 3,
      status: "LATE_5DPD",
      statusCode: 231,
      disbursedAt: "2026-01-10T03:00:00.000Z",
      daysPastDue: 7,
      // 1,124,000 + 1,120,000 + 1,120,000 + late fee 55,000
      totalDue: "3419000",
      totalPaid: "1500000",
      outstandingAmount: "1919000",
      createdAt: lw.loan.createdAt.toISOString(),
      application: { id: lw.application.id },
      customer: { id: customer.id },
      partner: { id: partner.id, name: "Koperasi Maju" },
      product: { code: "MTL" },
    });
    expect(loan.payments).toEqual([
      {
        id: lw.payments[0]!.id, loan: { id: lw.loan.id }, installmentNumber: 1, dueDate: "2026-02-10",
        principalDue: "1000000", interestDue: "124000", lateFeeDue: "0", amountDue: "1124000",
        paidPrincipal: "1000000", paidInterest: "124000", paidLateFee: "0", paidAmount: "1124000", outstandingAmount: "0",
        status: "PAID_ON_TIME", statusCode: 330, daysPastDue: 0, paidAt: "2026-02-09T05:00:00.000Z",
      },
      {
        id: lw.payments[1]!.id, loan: { id: lw.loan.id }, installmentNumber: 2, dueDate: "2026-03-10",
        principalDue: "1000000", interestDue: "120000", lateFeeDue: "0", amountDue: "1120000",
        paidPrincipal: "376000", paidInterest: "0", paidLateFee: "0", paidAmount: "376000", outstandingAmount: "744000",
        status: "NOT_DUE", statusCode: 310, daysPastDue: 0, paidAt: null,
      },
      {
        id: lw.payments[2]!.id, loan: { id: lw.loan.id }, installmentNumber: 3, dueDate: "2026-04-10",
        principalDue: "1000000", interestDue: "120000", lateFeeDue: "55000", amountDue: "1175000",
        paidPrincipal: "0", paidInterest: "0", paidLateFee: "0", paidAmount: "0", outstandingAmount: "1175000",
        status: "OVERDUE_5DPD", statusCode: 321, daysPastDue: 7, paidAt: null,
      },
    ]);
    expect(loan.statusHistory.map((h: { fromCode: number | null; toCode: number }) => [h.fromCode, h.toCode])).toEqual([
      [null, 210],
      [210, 220],
    ]);
    for (const h of loan.statusHistory) {
      expect(h.actor).toBe("admin:factory");
      expect(h.reason).toBeNull();
      expect(new Date(h.at).toISOString()).toBe(h.at);
    }
  });

  it("a loan not yet disbursed has no schedule and zero totals", async () => {
    const c = await makeCustomer();
    const inactive = await makeLoan({ customer: c, status: "INACTIVE" });
    const r = await gql(
      `query($id: ID!) { loan(id: $id) { status statusCode disbursedAt daysPastDue totalDue totalPaid outstandingAmount payments { id } partner { id } transactions { totalCount nodes { id } } application { status statusCode loan { id } } } }`,
      { id: inactive.loan.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.loan).toEqual({
      status: "INACTIVE",
      statusCode: 210,
      disbursedAt: null,
      daysPastDue: 0,
      totalDue: "0",
      totalPaid: "0",
      outstandingAmount: "0",
      payments: [],
      partner: null,
      transactions: { totalCount: 0, nodes: [] },
      application: { status: "OFFER_ACCEPTED", statusCode: 141, loan: { id: inactive.loan.id } },
    });
  });

  it("payment(id) reads one installment", async () => {
    const r = await gql(`query($id: ID!) { payment(id: $id) { installmentNumber amountDue outstandingAmount loan { id } } }`, { id: lw.payments[1]!.id }, admin);
    expect(r.data!.payment).toEqual({ installmentNumber: 2, amountDue: "1120000", outstandingAmount: "744000", loan: { id: lw.loan.id } });
  });
});

describe("PaymentTransaction and allocations", () => {
  it("every field, allocations in installment order with their payments", async () => {
    const r = await gql(
      `query($id: ID!) { loan(id: $id) { transactions { totalCount edges { cursor node {
        id loan { id } amount idempotencyKey channel paidAt walletCredit createdAt
        allocations { principal interest lateFee payment { id installmentNumber } }
      } } } } }`,
      { id: lw.loan.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    const conn = r.data!.loan.transactions;
    expect(conn.totalCount).toBe(1);
    expect(conn.edges[0].node).toEqual({
      id: tx.id,
      loan: { id: lw.loan.id },
      amount: "1500000",
      idempotencyKey: tx.idempotencyKey,
      channel: "TEST",
      paidAt: "2026-02-09T05:00:00.000Z",
      walletCredit: "0",
      createdAt: tx.createdAt.toISOString(),
      allocations: [
        { principal: "1000000", interest: "124000", lateFee: "0", payment: { id: lw.payments[0]!.id, installmentNumber: 1 } },
        { principal: "376000", interest: "0", lateFee: "0", payment: { id: lw.payments[1]!.id, installmentNumber: 2 } },
      ],
    });
  });

  it("an overpayment shows its wallet credit; amount = allocations + walletCredit", async () => {
    const c = await makeCustomer({ walletBalance: 36_000n });
    const paid = await makeLoan({ customer: c });
    await makeTransaction(paid, 3_400_000n);
    const r = await gql(
      `query($id: ID!) { loan(id: $id) { totalPaid outstandingAmount customer { walletBalance }
        transactions { nodes { amount walletCredit channel allocations { principal interest lateFee } } } } }`,
      { id: paid.loan.id },
      await tokenFor("CUSTOMER", c.id),
    );
    expect(r.errors).toBeUndefined();
    const loan = r.data!.loan;
    expect(loan.totalPaid).toBe("3364000");
    expect(loan.outstandingAmount).toBe("0");
    expect(loan.customer.walletBalance).toBe("36000");
    const t = loan.transactions.nodes[0];
    expect(t.walletCredit).toBe("36000");
    const allocated = t.allocations.reduce(
      (s: bigint, a: { principal: string; interest: string; lateFee: string }) => s + BigInt(a.principal) + BigInt(a.interest) + BigInt(a.lateFee),
      0n,
    );
    expect(allocated + BigInt(t.walletCredit)).toBe(BigInt(t.amount));
  });
});

describe("Application", () => {
  it("every field of a disbursed application", async () => {
    const r = await gql(
      `query($id: ID!) { application(id: $id) {
        id customer { id } product { code } partner { id } requestedAmount tenorMonths purpose status statusCode
        creditScore { grade maxAmount maxTenorMonths monthlyInterestRateBps reasons }
        offer { amount tenorMonths monthlyInterestRateBps originationFee disbursedAmount installmentAmount firstDueDate expiresAt }
        loan { id } statusHistory { fromCode toCode reason actor at } createdAt updatedAt
      } }`,
      { id: lw.application.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    const a = r.data!.application;
    expect(a).toEqual({
      id: lw.application.id,
      customer: { id: customer.id },
      product: { code: "MTL" },
      partner: { id: partner.id },
      requestedAmount: "3000000",
      tenorMonths: 3,
      purpose: "Modal usaha",
      status: "FUND_DISBURSAL_SUCCESSFUL",
      statusCode: 180,
      creditScore: { grade: "A-", maxAmount: "8000000", maxTenorMonths: 6, monthlyInterestRateBps: 400, reasons: [] },
      offer: {
        amount: "3000000",
        tenorMonths: 3,
        monthlyInterestRateBps: 400,
        originationFee: "150000",
        disbursedAmount: "2850000",
        installmentAmount: "1120000",
        firstDueDate: "2026-02-10",
        expiresAt: lw.application.offerExpiresAt!.toISOString(),
      },
      loan: { id: lw.loan.id },
      statusHistory: a.statusHistory,
      createdAt: lw.application.createdAt.toISOString(),
      updatedAt: lw.application.updatedAt.toISOString(),
    });
    expect(a.statusHistory.map((h: { fromCode: number | null; toCode: number; actor: string }) => [h.fromCode, h.toCode, h.actor])).toEqual([
      [null, 110, `customer:${customer.id}`],
      [110, 140, "admin:factory"],
      [140, 141, "admin:factory"],
      [141, 180, "admin:factory"],
    ]);
  });

  it("a denied application: reasons, no offer, no loan", async () => {
    const c = await makeCustomer();
    const denied = await makeApplication({
      customer: c,
      status: "DENIED",
      creditGrade: "C",
      creditMaxAmount: 0n,
      creditMaxTenorMonths: 0,
      creditInterestBps: 0,
      creditReasons: ["grade C", "monthly income below 3,000,000"],
    });
    const r = await gql(`query($id: ID!) { application(id: $id) { status statusCode creditScore { grade reasons } offer { amount } loan { id } partner { id } statusHistory { fromCode toCode } } }`, { id: denied.id }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.application).toEqual({
      status: "DENIED",
      statusCode: 135,
      creditScore: { grade: "C", reasons: ["grade C", "monthly income below 3,000,000"] },
      offer: null,
      loan: null,
      partner: null,
      statusHistory: [
        { fromCode: null, toCode: 110 },
        { fromCode: 110, toCode: 135 },
      ],
    });
  });

  it("an application not scored yet has no credit score", async () => {
    const c = await makeCustomer();
    const a = await makeApplication({ customer: c, creditGrade: null, creditMaxAmount: null, creditMaxTenorMonths: null, creditInterestBps: null, creditReasons: null });
    const r = await gql(`query($id: ID!) { application(id: $id) { creditScore { grade } offer { amount } } }`, { id: a.id }, admin);
    expect(r.data!.application).toEqual({ creditScore: null, offer: null });
  });
});

describe("Customer, Partner, LoanProduct, Viewer", () => {
  it("every Customer field", async () => {
    const r = await gql(
      `query($id: ID!) { customer(id: $id) {
        id fullName nik phone email dateOfBirth monthlyIncome walletBalance createdAt partner { id code name }
        applications { totalCount nodes { id } } loans { totalCount nodes { id } }
      } }`,
      { id: customer.id },
      await tokenFor("CUSTOMER", customer.id),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.customer).toEqual({
      id: customer.id,
      fullName: "Rina Kartika",
      nik: customer.nik,
      phone: customer.phone,
      email: customer.email,
      dateOfBirth: "1991-02-03",
      monthlyIncome: "12500000",
      walletBalance: "36000",
      createdAt: "2026-01-02T03:04:05.678Z",
      partner: { id: partner.id, code: partner.code, name: "Koperasi Maju" },
      applications: { totalCount: 1, nodes: [{ id: lw.application.id }] },
      loans: { totalCount: 1, nodes: [{ id: lw.loan.id }] },
    });
  });

  it("every LoanProduct field", async () => {
    const r = await gql(`{ loanProducts { id code name minAmount maxAmount minTenorMonths maxTenorMonths monthlyInterestRateBps originationFeeBps lateFeeBps minLateFee } }`);
    expect(r.errors).toBeUndefined();
    const mtl = await product("MTL");
    const stl = await product("STL");
    expect(r.data!.loanProducts).toEqual([
      { id: mtl.id, code: "MTL", name: "JULO Cicil", minAmount: "2000000", maxAmount: "8000000", minTenorMonths: 3, maxTenorMonths: 6, monthlyInterestRateBps: 400, originationFeeBps: 500, lateFeeBps: 500, minLateFee: "55000" },
      { id: stl.id, code: "STL", name: "JULO Mini", minAmount: "500000", maxAmount: "1000000", minTenorMonths: 1, maxTenorMonths: 1, monthlyInterestRateBps: 1000, originationFeeBps: 500, lateFeeBps: 1000, minLateFee: "0" },
    ]);
  });

  it("Application.product and Loan.product resolve the product row", async () => {
    const c = await makeCustomer();
    const stl = await makeLoan({ customer: c, productCode: "STL" });
    const r = await gql(`query($id: ID!) { loan(id: $id) { product { code minAmount } application { product { code } } principal monthlyInterestRateBps tenorMonths payments { principalDue interestDue dueDate } } }`, { id: stl.loan.id }, admin);
    expect(r.data!.loan).toEqual({
      product: { code: "STL", minAmount: "500000" },
      application: { product: { code: "STL" } },
      principal: "1000000",
      monthlyInterestRateBps: 1000,
      tenorMonths: 1,
      // interest 103,333 cut to 74,000 by the fee cap (50,000 + interest <= 124,000)
      payments: [{ principalDue: "1000000", interestDue: "74000", dueDate: "2026-02-10" }],
    });
  });

  it("Partner fields and partners ordering", async () => {
    const r = await gql(`query($id: ID!) { partner(id: $id) { id code name } partners { code } }`, { id: partner.id }, admin);
    expect(r.data!.partner).toEqual({ id: partner.id, code: partner.code, name: "Koperasi Maju" });
    const codes = r.data!.partners.map((p: { code: string }) => p.code);
    expect(codes).toEqual([...codes].sort());
  });
});

describe("status codes", () => {
  it("statusCode follows status for every loan, application and installment status", async () => {
    const c = await makeCustomer();
    const x = await makeLoan({ customer: c });
    const d = await db();
    const q = `query($l: ID!, $a: ID!, $p: ID!) { loan(id: $l) { status statusCode } application(id: $a) { status statusCode } payment(id: $p) { status statusCode } }`;
    const { loanApplications } = await import("../src/db/schema.js");
    const loanStatuses = Object.entries(LOAN_STATUS_CODES);
    const appStatuses = Object.entries(APPLICATION_STATUS_CODES);
    const paymentStatuses = Object.entries(PAYMENT_STATUS_CODES);
    for (let i = 0; i < Math.max(loanStatuses.length, appStatuses.length, paymentStatuses.length); i++) {
      const [ls, lc] = loanStatuses[i % loanStatuses.length]!;
      const [as, ac] = appStatuses[i % appStatuses.length]!;
      const [ps, pc] = paymentStatuses[i % paymentStatuses.length]!;
      await d.update(loans).set({ status: ls }).where(eq(loans.id, x.loan.id));
      await d.update(loanApplications).set({ status: as }).where(eq(loanApplications.id, x.application.id));
      await d.update(payments).set({ status: ps }).where(eq(payments.id, x.payments[0]!.id));
      const r = await gql(q, { l: x.loan.id, a: x.application.id, p: x.payments[0]!.id }, admin);
      expect(r.errors).toBeUndefined();
      expect(r.data).toEqual({ loan: { status: ls, statusCode: lc }, application: { status: as, statusCode: ac }, payment: { status: ps, statusCode: pc } });
    }
  });
});

describe("loanQuote (RULES §6)", () => {
  const Q = `query($i: LoanQuoteInput!) { loanQuote(input: $i) {
    principal originationFee disbursedAmount totalInterest totalRepayment
    installments { installmentNumber dueDate principal interest total } } }`;
  afterEach(async () => (await world()).clock.set(null));

  it("the worked example: 3,000,000 MTL over 3 months from 2026-01-10", async () => {
    const r = await gql(Q, { i: { productCode: "MTL", amount: "3000000", tenorMonths: 3, loanDate: "2026-01-10" } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.loanQuote).toEqual({
      principal: "3000000",
      originationFee: "150000",
      disbursedAmount: "2850000",
      totalInterest: "364000",
      totalRepayment: "3364000",
      installments: [
        { installmentNumber: 1, dueDate: "2026-02-10", principal: "1000000", interest: "124000", total: "1124000" },
        { installmentNumber: 2, dueDate: "2026-03-10", principal: "1000000", interest: "120000", total: "1120000" },
        { installmentNumber: 3, dueDate: "2026-04-10", principal: "1000000", interest: "120000", total: "1120000" },
      ],
    });
  });

  it("STL: one month, the fee cap cuts the interest", async () => {
    const r = await gql(Q, { i: { productCode: "STL", amount: 1_000_000, tenorMonths: 1, loanDate: "2026-01-10" } });
    expect(r.errors).toBeUndefined();
    // i = 100,000 → first-installment interest floor(100,000 * 31 / 30) = 103,333;
    // cap floor(1,000,000 * 40 * 31 / 10000) = 124,000 → interest 124,000 - 50,000 fee = 74,000.
    expect(r.data!.loanQuote).toEqual({
      principal: "1000000",
      originationFee: "50000",
      disbursedAmount: "950000",
      totalInterest: "74000",
      totalRepayment: "1074000",
      installments: [{ installmentNumber: 1, dueDate: "2026-02-10", principal: "1000000", interest: "74000", total: "1074000" }],
    });
  });

  it("remainders, rounding and a cycle day capped at 28", async () => {
    // P 5,000,000, 6 months, 400 bps: p = 833,333, i = 200,000, a = floor(1,033,333/1000)*1000 = 1,033,000 → i = 199,667.
    // loanDate 2026-01-31 → cycle day 28, first due 2026-02-28 (28 days): interest floor(199,667 * 28 / 30) = 186,355.
    // last: principal 5,000,000 - 833,333*5 = 833,335; interest 199,667 - 2 = 199,665.
    const r = await gql(Q, { i: { productCode: "MTL", amount: "5000000", tenorMonths: 6, loanDate: "2026-01-31" } });
    expect(r.errors).toBeUndefined();
    const q = r.data!.loanQuote;
    expect(q.installments.map((i: { dueDate: string }) => i.dueDate)).toEqual(["2026-02-28", "2026-03-28", "2026-04-28", "2026-05-28", "2026-06-28", "2026-07-28"]);
    expect(q.installments[0]).toMatchObject({ principal: "833333", interest: "186355", total: "1019688" });
    expect(q.installments[1]).toMatchObject({ principal: "833333", interest: "199667", total: "1033000" });
    expect(q.installments[5]).toMatchObject({ principal: "833335", interest: "199665", total: "1033000" });
    const sum = (k: "principal" | "interest") => q.installments.reduce((s: bigint, i: Record<string, string>) => s + BigInt(i[k]!), 0n);
    expect(sum("principal")).toBe(5_000_000n);
    expect(String(sum("interest"))).toBe(q.totalInterest);
    expect(q.totalRepayment).toBe(String(5_000_000n + sum("interest")));
    expect(q.originationFee).toBe("250000");
    expect(q.disbursedAmount).toBe("4750000");
  });

  it("without loanDate it assumes today in Jakarta", async () => {
    const w = await world();
    w.clock.set("2026-01-09T18:00:00.000Z"); // 01:00 on 2026-01-10 in Jakarta
    const r = await gql(Q, { i: { productCode: "MTL", amount: "3000000", tenorMonths: 3 } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.loanQuote.installments[0]).toMatchObject({ dueDate: "2026-02-10", interest: "124000" });
  });

  it.each([
    ["amount below the product minimum", { productCode: "MTL", amount: "1999999", tenorMonths: 3 }, "amount"],
    ["amount above the product maximum", { productCode: "MTL", amount: "8000001", tenorMonths: 3 }, "amount"],
    ["STL amount above its maximum", { productCode: "STL", amount: "1000001", tenorMonths: 1 }, "amount"],
    ["tenor below the minimum", { productCode: "MTL", amount: "3000000", tenorMonths: 2 }, "tenorMonths"],
    ["tenor above the maximum", { productCode: "MTL", amount: "3000000", tenorMonths: 7 }, "tenorMonths"],
    ["STL tenor of 2 months", { productCode: "STL", amount: "1000000", tenorMonths: 2 }, "tenorMonths"],
    ["zero tenor", { productCode: "MTL", amount: "3000000", tenorMonths: 0 }, "tenorMonths"],
    ["negative tenor", { productCode: "MTL", amount: "3000000", tenorMonths: -3 }, "tenorMonths"],
    ["unknown product", { productCode: "XYZ", amount: "3000000", tenorMonths: 3 }, "productCode"],
    ["lower-case product code", { productCode: "mtl", amount: "3000000", tenorMonths: 3 }, "productCode"],
    ["empty product code", { productCode: "", amount: "3000000", tenorMonths: 3 }, "productCode"],
  ])("%s is BAD_USER_INPUT naming the field", async (_name, input, field) => {
    const r = await gql(Q, { i: { loanDate: "2026-01-10", ...input } });
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.extensions!.field).toBe(field);
  });

  it.each([
    ["a negative amount", { amount: "-3000000" }],
    ["a fractional amount", { amount: "3000000.5" }],
    ["an exponent", { amount: "3e6" }],
    ["an empty amount", { amount: "" }],
    ["a float", { amount: 3000000.5 }],
    ["an impossible date", { loanDate: "2026-02-30" }],
    ["a date-time as date", { loanDate: "2026-01-10T00:00:00Z" }],
  ])("%s is BAD_USER_INPUT", async (_name, over) => {
    const r = await gql(Q, { i: { productCode: "MTL", amount: "3000000", tenorMonths: 3, loanDate: "2026-01-10", ...over } });
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
  });
});

describe("input errors name the field", () => {
  const Q = `query($i: LoanQuoteInput!) { loanQuote(input: $i) { principal } }`;
  const field = (r: Awaited<ReturnType<typeof gql>>) => r.errors?.[0]?.extensions?.field;

  it("a bad scalar inside a variable", async () => {
    const money = await gql(Q, { i: { productCode: "MTL", amount: "1.5", tenorMonths: 3 } });
    expect([codeOf(money), field(money)]).toEqual(["BAD_USER_INPUT", "amount"]);
    const int = await gql(Q, { i: { productCode: "MTL", amount: "3000000", tenorMonths: "three" } });
    expect([codeOf(int), field(int)]).toEqual(["BAD_USER_INPUT", "tenorMonths"]);
    const date = await gql(Q, { i: { productCode: "MTL", amount: "3000000", tenorMonths: 3, loanDate: "10/01/2026" } });
    expect([codeOf(date), field(date)]).toEqual(["BAD_USER_INPUT", "loanDate"]);
    const missing = await gql(Q, { i: { productCode: "MTL", tenorMonths: 3 } });
    expect([codeOf(missing), field(missing)]).toEqual(["BAD_USER_INPUT", "amount"]);
  });

  it("a bad scalar written inline", async () => {
    const money = await gql(`{ loanQuote(input: { productCode: "MTL", amount: "abc", tenorMonths: 3 }) { principal } }`);
    expect([codeOf(money), field(money)]).toEqual(["BAD_USER_INPUT", "amount"]);
    const date = await gql(`{ loanQuote(input: { productCode: "MTL", amount: 3000000, tenorMonths: 3, loanDate: "2026-13-01" }) { principal } }`);
    expect([codeOf(date), field(date)]).toEqual(["BAD_USER_INPUT", "loanDate"]);
  });

  it("a whole variable of the wrong type names the argument it is passed to", async () => {
    const r = await gql(`query($n: Int) { customers(first: $n) { totalCount } }`, { n: "ten" }, admin);
    expect([codeOf(r), field(r)]).toEqual(["BAD_USER_INPUT", "first"]);
    const d = await gql(`query($d: Date) { loanQuote(input: { productCode: "MTL", amount: 3000000, tenorMonths: 3, loanDate: $d }) { principal } }`, { d: "x" });
    expect([codeOf(d), field(d)]).toEqual(["BAD_USER_INPUT", "loanDate"]);
  });
});

describe("errors never leak internals", () => {
  it("a row the API cannot represent becomes a masked INTERNAL_SERVER_ERROR, logged on the server", async () => {
    const c = await makeCustomer();
    const x = await makeLoan({ customer: c });
    const d = await db();
    await d.update(payments).set({ status: "BOGUS_STATUS" }).where(eq(payments.id, x.payments[0]!.id));
    const w = await world();
    const before = w.logMark();
    const r = await gql(`query($id: ID!) { payment(id: $id) { id status } loan(id: $lid) { id } }`.replace("$lid", JSON.stringify(x.loan.id)), { id: x.payments[0]!.id }, admin);
    expect(codeOf(r)).toBe("INTERNAL_SERVER_ERROR");
    expect(r.errors![0]!.message).toBe("Internal server error");
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/BOGUS|stack|at Object|node_modules|\.ts:/);
    expect(r.data!.loan).toEqual({ id: x.loan.id }); // the rest of the response is intact
    expect(w.logsSince(before).some((l) => l.includes("unexpected error"))).toBe(true);
  });

  it("malformed queries get GraphQL codes with no internals", async () => {
    const parse = await gql(`{ loans(first: ) }`, {}, admin);
    expect(codeOf(parse)).toBe("GRAPHQL_PARSE_FAILED");
    const unknown = await gql(`{ loans { nope } }`, {}, admin);
    expect(codeOf(unknown)).toBe("GRAPHQL_VALIDATION_FAILED");
    const big = await gql(`{ loans(first: 99999999999) { totalCount } }`, {}, admin);
    expect(["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"]).toContain(codeOf(big));
    for (const r of [parse, unknown, big]) expect(JSON.stringify(r)).not.toMatch(/stack|node_modules|select |postgres/i);
  });
});
