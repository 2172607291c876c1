/**
 * Factories that insert consistent rows straight into the database (for read-side tests):
 * schedules come from the same `buildSchedule` the lifecycle uses, payments from `allocate`,
 * status history through the outbox module. Every value can be overridden.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.js";
import {
  customers,
  loanApplications,
  loanProducts,
  loans,
  partners,
  paymentAllocations,
  payments,
  paymentTransactions,
  type ApplicationRow,
  type CustomerRow,
  type LoanProductRow,
  type LoanRow,
  type PartnerRow,
  type PaymentRow,
  type PaymentTransactionRow,
} from "../../src/db/schema.js";
import { recordStatusChanges } from "../../src/events/outbox.js";
import { type ApplicationStatus } from "../../src/domain/statuses.js";
import { buildSchedule } from "../../src/features/loans/schedule.js";
import { allocate } from "../../src/features/payments/allocation.js";
import { type LoanStatus } from "../../src/domain/statuses.js";
import { uniqueDigits } from "./unique.js";
import { subscriptionGateway, world } from "./world.js";


/**
 * Write status changes like the services do, then let the subscription bus dispatch them (the
 * world's, and the one of the gateway under test: support/transports.ts), so a later live-only
 * subscription starts after them.
 */
async function recordAndPublish(d: Db, changes: Parameters<typeof recordStatusChanges>[1]): Promise<void> {
  await recordStatusChanges(d, changes);
  const own = (await world()).gateway;
  const target = await subscriptionGateway();
  await own.app.events.flush();
  if (target !== own) await target.app.events.flush();
}

async function db(): Promise<Db> {
  return (await world()).database.db;
}

export async function product(code: "MTL" | "STL"): Promise<LoanProductRow> {
  const [p] = await (await db()).select().from(loanProducts).where(eq(loanProducts.code, code));
  return p!;
}

export async function makePartner(over: Partial<typeof partners.$inferInsert> = {}): Promise<PartnerRow> {
  const u = uniqueDigits();
  const [row] = await (await db())
    .insert(partners)
    .values({ code: `P${u}`.slice(0, 20), name: `Partner ${u}`, ...over })
    .returning();
  return row!;
}

/**
 * A NIK consistent with the date of birth (province 31, Jakarta). Its free digits (3–6 regency and
 * district, 13–16 serial) are the eight `unique` digits, so two calls never give the same NIK.
 */
export function nikFor(dateOfBirth: string, female = false, unique = uniqueDigits()): string {
  const [y, m, d] = dateOfBirth.split("-");
  const day = Number(d) + (female ? 40 : 0);
  if (!/^\d{8}$/.test(unique)) throw new Error(`nikFor: unique must be 8 digits, got ${unique}`);
  return `31${unique.slice(0, 4)}${String(day).padStart(2, "0")}${m}${y!.slice(2)}${unique.slice(4)}`;
}

export async function makeCustomer(over: Partial<typeof customers.$inferInsert> = {}): Promise<CustomerRow> {
  const u = uniqueDigits();
  const dateOfBirth = over.dateOfBirth ?? "1990-05-17";
  const [row] = await (await db())
    .insert(customers)
    .values({
      fullName: `Customer ${u}`,
      nik: nikFor(dateOfBirth, false, u),
      phone: `+62800${u}`,
      email: `c${u}@example.id`,
      dateOfBirth,
      monthlyIncome: 10_000_000n,
      pinHash: "not-a-real-hash",
      ...over,
    })
    .returning();
  return row!;
}

export interface ApplicationOptions extends Partial<typeof loanApplications.$inferInsert> {
  customer: CustomerRow;
  productCode?: "MTL" | "STL";
  status?: ApplicationStatus;
  history?: ApplicationStatus[];
}

