/** Helpers for the recordPayment tests: the mutation, a loan read-back and money invariants. */
import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { customers, loans, paymentAllocations, payments, paymentTransactions } from "../../src/db/schema.js";
import { gql, world, type GqlResult } from "./world.js";

export const RECORD_PAYMENT = `mutation($input: RecordPaymentInput!) {
  recordPayment(input: $input) {
    replayed
    transaction {
      id amount walletCredit paidAt channel idempotencyKey
      allocations { principal interest lateFee payment { id installmentNumber } }
    }
    loan { id status statusCode daysPastDue totalDue totalPaid outstandingAmount }
  }
}`;

export const LOAN_STATE = `query($id: ID!) {
  loan(id: $id) {
    id status statusCode daysPastDue totalDue totalPaid outstandingAmount
    customer { walletBalance }
    payments {
      id installmentNumber dueDate status statusCode daysPastDue paidAt
      principalDue interestDue lateFeeDue paidPrincipal paidInterest paidLateFee paidAmount outstandingAmount
    }
    transactions(first: 100) { totalCount nodes { id amount walletCredit } }
    statusHistory { fromCode toCode reason actor }
  }
}`;

export interface AllocationOut {
  principal: string;
  interest: string;
  lateFee: string;
  payment: { id: string; installmentNumber: number };
}

export interface TransactionOut {
  id: string;
  amount: string;
  walletCredit: string;
  paidAt: string;
  channel: string | null;
  idempotencyKey: string;
  allocations: AllocationOut[];
}

export interface RecordPaymentOut {
  recordPayment: {
    replayed: boolean;
    transaction: TransactionOut;
    loan: { id: string; status: string; statusCode: number; daysPastDue: number; totalDue: string; totalPaid: string; outstandingAmount: string };
  };
}

export const newKey = () => `key-${randomUUID()}`;

export interface PayArgs {
  loanId: string;
  amount: string | number | bigint;
  idempotencyKey?: string;
  paidAt?: string | null;
  channel?: string | null;
}

export async function pay(token: string | null, a: PayArgs): Promise<GqlResult<RecordPaymentOut>> {
  const input: Record<string, unknown> = {
    loanId: a.loanId,
    amount: typeof a.amount === "bigint" ? a.amount.toString() : a.amount,
    idempotencyKey: a.idempotencyKey ?? newKey(),
  };
  if (a.paidAt !== undefined) input.paidAt = a.paidAt;
  if (a.channel !== undefined) input.channel = a.channel;
  return gql<RecordPaymentOut>(RECORD_PAYMENT, { input }, token);
}

/** Σ allocations + walletCredit of one transaction from the API response. */
export function allocatedPlusWallet(t: TransactionOut): bigint {
  return t.allocations.reduce((s, x) => s + BigInt(x.principal) + BigInt(x.interest) + BigInt(x.lateFee), 0n) + BigInt(t.walletCredit);
}

/** Rows of a loan straight from the database (to check what was, or was not, written). */
export async function loanSnapshot(loanId: string) {
  const db = (await world()).database.db;
  const [loan] = await db.select().from(loans).where(eq(loans.id, loanId));
  const insts = await db.select().from(payments).where(eq(payments.loanId, loanId)).orderBy(payments.installmentNumber);
  const txs = await db.select().from(paymentTransactions).where(eq(paymentTransactions.loanId, loanId));
  const allocs = txs.length
    ? await db.select().from(paymentAllocations).where(inArray(paymentAllocations.transactionId, txs.map((t) => t.id)))
    : [];
  const [customer] = await db.select().from(customers).where(eq(customers.id, loan!.customerId));
  return { loan: loan!, installments: insts, transactions: txs, allocations: allocs, walletBalance: customer!.walletBalance, customer: customer! };
}

export async function transactionsWithKey(key: string) {
  const db = (await world()).database.db;
  return db.select().from(paymentTransactions).where(eq(paymentTransactions.idempotencyKey, key));
}

/**
 * The money invariants of a loan's stored rows (its customer has no other loan):
 * every transaction's amount = Σ its allocations + walletCredit; Σ allocations per installment =
 * what it shows as paid, per component, never above due; the wallet = Σ wallet credits.
 */
export function checkMoneyInvariants(s: Awaited<ReturnType<typeof loanSnapshot>>): { totalAmount: bigint; totalAllocated: bigint; totalWallet: bigint } {
  const problems: string[] = [];
  let totalAmount = 0n;
  let totalWallet = 0n;
  for (const t of s.transactions) {
    const mine = s.allocations.filter((a) => a.transactionId === t.id);
    const sum = mine.reduce((x, a) => x + a.principal + a.interest + a.lateFee, 0n);
    if (sum + t.walletCredit !== t.amount) problems.push(`transaction ${t.id}: ${sum} + ${t.walletCredit} != ${t.amount}`);
    totalAmount += t.amount;
    totalWallet += t.walletCredit;
  }
  let totalAllocated = 0n;
  for (const p of s.installments) {
    const mine = s.allocations.filter((a) => a.paymentId === p.id);
    const pr = mine.reduce((x, a) => x + a.principal, 0n);
    const it = mine.reduce((x, a) => x + a.interest, 0n);
    const lf = mine.reduce((x, a) => x + a.lateFee, 0n);
    if (pr !== p.paidPrincipal || it !== p.paidInterest || lf !== p.paidLateFee) problems.push(`installment ${p.installmentNumber}: allocations differ from paid amounts`);
    if (p.paidPrincipal > p.principalDue || p.paidInterest > p.interestDue || p.paidLateFee > p.lateFeeDue) problems.push(`installment ${p.installmentNumber}: paid above due`);
    if (p.paidAmount !== p.paidPrincipal + p.paidInterest + p.paidLateFee) problems.push(`installment ${p.installmentNumber}: paidAmount != Σ parts`);
    const outstanding = p.principalDue + p.interestDue + p.lateFeeDue - p.paidAmount;
    const isPaid = p.status.startsWith("PAID_");
    if (isPaid !== (outstanding === 0n)) problems.push(`installment ${p.installmentNumber}: status ${p.status} with outstanding ${outstanding}`);
    totalAllocated += p.paidAmount;
  }
  if (totalAmount !== totalAllocated + totalWallet) problems.push(`Σ amounts ${totalAmount} != Σ allocated ${totalAllocated} + Σ wallet ${totalWallet}`);
  if (s.walletBalance !== totalWallet) problems.push(`wallet ${s.walletBalance} != Σ wallet credits ${totalWallet}`);
  const allPaid = s.installments.every((p) => p.status.startsWith("PAID_"));
  if (allPaid !== (s.loan.status === "PAID_OFF")) problems.push(`loan ${s.loan.status} but all paid = ${allPaid}`);
  if (problems.length) throw new Error(problems.join("\n"));
  return { totalAmount, totalAllocated, totalWallet };
}
