/**
 * Correcting money (RULES §12), the pure part: what it takes to close a loan early as of a date
 * (the payoff quote, 12.1), the interest a settlement waives (12.2), and re-posting the
 * transactions that follow a reversed one (12.3). No I/O, no clock.
 */
import { allocate, duesOf, type Allocation, type InstallmentAmounts } from "./allocation.js";

const outstanding = (i: InstallmentAmounts) =>
  i.principalDue + i.interestDue + i.lateFeeDue - (i.paidPrincipal + i.paidInterest + i.paidLateFee);

export interface PayoffQuote {
  asOf: string;
  principal: bigint;
  interest: bigint;
  lateFees: bigint;
  interestWaived: bigint;
  amount: bigint;
  /** Installments after the current one, whose unpaid interest a settlement waives. */
  waivedInstallmentIds: string[];
}

/**
 * RULES 12.1. The current installment is the first unpaid one due on or after `asOf`; it and
 * every unpaid one due before `asOf` are owed in full; later unpaid ones owe their outstanding
 * principal and late fee, their unpaid interest being waived.
 */
export function payoffQuote(installments: readonly InstallmentAmounts[], asOf: string): PayoffQuote {
  const ordered = [...installments].sort((a, b) => a.installmentNumber - b.installmentNumber);
  let principal = 0n;
  let interest = 0n;
  let lateFees = 0n;
  let interestWaived = 0n;
  const waivedInstallmentIds: string[] = [];
  let currentSeen = false;
  for (const i of ordered) {
    if (outstanding(i) <= 0n) continue;
    principal += i.principalDue - i.paidPrincipal;
    lateFees += i.lateFeeDue - i.paidLateFee;
    const unpaidInterest = i.interestDue - i.paidInterest;
    if (i.dueDate < asOf) {
      interest += unpaidInterest;
    } else if (!currentSeen) {
      currentSeen = true;
      interest += unpaidInterest;
    } else {
      interestWaived += unpaidInterest;
      if (unpaidInterest > 0n) waivedInstallmentIds.push(i.id);
    }
  }
  return { asOf, principal, interest, lateFees, interestWaived, amount: principal + interest + lateFees, waivedInstallmentIds };
}

/** A transaction to post again, in order. */
export interface Posting {
  id: string;
  amount: bigint;
  paidAt: Date;
}

export interface ReplayedInstallment extends InstallmentAmounts {
  /** When the installment became fully paid, if it did in the replay. */
  completedAt: Date | null;
}

export interface ReplayResult {
  installments: ReplayedInstallment[];
  postings: { id: string; allocations: Allocation[]; walletCredit: bigint }[];
}

/**
 * RULES 12.3: `base` is the loan's installments with the reversed transaction's and every later
 * transaction's allocations already taken off; the later transactions are posted again, in the
 * order given, by section 8's allocation. An installment a posting leaves fully paid records that
 * posting's `paidAt` (`completedAt`).
 */
export function replayPostings(base: readonly InstallmentAmounts[], postings: readonly Posting[]): ReplayResult {
  const state: ReplayedInstallment[] = [...base]
    .sort((a, b) => a.installmentNumber - b.installmentNumber)
    .map((i) => ({ ...i, completedAt: null }));
  const byId = new Map(state.map((i) => [i.id, i]));
  const out: ReplayResult["postings"] = [];
  for (const posting of postings) {
    const { allocations, walletCredit } = allocate(posting.amount, duesOf(state));
    for (const a of allocations) {
      const i = byId.get(a.paymentId)!;
      i.paidPrincipal += a.principal;
      i.paidInterest += a.interest;
      i.paidLateFee += a.lateFee;
      if (outstanding(i) === 0n) i.completedAt = posting.paidAt;
    }
    out.push({ id: posting.id, allocations, walletCredit });
  }
  return { installments: state, postings: out };
}

/** Whether a transaction comes after `t` for a reversal of `t` (RULES 12.3). */
export function comesAfter(x: { paidAt: Date; createdAt: Date }, t: { paidAt: Date; createdAt: Date }): boolean {
  if (x.createdAt.getTime() > t.createdAt.getTime()) return true;
  const dp = x.paidAt.getTime() - t.paidAt.getTime();
  return dp > 0 || (dp === 0 && x.createdAt.getTime() > t.createdAt.getTime());
}

/** Re-posting order: (paidAt, createdAt). */
export function postingOrder(a: { paidAt: Date; createdAt: Date; id: string }, b: { paidAt: Date; createdAt: Date; id: string }): number {
  return a.paidAt.getTime() - b.paidAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
