/**
 * EXPLAIN ANALYZE of the compiled statement of a bench op, as the gateway runs it (a named
 * prepared statement with the generic plan), on DATABASE_URL. For the list op the page is the
 * one run.sh measures (BENCH_LIST_PAGE=oldest: after the cursor of the 51st-oldest customer).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gateway_bench npx tsx bench/explain-list.ts [op.graphql] [--jit on|off] [--vars JSON]
 *
 * `--jit` (default off, as the gateway's sessions since src/db/client.ts sets jit=off) shows what
 * PostgreSQL's default (on) does with the statement. Prints the statement's parameters and the
 * plan; bench/README.md "Planner statistics" has the results with and without ANALYZE.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse, type OperationDefinitionNode } from "graphql";
import postgres from "postgres";
import { compileRequest, parameterValues } from "../src/server/compiler/compile.js";
import { buildGatewaySchema } from "../src/server/schema.js";
import { encodeCursor } from "../src/shared/connections.js";

const { values, positionals } = parseArgs({
  options: { jit: { type: "string", default: "off" }, vars: { type: "string" } },
  allowPositionals: true,
});
const url = process.env.DATABASE_URL;
if (!url || !/^(on|off)$/.test(values.jit!)) {
  console.error("usage: DATABASE_URL=postgres://… npx tsx bench/explain-list.ts [bench/ops/list.graphql] [--jit on|off] [--vars JSON]");
  process.exit(2);
}
const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { TimeZone: "UTC", plan_cache_mode: "force_generic_plan", jit: values.jit! } });
try {
  let text = readFileSync(positionals[0] ?? "bench/ops/list.graphql", "utf8")
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n");
  if (/customers\(first: 50\)/.test(text)) {
    const [c] = await sql<{ created_at: Date; id: string }[]>`select created_at, id from customers order by created_at, id offset 50 limit 1`;
    if (c) text = text.replace("customers(first: 50)", `customers(first: 50, after: "${encodeCursor("customer", { createdAt: c.created_at, id: c.id })}")`);
  }
  const doc = parse(text);
  const op = doc.definitions.find((d) => d.kind === "OperationDefinition") as OperationDefinitionNode;
  const req = compileRequest(buildGatewaySchema(), doc, op, values.vars ? JSON.parse(values.vars) : {}, { role: "ADMIN", sub: "explain" });
  if (!req) throw new Error("the operation is not compiled (the resolvers would answer it)");
  const args = parameterValues(req);
  const lit = (v: unknown) => (v === null ? "null" : typeof v === "string" ? `'${v.replace(/'/g, "''")}'` : String(v));
  const stats = await sql<{ n: number }[]>`select count(*)::int as n from pg_stats where schemaname = 'public'`;
  console.log(`-- ${stats[0]!.n} pg_stats rows in public; jit=${values.jit}; plan_cache_mode=force_generic_plan; parameters: ${JSON.stringify(args)}`);
  await sql.unsafe(`prepare q as ${req.statement.text}`);
  const plan = await sql.unsafe<{ "QUERY PLAN": string }[]>(`explain (analyze, buffers) execute q(${args.map(lit).join(", ")})`);
  for (const r of plan) console.log(r["QUERY PLAN"]);
} finally {
  await sql.end({ timeout: 5 });
}
