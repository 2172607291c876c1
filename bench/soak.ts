/**
 * `npm run soak`: a bounded soak of the real gateway process (src/main.ts, production mode) on
 * a fresh PostgreSQL database, loopback only.
 *
 * Creates `soak_<timestamp>` on SOAK_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * starts the gateway on it, seeds a few loans through the API, then runs SOAK_SECONDS (180) of
 * mixed load from SOAK_CONCURRENCY (16) clients: nested lists and point reads, the whole
 * lifecycle (register, submit, approve, accept, disburse; half the loans back-dated so they fall
 * late), payments with idempotency keys retried sequentially and concurrently, and the daily
 * update every 10 s. Samples the gateway's RSS every SOAK_SAMPLE_SECONDS (5). Then retries every
 * key once more, checks each key produced exactly one transaction, runs the ledger audit, stops
 * the gateway with SIGTERM and drops the database (SOAK_KEEP_DB=1 keeps it).
 *
 * Writes bench/results/soak-<timestamp>/summary.json and summary.md. Exits 1 on any unexpected
 * error, an audit violation, a key with other than one transaction, or a non-zero gateway exit.
 */
import "reflect-metadata";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { auditLedger } from "../src/audit/ledger-audit.js";
import { connect } from "../src/db/client.js";
import { jakartaDate } from "../src/shared/dates.js";
import { LoadClient, Q, lifecycle, ok, pay, paymentKey, percentile, sleep, type Outcome, type PaymentKey } from "../test/support/load.js";
import { startGatewayProcess } from "../test/support/process.js";
import { tokenFor } from "../test/support/world.js";

const env = process.env;
const SECONDS = Number(env.SOAK_SECONDS ?? 180);
const CONCURRENCY = Number(env.SOAK_CONCURRENCY ?? 16);
const SAMPLE_S = Number(env.SOAK_SAMPLE_SECONDS ?? 5);
const ADMIN_URL = env.SOAK_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** Domain answers the load provokes on purpose (e.g. paying a loan already PAID_OFF). */
const EXPECTED_CODES = new Set(["INVALID_STATE", "CONFLICT"]);

