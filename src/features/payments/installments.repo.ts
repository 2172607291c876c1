/**
 * Installment rows (the `payments` table): created from a schedule, locked and read by the loan's
 * commands, and written back by ONE statement, whoever changed them (a payment, a settlement, a
 * reversal, the daily update). Every function runs in the caller's transaction, after the loan
 * row was locked.
 */
import { asc, eq, sql } from "drizzle-orm";
import type { DbOrTx, Tx } from "../../db/client.js";
import { anyId, arrayParam } from "../../db/queries.js";
import { payments, type PaymentRow } from "../../db/schema.js";

export type InstallmentRow = PaymentRow;

/** A loan's installments in installment order, locked `for update`. */
export async function lockInstallments(tx: Tx, loanId: string): Promise<InstallmentRow[]> {
  return tx.select().from(payments).where(eq(payments.loanId, loanId)).orderBy(asc(payments.installmentNumber)).for("update");
}

/**
 * Every installment of the given loans (paid ones too: the late-fee cap needs the loan's total
 * interest and late fees), by loan then installment number, in one statement.
 */
export async function installmentsOfLoans(db: DbOrTx, loanIds: readonly string[]): Promise<InstallmentRow[]> {
  if (loanIds.length === 0) return [];
  return db.select().from(payments).where(anyId(payments.loanId, loanIds)).orderBy(payments.loanId, payments.installmentNumber);
}

export async function installmentCount(db: DbOrTx, loanId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(payments).where(eq(payments.loanId, loanId));
  return row?.n ?? 0;
}

export async function insertInstallments(tx: DbOrTx, rows: (typeof payments.$inferInsert)[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(payments).values(rows);
}

/** What changes on an installment after it was created (paidAmount is kept = Σ paid parts). */
export type InstallmentWrite = Pick<
  InstallmentRow,
  | "id"
  | "interestDue"
  | "interestWaived"
  | "lateFeeDue"
  | "lateFeeThresholdsApplied"
  | "paidPrincipal"
  | "paidInterest"
  | "paidLateFee"
  | "status"
  | "daysPastDue"
  | "paidAt"
>;

/** Writes the given installments' new state in ONE statement (`update … from unnest(…)`). */
export async function writeInstallments(tx: DbOrTx, rows: readonly InstallmentWrite[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof InstallmentWrite>(k: K) => arrayParam(rows.map((r) => r[k] as string | number | bigint | Date | null));
  await tx.execute(sql`
    update payments as p
       set interest_due = v.interest_due,
           interest_waived = v.interest_waived,
           late_fee_due = v.late_fee_due,
           late_fee_thresholds_applied = v.thresholds,
           paid_principal = v.paid_principal,
           paid_interest = v.paid_interest,
           paid_late_fee = v.paid_late_fee,
           paid_amount = v.paid_principal + v.paid_interest + v.paid_late_fee,
           status = v.status,
           days_past_due = v.dpd,
           paid_at = v.paid_at,
           updated_at = ${now.toISOString()}::timestamptz
      from unnest(${col("id")}::uuid[],
                  ${col("interestDue")}::bigint[],
                  ${col("interestWaived")}::bigint[],
                  ${col("lateFeeDue")}::bigint[],
                  ${col("lateFeeThresholdsApplied")}::int[],
                  ${col("paidPrincipal")}::bigint[],
                  ${col("paidInterest")}::bigint[],
                  ${col("paidLateFee")}::bigint[],
                  ${col("status")}::text[],
                  ${col("daysPastDue")}::int[],
                  ${col("paidAt")}::timestamptz[])
           as v(id, interest_due, interest_waived, late_fee_due, thresholds, paid_principal, paid_interest, paid_late_fee, status, dpd, paid_at)
     where p.id = v.id`);
}
