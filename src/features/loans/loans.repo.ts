import { and, eq, sql } from "drizzle-orm";
import { loanScope, visible } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { anyId, arrayParam, countPerParent, countRows, pagePerParent, pageRows, statusIn } from "../../db/queries.js";
import { dailyUpdateRuns, loanProducts, loans, type LoanRow } from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { isUuid } from "../../shared/ids.js";
import { filterConds, readByIds, readColumns, readRows } from "../../graphql/read-model.js";
import { loanRead } from "./loan.read.js";
import { ACTIVE_LOAN_STATUSES } from "../../domain/statuses.js";

export interface LoanFilterInput {
  status?: string[] | null;
  partnerId?: string | null;
  customerId?: string | null;
  minDaysPastDue?: number | null;
}

/** The filter's conditions, as declared in the read model (the compiler uses the same). */
const loanFilterConds = (f: LoanFilterInput | null | undefined) => filterConds(loanRead, f);

export async function loansByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<LoanRow[]> {
  return readByIds(db, loanRead, viewer, ids);
}

export async function loansByApplicationIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<Map<string, LoanRow>> {
  const rows = await readRows<LoanRow>(db, loanRead, viewer.role, and(anyId(loans.applicationId, ids), visible(loanScope, viewer)));
  return new Map(rows.map((r) => [r.applicationId, r]));
}

export async function listLoans(db: DbOrTx, viewer: Viewer, f: LoanFilterInput | null | undefined, args: PageArgs) {
  return pageRows(db, loans, [visible(loanScope, viewer), ...loanFilterConds(f)], args, readColumns(loanRead, viewer.role));
}

export async function countLoans(db: DbOrTx, viewer: Viewer, f: LoanFilterInput | null | undefined) {
  return countRows(db, loans, [visible(loanScope, viewer), ...loanFilterConds(f)]);
}

export type LoanParent = "customerId" | "partnerId";

export async function loansPerParent(db: DbOrTx, viewer: Viewer, parent: LoanParent, ids: string[], status: string[] | null | undefined, args: PageArgs) {
  return pagePerParent(db, loans, loans[parent], ids, [visible(loanScope, viewer), ...loanFilterConds({ status })], args, readColumns(loanRead, viewer.role));
}

export async function countLoansPerParent(db: DbOrTx, viewer: Viewer, parent: LoanParent, ids: string[], status: string[] | null | undefined) {
  return countPerParent(db, loans, loans[parent], ids, [visible(loanScope, viewer), ...loanFilterConds({ status })]);
}

// ---------------------------------------------------------------------------------------------
// Mutations. Every function takes the caller's transaction.

export async function insertLoan(tx: DbOrTx, values: typeof loans.$inferInsert): Promise<LoanRow> {
  const [row] = await tx.insert(loans).values(values).returning();
  return row!;
}

/** The loan of an application, locked `for update` (no visibility check: the caller has one). */
export async function lockLoanOfApplication(tx: DbOrTx, applicationId: string): Promise<LoanRow | undefined> {
  const [row] = await tx.select().from(loans).where(eq(loans.applicationId, applicationId)).for("update");
  return row;
}

/** Sets a loan's status (the caller records the status change). */
export async function setLoanStatus(tx: DbOrTx, id: string, status: string, now: Date): Promise<LoanRow> {
  const [row] = await tx.update(loans).set({ status, updatedAt: now }).where(eq(loans.id, id)).returning();
  return row!;
}

// ---------------------------------------------------------------------------------------------
// Disbursement, write-off and the daily update (loan.commands.ts, daily-update.ts). Every function
// below except `activeLoanIds` and `upsertDailyUpdateRun` runs inside the caller's transaction.

/**
 * The application id of a loan the viewer may see (no lock). Commands read it first so they can
 * lock application → loan, the same order as cancelApplication, and never deadlock with it.
 */
export async function applicationIdOfLoan(db: DbOrTx, viewer: Viewer, id: string): Promise<string | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select({ applicationId: loans.applicationId })
    .from(loans)
    .where(and(eq(loans.id, id.toLowerCase()), visible(loanScope, viewer)));
  return row?.applicationId;
}

/** The loan locked `for update`, if the viewer may see it (a non-uuid id matches nothing). */
export async function lockVisibleLoan(tx: DbOrTx, viewer: Viewer, id: string): Promise<LoanRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx
    .select()
    .from(loans)
    .where(and(eq(loans.id, id.toLowerCase()), visible(loanScope, viewer)))
    .for("update");
  return row;
}