const host = new URL(ADMIN_URL).hostname;
if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
  console.error(`SOAK_ADMIN_URL must point at a loopback PostgreSQL, got ${host}`);
  process.exit(2);
}
if (!(SECONDS > 0 && SECONDS <= 3600) || !(CONCURRENCY >= 1 && CONCURRENCY <= 256)) {
  console.error("SOAK_SECONDS must be 1..3600 and SOAK_CONCURRENCY 1..256");
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
const dbName = `soak_${stamp.toLowerCase()}`;
const outDir = join(fileURLToPath(new URL(".", import.meta.url)), "results", `soak-${stamp}`);
const log = (msg: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  log(`database ${dbName}; ${SECONDS} s at concurrency ${CONCURRENCY}`);
  // Every simulated customer registers from 127.0.0.1: the per-IP limit on registerCustomer
  // (30 a minute by default) would refuse most of them, so the soak raises it
  // (SOAK_AUTH_RATE_LIMIT; test/abuse-rate-limit.test.ts covers the limit itself).
  const gw = await startGatewayProcess({
    DATABASE_URL: dbUrl.toString(),
    NODE_ENV: "production",
    DB_POOL_MAX: "10",
    AUTH_RATE_LIMIT_PER_MINUTE: env.SOAK_AUTH_RATE_LIMIT ?? "1000000",
  });
  const pid = gw.child.pid!;
  let exitCode: number | null = null;
  try {
    const adminToken = await tokenFor("ADMIN", "soak");
    const c = new LoadClient(gw.url, adminToken, 30_000);

    // Seed: two partners and a few loans, some back-dated (so the daily update makes them late).
    c.record = false;
    const partnerTokens: string[] = [];
    for (const code of ["SOAKA", "SOAKB"]) {
      const p = await c.gql("setup", Q.createPartner, { input: { code: `${code}${Date.now() % 10000}`, name: `Soak ${code}` } });
      if (!ok(p)) throw new Error(`createPartner failed: ${JSON.stringify(p)}`);
      partnerTokens.push(await tokenFor("PARTNER", p.data.createPartner.id));
    }
    const loans: string[] = [];
    const keys: PaymentKey[] = [];
    const backDated = () => (Math.random() < 0.5 ? new Date(Date.now() - (1 + Math.floor(Math.random() * 100)) * 86_400_000) : undefined);
    await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        for (let j = 0; j < 5; j++) {
          const r = await lifecycle(c, partnerTokens[(i + j) % 2]!, "disburse", { disbursedAt: backDated() });
          if (r.failed) throw new Error(`seed lifecycle failed: ${JSON.stringify(r.failed)}`);
          if (r.steps.includes("disburse")) loans.push(r.loanId!);
        }
      }),
    );
    log(`seeded ${loans.length} disbursed loans`);

    const newKey = () => {
      const k = paymentKey(loans[Math.floor(Math.random() * loans.length)]!, String(50_000 + Math.floor(Math.random() * 350_000)));
      keys.push(k);
      return k;
    };
    const rss: { t: number; mb: number }[] = [];
    const started = Date.now();
    const until = started + SECONDS * 1000;
    const sampler = setInterval(() => {
      const mb = rssMb(pid);
      if (mb !== undefined) rss.push({ t: Math.round((Date.now() - started) / 1000), mb });
    }, SAMPLE_S * 1000);
    rss.push({ t: 0, mb: rssMb(pid) ?? 0 });

    c.record = true;
    const worker = async () => {
      while (Date.now() < until) {
        const r = Math.random();
        if (r < 0.25) await c.gql("list", Q.list, { first: 20 });
        else if (r < 0.4) await c.gql("loan", Q.loan, { id: loans[Math.floor(Math.random() * loans.length)] });
        else if (r < 0.48) await c.gql("loans", Q.loans, { first: 50 });
        else if (r < 0.8) {
          // A new transfer, a client retrying an old one, or the same one sent several times at once.
          const p = Math.random();
          if (p < 0.45 || keys.length < 5) await pay(c, newKey());
          else if (p < 0.75) await pay(c, keys[Math.floor(Math.random() * keys.length)]!, "pay-retry");
          else {
            const k = newKey();
            await Promise.all([pay(c, k), pay(c, k, "pay-retry"), pay(c, k, "pay-retry")]);
          }
        } else {
          const l = await lifecycle(c, Math.random() < 0.8 ? partnerTokens[Math.floor(Math.random() * 2)]! : null, "disburse", { disbursedAt: backDated() });
          if (l.loanId && l.steps.includes("disburse")) loans.push(l.loanId);
        }
      }
    };
    const daily = async () => {
      while (Date.now() < until) {
        await c.gql("daily", Q.daily, { asOf: jakartaDate(new Date()) });
        await sleep(10_000);
      }
    };
    const progress = setInterval(() => log(`${c.outcomes.length} requests, ${loans.length} loans, ${keys.length} keys, RSS ${rss.at(-1)?.mb} MB`), 30_000);
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), daily()]);
    clearInterval(progress);
    clearInterval(sampler);
    rss.push({ t: Math.round((Date.now() - started) / 1000), mb: rssMb(pid) ?? 0 });
    const loadSeconds = (Date.now() - started) / 1000;
    log(`load done: ${c.outcomes.length} requests in ${loadSeconds.toFixed(0)} s`);

    // Every key once more: it must answer the one transaction it made (or still refuse it).
    const final = new LoadClient(gw.url, adminToken, 30_000);
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((k) => pay(final, k, "pay-final")));

    // --- Checks on the database.
    const sql = postgres(dbUrl.toString(), { max: 1, onnotice: () => {} });
    const rows = await sql`select idempotency_key, count(*)::int as n, min(id::text) as id from payment_transactions group by idempotency_key`;
    const byKey = new Map(rows.map((r) => [r.idempotency_key as string, r]));
    const keyProblems: string[] = [];
    for (const k of keys) {
      const row = byKey.get(k.key);
      if (k.successes > 0) {
        if (row?.n !== 1) keyProblems.push(`${k.key}: ${row?.n ?? 0} transactions after ${k.successes} successful answers`);
        else if (k.transactionIds.size !== 1 || !k.transactionIds.has(row.id)) keyProblems.push(`${k.key}: answered ${[...k.transactionIds]} but stored ${row.id}`);
      } else if (row) keyProblems.push(`${k.key}: a transaction exists though every attempt was refused`);
    }
    const duplicates = rows.filter((r) => r.n !== 1).length;
    const counts = (await sql`select (select count(*) from customers)::int as customers, (select count(*) from loans)::int as loans,
      (select count(*) from payment_transactions)::int as transactions, (select count(*) from status_events)::int as events,
      (select count(*) from loans where status like 'LATE%')::int as late_loans, (select count(*) from loans where status = 'PAID_OFF')::int as paid_off,
      (select coalesce(sum(late_fee_due), 0)::text from payments) as late_fees_charged`)[0]!;
    await sql.end();
    const database = await connect({ databaseUrl: dbUrl.toString(), poolMax: 2 });
    const auditStarted = Date.now();
    const audit = await auditLedger(database.db);
    const auditMs = Date.now() - auditStarted;
    await database.close();

    exitCode = await gw.stop("SIGTERM");

    // --- Report.
    const all = [...c.outcomes, ...final.outcomes];
    const kinds = [...new Set(all.map((o) => o.kind))].sort();
    const byKind = Object.fromEntries(
      kinds.map((kind) => {
        const xs = all.filter((o) => o.kind === kind);
        const codes: Record<string, number> = {};
        for (const o of xs) if (o.code) codes[o.code] = (codes[o.code] ?? 0) + 1;
        const ms = xs.map((o) => o.ms);
        return [kind, { requests: xs.length, ok: xs.filter(ok).length, errors: codes, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: Math.max(...ms) }];
      }),
    );
    const expected: Record<string, number> = {};
    const unexpected: Record<string, number> = {};
    const unexpectedExamples: Outcome[] = [];
    for (const o of all) {
      if (!o.code) continue;
      if (EXPECTED_CODES.has(o.code)) expected[o.code] = (expected[o.code] ?? 0) + 1;
      else {
        unexpected[o.code] = (unexpected[o.code] ?? 0) + 1;
        if (unexpectedExamples.length < 5) unexpectedExamples.push(o);
      }
    }
    const third = Math.max(1, Math.floor(rss.length / 3));
    const avg = (xs: { mb: number }[]) => Math.round(xs.reduce((s, x) => s + x.mb, 0) / xs.length);
    const rssFirst = avg(rss.slice(0, third));
    const rssLast = avg(rss.slice(-third));
    const summary = {
      startedAt: new Date(started).toISOString(),
      seconds: Math.round(loadSeconds),
      concurrency: CONCURRENCY,
      machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      database: dbName,
      requests: all.length,
      requestsPerSecond: Math.round(c.outcomes.length / loadSeconds),
      byKind,
      errors: { expected, unexpected, unexpectedExamples },
      rss: { samples: rss, firstThirdAvgMb: rssFirst, lastThirdAvgMb: rssLast, maxMb: Math.max(...rss.map((r) => r.mb)), growthMb: rssLast - rssFirst },
      idempotency: { keys: keys.length, attempts: keys.reduce((s, k) => s + k.attempts, 0), keysWithATransaction: keys.filter((k) => k.successes > 0).length, problems: keyProblems, duplicateKeysInDb: duplicates },
      data: counts,
      audit: { ok: audit.ok, violations: audit.checks.reduce((s, x) => s + x.violations, 0), checks: audit.checks.length, ms: auditMs, failing: audit.checks.filter((x) => x.violations > 0) },
      gatewayExitCode: exitCode,
    };
    const pass = Object.keys(unexpected).length === 0 && audit.ok && keyProblems.length === 0 && duplicates === 0 && exitCode === 0;

    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "summary.json"), JSON.stringify({ pass, ...summary }, null, 2) + "\n");
    const md = [
      `# Soak ${stamp}`,
      "",
      `${summary.seconds} s, ${CONCURRENCY} concurrent clients + a daily update every 10 s, gateway (production mode) and PostgreSQL 15 on one ${summary.machine.cpus}-core machine, loopback. **${pass ? "PASS" : "FAIL"}**.`,
      "",
      `Requests: ${summary.requests} (${summary.requestsPerSecond}/s during the load).`,
      "",
      "| kind | requests | ok | errors | p50 ms | p99 ms | max ms |",
      "|---|---:|---:|---|---:|---:|---:|",
      ...kinds.map((k) => {
        const x = byKind[k]!;
        const e = Object.entries(x.errors).map(([code, n]) => `${code} ${n}`).join(", ") || "–";
        return `| ${k} | ${x.requests} | ${x.ok} | ${e} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} |`;
      }),
      "",
      `Errors: expected ${JSON.stringify(expected)}; **unexpected ${JSON.stringify(unexpected)}**.`,
      "",
      `Gateway RSS (every ${SAMPLE_S} s, ${rss.length} samples): first third avg **${rssFirst} MB**, last third avg **${rssLast} MB** (max ${summary.rss.maxMb} MB).`,
      "",
      `Idempotency: ${summary.idempotency.keys} keys, ${summary.idempotency.attempts} attempts, ${summary.idempotency.keysWithATransaction} keys with a transaction, each exactly one: ${keyProblems.length === 0 && duplicates === 0 ? "yes" : `NO (${keyProblems.length} problems)`}.`,
      "",
      `Data at the end: ${JSON.stringify(counts)}.`,
      "",
      `Ledger audit: ${summary.audit.checks} checks, **${summary.audit.violations} violations** (${auditMs} ms). Gateway exit code on SIGTERM: ${exitCode}.`,
      "",
    ].join("\n");
    writeFileSync(join(outDir, "summary.md"), md);
    console.log("\n" + md);
    log(`results in ${outDir}`);
    return pass ? 0 : 1;
  } finally {
    if (gw.child.exitCode === null) await gw.stop("SIGKILL");
    if (env.SOAK_KEEP_DB !== "1") await admin.unsafe(`drop database if exists "${dbName}" with (force)`).catch(() => {});
    await admin.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error("soak failed:", err);
    process.exit(1);
  },
);
