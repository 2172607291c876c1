/**
 * bench/payments-sql.ts — SQL round trips of one recordPayment over HTTP (run by
 * bench/payments.sh after the load, or alone). Starts the gateway IN PROCESS on the bench
 * database (production mode, port 0), observes every statement drizzle sends (src/db/client.ts
 * onQuery), posts PAY_SQL_N payments sequentially on loans from PAY_LOANS_FILE and prints JSON:
 * statements per request (by kind) and the unloaded sequential latency.
 * postgres.js sends BEGIN/COMMIT itself (not seen by drizzle): +2 round trips per transaction.
 *
 * Env: DATABASE_URL, PAY_LOANS_FILE, PAY_PREFIX, PAY_AMOUNT (5000), PAY_SQL_N (20)
 */
import fs from "node:fs";
import { openDatabase, startServer } from "../src/app.js";
import { mintToken, tokenKey } from "../src/auth/tokens.js";
import { onQuery } from "../src/db/client.js";

const secret = "payments-sql-bench-only-secret-0123456789";
const n = Number(process.env.PAY_SQL_N ?? 20);
const loans = fs.readFileSync(process.env.PAY_LOANS_FILE!, "utf8").split("\n").filter(Boolean).slice(-n);
const prefix = process.env.PAY_PREFIX ?? `sqlcount-${Date.now()}`;
const amount = process.env.PAY_AMOUNT ?? "5000";
const query = fs.readFileSync(new URL("./ops/record-payment.graphql", import.meta.url), "utf8");

const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, poolMax: 2 });
const gw = await startServer({ database, jwtSecret: secret, development: false });
const token = await mintToken(tokenKey(secret), { role: "ADMIN", sub: "bench-payments-sql", expiresIn: "1h" });
let current: string[] = [];
const stop = onQuery((q) => current.push(q));
const perRequest: { statements: number; kinds: Record<string, number>; ms: number }[] = [];
try {
  for (let i = 0; i < loans.length; i++) {
    current = [];
    const t0 = performance.now();
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { input: { loanId: loans[i], amount, idempotencyKey: `${prefix}-${i}`, channel: "VA_BCA" } } }),
    });
    const body = (await res.json()) as { errors?: unknown };
    const ms = performance.now() - t0;
    if (res.status !== 200 || body.errors) throw new Error(JSON.stringify(body).slice(0, 400));
    const kinds: Record<string, number> = {};
    for (const q of current) {
      const k = q.trim().replace(/\s+/g, " ");
      const kind = /^select .* for update$/i.test(k)
        ? `select for update ${/from\s+"?(\w+)"?/i.exec(k)?.[1] ?? ""}`
        : `${k.split(" ")[0]!.toLowerCase()} ${/(?:from|into|update)\s+"?(\w+)"?/i.exec(k)?.[1] ?? k.slice(0, 40)}`;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    perRequest.push({ statements: current.length, kinds, ms: Number(ms.toFixed(1)) });
  }
} finally {
  stop();
  await gw.close();
  await database.close();
}
const sorted = perRequest.map((r) => r.ms).sort((a, b) => a - b);
const stmts = perRequest.map((r) => r.statements).sort((a, b) => a - b);
console.log(
  JSON.stringify({
    requests: perRequest.length,
    drizzle_statements_per_request: { min: stmts[0], median: stmts[Math.floor(stmts.length / 2)], max: stmts[stmts.length - 1] },
    plus_begin_commit: 2,
    sequential_latency_ms: { median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] },
    example: perRequest[Math.floor(perRequest.length / 2)],
  }, null, 2),
);
process.exit(0);
