/**
 * The writes to installments other features make in their transaction: a disbursement creates a
 * loan's schedule, the daily update saves what it evaluated. (This feature's own commands use
 * installments.repo.ts directly.)
 */
import type { Tx } from "../../db/client.js";
import { unpaidPaymentStatus } from "../../domain/installments.js";
import { daysBetween } from "../../shared/dates.js";
import { insertInstallments, writeInstallments, type InstallmentWrite } from "./installments.repo.js";

/** One installment of a schedule. */
export interface ScheduledInstallment {
  installmentNumber: number;
  dueDate: string;
  principal: bigint;
  interest: bigint;
}

/** The loan's installment rows, one per scheduled installment, evaluated as of `loanDate` (dpd 0). */
export async function scheduleInstallments(
  tx: Tx,
  loanId: string,
  schedule: readonly ScheduledInstallment[],
  loanDate: string,
  now: Date,
): Promise<void> {
  await insertInstallments(
    tx,
    schedule.map((i) => ({
      loanId,
      installmentNumber: i.installmentNumber,
      dueDate: i.dueDate,
      principalDue: i.principal,
      interestDue: i.interest,
      status: unpaidPaymentStatus(daysBetween(i.dueDate, loanDate)),
      daysPastDue: 0,
      createdAt: now,
      updatedAt: now,
    })),
  );
}

/** Saves installments' new state (one statement). */
export function saveInstallments(tx: Tx, rows: readonly InstallmentWrite[], now: Date): Promise<void> {
  return writeInstallments(tx, rows, now);
}