export async function makeApplication(o: ApplicationOptions): Promise<ApplicationRow> {
  const { customer, productCode = "MTL", status = "SUBMITTED", history, ...over } = o;
  const prod = await product(productCode);
  const d = await db();
  const [row] = await d
    .insert(loanApplications)
    .values({
      customerId: customer.id,
      partnerId: customer.partnerId,
      productId: prod.id,
      requestedAmount: productCode === "MTL" ? 3_000_000n : 1_000_000n,
      tenorMonths: productCode === "MTL" ? 3 : 1,
      purpose: "Modal usaha",
      status,
      creditGrade: "A-",
      creditMaxAmount: 8_000_000n,
      creditMaxTenorMonths: 6,
      creditInterestBps: 400,
      creditReasons: [],
      ...over,
    })
    .returning();
  const path = history ?? ["SUBMITTED", ...(status === "SUBMITTED" ? [] : [status])];
  await recordAndPublish(
    d,
    path.map((to, i) => ({
      entityType: "APPLICATION" as const,
      entityId: row!.id,
      customerId: customer.id,
      partnerId: customer.partnerId,
      from: i === 0 ? null : path[i - 1]!,
      to,
      actor: i === 0 ? `customer:${customer.id}` : "admin:factory",
      at: new Date(),
    })),
  );
  return row!;
}

export interface LoanOptions {
  customer: CustomerRow;
  productCode?: "MTL" | "STL";
  principal?: bigint;
  tenorMonths?: number;
  rateBps?: number;
  status?: LoanStatus;
  /** Disbursement date (YYYY-MM-DD); omitted for INACTIVE loans. */
  loanDate?: string;
  /** The loan's stored daysPastDue (as a daily update would have left it). */
  daysPastDue?: number;
  /** createdAt of the application and the loan (ordering tests). */
  createdAt?: Date;
}

export interface LoanWorld {
  application: ApplicationRow;
  loan: LoanRow;
  payments: PaymentRow[];
}

/** An accepted application with its loan and, when disbursed, its installment schedule. */
export async function makeLoan(o: LoanOptions): Promise<LoanWorld> {
  const productCode = o.productCode ?? "MTL";
  const prod = await product(productCode);
  const principal = o.principal ?? (productCode === "MTL" ? 3_000_000n : 1_000_000n);
  const tenorMonths = o.tenorMonths ?? (productCode === "MTL" ? 3 : 1);
  const rateBps = o.rateBps ?? (productCode === "MTL" ? 400 : 1000);
  const status = o.status ?? "CURRENT";
  const disbursed = !["INACTIVE", "CANCELLED", "DISBURSAL_FAILED"].includes(status);
  const loanDate = o.loanDate ?? "2026-01-10";
  const schedule = buildSchedule({ principal, tenorMonths, monthlyInterestRateBps: rateBps, originationFeeBps: prod.originationFeeBps, loanDate });
  const application = await makeApplication({
    customer: o.customer,
    productCode,
    requestedAmount: principal,
    tenorMonths,
    status: disbursed ? "FUND_DISBURSAL_SUCCESSFUL" : "OFFER_ACCEPTED",
    history: disbursed
      ? ["SUBMITTED", "OFFER_MADE", "OFFER_ACCEPTED", "FUND_DISBURSAL_SUCCESSFUL"]
      : ["SUBMITTED", "OFFER_MADE", "OFFER_ACCEPTED"],
    offerAmount: principal,
    offerTenorMonths: tenorMonths,
    offerInterestBps: rateBps,
    offerOriginationFee: schedule.originationFee,
    offerDisbursedAmount: schedule.disbursedAmount,
    offerInstallmentAmount: schedule.regularInstallment,
    offerFirstDueDate: schedule.firstDueDate,
    offerExpiresAt: new Date(Date.now() + 3 * 86400_000),
    ...(o.createdAt ? { createdAt: o.createdAt } : {}),
  });
  const d = await db();
  const [loan] = await d
    .insert(loans)
    .values({
      applicationId: application.id,
      customerId: o.customer.id,
      partnerId: o.customer.partnerId,
      productId: prod.id,
      principal,
      originationFee: schedule.originationFee,
      disbursedAmount: schedule.disbursedAmount,
      monthlyInterestBps: rateBps,
      tenorMonths,
      status,
      disbursedAt: disbursed ? new Date(`${loanDate}T03:00:00.000Z`) : null,
      daysPastDue: o.daysPastDue ?? 0,
      ...(o.createdAt ? { createdAt: o.createdAt } : {}),
    })
    .returning();
  const loanPath: LoanStatus[] = disbursed ? ["INACTIVE", "CURRENT", ...(status === "CURRENT" ? [] : [status])] : ["INACTIVE", ...(status === "INACTIVE" ? [] : [status])];
  await recordAndPublish(
    d,
    loanPath.map((to, i) => ({
      entityType: "LOAN" as const,
      entityId: loan!.id,
      customerId: o.customer.id,
      partnerId: o.customer.partnerId,
      from: i === 0 ? null : loanPath[i - 1]!,
      to,
      actor: "admin:factory",
      at: new Date(),
    })),
  );
  let rows: PaymentRow[] = [];
  if (disbursed) {
    rows = await d
      .insert(payments)
      .values(
        schedule.installments.map((i) => ({
          loanId: loan!.id,
          installmentNumber: i.installmentNumber,
          dueDate: i.dueDate,
          principalDue: i.principal,
          interestDue: i.interest,
          status: "NOT_DUE",
        })),
      )
      .returning();
    rows.sort((a, b) => a.installmentNumber - b.installmentNumber);
  }
  return { application, loan: loan!, payments: rows };
}

