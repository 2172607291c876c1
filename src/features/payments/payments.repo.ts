import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { transactionScope, viewerIdOf, visible } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx, Tx } from "../../db/client.js";
import { anyId, countPerParent, countRows, pagePerParent, pageRows } from "../../db/queries.js";
import {
  loans,
  paymentAllocations,
  paymentReversals,
  payments,
  paymentTransactions,
  type LoanRow,
  type PaymentAllocationRow,
  type PaymentReversalRow,
  type PaymentRow,
  type PaymentTransactionRow,
} from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { readByIds, readColumns, relationScope } from "../../graphql/read-model.js";
import { loanRead } from "../loans/loan.read.js";
import { installmentRead } from "./installment.read.js";

export async function paymentsByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<PaymentRow[]> {
  return readByIds(db, installmentRead, viewer, ids);
}

/**
 * Installments of loans the caller already resolved, in installment order, with the visibility
 * the read model gives Loan.payments (it trusts the loan's).
 */
export async function paymentsByLoanIds(db: DbOrTx, viewer: Viewer, loanIds: string[]): Promise<Map<string, PaymentRow[]>> {
  const rows = (await db
    .select(readColumns(installmentRead, viewer.role))
    .from(payments)
    .where(and(anyId(payments.loanId, loanIds), relationScope(installmentRead, loanRead.fields.payments, viewer.role, viewerIdOf(viewer))))
    .orderBy(asc(payments.loanId), asc(payments.installmentNumber))) as PaymentRow[];
  const out = new Map<string, PaymentRow[]>();
  for (const r of rows) {
    let list = out.get(r.loanId);
    if (!list) out.set(r.loanId, (list = []));
    list.push(r);
  }
  return out;
}

export async function transactionsByIds(db: DbOrTx, viewer: Viewer, ids: string[]) {
  return db.select().from(paymentTransactions).where(and(anyId(paymentTransactions.id, ids), visible(transactionScope, viewer)));
}

export async function transactionsPerLoan(db: DbOrTx, viewer: Viewer, loanIds: string[], args: PageArgs) {
  return pagePerParent(db, paymentTransactions, paymentTransactions.loanId, loanIds, [visible(transactionScope, viewer)], args);
}

export async function countTransactionsPerLoan(db: DbOrTx, viewer: Viewer, loanIds: string[]) {
  return countPerParent(db, paymentTransactions, paymentTransactions.loanId, loanIds, [visible(transactionScope, viewer)]);
}

/**
 * Allocations of transactions already shown to the viewer, in installment order (the order the
 * money was applied: one payment's allocations share one timestamp, so time cannot order them).
 */
