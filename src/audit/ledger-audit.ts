/**
 * Ledger audit: every money and status invariant of RULES §5–§8 and §12 checked on the whole database
 * with set-based SQL (one statement per check, aggregated on the server), so it stays fast on a
 * large book (20,000 customers / 135,000 installments). Nothing is written.
 *
 * Run against a `Db`, the checks share one REPEATABLE READ, READ ONLY snapshot (a running
 * gateway posting payments meanwhile cannot produce false violations). Run against a `Tx`, they
 * see that transaction (tests corrupt rows inside a transaction and roll it back).
 *
 * `customerIds` limits every check to the rows of those customers (their applications, loans,
 * installments, transactions, allocations and status history); history rows whose entity does
 * not exist belong to no customer and are only reported by an unscoped audit.
 */
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type DbOrTx, type Tx } from "../db/client.js";
import { APPLICATION_STATUS_CODES } from "../domain/statuses.js";
import { LOAN_STATUS_CODES } from "../domain/statuses.js";
import { uuidArrayParam } from "../shared/ids.js";

export interface AuditCheck {
  name: string;
  description: string;
  violations: number;
  /** Up to 5 offending rows: the id and what is wrong. */
  examples: string[];
}

export interface AuditReport {
  ok: boolean;
  checks: AuditCheck[];
}

export interface AuditOptions {
  /** Only the rows of these customers (an empty list audits nothing). */
  customerIds?: readonly string[];
}

export const MAX_EXAMPLES = 5;

const PAID_STATUSES = ["PAID_ON_TIME", "PAID_WITHIN_GRACE", "PAID_LATE"];
const ACTIVE_LOAN_STATUSES = ["CURRENT", "LATE_1DPD", "LATE_5DPD", "LATE_30DPD", "LATE_60DPD", "LATE_90DPD", "LATE_120DPD", "LATE_150DPD", "LATE_180DPD"];
const DISBURSED_LOAN_STATUSES = [...ACTIVE_LOAN_STATUSES, "PAID_OFF", "WRITTEN_OFF"];
const UNDISBURSED_LOAN_STATUSES = ["INACTIVE", "CANCELLED", "DISBURSAL_FAILED"];
/** Applications in these statuses have exactly one loan; in any other, none. */
const APPLICATION_STATUSES_WITH_LOAN = ["OFFER_ACCEPTED", "FUND_DISBURSAL_SUCCESSFUL", "FUND_DISBURSAL_FAILED"];

/** `('A','B')` as a text[] parameter (constants of this module only). */
const textArray = (values: readonly string[]) => sql`${`{${values.join(",")}}`}::text[]`;

/** (status, code) rows of a status code table. */
function codeTable(codes: Readonly<Record<string, number>>): SQL {
  const rows = Object.entries(codes).map(([status, code]) => sql`(${status}::text, ${code}::int)`);
  return sql`(values ${sql.join(rows, sql`, `)})`;
}

interface CheckDef {
  name: string;
  description: string;
  /** A query returning the offending rows as (detail text); counted and sampled by the caller. */
  violations: (scope: Scope) => SQL;
}

interface Scope {
  /** A condition on a customer id column: true when unscoped. */
  customer(col: SQL): SQL;
  scoped: boolean;
}

function makeScope(customerIds: readonly string[] | undefined): Scope {
  if (customerIds === undefined) return { customer: () => sql`true`, scoped: false };
  const param = uuidArrayParam(customerIds);
  return { customer: (col) => sql`${col} = any(${param}::uuid[])`, scoped: true };
}

/** Σ of each installment's allocations of transactions not reversed, per component (RULES §12.3). */
const allocationSums = sql`(select a.payment_id, sum(a.principal) as principal, sum(a.interest) as interest, sum(a.late_fee) as late_fee
  from payment_allocations a join payment_transactions t on t.id = a.transaction_id
  where t.reversed_at is null group by a.payment_id)`;

