/**
 * PostgreSQL mode: the gateway's sessions never JIT-compile. The compiled reads are deep
 * correlated subqueries that run in milliseconds, but on a database without planner statistics
 * (after a bulk load, autovacuum off) their estimated cost is in the millions, and PostgreSQL then
 * JIT-compiled (with inlining and optimisation) 65 functions on every execution: 0.5–1 s for 5 ms
 * of work; the 50-customer list fell to ~2 req/s (bench/README.md, "Planner statistics").
 *
 * The cost estimate is forced over the thresholds here (`jit_*_above_cost = 0` in the
 * transaction) instead of loading 20,000 customers: the point is what the session does with such
 * an estimate. With JIT the EXPLAIN has a "JIT" section; the gateway's connections must have none.
 */
import { parse, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { compileRequest, parameterValues } from "../src/server/compiler/compile.js";
import { buildGatewaySchema } from "../src/server/schema.js";
import { usingPostgres, world } from "./support/world.js";

// The benchmark's list operation (bench/ops/list.graphql).
const LIST = `query CustomersWithLoans { customers(first: 50) { nodes { fullName applications { nodes { id status requestedAmount
  loan { id status principal payments { installmentNumber dueDate principalDue interestDue status } } } } } } }`;

describe.skipIf(!usingPostgres())("JIT compilation (PostgreSQL)", () => {
  it("is off on the gateway's connections, even for a statement estimated above every jit_*_above_cost", async () => {
    const w = await world();
    const pg = w.database.pg!;
    const doc = parse(LIST);
    const op = doc.definitions[0] as OperationDefinitionNode;
    const req = compileRequest(buildGatewaySchema(), doc, op, {}, { role: "ADMIN", sub: "jit-test" });
    expect(req, "the list op is compiled").not.toBeNull();

    const [{ jit }] = await pg<{ jit: string }[]>`select current_setting('jit') as jit`;
    const plan = await pg.begin(async (tx) => {
      await tx.unsafe("set local jit_above_cost = 0");
      await tx.unsafe("set local jit_inline_above_cost = 0");
      await tx.unsafe("set local jit_optimize_above_cost = 0");
      const rows = await tx.unsafe<{ "QUERY PLAN": unknown }[]>(`explain (analyze, format json) ${req!.statement.text}`, parameterValues(req!) as never[]);
      return rows[0]!["QUERY PLAN"] as [{ JIT?: { Functions: number } }];
    });
    expect({ jit, jitSection: plan[0].JIT ?? null }).toEqual({ jit: "off", jitSection: null });
  });
});