export async function allocationsByTransactionIds(db: DbOrTx, ids: string[]): Promise<Map<string, PaymentAllocationRow[]>> {
  const rows = await db
    .select({ a: paymentAllocations })
    .from(paymentAllocations)
    .innerJoin(payments, eq(payments.id, paymentAllocations.paymentId))
    .where(anyId(paymentAllocations.transactionId, ids))
    .orderBy(asc(paymentAllocations.transactionId), asc(payments.installmentNumber), asc(paymentAllocations.id))
    .then((rs) => rs.map((r) => r.a));
  const out = new Map<string, PaymentAllocationRow[]>();
  for (const r of rows) {
    let list = out.get(r.transactionId);
    if (!list) out.set(r.transactionId, (list = []));
    list.push(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Posting a payment (recordPayment). Every function below runs inside the caller's transaction.

/** The loan row, locked `for update` until the transaction ends (serialises postings per loan). */
export async function lockLoan(tx: Tx, loanId: string): Promise<LoanRow | undefined> {
  const [row] = await tx.select().from(loans).where(eq(loans.id, loanId)).for("update");
  return row;
}

export async function transactionByIdempotencyKey(tx: DbOrTx, key: string): Promise<PaymentTransactionRow | undefined> {
  const [row] = await tx.select().from(paymentTransactions).where(eq(paymentTransactions.idempotencyKey, key));
  return row;
}

export async function insertTransaction(tx: Tx, values: typeof paymentTransactions.$inferInsert): Promise<PaymentTransactionRow> {
  const [row] = await tx.insert(paymentTransactions).values(values).returning();
  return row!;
}

/** Inserts a transaction's allocation rows (read back in installment order). */
export async function insertAllocations(tx: Tx, rows: (typeof paymentAllocations.$inferInsert)[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(paymentAllocations).values(rows);
}

// ---------------------------------------------------------------------------------------------
// Reversals (RULES §12.3).

/** The latest reversal request of each transaction (the caller already may see the transactions). */
export async function latestReversalsByTransactionIds(db: DbOrTx, ids: string[]): Promise<Map<string, PaymentReversalRow>> {
  const rows = await db
    .selectDistinctOn([paymentReversals.transactionId])
    .from(paymentReversals)
    .where(anyId(paymentReversals.transactionId, ids))
    .orderBy(paymentReversals.transactionId, desc(paymentReversals.createdAt), desc(paymentReversals.id));
  return new Map(rows.map((r) => [r.transactionId, r]));
}

export async function listReversals(db: DbOrTx, status: string | null | undefined, args: PageArgs) {
  return pageRows(db, paymentReversals, [status ? eq(paymentReversals.status, status) : undefined], args);
}

export async function countReversals(db: DbOrTx, status: string | null | undefined) {
  return countRows(db, paymentReversals, [status ? eq(paymentReversals.status, status) : undefined]);
}

export async function reversalById(tx: DbOrTx, id: string): Promise<PaymentReversalRow | undefined> {
  const [row] = await tx.select().from(paymentReversals).where(eq(paymentReversals.id, id));
  return row;
}

/** The reversal row locked `for update` (taken after its loan's lock). */
export async function lockReversal(tx: Tx, id: string): Promise<PaymentReversalRow | undefined> {
  const [row] = await tx.select().from(paymentReversals).where(eq(paymentReversals.id, id)).for("update");
  return row;
}

export async function transactionById(tx: DbOrTx, id: string): Promise<PaymentTransactionRow | undefined> {
  const [row] = await tx.select().from(paymentTransactions).where(eq(paymentTransactions.id, id));
  return row;
}

export async function pendingReversalOf(tx: DbOrTx, transactionId: string): Promise<PaymentReversalRow | undefined> {
  const [row] = await tx
    .select()
    .from(paymentReversals)
    .where(and(eq(paymentReversals.transactionId, transactionId), eq(paymentReversals.status, "PENDING")));
  return row;
}

export async function loanHasSettlement(tx: DbOrTx, loanId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: paymentTransactions.id })
    .from(paymentTransactions)
    .where(and(eq(paymentTransactions.loanId, loanId), eq(paymentTransactions.kind, "SETTLEMENT")))
    .limit(1);
  return row !== undefined;
}

export async function insertReversal(tx: Tx, values: typeof paymentReversals.$inferInsert): Promise<PaymentReversalRow> {
  const [row] = await tx.insert(paymentReversals).values(values).returning();
  return row!;
}

export async function decideReversal(
  tx: Tx,
  id: string,
  d: { status: "APPROVED" | "REJECTED"; decidedBy: string; decidedAt: Date; decisionNote: string | null },
): Promise<PaymentReversalRow> {
  const [row] = await tx.update(paymentReversals).set(d).where(eq(paymentReversals.id, id)).returning();
  return row!;
}

/** The loan's transactions not reversed, in no particular order. */
export async function activeTransactionsOfLoan(tx: DbOrTx, loanId: string): Promise<PaymentTransactionRow[]> {
  return tx
    .select()
    .from(paymentTransactions)
    .where(and(eq(paymentTransactions.loanId, loanId), isNull(paymentTransactions.reversedAt)));
}

export async function markReversed(tx: Tx, transactionId: string, at: Date): Promise<void> {
  await tx.update(paymentTransactions).set({ reversedAt: at }).where(eq(paymentTransactions.id, transactionId));
}

/** A re-posted transaction: its allocations replaced, its wallet credit set anew. */
export async function replaceAllocations(
  tx: Tx,
  transactionId: string,
  rows: (typeof paymentAllocations.$inferInsert)[],
  walletCredit: bigint,
): Promise<void> {
  await tx.delete(paymentAllocations).where(eq(paymentAllocations.transactionId, transactionId));
  await insertAllocations(tx, rows);
  await tx.update(paymentTransactions).set({ walletCredit }).where(eq(paymentTransactions.id, transactionId));
}
