/**
 * How `portfolioSummary` is computed (RULES §6), once, as SQL (src/graphql/read-model.ts,
 * ComputedModel): the book's loans grouped by status and days-past-due bucket ("__pb") and the
 * money collected ("__pc"), then each figure of the summary as an expression over them. The
 * repository (portfolio.repo.ts) selects every field; the SQL compiler renders the fields a query
 * selects, in the same expressions, as the JSON the resolvers would send.
 */
import { sql, type SQL } from "drizzle-orm";
import { loans, partners } from "../../db/schema.js";
import { computed, type ComputedModel } from "../../graphql/read-model.js";
import { isActiveLoanStatus, LOAN_STATUS_CODES, LOAN_STATUSES, type LoanStatus } from "../../domain/statuses.js";
import { isUuid } from "../../shared/ids.js";
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

/** Money went out: active, paid off or written off (not INACTIVE, CANCELLED, DISBURSAL_FAILED). */
export function isDisbursedLoanStatus(s: LoanStatus): boolean {
  return isActiveLoanStatus(s) || s === "PAID_OFF" || s === "WRITTEN_OFF";
}

const int = (n: number | null) => {
  if (n !== null && !Number.isInteger(n)) throw new Error(`not an integer: ${n}`);
  return sql.raw(n === null ? "null::int" : String(n));
};
const statusList = (statuses: readonly string[]) => {
  for (const s of statuses) if (!/^[A-Z0-9_]+$/.test(s)) throw new Error(`bad status ${s}`);
  return sql.raw(statuses.map((s) => `'${s}'`).join(", "));
};
const ACTIVE = statusList(LOAN_STATUSES.filter(isActiveLoanStatus));
const DISBURSED = statusList(LOAN_STATUSES.filter(isDisbursedLoanStatus));

/** Index into DPD_BUCKETS of a loan's stored daysPastDue. */
const bucketOf = sql.join(
  [
    sql`case`,
    ...DPD_BUCKETS.slice(0, -1).map((b, i) => sql`when ${loans.daysPastDue} <= ${int(b.maxDays)} then ${int(i)}`),
    sql`else ${int(DPD_BUCKETS.length - 1)} end`,
  ],
  sql` `,
);

/**
 * The rows every figure adds up, for one partner's book (`partner`: its id as a bound value or a
 * placeholder, cast to uuid here) or every loan (undefined; the caller has checked the scope).
 * "__pb": loans grouped by status and bucket, with Σ disbursedAmount and Σ outstanding (the read
 * model's Loan.outstandingAmount); "__pc": Σ amount of the non-reversed transactions (RULES §12.3).
 */
export function portfolioWith(partner: SQL | undefined): SQL {
  const where = partner ? sql`where ${loans.partnerId} = ${partner}::uuid` : sql``;
  const partnerOfTx = partner ? sql`and l.partner_id = ${partner}::uuid` : sql``;
  return sql`with "__pb" as (
      select ${loans.status} as status, (${bucketOf})::int as bucket, count(*)::int as n,
             coalesce(sum(${loans.disbursedAmount}), 0) as disbursed,
             coalesce(sum(${loanRead.fields.outstandingAmount.sql("ADMIN")}), 0) as outstanding
      from ${loans} ${where} group by 1, 2
    ), "__pc" as (
      select coalesce(sum(t.amount), 0) as total from payment_transactions t join loans l on l.id = t.loan_id
      where t.reversed_at is null ${partnerOfTx}
    )`;
}

const statusCount: ComputedModel = {
  typeName: "LoanStatusCount",
  fields: {
    status: computed("Enum", sql`"__s"."status"`, LOAN_STATUSES),
    count: computed("Int", sql`"__s"."n"`),
    outstandingAmount: computed("Money", sql`"__s"."outstanding"`),
  },
};

const dpdBucket: ComputedModel = {
  typeName: "DaysPastDueBucket",
  fields: {
    label: computed("String", sql`"__d"."label"`),
    minDays: computed("Int", sql`"__d"."min_days"`),
    maxDays: computed("Int", sql`"__d"."max_days"`),
    count: computed("Int", sql`"__d"."n"`),
    outstandingAmount: computed("Money", sql`"__d"."outstanding"`),
  },
};

