/**
 * The customer's wallet, as other features change it inside their own transaction (a payment's
 * overpayment, a reversal taking it back). Lock order: take `lockWallet` after the loan and its
 * installments, before the event-order lock.
 */
import type { Tx } from "../../db/client.js";
import { addToWalletBalance, lockWalletBalance } from "./customers.repo.js";

/** Locks the customer's row until the transaction ends; its wallet balance (undefined: no such customer). */
export function lockWallet(tx: Tx, customerId: string): Promise<bigint | undefined> {
  return lockWalletBalance(tx, customerId);
}

/** Adds `delta` (negative: takes it back); nothing for 0. The caller holds `lockWallet`. */
export async function addToWallet(tx: Tx, customerId: string, delta: bigint, now: Date): Promise<void> {
  if (delta === 0n) return;
  await addToWalletBalance(tx, customerId, delta, now);
}
