/**
 * bench/daily-update-limit.ts (run by bench/daily-update-limit.sh) — the daily update's code path
 * (runDailyUpdate, as `npm run daily-update` runs it, in process so node's start-up is not
 * counted) against the same evaluation as one set-based SQL statement
 * (bench/daily-update-limit.sql), on two fresh copies of the same database per round
 * (CREATE DATABASE … TEMPLATE), as of the same date. Per round: installments evaluated per second
 * by each, their ratio, and the end state of both copies compared table by table (installments,
 * loans, applications, history and outbox rows, the run record; ids and timestamps aside).
 * Prints JSON. Copies are dropped after each round.
 *
 * Env: DU_TEMPLATE_URL (the database copied; nobody may be connected to it), DU_ROUNDS (3),
 * DU_AS_OF (YYYY-MM-DD), DU_PREFIX (copy database name prefix).
 */
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { openDatabase } from "../src/app.js";
import { runDailyUpdate } from "../src/features/loans/daily-update.js";
import { isValidDate } from "../src/shared/dates.js";

const templateUrl = new URL(process.env.DU_TEMPLATE_URL ?? "");
const template = decodeURIComponent(templateUrl.pathname.slice(1));
const rounds = Number(process.env.DU_ROUNDS ?? 3);
const asOf = process.env.DU_AS_OF ?? "";
const prefix = process.env.DU_PREFIX ?? "du_limit";
if (!isValidDate(asOf)) throw new Error(`DU_AS_OF must be YYYY-MM-DD, got ${asOf}`);
for (const n of [template, prefix]) if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new Error(`bad database name ${n}`);
const urlOf = (db: string) => Object.assign(new URL(templateUrl.href), { pathname: `/${db}` }).href;
const functions = readFileSync(new URL("./payments-limit.sql", import.meta.url), "utf8");
const script = readFileSync(new URL("./daily-update-limit.sql", import.meta.url), "utf8").replaceAll("__AS_OF__", asOf);

/**
 * Read every heap page of the tables both sides read, the same way on both copies before timing:
 * a copy's first visit of a row still resolves the lock-only xmax (multixacts) the payment load
 * left on loans, ~3 s for 1,700 loans here; an index-only count(*) would not visit the heap.
 */
const WARM = `select count(*) from (select * from loans offset 0) x where x::text <> '';
  select count(*) from (select * from payments offset 0) x where x::text <> '';
  select count(*) from (select * from loan_products offset 0) x where x::text <> '';
  select count(*) from (select * from loan_applications offset 0) x where x::text <> ''`;
const ACTIVE = `('CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD')`;
/** Fingerprints of everything the daily update may write (ids and times aside where they differ by nature). */
const STATE = {
  installments: `select count(*)::text || ':' || md5(coalesce(string_agg(concat_ws('|', id, status, days_past_due, late_fee_due, late_fee_thresholds_applied, paid_amount, paid_at), ',' order by id), '')) from payments`,
  loans: `select count(*)::text || ':' || md5(coalesce(string_agg(concat_ws('|', id, status, days_past_due), ',' order by id), '')) from loans`,
  applications: `select count(*)::text || ':' || md5(coalesce(string_agg(concat_ws('|', id, status), ',' order by id), '')) from loan_applications`,
  status_changes: `select count(*)::text || ':' || md5(coalesce(string_agg(concat_ws('|', entity_type, entity_id, from_code, to_code, reason, actor), ',' order by entity_id, id), '')) from status_changes`,
  status_events: `select count(*)::text || ':' || md5(coalesce(string_agg(concat_ws('|', entity_type, entity_id, customer_id, partner_id, from_status, to_status, reason, actor), ',' order by entity_id, id), '')) from status_events`,
  daily_update_runs: `select coalesce(string_agg(concat_ws('|', as_of, payments_updated, loans_updated, late_fees_applied, offers_expired), ',' order by as_of), '') from daily_update_runs`,
};

async function state(sql: postgres.Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, q] of Object.entries(STATE)) out[k] = String(Object.values((await sql.unsafe(q))[0]!)[0]);
  return out;
}

const admin = postgres(urlOf("postgres"), { max: 1, onnotice: () => {} });
const results = [];
try {
  for (let r = 1; r <= rounds; r++) {
    const [a, b] = [`${prefix}_app_${r}`, `${prefix}_sql_${r}`];
    for (const db of [a, b]) {
      await admin.unsafe(`drop database if exists ${db}`);
      await admin.unsafe(`create database ${db} template ${template}`);
    }
    try {
      // the code path (runDailyUpdate as the CLI runs it: pool 2, batches of 500 loans)
      const database = await openDatabase({ databaseUrl: urlOf(a), dataDir: undefined, poolMax: 2 } as never);
      const probeA = postgres(urlOf(a), { max: 1, onnotice: () => {} });
      const [{ n: evaluated }] = (await probeA.unsafe(
        `select count(*)::int as n from payments p join loans l on l.id = p.loan_id where l.status in ${ACTIVE} and l.disbursed_at is not null`,
      )) as unknown as [{ n: number }];
      await probeA.unsafe(WARM);
      let t0 = performance.now();
      const counts = await runDailyUpdate({ database, afterEventsCommitted: () => {} }, { asOf, now: new Date() });
      const appMs = performance.now() - t0;
      await database.close();
      const appState = await state(probeA);
      await probeA.end();

      // the set-based statement (the helper function it uses is created first, outside the timing)
      const sqlB = postgres(urlOf(b), { max: 1, onnotice: () => {} });
      await sqlB.unsafe(functions);
      await sqlB.unsafe(WARM);
      t0 = performance.now();
      await sqlB.unsafe(script);
      const sqlMs = performance.now() - t0;
      const sqlState = await state(sqlB);
      await sqlB.end();

      const differs = Object.keys(STATE).filter((k) => appState[k] !== sqlState[k]);
      const round = {
        round: r,
        installments_evaluated: evaluated,
        counts,
        app_ms: Number(appMs.toFixed(1)),
        sql_ms: Number(sqlMs.toFixed(1)),
        app_per_s: Math.round((evaluated / appMs) * 1000),
        sql_per_s: Math.round((evaluated / sqlMs) * 1000),
        ratio: Number((sqlMs / appMs).toFixed(3)),
        same_end_state: differs.length === 0,
        differs,
        ...(differs.length ? { app_state: appState, sql_state: sqlState } : {}),
      };
      results.push(round);
      process.stderr.write(`[daily-update-limit] round ${r}: ${JSON.stringify(round)}\n`);
    } finally {
      if (process.env.DU_KEEP !== "1") for (const db of [a, b]) await admin.unsafe(`drop database if exists ${db} with (force)`);
    }
  }
} finally {
  await admin.end();
}
process.stdout.write(JSON.stringify({ as_of: asOf, template, rounds: results }, null, 2) + "\n");
