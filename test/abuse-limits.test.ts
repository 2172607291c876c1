/**
 * Abuse limits of every operation (src/server/limits.ts), on HTTP and over WebSocket: document
 * length and tokens, aliases/repeated fields, fragment bombs, the 1 MB body cap, batching; and
 * introspection/playground in production. Every refusal comes before anything executes.
 */
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import { DEFAULT_QUERY_LIMITS } from "../src/server/limits.js";
import { startExtraGateway, wsOnce, type ExtraGateway } from "./support/gateways.js";
import { gatewayWsUrl } from "./support/ws.js";
import { adminToken, codeOf, gql, tokenFor, world, type GqlResult } from "./support/world.js";

const L = DEFAULT_QUERY_LIMITS;

/**
 * Refusals of the document are GraphQL request errors: HTTP 400 for a client that accepts
 * application/graphql-response+json, as here; 200 for the legacy application/json (GraphQL over
 * HTTP; see test/graphql-http-audit.test.ts).
 */
const MODERN = { accept: "application/graphql-response+json" };

/** `{ a0: customers(first: 1) { totalCount } a1: … }`: n aliased root fields. */
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: customers(first: 1) { totalCount }`).join(" ")} }`;

/** Fragments that spread the one before twice: 2^n selections from a few hundred characters. */
function fragmentBomb(n: number): string {
  let frags = "fragment F0 on Query { __typename }\n";
  for (let i = 1; i <= n; i++) frags += `fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }\n`;
  return `{ ...F${n} }\n${frags}`;
}

/** SQL statements sent while `fn` runs (the event bus' own polling aside). */
async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  await world();
  const seen: string[] = [];
  const stop = onQuery((q) => {
    if (!/status_events/.test(q)) seen.push(q);
  });
  try {
    await fn();
  } finally {
    stop();
  }
  return seen;
}

describe("document limits over HTTP", () => {
  it("too many aliases: QUERY_TOO_COMPLEX, HTTP 400, nothing runs; at the limit it runs", async () => {
    const admin = await adminToken();
    let r: GqlResult | undefined;
    const sql = await statementsDuring(async () => (r = await gql(aliased(L.maxAliases + 1), {}, admin, MODERN)));
    expect(codeOf(r!)).toBe("QUERY_TOO_COMPLEX");
    expect(r!.status).toBe(400);
    expect(r!.errors![0]!.extensions).toMatchObject({ aliases: L.maxAliases + 1, maxAliases: L.maxAliases });
    expect(r!.data ?? null).toBeNull();
    expect(sql).toEqual([]);
    const ok = await gql(`{ ${Array.from({ length: L.maxAliases }, (_, i) => `a${i}: me { role }`).join(" ")} }`, {}, admin);
    expect(ok.errors).toBeUndefined();
    expect(Object.keys(ok.data!)).toHaveLength(L.maxAliases);
  });

  it("the same field repeated without aliases counts too (also inside fragments)", async () => {
    // The first `role` is the field, every further one a repeat.
    const many = Array.from({ length: L.maxAliases + 2 }, () => "role").join(" ");
    const direct = await gql(`{ me { ${many} } }`);
    expect(codeOf(direct)).toBe("QUERY_TOO_COMPLEX");
    const viaFragment = await gql(`{ me { ...V } } fragment V on Viewer { ${many} }`, {}, null, MODERN);
    expect(codeOf(viaFragment)).toBe("QUERY_TOO_COMPLEX");
    expect(viaFragment.status).toBe(400);
  });

  it("a document over the token limit is a parse error (HTTP 400) before validation", async () => {
    const r = await gql(`{ ${"a ".repeat(L.maxTokens)} }`, {}, null, MODERN);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe("GRAPHQL_PARSE_FAILED");
    expect(r.errors![0]!.message).toMatch(/more th(?:an|at) \d+ tokens/); // graphql 16 says "more that"
  });

  it("a document longer than maxLength is refused before parsing (one long string is one token)", async () => {
    const r = await gql(`query { customer(id: "${"x".repeat(L.maxLength)}") { id } }`, {}, await adminToken(), MODERN);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe("QUERY_TOO_COMPLEX");
    expect(r.errors![0]!.extensions!.maxLength).toBe(L.maxLength);
  });

  it("a fragment bomb is refused quickly, not measured for hours", async () => {
    const started = Date.now();
    const r = await gql(fragmentBomb(40), {}, null, MODERN);
    expect(codeOf(r), JSON.stringify(r.errors)).toBe("QUERY_TOO_COMPLEX");
    expect(r.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("keeps the 1 MB body cap (413) and refuses batches (400)", async () => {
    const w = await world();
    const big = await fetch(w.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { role } }", variables: { pad: "x".repeat(1_100_000) } }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    const batch = await fetch(w.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ me { role } }" }, { query: "{ me { role } }" }]),
    });
    expect(batch.status).toBe(400);
  });

  it("limits are configurable per gateway", async () => {
    const gw = await startExtraGateway({ limits: { maxAliases: 2, maxTokens: 200, maxLength: 1000 } });
    try {
      expect(codeOf(await gw.gql(`{ a: me { role } b: me { role } }`))).toBeUndefined();
      const three = await gw.gql(`{ a: me { role } b: me { role } c: me { role } }`);
      expect(three.errors![0]!.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", maxAliases: 2 });
      expect(codeOf(await gw.gql(`{ ${"a ".repeat(250)} }`))).toBe("GRAPHQL_PARSE_FAILED");
      expect((await gw.gql(`{ me { role } } # ${"x".repeat(1000)}`)).errors![0]!.extensions).toMatchObject({ maxLength: 1000 });
    } finally {
      await gw.close();
    }
  });
});