/** A received payment allocated oldest-first, with its allocation rows (no status changes). */
export async function makeTransaction(l: LoanWorld, amount: bigint, paidAt = new Date()): Promise<PaymentTransactionRow> {
  const d = await db();
  const current = await d.select().from(payments).where(eq(payments.loanId, l.loan.id));
  const { allocations, walletCredit } = allocate(
    amount,
    current.map((p) => ({
      paymentId: p.id,
      installmentNumber: p.installmentNumber,
      principalOutstanding: p.principalDue - p.paidPrincipal,
      interestOutstanding: p.interestDue - p.paidInterest,
      lateFeeOutstanding: p.lateFeeDue - p.paidLateFee,
    })),
  );
  const [tx] = await d
    .insert(paymentTransactions)
    .values({ loanId: l.loan.id, customerId: l.loan.customerId, amount, idempotencyKey: `k-${uniqueDigits()}`, paidAt, walletCredit, channel: "TEST" })
    .returning();
  for (const a of allocations) {
    await d.insert(paymentAllocations).values({ transactionId: tx!.id, paymentId: a.paymentId, principal: a.principal, interest: a.interest, lateFee: a.lateFee });
    const p = current.find((c) => c.id === a.paymentId)!;
    const paidPrincipal = p.paidPrincipal + a.principal;
    const paidInterest = p.paidInterest + a.interest;
    const paidLateFee = p.paidLateFee + a.lateFee;
    await d
      .update(payments)
      .set({ paidPrincipal, paidInterest, paidLateFee, paidAmount: paidPrincipal + paidInterest + paidLateFee })
      .where(eq(payments.id, p.id));
  }
  return tx!;
}

/**
 * Overwrites columns of one installment, as an earlier daily update would have left it (e.g. a
 * charged `lateFeeDue`, an overdue `status` and `daysPastDue`).
 */
export async function setInstallment(paymentId: string, over: Partial<typeof payments.$inferInsert>): Promise<PaymentRow> {
  const [row] = await (await db()).update(payments).set(over).where(eq(payments.id, paymentId)).returning();
  return row!;
}

export interface LoanBookOptions {
  partnerId: string | null;
  /** How many customers, each with one disbursed (CURRENT) loan and its schedule. */
  count: number;
  productCode?: "MTL" | "STL";
  loanDate?: string;
}

/**
 * Many customers with one disbursed loan each, inserted in a handful of multi-row statements
 * (for tests that need a large book, e.g. statement counts). Same rows as `makeCustomer` +
 * `makeLoan`, status history included.
 */
