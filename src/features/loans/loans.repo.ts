import { and, eq, gte, sql, type SQL } from "drizzle-orm";
import { loanScope } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { queryRows } from "../../db/client.js";
import { anyId, countPerParent, countRows, pagePerParent, pageRows, statusIn } from "../../db/queries.js";
import { loans, type LoanRow } from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { isUuid } from "../../shared/ids.js";

export interface LoanFilterInput {
  status?: string[] | null;
  partnerId?: string | null;
  customerId?: string | null;
  minDaysPastDue?: number | null;
}

export function loanFilterConds(f: LoanFilterInput | null | undefined): (SQL | undefined)[] {
  if (!f) return [];
  const idEq = (col: typeof loans.partnerId | typeof loans.customerId, id: string) =>
    isUuid(id) ? eq(col, id.toLowerCase()) : sql`false`;
  return [
    statusIn(loans.status, f.status),
    f.partnerId != null ? idEq(loans.partnerId, f.partnerId) : undefined,
    f.customerId != null ? idEq(loans.customerId, f.customerId) : undefined,
    f.minDaysPastDue != null ? gte(loans.daysPastDue, f.minDaysPastDue) : undefined,
  ];
}

export async function loansByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<LoanRow[]> {
  return db.select().from(loans).where(and(anyId(loans.id, ids), loanScope(viewer)));
}

export async function loansByApplicationIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<Map<string, LoanRow>> {
  const rows = await db.select().from(loans).where(and(anyId(loans.applicationId, ids), loanScope(viewer)));
  return new Map(rows.map((r) => [r.applicationId, r]));
}

export async function listLoans(db: DbOrTx, viewer: Viewer, f: LoanFilterInput | null | undefined, args: PageArgs) {
  return pageRows(db, loans, [loanScope(viewer), ...loanFilterConds(f)], args);
}

export async function countLoans(db: DbOrTx, viewer: Viewer, f: LoanFilterInput | null | undefined) {
  return countRows(db, loans, [loanScope(viewer), ...loanFilterConds(f)]);
}

export type LoanParent = "customerId" | "partnerId";

export async function loansPerParent(db: DbOrTx, viewer: Viewer, parent: LoanParent, ids: string[], status: string[] | null | undefined, args: PageArgs) {
  return pagePerParent(db, loans, loans[parent], ids, [loanScope(viewer), statusIn(loans.status, status)], args);
}

export async function countLoansPerParent(db: DbOrTx, viewer: Viewer, parent: LoanParent, ids: string[], status: string[] | null | undefined) {
  return countPerParent(db, loans, loans[parent], ids, [loanScope(viewer), statusIn(loans.status, status)]);
}

/** Per loan: Σ due, Σ paid over its installments (totalDue, totalPaid, outstandingAmount). */
export interface LoanTotals {
  loanId: string;
  totalDue: bigint;
  totalPaid: bigint;
}

export async function loanTotals(db: DbOrTx, loanIds: string[]): Promise<Map<string, LoanTotals>> {
  const rows = await queryRows<{ loan_id: string; total_due: string; total_paid: string }>(
    db,
    sql`select loan_id, sum(principal_due + interest_due + late_fee_due)::text as total_due, sum(paid_amount)::text as total_paid
        from payments where loan_id = any(${`{${loanIds.join(",")}}`}::uuid[]) group by loan_id`,
  );
  return new Map(rows.map((r) => [r.loan_id, { loanId: r.loan_id, totalDue: BigInt(r.total_due), totalPaid: BigInt(r.total_paid) }]));
}

export interface PortfolioRow {
  status: string;
  count: number;
  disbursed: bigint;
  outstanding: bigint;
}

/** Loans by status with disbursed and outstanding sums; partnerId null = all loans. */
export async function portfolioByStatus(db: DbOrTx, partnerId: string | null): Promise<PortfolioRow[]> {
  const where = partnerId ? sql`where l.partner_id = ${partnerId}::uuid` : sql``;
  const rows = await queryRows<{ status: string; n: number; disbursed: string; outstanding: string }>(
    db,
    sql`select l.status, count(*)::int as n,
               coalesce(sum(case when l.disbursed_at is not null then l.disbursed_amount else 0 end), 0)::text as disbursed,
               coalesce(sum(o.outstanding), 0)::text as outstanding
        from loans l
        left join lateral (
          select sum(p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount) as outstanding
          from payments p where p.loan_id = l.id
        ) o on true
        ${where}
        group by l.status order by l.status`,
  );
  return rows.map((r) => ({ status: r.status, count: r.n, disbursed: BigInt(r.disbursed), outstanding: BigInt(r.outstanding) }));
}

export async function collectedTotal(db: DbOrTx, partnerId: string | null): Promise<bigint> {
  const where = partnerId ? sql`where l.partner_id = ${partnerId}::uuid` : sql``;
  const [row] = await queryRows<{ total: string }>(
    db,
    sql`select coalesce(sum(t.amount), 0)::text as total from payment_transactions t join loans l on l.id = t.loan_id ${where}`,
  );
  return BigInt(row?.total ?? "0");
}
