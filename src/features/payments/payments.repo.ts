import { and, asc } from "drizzle-orm";
import { paymentScope, transactionScope } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { anyId, countPerParent, pagePerParent } from "../../db/queries.js";
import {
  paymentAllocations,
  payments,
  paymentTransactions,
  type PaymentAllocationRow,
  type PaymentRow,
} from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";

export async function paymentsByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<PaymentRow[]> {
  return db.select().from(payments).where(and(anyId(payments.id, ids), paymentScope(viewer)));
}

/** Installments of loans the caller already resolved (and so may see), in installment order. */
export async function paymentsByLoanIds(db: DbOrTx, loanIds: string[]): Promise<Map<string, PaymentRow[]>> {
  const rows = await db
    .select()
    .from(payments)
    .where(anyId(payments.loanId, loanIds))
    .orderBy(asc(payments.loanId), asc(payments.installmentNumber));
  const out = new Map<string, PaymentRow[]>();
  for (const r of rows) {
    let list = out.get(r.loanId);
    if (!list) out.set(r.loanId, (list = []));
    list.push(r);
  }
  return out;
}

export async function transactionsByIds(db: DbOrTx, viewer: Viewer, ids: string[]) {
  return db.select().from(paymentTransactions).where(and(anyId(paymentTransactions.id, ids), transactionScope(viewer)));
}

export async function transactionsPerLoan(db: DbOrTx, viewer: Viewer, loanIds: string[], args: PageArgs) {
  return pagePerParent(db, paymentTransactions, paymentTransactions.loanId, loanIds, [transactionScope(viewer)], args);
}

export async function countTransactionsPerLoan(db: DbOrTx, viewer: Viewer, loanIds: string[]) {
  return countPerParent(db, paymentTransactions, paymentTransactions.loanId, loanIds, [transactionScope(viewer)]);
}

export async function allocationsByTransactionIds(db: DbOrTx, ids: string[]): Promise<Map<string, PaymentAllocationRow[]>> {
  const rows = await db
    .select()
    .from(paymentAllocations)
    .where(anyId(paymentAllocations.transactionId, ids))
    .orderBy(asc(paymentAllocations.transactionId), asc(paymentAllocations.createdAt), asc(paymentAllocations.id));
  const out = new Map<string, PaymentAllocationRow[]>();
  for (const r of rows) {
    let list = out.get(r.transactionId);
    if (!list) out.set(r.transactionId, (list = []));
    list.push(r);
  }
  return out;
}
