/**
 * The customer's wallet (RULES §8: overpayments), as other features change it inside their own
 * transaction (a payment's overpayment, a reversal taking it back). Lock order: take `lockWallet`
 * after the loan and its installments, before the event-order lock.
 */
import { eq, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { customers } from "../../db/schema.js";

/** Locks the customer's row until the transaction ends; its wallet balance (undefined: no such customer). */
export async function lockWallet(tx: Tx, customerId: string): Promise<bigint | undefined> {
  const [row] = await tx.select({ walletBalance: customers.walletBalance }).from(customers).where(eq(customers.id, customerId)).for("update");
  return row?.walletBalance;
}

/** Adds `delta` (negative: takes it back); nothing for 0. The caller holds `lockWallet`. */
export async function addToWallet(tx: Tx, customerId: string, delta: bigint, now: Date): Promise<void> {
  if (delta === 0n) return;
  await tx
    .update(customers)
    .set({ walletBalance: sql`${customers.walletBalance} + ${delta.toString()}::bigint`, updatedAt: now })
    .where(eq(customers.id, customerId));
}