describe("the same limits over WebSocket", () => {
  it("aliases, tokens, length, fragment bombs and cost are refused with the same codes", async () => {
    const url = await gatewayWsUrl();
    const admin = await adminToken();
    const cases: [string, string][] = [
      [aliased(L.maxAliases + 1), "QUERY_TOO_COMPLEX"],
      [`{ ${"a ".repeat(L.maxTokens)} }`, "GRAPHQL_PARSE_FAILED"],
      [`query { customer(id: "${"x".repeat(L.maxLength)}") { id } }`, "QUERY_TOO_COMPLEX"],
      [fragmentBomb(40), "QUERY_TOO_COMPLEX"],
      [`subscription { loanStatusChanged { loan { ${Array.from({ length: L.maxAliases + 1 }, (_, i) => `s${i}: status`).join(" ")} } } }`, "QUERY_TOO_COMPLEX"],
    ];
    for (const [query, code] of cases) {
      const r = await wsOnce(url, { query }, admin);
      expect(r.errors?.[0]?.extensions?.code, `${query.slice(0, 60)}: ${JSON.stringify(r)}`).toBe(code);
    }
  });

  it("a message over 1 MB closes the socket (1009) before anything is parsed", async () => {
    const r = await wsOnce(await gatewayWsUrl(), { query: "{ me { role } }", variables: { pad: "x".repeat(1_100_000) } });
    expect(r.closed).toBe(1009);
  });

  it("a syntax or validation error is answered as an error (the socket stays usable)", async () => {
    const url = await gatewayWsUrl();
    expect((await wsOnce(url, { query: "{ me { " })).errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    expect((await wsOnce(url, { query: "{ me { nope } }" })).errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect((await wsOnce(url, { query: "{ me { role } }" })).data).toEqual({ me: null });
  });
});

describe("introspection and the playground in production", () => {
  let prod: ExtraGateway;
  beforeAll(async () => {
    prod = await startExtraGateway({ development: false });
  });
  afterAll(async () => prod?.close());

  const SCHEMA_Q = `{ __schema { queryType { name } } }`;

  it("anonymous, CUSTOMER and PARTNER callers get FORBIDDEN (HTTP 403); ADMIN gets the schema", async () => {
    for (const token of [null, await tokenFor("CUSTOMER", "00000000-0000-4000-8000-000000000001"), await tokenFor("PARTNER", "00000000-0000-4000-8000-000000000002")]) {
      const r = await prod.gql(getIntrospectionQuery(), {}, token);
      expect(r.status).toBe(403);
      expect(codeOf(r)).toBe("FORBIDDEN");
      expect(r.data ?? null).toBeNull();
    }
    const admin = await prod.gql(getIntrospectionQuery(), {}, await adminToken());
    expect(admin.errors).toBeUndefined();
    expect(admin.data!.__schema.queryType.name).toBe("Query");
  });

  it("hiding __schema or __type in a fragment, or under another field, does not help", async () => {
    for (const q of [
      `{ ...I } fragment I on Query { __schema { types { name } } }`,
      `{ ... on Query { __type(name: "Loan") { fields { name } } } }`,
      `query { me { role } ...I } fragment I on Query { __type(name: "Customer") { name } }`,
    ]) {
      const r = await prod.gql(q);
      expect(codeOf(r), q).toBe("FORBIDDEN");
    }
    // __typename is not introspection.
    expect((await prod.gql(`{ __typename me { __typename } }`)).data).toEqual({ __typename: "Query", me: null });
  });

  it("over WebSocket too", async () => {
    const r = await wsOnce(prod.wsUrl, { query: SCHEMA_Q });
    expect(r.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const admin = await wsOnce(prod.wsUrl, { query: SCHEMA_Q }, await adminToken());
    expect(admin.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });

  it("validation errors do not suggest field names in production", async () => {
    const r = await prod.gql(`{ custome { id } }`);
    expect(codeOf(r)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(r.errors![0]!.message).not.toMatch(/Did you mean/);
    // (development keeps the suggestions)
    expect((await gql(`{ custome { id } }`)).errors![0]!.message).toMatch(/Did you mean/);
  });

  it("the playground page carries no token and the demo-token endpoint does not exist", async () => {
    const page = await fetch(`${prod.gateway.url}/playground`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/Bearer/);
    expect(html).toMatch(/"development":false/);
    expect((await fetch(`${prod.gateway.url}/dashboard/demo-token`)).status).toBe(404);
  });

  it("development: introspection is open to anonymous callers", async () => {
    const r = await gql(SCHEMA_Q);
    expect(r.errors).toBeUndefined();
    expect(r.data!.__schema.queryType.name).toBe("Query");
  });
});
