/**
 * The writes to loans, in the caller's transaction: the loan commands use them, and so do other
 * features' commands that create, cancel or re-evaluate a loan (accepting an offer, cancelling an
 * application, a payment, a reversal). Each returns the status change to record, so the caller
 * records all of its changes together in the order it chooses.
 */
import type { Tx } from "../../db/client.js";
import type { LoanRow } from "../../db/schema.js";
import type { InstallmentsEvaluation } from "../../domain/installments.js";
import { statusChange, type ChangeNote, type StatusChangeInput } from "../../domain/status-changes.js";
import type { LoanStatus } from "../../domain/statuses.js";
import { insertLoan, setLoanStatus, updateLoanEvaluation } from "./loans.repo.js";

/** A new INACTIVE loan (an accepted offer) and its creation change. */
export async function openLoan(
  tx: Tx,
  values: Omit<Parameters<typeof insertLoan>[1], "status" | "createdAt" | "updatedAt">,
  note: ChangeNote,
): Promise<{ loan: LoanRow; change: StatusChangeInput }> {
  const status: LoanStatus = "INACTIVE";
  const loan = await insertLoan(tx, { ...values, status, createdAt: note.at, updatedAt: note.at });
  return { loan, change: statusChange("LOAN", loan, null, status, note) };
}

/** Sets the (locked) loan's status to `to`, a move the caller took from the state machine. */
export async function setLoanStatusTo(tx: Tx, loan: LoanRow, to: LoanStatus, note: ChangeNote): Promise<{ loan: LoanRow; change: StatusChangeInput }> {
  const updated = await setLoanStatus(tx, loan.id, to, note.at);
  return { loan: updated, change: statusChange("LOAN", loan, loan.status as LoanStatus, to, note) };
}

/**
 * The (locked) loan's status and dpd as evaluated from its installments (a payment, a reversal):
 * written when either changed; the change is null when the status stays.
 */
export async function saveLoanEvaluation(
  tx: Tx,
  loan: LoanRow,
  evaluated: InstallmentsEvaluation["loan"],
  note: ChangeNote,
): Promise<StatusChangeInput | null> {
  const from = loan.status as LoanStatus;
  if (evaluated.status !== from || evaluated.daysPastDue !== loan.daysPastDue) {
    await updateLoanEvaluation(tx, loan.id, evaluated.status, evaluated.daysPastDue, note.at);
  }
  return evaluated.status !== from ? statusChange("LOAN", loan, from, evaluated.status, note) : null;
}
