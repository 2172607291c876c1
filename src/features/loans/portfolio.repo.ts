/**
 * Reads behind the partner dashboard's charts (RULES §6 portfolioSummary and portfolioSeries):
 * the summary of the book (as declared in portfolio.read.ts, which the SQL compiler uses too), and
 * money disbursed and collected per Asia/Jakarta day. Each is one SQL statement; partnerId null =
 * every loan (the caller has checked the scope).
 */
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { queryRows } from "../../db/client.js";
import { computedColumns } from "../../graphql/read-model.js";
import { DPD_BUCKETS, portfolioSummaryRead, portfolioWith } from "./portfolio.read.js";

export { DPD_BUCKETS };

/**
 * portfolioSummary for one partner's book or every loan (null; the caller has checked the
 * scope): every field of portfolio.read.ts's declaration in one statement, as the resolvers
 * return it (Money as bigint).
 */
export async function portfolioSummaryRow(db: DbOrTx, partnerId: string | null): Promise<Record<string, unknown>> {
  const { select, decode } = computedColumns(portfolioSummaryRead);
  const [row] = await queryRows<Record<string, unknown>>(db, sql`${portfolioWith(partnerId ? sql`${partnerId}` : undefined)} select ${select}`);
  return decode(row!);
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
