/**
 * Allocation of money received for a loan (RULES §8): oldest installment first; inside one,
 * principal → interest → late fee; whatever is left goes to the customer's wallet.
 */
import { minBig } from "../../shared/money.js";

export interface InstallmentDue {
  paymentId: string;
  installmentNumber: number;
  principalOutstanding: bigint;
  interestOutstanding: bigint;
  lateFeeOutstanding: bigint;
}

/** An installment's amounts as stored: due and paid, per component. */
export interface InstallmentAmounts {
  id: string;
  installmentNumber: number;
  dueDate: string;
  principalDue: bigint;
  interestDue: bigint;
  lateFeeDue: bigint;
  paidPrincipal: bigint;
  paidInterest: bigint;
  paidLateFee: bigint;
}

/** What is still owed on each installment, per component (the input of `allocate`). */
export function duesOf(installments: readonly InstallmentAmounts[]): InstallmentDue[] {
  return installments.map((i) => ({
    paymentId: i.id,
    installmentNumber: i.installmentNumber,
    principalOutstanding: i.principalDue - i.paidPrincipal,
    interestOutstanding: i.interestDue - i.paidInterest,
    lateFeeOutstanding: i.lateFeeDue - i.paidLateFee,
  }));
}

export interface Allocation {
  paymentId: string;
  installmentNumber: number;
  principal: bigint;
  interest: bigint;
  lateFee: bigint;
}

/**
 * Splits `amount` (> 0) over `dues` in ascending installmentNumber, whatever the input order.
 * Only installments that receive something get a row (in that order); `Σ allocations +
 * walletCredit = amount` always. Throws RangeError for a non-positive amount or a negative
 * outstanding component.
 */
export function allocate(amount: bigint, dues: InstallmentDue[]): { allocations: Allocation[]; walletCredit: bigint } {
  if (typeof amount !== "bigint" || amount <= 0n) throw new RangeError("amount must be a positive bigint");
  for (const d of dues) {
    if (d.principalOutstanding < 0n || d.interestOutstanding < 0n || d.lateFeeOutstanding < 0n) {
      throw new RangeError(`installment ${d.installmentNumber} has a negative outstanding amount`);
    }
  }
  const ordered = [...dues].sort((a, b) => a.installmentNumber - b.installmentNumber);
  let left = amount;
  const allocations: Allocation[] = [];
  for (const d of ordered) {
    if (left === 0n) break;
    const principal = minBig(left, d.principalOutstanding);
    left -= principal;
    const interest = minBig(left, d.interestOutstanding);
    left -= interest;
    const lateFee = minBig(left, d.lateFeeOutstanding);
    left -= lateFee;
    if (principal + interest + lateFee > 0n) {
      allocations.push({ paymentId: d.paymentId, installmentNumber: d.installmentNumber, principal, interest, lateFee });
    }
  }
  return { allocations, walletCredit: left };
}