const CHECKS: CheckDef[] = [
  {
    name: "transaction_amount_balanced",
    description: "Every payment transaction's amount = Σ its allocations + walletCredit (RULES §8).",
    violations: (s) => sql`
      select t.id || ': amount ' || t.amount || ' <> allocated ' || coalesce(a.total, 0) || ' + walletCredit ' || t.wallet_credit as detail
      from payment_transactions t
      left join (select transaction_id, sum(principal + interest + late_fee) as total from payment_allocations group by transaction_id) a
        on a.transaction_id = t.id
      where ${s.customer(sql`t.customer_id`)} and t.amount <> coalesce(a.total, 0) + t.wallet_credit`,
  },
  {
    name: "transaction_belongs_to_loan",
    description: "A transaction's customer is its loan's customer, and each allocation pays an installment of the transaction's loan.",
    violations: (s) => sql`
      select t.id || ': customer ' || t.customer_id || ' but loan ' || l.id || ' belongs to ' || l.customer_id as detail
      from payment_transactions t join loans l on l.id = t.loan_id
      where ${s.customer(sql`t.customer_id`)} and t.customer_id <> l.customer_id
      union all
      select 'allocation ' || a.id || ': transaction ' || t.id || ' is for loan ' || t.loan_id || ', installment ' || p.id || ' of loan ' || p.loan_id
      from payment_allocations a join payment_transactions t on t.id = a.transaction_id join payments p on p.id = a.payment_id
      where ${s.customer(sql`t.customer_id`)} and p.loan_id <> t.loan_id`,
  },
  {
    name: "installment_paid_within_due",
    description: "Per installment 0 ≤ paidPrincipal ≤ principalDue, 0 ≤ paidInterest ≤ interestDue, 0 ≤ paidLateFee ≤ lateFeeDue, and paidAmount = their sum.",
    violations: (s) => sql`
      select p.id || ': paid ' || p.paid_principal || '/' || p.paid_interest || '/' || p.paid_late_fee || ' (sum ' || p.paid_amount
        || ') of due ' || p.principal_due || '/' || p.interest_due || '/' || p.late_fee_due as detail
      from payments p join loans l on l.id = p.loan_id
      where ${s.customer(sql`l.customer_id`)}
        and (p.paid_principal < 0 or p.paid_interest < 0 or p.paid_late_fee < 0
          or p.paid_principal > p.principal_due or p.paid_interest > p.interest_due or p.paid_late_fee > p.late_fee_due
          or p.paid_amount <> p.paid_principal + p.paid_interest + p.paid_late_fee)`,
  },
  {
    name: "installment_paid_matches_allocations",
    description: "Per installment paidPrincipal, paidInterest, paidLateFee = Σ of the allocations to it of transactions not reversed, per component (a reversed transaction counts nowhere).",
    violations: (s) => sql`
      select p.id || ': paid ' || p.paid_principal || '/' || p.paid_interest || '/' || p.paid_late_fee
        || ' but allocated ' || coalesce(a.principal, 0) || '/' || coalesce(a.interest, 0) || '/' || coalesce(a.late_fee, 0) as detail
      from payments p join loans l on l.id = p.loan_id
      left join ${allocationSums} a on a.payment_id = p.id
      where ${s.customer(sql`l.customer_id`)}
        and (p.paid_principal <> coalesce(a.principal, 0) or p.paid_interest <> coalesce(a.interest, 0) or p.paid_late_fee <> coalesce(a.late_fee, 0))`,
  },
  {
    name: "installment_paid_status",
    description: "An installment with nothing outstanding has a paid status (PAID_ON_TIME, PAID_WITHIN_GRACE, PAID_LATE) and paidAt; one with something outstanding has neither.",
    violations: (s) => sql`
      select p.id || ': outstanding ' || (p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount)
        || ', status ' || p.status || ', paidAt ' || coalesce(p.paid_at::text, 'null') as detail
      from payments p join loans l on l.id = p.loan_id
      where ${s.customer(sql`l.customer_id`)}
        and case when p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount = 0
          then not (p.status = any(${textArray(PAID_STATUSES)}) and p.paid_at is not null)
          else (p.status = any(${textArray(PAID_STATUSES)}) or p.paid_at is not null) end`,
  },
  {
    name: "wallet_balance_matches_credits",
    description: "A customer's walletBalance = Σ walletCredit of its payment transactions not reversed (nothing else moves the wallet yet).",
    violations: (s) => sql`
      select c.id || ': walletBalance ' || c.wallet_balance || ' <> credited ' || coalesce(t.credited, 0) as detail
      from customers c
      left join (select customer_id, sum(wallet_credit) as credited from payment_transactions where reversed_at is null group by customer_id) t
        on t.customer_id = c.id
      where ${s.customer(sql`c.id`)} and c.wallet_balance <> coalesce(t.credited, 0)`,
  },
  {
    name: "loan_outstanding_matches_status",
    description: "PAID_OFF loans have nothing outstanding (no unpaid installment, each installment's outstanding being ≥ 0), also after a settlement or a reversal; CURRENT and LATE_* loans have something outstanding.",
    violations: (s) => sql`
      select l.id || ': ' || l.status || ' with outstanding ' || coalesce(o.outstanding, 0) as detail
      from loans l
      left join (select loan_id, sum(principal_due + interest_due + late_fee_due - paid_amount) as outstanding from payments group by loan_id) o
        on o.loan_id = l.id
      where ${s.customer(sql`l.customer_id`)}
        and ((l.status = 'PAID_OFF' and coalesce(o.outstanding, 0) <> 0)
          or (l.status = any(${textArray(ACTIVE_LOAN_STATUSES)}) and coalesce(o.outstanding, 0) <= 0))`,
  },
  {
    name: "interest_waived_only_on_settled_loans",
    description: "Interest is waived only on a loan settled early: a PAID_OFF loan with a SETTLEMENT transaction not reversed (RULES §12.2).",
    violations: (s) => sql`
      select p.id || ': interest ' || p.interest_waived || ' waived on loan ' || l.id || ' (' || l.status || ') without a settlement' as detail
      from payments p join loans l on l.id = p.loan_id
      where ${s.customer(sql`l.customer_id`)} and p.interest_waived <> 0
        and (p.interest_waived < 0 or l.status <> 'PAID_OFF' or not exists (
          select 1 from payment_transactions t where t.loan_id = l.id and t.kind = 'SETTLEMENT' and t.reversed_at is null))`,
  },
  {
    name: "reversal_four_eyes",
    description: "Every APPROVED reversal was decided by another ADMIN than the one who asked and its transaction is reversed; a reversed transaction has exactly one APPROVED reversal and is a PAYMENT (RULES §12.3).",
    violations: (s) => sql`
      select r.id || ': APPROVED by ' || coalesce(r.decided_by, 'nobody') || ', requested by ' || r.requested_by
        || ', transaction reversed: ' || (t.reversed_at is not null) as detail
      from payment_reversals r join payment_transactions t on t.id = r.transaction_id
      where ${s.customer(sql`t.customer_id`)} and r.status = 'APPROVED'
        and (r.decided_by is null or r.decided_by = r.requested_by or t.reversed_at is null)
      union all
      select t.id || ': ' || t.kind || ' reversed with ' || count(r.id) || ' approved reversals'
      from payment_transactions t left join payment_reversals r on r.transaction_id = t.id and r.status = 'APPROVED'
      where ${s.customer(sql`t.customer_id`)} and t.reversed_at is not null
      group by t.id, t.kind
      having count(r.id) <> 1 or t.kind <> 'PAYMENT'`,
  },
  {
    name: "loan_schedule_matches_principal",
    description: "A disbursed loan (CURRENT, LATE_*, PAID_OFF, WRITTEN_OFF) has tenorMonths installments whose principal sums to the loan's principal, and a disbursedAt.",
    violations: (s) => sql`
      select l.id || ': ' || l.status || ', principal ' || l.principal || ' in ' || l.tenor_months || ' months, schedule '
        || coalesce(p.principal, 0) || ' in ' || coalesce(p.n, 0) || ' installments, disbursedAt ' || coalesce(l.disbursed_at::text, 'null') as detail
      from loans l
      left join (select loan_id, sum(principal_due) as principal, count(*) as n from payments group by loan_id) p on p.loan_id = l.id
      where ${s.customer(sql`l.customer_id`)} and l.status = any(${textArray(DISBURSED_LOAN_STATUSES)})
        and (coalesce(p.principal, 0) <> l.principal or coalesce(p.n, 0) <> l.tenor_months or l.disbursed_at is null)`,
  },
  {
    name: "loan_disbursed_amount",
    description: "disbursedAmount = principal − originationFee, with 0 ≤ originationFee ≤ principal.",
    violations: (s) => sql`
      select l.id || ': principal ' || l.principal || ' - fee ' || l.origination_fee || ' <> disbursed ' || l.disbursed_amount as detail
      from loans l
      where ${s.customer(sql`l.customer_id`)}
        and (l.disbursed_amount <> l.principal - l.origination_fee or l.origination_fee < 0 or l.origination_fee > l.principal)`,
  },
  {
    name: "undisbursed_loan_has_no_installments",
    description: "INACTIVE, CANCELLED and DISBURSAL_FAILED loans have no installments.",
    violations: (s) => sql`
      select l.id || ': ' || l.status || ' with ' || count(p.id) || ' installments' as detail
      from loans l join payments p on p.loan_id = l.id
      where ${s.customer(sql`l.customer_id`)} and l.status = any(${textArray(UNDISBURSED_LOAN_STATUSES)})
      group by l.id, l.status`,
  },
  {
    name: "one_loan_per_application",
    description: "An application has at most one loan, of the same customer; it has one exactly when OFFER_ACCEPTED, FUND_DISBURSAL_SUCCESSFUL or FUND_DISBURSAL_FAILED (a CANCELLED one may have its cancelled loan).",
    violations: (s) => sql`
      select a.id || ': ' || a.status || ' with ' || count(l.id) || ' loans' as detail
      from loan_applications a left join loans l on l.application_id = a.id
      where ${s.customer(sql`a.customer_id`)}
      group by a.id, a.status
      having count(l.id) > 1
        or (a.status = any(${textArray(APPLICATION_STATUSES_WITH_LOAN)}) and count(l.id) <> 1)
        or (a.status <> all(${textArray([...APPLICATION_STATUSES_WITH_LOAN, "CANCELLED"])}) and count(l.id) <> 0)
      union all
      select l.id || ': customer ' || l.customer_id || ' but application ' || a.id || ' belongs to ' || a.customer_id
      from loans l join loan_applications a on a.id = l.application_id
      where ${s.customer(sql`l.customer_id`)} and l.customer_id <> a.customer_id`,
  },
  {
    name: "loan_application_status",
    description: "A loan's application status agrees with it: INACTIVE → OFFER_ACCEPTED, CANCELLED → CANCELLED, DISBURSAL_FAILED → FUND_DISBURSAL_FAILED, disbursed → FUND_DISBURSAL_SUCCESSFUL.",
    violations: (s) => sql`
      select l.id || ': loan ' || l.status || ' but application ' || a.id || ' ' || a.status as detail
      from loans l join loan_applications a on a.id = l.application_id
      where ${s.customer(sql`l.customer_id`)}
        and a.status is distinct from case
          when l.status = 'INACTIVE' then 'OFFER_ACCEPTED'
          when l.status = 'CANCELLED' then 'CANCELLED'
          when l.status = 'DISBURSAL_FAILED' then 'FUND_DISBURSAL_FAILED'
          when l.status = any(${textArray(DISBURSED_LOAN_STATUSES)}) then 'FUND_DISBURSAL_SUCCESSFUL'
        end`,
  },
  {
    name: "late_fees_and_interest_within_principal",
    description: "Per loan, total late fees + total interest ≤ principal (RULES §7).",
    violations: (s) => sql`
      select l.id || ': interest ' || p.interest || ' + late fees ' || p.late_fees || ' > principal ' || l.principal as detail
      from loans l
      join (select loan_id, sum(interest_due) as interest, sum(late_fee_due) as late_fees from payments group by loan_id) p on p.loan_id = l.id
      where ${s.customer(sql`l.customer_id`)} and p.interest + p.late_fees > l.principal`,
  },
  {
    name: "status_history_latest_matches",
    description: "Every application and loan has status history, and its latest row's toCode is the code of its current status (no status change without history).",
    violations: (s) => sql`
      with entities as (
        select 'APPLICATION'::text as entity_type, a.id, a.status, c.code
        from loan_applications a left join ${codeTable(APPLICATION_STATUS_CODES)} as c(status, code) on c.status = a.status
        where ${s.customer(sql`a.customer_id`)}
        union all
        select 'LOAN', l.id, l.status, c.code
        from loans l left join ${codeTable(LOAN_STATUS_CODES)} as c(status, code) on c.status = l.status
        where ${s.customer(sql`l.customer_id`)}
      ),
      latest as (
        select distinct on (entity_type, entity_id) entity_type, entity_id, to_code
        from status_changes where entity_id in (select id from entities) order by entity_type, entity_id, id desc
      )
      select lower(e.entity_type) || ' ' || e.id || ': status ' || e.status || ' (' || coalesce(e.code::text, 'unknown code')
        || ') but latest history ' || coalesce(h.to_code::text, 'none') as detail
      from entities e left join latest h on h.entity_type = e.entity_type and h.entity_id = e.id
      where e.code is null or h.to_code is distinct from e.code`,
  },
  {
    name: "status_history_chain",
    description: "Status history rows chain: the first has no fromCode, each later one's fromCode is the previous row's toCode; every row belongs to an existing application or loan.",
    violations: (s) => sql`
      with rows as (
        select h.id, h.entity_type, h.entity_id, h.from_code, h.to_code,
          lag(h.to_code) over w as prev_to, row_number() over w as rn
        from status_changes h
        where ${
          s.scoped
            ? sql`(h.entity_type = 'APPLICATION' and h.entity_id in (select id from loan_applications a where ${s.customer(sql`a.customer_id`)}))
                or (h.entity_type = 'LOAN' and h.entity_id in (select id from loans l where ${s.customer(sql`l.customer_id`)}))`
            : sql`true`
        }
        window w as (partition by h.entity_type, h.entity_id order by h.id)
      )
      select lower(entity_type) || ' ' || entity_id || ': history row ' || id || ' from ' || coalesce(from_code::text, 'null')
        || ' but previous row ended at ' || coalesce(prev_to::text, 'nothing (first row)') as detail
      from rows
      where (rn = 1 and from_code is not null) or (rn > 1 and from_code is distinct from prev_to)
      ${
        s.scoped
          ? sql``
          : sql`union all
      select lower(h.entity_type) || ' ' || h.entity_id || ': history row ' || h.id || ' for an entity that does not exist'
      from status_changes h
      where (h.entity_type = 'APPLICATION' and not exists (select 1 from loan_applications a where a.id = h.entity_id))
         or (h.entity_type = 'LOAN' and not exists (select 1 from loans l where l.id = h.entity_id))`
      }`,
  },
];