export interface ProductTerms {
  originationFeeBps: number;
  lateFeeBps: number;
  minLateFee: bigint;
}

export async function productTermsOf(db: DbOrTx, productId: string): Promise<ProductTerms | undefined> {
  const [row] = await db
    .select({
      originationFeeBps: loanProducts.originationFeeBps,
      lateFeeBps: loanProducts.lateFeeBps,
      minLateFee: loanProducts.minLateFee,
    })
    .from(loanProducts)
    .where(eq(loanProducts.id, productId));
  return row;
}

/** A disbursed loan: its status, disbursement time and the fee/amount of its schedule. */
export async function markLoanDisbursed(
  tx: DbOrTx,
  id: string,
  set: { status: string; disbursedAt: Date; originationFee: bigint; disbursedAmount: bigint },
  now: Date,
): Promise<LoanRow> {
  const [row] = await tx
    .update(loans)
    .set({ ...set, daysPastDue: 0, updatedAt: now })
    .where(eq(loans.id, id))
    .returning();
  return row!;
}

/** Ids of the loans the daily update evaluates, in id order (no lock: batches lock them). */
export async function activeLoanIds(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .select({ id: loans.id })
    .from(loans)
    .where(and(statusIn(loans.status, ACTIVE_LOAN_STATUSES), sql`${loans.disbursedAt} is not null`))
    .orderBy(loans.id);
  return rows.map((r) => r.id);
}

export interface DailyLoanRow {
  id: string;
  status: string;
  daysPastDue: number;
  principal: bigint;
  customerId: string;
  partnerId: string | null;
  lateFeeBps: number;
  minLateFee: bigint;
}

/**
 * The given loans that are still CURRENT/LATE_*, locked `for update` in id order (plain
 * `for update`: a loan being paid is waited for, never skipped). PostgreSQL re-checks the status
 * of a row it waited for, so a loan paid off meanwhile drops out.
 */
export async function lockActiveLoans(tx: DbOrTx, ids: readonly string[]): Promise<DailyLoanRow[]> {
  if (ids.length === 0) return [];
  return tx
    .select({
      id: loans.id,
      status: loans.status,
      daysPastDue: loans.daysPastDue,
      principal: loans.principal,
      customerId: loans.customerId,
      partnerId: loans.partnerId,
      lateFeeBps: loanProducts.lateFeeBps,
      minLateFee: loanProducts.minLateFee,
    })
    .from(loans)
    .innerJoin(loanProducts, eq(loanProducts.id, loans.productId))
    .where(and(anyId(loans.id, ids), statusIn(loans.status, ACTIVE_LOAN_STATUSES), sql`${loans.disbursedAt} is not null`))
    .orderBy(loans.id)
    .for("update", { of: loans });
}

export interface LoanEvaluation {
  id: string;
  status: string;
  daysPastDue: number;
}

/** A loan's new status and dpd (as evaluated from its installments; the caller records the change). */
export async function updateLoanEvaluation(tx: DbOrTx, loanId: string, status: string, daysPastDue: number, now: Date): Promise<void> {
  await tx.update(loans).set({ status, daysPastDue, updatedAt: now }).where(eq(loans.id, loanId));
}

/** Writes the evaluated loans in ONE statement. */
export async function applyLoanEvaluations(tx: DbOrTx, rows: readonly LoanEvaluation[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(sql`
    update loans as l
       set status = v.status,
           days_past_due = v.dpd,
           updated_at = ${now.toISOString()}::timestamptz
      from unnest(${arrayParam(rows.map((r) => r.id))}::uuid[],
                  ${arrayParam(rows.map((r) => r.status))}::text[],
                  ${arrayParam(rows.map((r) => r.daysPastDue))}::int[])
           as v(id, status, dpd)
     where l.id = v.id`);
}

export interface DailyUpdateCounts {
  asOf: string;
  paymentsUpdated: number;
  loansUpdated: number;
  lateFeesApplied: number;
  offersExpired: number;
}

/** One row per asOf, holding the latest run's counts and time. */
export async function upsertDailyUpdateRun(db: DbOrTx, r: DailyUpdateCounts, now: Date): Promise<void> {
  const set = {
    paymentsUpdated: r.paymentsUpdated,
    loansUpdated: r.loansUpdated,
    lateFeesApplied: r.lateFeesApplied,
    offersExpired: r.offersExpired,
    ranAt: now,
  };
  await db
    .insert(dailyUpdateRuns)
    .values({ asOf: r.asOf, ...set })
    .onConflictDoUpdate({ target: dailyUpdateRuns.asOf, set });
}
