/**
 * QUERY_TOO_COMPLEX (RULES §10): an operation whose nested lists would load too much, or that
 * nests too deep, is refused before anything runs; ordinary reads are not affected.
 */
import { getIntrospectionQuery, parse, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import { DEFAULT_LIMITS, measureOperation } from "../src/server/complexity.js";
import { buildGatewaySchema } from "../src/server/schema.js";
import { adminToken, codeOf, gql, world } from "./support/world.js";

const HUGE = `query($n: Int) { customers(first: $n) { nodes { id applications(first: $n) { nodes { id loan { transactions(first: $n) { nodes { id amount } } } } } } } }`;

function measure(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const op = doc.definitions.find((d) => d.kind === "OperationDefinition") as OperationDefinitionNode;
  return measureOperation(buildGatewaySchema(), doc, op, variables);
}

describe("measuring", () => {
  it("multiplies connections by first (or its default) and plain lists by a fixed factor", () => {
    expect(measure(`{ customers(first: 10) { totalCount nodes { id fullName } } }`).cost).toBe(1 + 1 + 1 + 10 * 2);
    expect(measure(`{ customers { nodes { id } } }`).cost).toBe(1 + 1 + 20);
    expect(measure(`{ loan(id: "x") { payments { id amountDue } } }`).cost).toBe(1 + 1 + 10 * 2);
    expect(measure(HUGE, { n: 100 }).cost).toBeGreaterThan(1_000_000);
    expect(measure(HUGE, { n: 5 }).cost).toBeLessThan(2_000);
  });

  it("follows fragments and ignores introspection fields", () => {
    const viaFragments = measure(`query($n: Int) { customers(first: $n) { ...C } } fragment C on CustomerConnection { nodes { ... on Customer { id __typename } } }`, { n: 7 });
    expect(viaFragments.cost).toBe(1 + 1 + 7);
    expect(measure(getIntrospectionQuery()).cost).toBe(0);
  });
});

describe("through HTTP", () => {
  it("a query that would load millions of rows is refused before any SQL runs", async () => {
    const admin = await adminToken();
    await world(); // started (and migrated) before counting
    const statements: string[] = [];
    const stop = onQuery((q) => {
      if (!/status_events/.test(q)) statements.push(q);
    });
    let r;
    try {
      // A request error: 400 for application/graphql-response+json (200 for the legacy application/json).
      r = await gql(HUGE, { n: 100 }, admin, { accept: "application/graphql-response+json" });
    } finally {
      stop();
    }
    expect(codeOf(r)).toBe("QUERY_TOO_COMPLEX");
    expect(r.status).toBe(400);
    expect(r.data ?? null).toBeNull();
    expect(r.errors![0]!.extensions!.maxCost).toBe(DEFAULT_LIMITS.maxCost);
    expect(statements).toEqual([]);
  });

  it("the same shape with small pages runs", async () => {
    const r = await gql(HUGE, { n: 5 }, await adminToken());
    expect(r.errors).toBeUndefined();
  });

  it("inline literals and fragments count the same as variables", async () => {
    const literal = await gql(HUGE.replace("query($n: Int) ", "").replace(/\$n/g, "100"), {}, await adminToken());
    expect(codeOf(literal)).toBe("QUERY_TOO_COMPLEX");
    const fragments = await gql(
      `{ partners { customers(first: 100) { nodes { ...L } } } }
       fragment L on Customer { loans(first: 100) { nodes { transactions(first: 100) { nodes { id } } } } }`,
      {},
      await adminToken(),
    );
    expect(codeOf(fragments)).toBe("QUERY_TOO_COMPLEX");
  });

  it("a query nested too deep is refused", async () => {
    let q = "id";
    for (let i = 0; i < 6; i++) q = `partner { customers(first: 1) { nodes { ${q} } } }`;
    const r = await gql(`query($id: ID!) { customer(id: $id) { ${q} } }`, { id: "00000000-0000-4000-8000-000000000000" }, await adminToken());
    expect(codeOf(r), JSON.stringify(r.errors)).toBe("QUERY_TOO_COMPLEX");
    expect(r.errors![0]!.extensions!.maxDepth).toBe(DEFAULT_LIMITS.maxDepth);
  });

  it("introspection is not limited", async () => {
    const r = await gql(getIntrospectionQuery(), {}, await adminToken());
    expect(r.errors).toBeUndefined();
    expect(r.data!.__schema.queryType.name).toBe("Query");
  });

  it("anonymous callers are measured too (nothing runs for them either)", async () => {
    const r = await gql(HUGE, { n: 100 });
    expect(["QUERY_TOO_COMPLEX", "UNAUTHENTICATED"]).toContain(codeOf(r));
  });
});