/** The checks' names and descriptions, in report order. */
export const AUDIT_CHECKS: ReadonlyArray<{ name: string; description: string }> = CHECKS.map(({ name, description }) => ({ name, description }));

async function runCheck(db: DbOrTx, def: CheckDef, scope: Scope): Promise<AuditCheck> {
  const [row] = await queryRows<{ n: number | string; examples: string | null }>(
    db,
    sql`with v as (${def.violations(scope)})
      select (select count(*) from v)::int as n,
        (select string_agg(detail, ${"\n"} order by detail) from (select detail from v order by detail limit ${sql.raw(String(MAX_EXAMPLES))}) e) as examples`,
  );
  const violations = Number(row?.n ?? 0);
  const examples = row?.examples ? row.examples.split("\n") : [];
  return { name: def.name, description: def.description, violations, examples };
}

function isTransaction(db: DbOrTx): db is Tx {
  return typeof (db as { rollback?: unknown }).rollback === "function";
}

/** Check every invariant; nothing is written. */
export async function auditLedger(db: DbOrTx, options: AuditOptions = {}): Promise<AuditReport> {
  const scope = makeScope(options.customerIds);
  const runAll = async (q: DbOrTx) => {
    const checks: AuditCheck[] = [];
    for (const def of CHECKS) checks.push(await runCheck(q, def, scope));
    return checks;
  };
  const checks = isTransaction(db)
    ? await runAll(db)
    : await db.transaction(async (tx) => {
        await tx.execute(sql`set transaction isolation level repeatable read, read only`);
        return runAll(tx);
      });
  return { ok: checks.every((c) => c.violations === 0), checks };
}
