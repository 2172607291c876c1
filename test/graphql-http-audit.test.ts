/**
 * The GraphQL-over-HTTP conformance audit of `graphql-http` (its `serverAudits`, the audit the
 * spec's implementations list is made with) against the live gateway over HTTP: every MUST and
 * every SHOULD passes (MAYs are reported, not required).
 *
 * Two callers, so both answer paths are audited: anonymous on the worker's gateway (development;
 * Apollo answers), and ADMIN on a production gateway (`development: false`; authenticated plain
 * POST reads go through the compiled-read fast path first, which steps aside to Apollo on any
 * error). The audit itself sends no credentials: the ADMIN token is added by its `fetchFn`.
 */
import { request } from "node:http";
import { serverAudits, type Audit, type AuditResult } from "graphql-http";
import { DEFAULT_QUERY_LIMITS } from "../src/server/limits.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { adminToken, world } from "./support/world.js";

type Level = "MUST" | "SHOULD" | "MAY";
const levelOf = (a: Pick<Audit, "name">) => a.name.split(" ")[0] as Level;

/** The audits (their ids and names do not depend on the URL). */
const AUDITS = serverAudits({ url: "http://127.0.0.1/graphql" });
const total = (level: Level) => AUDITS.filter((a) => levelOf(a) === level).length;

let production: ExtraGateway;
let admin: string;

beforeAll(async () => {
  await world();
  production = await startExtraGateway({ development: false });
  admin = await adminToken();
});

afterAll(async () => {
  await production?.close();
});