export async function makeLoanBook(o: LoanBookOptions): Promise<{ customers: CustomerRow[]; loans: LoanWorld[] }> {
  const productCode = o.productCode ?? "MTL";
  const prod = await product(productCode);
  const principal = productCode === "MTL" ? 3_000_000n : 1_000_000n;
  const tenorMonths = productCode === "MTL" ? 3 : 1;
  const rateBps = productCode === "MTL" ? 400 : 1000;
  const loanDate = o.loanDate ?? "2026-01-10";
  const schedule = buildSchedule({ principal, tenorMonths, monthlyInterestRateBps: rateBps, originationFeeBps: prod.originationFeeBps, loanDate });
  const d = await db();
  const dateOfBirth = "1990-05-17";
  const people = Array.from({ length: o.count }, () => {
    const u = uniqueDigits();
    return {
      partnerId: o.partnerId,
      fullName: `Customer ${u}`,
      nik: nikFor(dateOfBirth, false, u),
      phone: `+62800${u}`,
      email: `c${u}@example.id`,
      dateOfBirth,
      monthlyIncome: 10_000_000n,
      pinHash: "not-a-real-hash",
    };
  });
  const customerRows = await d.insert(customers).values(people).returning();
  const applicationRows = await d
    .insert(loanApplications)
    .values(
      customerRows.map((c) => ({
        customerId: c.id,
        partnerId: c.partnerId,
        productId: prod.id,
        requestedAmount: principal,
        tenorMonths,
        purpose: "Modal usaha",
        status: "FUND_DISBURSAL_SUCCESSFUL",
        creditGrade: "A-",
        creditMaxAmount: 8_000_000n,
        creditMaxTenorMonths: 6,
        creditInterestBps: 400,
        creditReasons: [],
        offerAmount: principal,
        offerTenorMonths: tenorMonths,
        offerInterestBps: rateBps,
        offerOriginationFee: schedule.originationFee,
        offerDisbursedAmount: schedule.disbursedAmount,
        offerInstallmentAmount: schedule.regularInstallment,
        offerFirstDueDate: schedule.firstDueDate,
        offerExpiresAt: new Date(Date.now() + 3 * 86400_000),
      })),
    )
    .returning();
  const appByCustomer = new Map(applicationRows.map((a) => [a.customerId, a]));
  const loanRows = await d
    .insert(loans)
    .values(
      customerRows.map((c) => ({
        applicationId: appByCustomer.get(c.id)!.id,
        customerId: c.id,
        partnerId: c.partnerId,
        productId: prod.id,
        principal,
        originationFee: schedule.originationFee,
        disbursedAmount: schedule.disbursedAmount,
        monthlyInterestBps: rateBps,
        tenorMonths,
        status: "CURRENT",
        disbursedAt: new Date(`${loanDate}T03:00:00.000Z`),
      })),
    )
    .returning();
  const paymentRows = await d
    .insert(payments)
    .values(
      loanRows.flatMap((l) =>
        schedule.installments.map((i) => ({
          loanId: l.id,
          installmentNumber: i.installmentNumber,
          dueDate: i.dueDate,
          principalDue: i.principal,
          interestDue: i.interest,
          status: "NOT_DUE",
        })),
      ),
    )
    .returning();
  const at = new Date();
  const appPath: ApplicationStatus[] = ["SUBMITTED", "OFFER_MADE", "OFFER_ACCEPTED", "FUND_DISBURSAL_SUCCESSFUL"];
  const loanPath: LoanStatus[] = ["INACTIVE", "CURRENT"];
  await recordAndPublish(d, [
    ...applicationRows.flatMap((a) =>
      appPath.map((to, i) => ({
        entityType: "APPLICATION" as const,
        entityId: a.id,
        customerId: a.customerId,
        partnerId: a.partnerId,
        from: i === 0 ? null : appPath[i - 1]!,
        to,
        actor: i === 0 ? `customer:${a.customerId}` : "admin:factory",
        at,
      })),
    ),
    ...loanRows.flatMap((l) =>
      loanPath.map((to, i) => ({
        entityType: "LOAN" as const,
        entityId: l.id,
        customerId: l.customerId,
        partnerId: l.partnerId,
        from: i === 0 ? null : loanPath[i - 1]!,
        to,
        actor: "admin:factory",
        at,
      })),
    ),
  ]);
  const loanWorlds = loanRows.map((loan) => ({
    application: applicationRows.find((a) => a.id === loan.applicationId)!,
    loan,
    payments: paymentRows.filter((p) => p.loanId === loan.id).sort((a, b) => a.installmentNumber - b.installmentNumber),
  }));
  return { customers: customerRows, loans: loanWorlds };
}