const buckets = sql.join(
  DPD_BUCKETS.map((b, i) => sql`(${int(i)}, ${sql.raw(`'${b.label.replace(/'/g, "''")}'`)}, ${int(b.minDays)}, ${int(b.maxDays)})`),
  sql`, `,
);
const statusOrder = sql.raw(
  `coalesce(case "__s"."status" ${Object.entries(LOAN_STATUS_CODES)
    .map(([s, c]) => `when '${s}' then ${Number(c)}`)
    .join(" ")} end, 0), "__s"."status"`,
);

export const portfolioSummaryRead: ComputedModel = {
  typeName: "PortfolioSummary",
  fields: {
    loanCount: computed("Int", sql`(select coalesce(sum(n), 0)::int from "__pb")`),
    activeLoanCount: computed("Int", sql`(select coalesce(sum(n), 0)::int from "__pb" where status in (${ACTIVE}))`),
    disbursedTotal: computed("Money", sql`(select coalesce(sum(disbursed), 0) from "__pb" where status in (${DISBURSED}))`),
    collectedTotal: computed("Money", sql`(select total from "__pc")`),
    outstandingAmount: computed("Money", sql`(select coalesce(sum(outstanding), 0) from "__pb" where status in (${ACTIVE}))`),
    // Ordered by status code.
    byStatus: {
      kind: "rows",
      target: statusCount,
      from: sql`(select status, sum(n)::int as n, sum(outstanding) as outstanding from "__pb" group by status) "__s"`,
      orderBy: statusOrder,
    },
    // The active loans in every bucket, in order, zeros included.
    byDaysPastDue: {
      kind: "rows",
      target: dpdBucket,
      from: sql`(select d.i, d.label, d.min_days, d.max_days, coalesce(sum(b.n), 0)::int as n, coalesce(sum(b.outstanding), 0) as outstanding
        from (values ${buckets}) as d(i, label, min_days, max_days)
        left join "__pb" b on b.bucket = d.i and b.status in (${ACTIVE})
        group by d.i, d.label, d.min_days, d.max_days) "__d"`,
      orderBy: sql`"__d"."i"`,
    },
  },
};

/**
 * Whose book a compiled portfolioSummary covers, or "resolvers" where loan.service.ts's
 * portfolioScope answers with an error (NOT_FOUND, FORBIDDEN), so the error stays its own. An
 * ADMIN's partner must exist: the compiler checks that in SQL (`mustExist`).
 */
export function compiledPortfolioScope(
  role: "ADMIN" | "PARTNER" | "CUSTOMER",
  partnerId: string | null | undefined,
  viewerPartnerId: string | null,
): "resolvers" | { partner: "viewer" | "arg" | undefined } {
  if (role === "PARTNER") {
    if (partnerId != null && partnerId.toLowerCase() !== viewerPartnerId) return "resolvers";
    return { partner: "viewer" };
  }
  if (role === "ADMIN") {
    if (partnerId == null) return { partner: undefined };
    return isUuid(partnerId) ? { partner: "arg" } : "resolvers";
  }
  return "resolvers";
}

/**
 * The compiled `portfolioSummary(partnerId)` root (src/server/compiler/read-models.ts): the WITH
 * clause of the request's book, or "resolvers" where they answer with an error. `bind` binds the
 * partnerId argument; `viewer` is the statement's viewer-id placeholder.
 */
export function portfolioPrelude(
  role: "ADMIN" | "PARTNER" | "CUSTOMER",
  args: { partnerId?: unknown },
  viewerPartnerId: string | null,
  viewer: SQL,
  bind: (v: unknown) => SQL,
): "resolvers" | { shape: string; with: SQL; mustExist?: SQL } {
  const partnerId = args.partnerId as string | null | undefined;
  const scope = compiledPortfolioScope(role, partnerId, viewerPartnerId);
  if (scope === "resolvers") return scope;
  if (scope.partner === "viewer") return { shape: "pv", with: portfolioWith(viewer) };
  if (scope.partner === undefined) return { shape: "p-", with: portfolioWith(undefined) };
  const p = bind(partnerId!.toLowerCase());
  return { shape: "pa", with: portfolioWith(p), mustExist: sql`exists (select 1 from ${partners} where ${partners.id} = ${p}::uuid)` };
}
