/**
 * Reads behind the partner dashboard's charts (RULES §6 portfolioSummary and portfolioSeries):
 * the book by status and days-past-due bucket, and money disbursed and collected per Asia/Jakarta
 * day. Each is one SQL statement; partnerId null = every loan (the caller has checked the scope).
 */
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { queryRows } from "../../db/client.js";
import { loans } from "../../db/schema.js";
import { loanRead } from "./loan.read.js";

/** Days-past-due buckets of the active book, in order: [minDays, maxDays] (null = no upper end). */
export const DPD_BUCKETS: readonly { label: string; minDays: number; maxDays: number | null }[] = Object.freeze([
  { label: "0", minDays: 0, maxDays: 0 },
  { label: "1-4", minDays: 1, maxDays: 4 },
  { label: "5-29", minDays: 5, maxDays: 29 },
  { label: "30-59", minDays: 30, maxDays: 59 },
  { label: "60-89", minDays: 60, maxDays: 89 },
  { label: "90+", minDays: 90, maxDays: null },
]);

export interface BreakdownRow {
  status: string;
  /** Index into DPD_BUCKETS of the loans' stored daysPastDue. */
  bucket: number;
  count: number;
  disbursed: bigint;
  outstanding: bigint;
}

/**
 * Loans grouped by status and days-past-due bucket, with Σ disbursedAmount and Σ outstanding (the
 * read model's Loan.outstandingAmount). Which statuses count as disbursed or active is the
 * caller's rule.
 */
export async function portfolioBreakdown(db: DbOrTx, partnerId: string | null): Promise<BreakdownRow[]> {
  const where = partnerId ? sql`where ${loans.partnerId} = ${partnerId}::uuid` : sql``;
  const outstanding = loanRead.fields.outstandingAmount.sql("ADMIN");
  const bucket = sql.join(
    [
      sql`case`,
      ...DPD_BUCKETS.slice(0, -1).map((b, i) => sql`when ${loans.daysPastDue} <= ${sql.raw(String(b.maxDays))} then ${sql.raw(String(i))}`),
      sql`else ${sql.raw(String(DPD_BUCKETS.length - 1))} end`,
    ],
    sql` `,
  );
  const rows = await queryRows<{ status: string; bucket: number; n: number; disbursed: string; outstanding: string }>(
    db,
    sql`select ${loans.status} as status, (${bucket})::int as bucket, count(*)::int as n,
               coalesce(sum(${loans.disbursedAmount}), 0)::text as disbursed,
               coalesce(sum(${outstanding}), 0)::text as outstanding
        from ${loans}
        ${where}
        group by 1, 2`,
  );
  return rows.map((r) => ({ status: r.status, bucket: Number(r.bucket), count: Number(r.n), disbursed: BigInt(r.disbursed), outstanding: BigInt(r.outstanding) }));
}

export interface SeriesRow {
  date: string;
  disbursedCount: number;
  disbursedAmount: bigint;
  collectedCount: number;
  collectedAmount: bigint;
}

/**
 * One row per Asia/Jakarta day in [from, to] (both YYYY-MM-DD, from ≤ to), zeros included:
 * Σ disbursedAmount of the loans disbursed that day (those portfolioSummary.disbursedTotal counts:
 * not INACTIVE, CANCELLED or DISBURSAL_FAILED) and Σ amount of the non-reversed PAYMENT and
 * SETTLEMENT transactions paid that day (as collectedTotal, RULES §12.3). Jakarta is UTC+7 all
 * year: a day is [d 00:00+07, d+1 00:00+07), whatever the session's time zone.
 */
export async function portfolioSeriesRows(db: DbOrTx, partnerId: string | null, from: string, to: string): Promise<SeriesRow[]> {
  const loanPartner = partnerId ? sql`and l.partner_id = ${partnerId}::uuid` : sql``;
  // The instants bounding the period, and a timestamptz's Jakarta date.
  const start = sql`((${from}::date)::timestamp - interval '7 hours') at time zone 'UTC'`;
  const end = sql`((${to}::date + 1)::timestamp - interval '7 hours') at time zone 'UTC'`;
  const jakartaDay = (col: string) => sql`((${sql.raw(col)} at time zone 'UTC') + interval '7 hours')::date`;
  const rows = await queryRows<{ day: string; dn: number; da: string; cn: number; ca: string }>(
    db,
    sql`with days as (
          select d::date as day from generate_series(${from}::date, ${to}::date, interval '1 day') as d
        ), disbursed as (
          select ${jakartaDay("l.disbursed_at")} as day, count(*)::int as n, sum(l.disbursed_amount) as amount
          from loans l
          where l.disbursed_at >= ${start} and l.disbursed_at < ${end}
            and l.status not in ('INACTIVE', 'CANCELLED', 'DISBURSAL_FAILED') ${loanPartner}
          group by 1
        ), collected as (
          select ${jakartaDay("t.paid_at")} as day, count(*)::int as n, sum(t.amount) as amount
          from payment_transactions t join loans l on l.id = t.loan_id
          where t.paid_at >= ${start} and t.paid_at < ${end}
            and t.reversed_at is null and t.kind in ('PAYMENT', 'SETTLEMENT') ${loanPartner}
          group by 1
        )
        select to_char(days.day, 'YYYY-MM-DD') as day,
               coalesce(disbursed.n, 0)::int as dn, coalesce(disbursed.amount, 0)::text as da,
               coalesce(collected.n, 0)::int as cn, coalesce(collected.amount, 0)::text as ca
        from days
        left join disbursed on disbursed.day = days.day
        left join collected on collected.day = days.day
        order by days.day`,
  );
  return rows.map((r) => ({
    date: r.day,
    disbursedCount: Number(r.dn),
    disbursedAmount: BigInt(r.da),
    collectedCount: Number(r.cn),
    collectedAmount: BigInt(r.ca),
  }));
}
