/**
 * bench/payments-limit-equal.ts (run by bench/payments-limit.sh after its rounds, or alone) — shows
 * that bench_pay_limit (bench/payments-limit.sql) writes what recordPayment writes, row for row:
 * two copies of the bench database (CREATE DATABASE … TEMPLATE); on one, recordPayment over HTTP
 * through an in-process gateway; on the other, the function; the same postings in the same order
 * (same loans, amounts, keys, paidAt), of three shapes: 5,000 IDR (the load's), exactly the first
 * unpaid installment's outstanding (it becomes paid; the loan's status may move, with history and
 * outbox rows), and the loan's whole outstanding + 1,000 (PAID_OFF, wallet credit). Then the
 * tables are compared (ids of new rows and timestamps aside; a transaction's id in a history reason
 * is replaced by its idempotency key). Prints JSON; exit 1 when anything differs.
 *
 * Env: EQ_TEMPLATE_URL (the database copied; nobody may be connected to it), EQ_PREFIX (copy name
 * prefix), EQ_LOANS (30 loans per shape).
 */
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { openDatabase, startServer } from "../src/app.js";
import { mintToken, tokenKey } from "../src/auth/tokens.js";

const templateUrl = new URL(process.env.EQ_TEMPLATE_URL ?? "");
const template = decodeURIComponent(templateUrl.pathname.slice(1));
const prefix = process.env.EQ_PREFIX ?? "pay_limit_eq";
const perShape = Number(process.env.EQ_LOANS ?? 30);
for (const n of [template, prefix]) if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new Error(`bad database name ${n}`);
const urlOf = (db: string) => Object.assign(new URL(templateUrl.href), { pathname: `/${db}` }).href;
const functions = readFileSync(new URL("./payments-limit.sql", import.meta.url), "utf8");
const secret = "payments-limit-equal-bench-only-secret-0123";
const SUB = "bench-equal";
const ACTIVE = `('CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD')`;

/** Everything a posting writes, keyed so both copies line up (new rows by idempotency key). */
const STATE: Record<string, string> = {
  installments: `select string_agg(concat_ws('|', id, status, days_past_due, paid_principal, paid_interest, paid_late_fee, paid_amount, paid_at, late_fee_due), ',' order by id) from payments`,
  transactions: `select string_agg(concat_ws('|', idempotency_key, loan_id, customer_id, amount, channel, paid_at, wallet_credit, kind, reversed_at), ',' order by idempotency_key) from payment_transactions`,
  allocations: `select string_agg(concat_ws('|', t.idempotency_key, a.payment_id, a.principal, a.interest, a.late_fee), ',' order by t.idempotency_key, a.payment_id)
                  from payment_allocations a join payment_transactions t on t.id = a.transaction_id`,
  loans: `select string_agg(concat_ws('|', id, status, days_past_due), ',' order by id) from loans`,
  wallets: `select string_agg(concat_ws('|', id, wallet_balance), ',' order by id) from customers`,
  status_changes: `select string_agg(concat_ws('|', c.entity_type, c.entity_id, c.from_code, c.to_code, coalesce(t.idempotency_key, c.reason), c.actor), ',' order by c.entity_id, c.id)
                     from status_changes c left join payment_transactions t on c.reason = 'payment ' || t.id`,
  status_events: `select string_agg(concat_ws('|', e.entity_type, e.entity_id, e.customer_id, e.partner_id, e.from_status, e.to_status, coalesce(t.idempotency_key, e.reason), e.actor), ',' order by e.entity_id, e.id)
                    from status_events e left join payment_transactions t on e.reason = 'payment ' || t.id`,
};
async function state(sql: postgres.Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, q] of Object.entries(STATE)) out[k] = String(Object.values((await sql.unsafe(q))[0]!)[0]);
  return out;
}

const admin = postgres(urlOf("postgres"), { max: 1, onnotice: () => {} });
const [a, b] = [`${prefix}_api`, `${prefix}_fn`];
let report: Record<string, unknown> = {};
try {
  for (const db of [a, b]) {
    await admin.unsafe(`drop database if exists ${db}`);
    await admin.unsafe(`create database ${db} template ${template}`);
  }
  const sqlA = postgres(urlOf(a), { max: 1, onnotice: () => {} });
  const sqlB = postgres(urlOf(b), { max: 1, onnotice: () => {} });
  // the postings: loans of the three shapes (distinct loans), amounts from copy A (= B)
  const loans = (await sqlA.unsafe(`
    with o as (
      select l.id, sum(p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount) as total,
             (array_agg(p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount order by p.installment_number)
                filter (where p.principal_due + p.interest_due + p.late_fee_due - p.paid_amount > 0))[1] as first_unpaid,
             row_number() over (order by md5(l.id::text)) as k
        from loans l join payments p on p.loan_id = l.id
       where l.status in ${ACTIVE} and l.disbursed_at is not null
       group by l.id)
    select id, case when k <= ${perShape} then 5000 when k <= ${2 * perShape} then first_unpaid else total + 1000 end::text as amount
      from o where k <= ${3 * perShape} order by k`)) as unknown as { id: string; amount: string }[];
  const paidAt = new Date(Date.now() - 60_000).toISOString();
  const keys = loans.map((_, i) => `eq-${prefix}-${i}`);

  // copy A: recordPayment through the API (in-process gateway, production mode)
  const database = await openDatabase({ databaseUrl: urlOf(a), poolMax: 2 } as never);
  const gw = await startServer({ database, jwtSecret: secret, development: false });
  const token = await mintToken(tokenKey(secret), { role: "ADMIN", sub: SUB, expiresIn: "1h" });
  const query = `mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { replayed transaction { id } } }`;
  try {
    for (let i = 0; i < loans.length; i++) {
      const input = { loanId: loans[i]!.id, amount: loans[i]!.amount, idempotencyKey: keys[i], channel: "VA_BCA", paidAt };
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { input } }),
      });
      const body = (await res.json()) as { errors?: unknown };
      if (res.status !== 200 || body.errors) throw new Error(`API posting ${i}: ${JSON.stringify(body).slice(0, 400)}`);
    }
  } finally {
    await gw.close();
    await database.close();
  }
  // copy B: the function, same postings in the same order, one transaction each
  await sqlB.unsafe(functions);
  for (let i = 0; i < loans.length; i++) {
    await sqlB`select bench_pay_limit(${loans[i]!.id}::uuid, ${loans[i]!.amount}::bigint, ${keys[i]!}, 'VA_BCA', ${paidAt}::timestamptz, ${"admin:" + SUB})`;
  }
  const [sa, sb] = [await state(sqlA), await state(sqlB)];
  const statusMoves = Number((await sqlA.unsafe(`select count(*)::int as n from status_changes c join payment_transactions t on c.reason = 'payment ' || t.id where t.idempotency_key like 'eq-%'`))[0]!.n);
  await sqlA.end();
  await sqlB.end();
  const differs = Object.keys(STATE).filter((k) => sa[k] !== sb[k]);
  report = {
    postings: loans.length,
    shapes: { small_5000: perShape, first_installment_exactly: perShape, whole_loan_plus_1000: perShape },
    loan_status_changes_written: statusMoves,
    compared: Object.keys(STATE),
    same: differs.length === 0,
    differs,
  };
} finally {
  if (process.env.EQ_KEEP !== "1") for (const db of [a, b]) await admin.unsafe(`drop database if exists ${db} with (force)`);
  await admin.end();
}
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
process.exit(report.same ? 0 : 1);