const callers = [
  {
    label: "anonymous, development gateway",
    url: async () => (await world()).url,
    fetchFn: fetch,
  },
  {
    label: "ADMIN, production gateway (fast path first)",
    url: () => production.url,
    fetchFn: (input: string, init: RequestInit = {}) =>
      fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${admin}` } }),
  },
];

/** Why an audit failed, with the status and body the gateway gave. */
async function explain(r: AuditResult): Promise<string> {
  if (r.status === "ok") return "";
  const res = r.response.clone();
  return `${r.id} ${r.name}: ${r.reason} (HTTP ${res.status} ${res.headers.get("content-type")}: ${(await res.text()).slice(0, 300)})`;
}

describe.each(callers)("GraphQL over HTTP audit: $label", ({ url, fetchFn }) => {
  it(`passes all ${total("MUST")} MUST and all ${total("SHOULD")} SHOULD audits`, async () => {
    const results: AuditResult[] = [];
    // One after another: the outcome must not depend on how the audits interleave.
    for (const a of serverAudits({ url, fetchFn })) results.push(await a.fn());
    const passed = (level: Level) => results.filter((r) => levelOf(r) === level && r.status === "ok").length;
    const failures = (await Promise.all(results.filter((r) => levelOf(r) !== "MAY").map(explain))).filter(Boolean);
    const summary = `MUST ${passed("MUST")}/${total("MUST")}, SHOULD ${passed("SHOULD")}/${total("SHOULD")}, MAY ${passed("MAY")}/${total("MAY")}`;
    const mayNot = results.filter((r) => levelOf(r) === "MAY" && r.status !== "ok").map((r) => r.id);
    console.log(`graphql-http audit: ${summary}${mayNot.length ? ` (MAY not taken: ${mayNot.join(", ")})` : ""}`);
    expect(failures, summary).toEqual([]);
    expect(results).toHaveLength(AUDITS.length);
    expect(passed("MUST")).toBe(total("MUST"));
    expect(passed("SHOULD")).toBe(total("SHOULD"));
  });
});

const GRAPHQL_RESPONSE_JSON = "application/graphql-response+json";

interface Answer {
  status: number;
  contentType: string;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** POST a JSON body (a string as it is) with this Accept header; `null` sends no Accept header at all. */
function send(url: string, body: unknown, accept: string | null, token?: string): Promise<Answer> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const target = new URL(url);
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(text) };
  if (accept !== null) headers.accept = accept;
  if (token) headers.authorization = `Bearer ${token}`;
  // node:http rather than fetch, which always sends an Accept header (`*/*`).
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode!, contentType: res.headers["content-type"] ?? "", body: JSON.parse(data) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(text);
  });
}

const L = DEFAULT_QUERY_LIMITS;
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { role }`).join(" ")} }`;
const COSTLY = `query($n: Int) { customers(first: $n) { nodes { id applications(first: $n) { nodes { id loan { transactions(first: $n) { nodes { id amount } } } } } } } }`;

describe("status codes by response media type", () => {
  /**
   * GraphQL request errors before execution: 400 with application/graphql-response+json; with
   * application/json (asked for, `*` / `*`, or no Accept header) 200 with the same errors and no
   * `data` (the spec's "SHOULD use 200" for the legacy media type).
   */
  const requestErrors: [string, unknown, string, boolean?][] = [
    ["a document that does not parse", { query: "{ me {" }, "GRAPHQL_PARSE_FAILED"],
    ["a document over the token limit", { query: `{ ${"a ".repeat(L.maxTokens)} }` }, "GRAPHQL_PARSE_FAILED"],
    ["a document that does not validate", { query: "{ nope }" }, "GRAPHQL_VALIDATION_FAILED"],
    ["too many aliases (refused before Apollo)", { query: aliased(L.maxAliases + 1) }, "QUERY_TOO_COMPLEX"],
    ["a document over maxLength (refused before Apollo)", { query: `{ me { role } } # ${"x".repeat(L.maxLength)}` }, "QUERY_TOO_COMPLEX"],
    ["a cost over maxCost (refused in Apollo's pipeline)", { query: COSTLY, variables: { n: 100 } }, "QUERY_TOO_COMPLEX", true],
    ["an operation that cannot be determined", { query: "query A { me { role } } query B { me { role } }" }, "OPERATION_RESOLUTION_FAILURE"],
    ["a variable that cannot be coerced", { query: "query($n: Int!) { customers(first: $n) { totalCount } }", variables: { n: "ten" } }, "BAD_USER_INPUT", true],
    ["a missing required variable", { query: "query($n: Int!) { customers(first: $n) { totalCount } }" }, "BAD_USER_INPUT", true],
    ["a NUL character in a variable", { query: "query($s: String) { customers(filter: { search: $s }) { totalCount } }", variables: { s: "a\u0000b" } }, "BAD_USER_INPUT", true],
  ];

  it.each(requestErrors)("%s: 400 for graphql-response+json, 200 for application/json", async (_label, body, code, asAdmin) => {
    const w = await world();
    const token = asAdmin ? admin : undefined;
    const modern = await send(w.url, body, GRAPHQL_RESPONSE_JSON, token);
    expect(modern.status, JSON.stringify(modern.body)).toBe(400);
    expect(modern.contentType).toMatch(/^application\/graphql-response\+json/);
    expect(modern.body.errors?.[0]?.extensions?.code).toBe(code);
    expect(modern.body).not.toHaveProperty("data");
    for (const accept of ["application/json", "*/*", `application/json, ${GRAPHQL_RESPONSE_JSON};q=0.9`, null]) {
      const legacy = await send(w.url, body, accept, token);
      expect(legacy.status, `${accept}: ${JSON.stringify(legacy.body)}`).toBe(200);
      expect(legacy.contentType).toMatch(/^application\/json/);
      expect(legacy.body).toEqual(modern.body);
    }
  });

  /** Everything else keeps its status whatever the media type. */
  it.each([
    ["malformed JSON", () => "{ \"query\": ", 400, "BAD_REQUEST"],
    ["a batch", () => [{ query: "{ me { role } }" }, { query: "{ me { role } }" }], 400, "BAD_REQUEST"],
    ["a body without query", () => ({ variables: {} }), 400, "BAD_REQUEST"],
    ["a subscription over HTTP", () => ({ query: "subscription { loanStatusChanged { cursor } }" }), 400, "BAD_REQUEST"],
    ["an APQ hash that is not the text's", () => ({ query: "{ me { role } }", extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }), 400, "BAD_REQUEST"],
    ["a body over 1 MB", () => ({ query: "{ me { role } }", variables: { pad: "x".repeat(1_100_000) } }), 413, "PAYLOAD_TOO_LARGE"],
  ] as [string, () => unknown, number, string][])("%s: %i for every media type", async (_label, body, status, code) => {
    const w = await world();
    for (const accept of [GRAPHQL_RESPONSE_JSON, "application/json", null]) {
      const r = await send(w.url, body(), accept);
      expect(r.status, `${accept}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(status);
      expect(r.body.errors?.[0]?.extensions?.code).toBe(code);
    }
  });

  it("refusals of the caller keep 401 and 403 for every media type", async () => {
    for (const accept of [GRAPHQL_RESPONSE_JSON, "application/json", null]) {
      const badToken = await send(production.url, { query: "{ me { role } }" }, accept, "not-a-token");
      expect(badToken.status).toBe(401);
      expect(badToken.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      const introspection = await send(production.url, { query: "{ __schema { queryType { name } } }" }, accept);
      expect(introspection.status).toBe(403);
      expect(introspection.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
  });

  it("a field error during execution is 200 with data for every media type", async () => {
    const w = await world();
    for (const accept of [GRAPHQL_RESPONSE_JSON, "application/json", null]) {
      const r = await send(w.url, { query: "{ customers(first: 1) { totalCount } }" }, accept);
      expect(r.status).toBe(200);
      expect(r.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(r.body).toHaveProperty("data");
    }
  });
});
