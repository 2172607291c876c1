/**
 * Bad credentials and bad WebSocket traffic against the live gateway: forged JWTs (alg none,
 * wrong key, another algorithm, expired, not yet valid, unsigned or unparsable claims, unknown
 * or missing role, a sub that is not a uuid), malformed Authorization headers, tokens whose role
 * does not match their sub; over graphql-ws: bad connectionParams, malformed protocol messages,
 * subscribe payloads that do not parse, validate or coerce. A bad token is UNAUTHENTICATED with
 * HTTP 401 (or WebSocket close 4403), never anonymous; nothing leaks; nothing is written.
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CustomerRow, PartnerRow } from "../src/db/schema.js";
import { ALLOWED_CODES, expectClean, expectError, expectHealthy, expectNothingWritten, post, wsConversation, type WsOutcome } from "./support/bad-input.js";
import { makeCustomer, makeLoan, makePartner, type LoanWorld } from "./support/factories.js";
import { registration } from "./support/registration.js";
import { adminToken, TEST_JWT_SECRET, tokenFor } from "./support/world.js";

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v), "utf8").toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** A JWT with any header and payload, signed HMAC-`hash` with `secret` (or given a raw signature). */
function jwt(header: unknown, payload: unknown, secret: string | null = TEST_JWT_SECRET, hash = "sha256"): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = secret === null ? "" : createHmac(hash, secret).update(input).digest("base64url");
  return `${input}.${sig}`;
}
const HS256 = { alg: "HS256", typ: "JWT" };

let admin: string;
let partner: PartnerRow;
let customer: CustomerRow;
let loan: LoanWorld;

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner();
  customer = await makeCustomer({ partnerId: partner.id });
  loan = await makeLoan({ customer });
});

afterAll(expectHealthy);

/** Tokens that must be refused; built lazily (they need the fixture's ids). */
const BAD_TOKENS: [string, () => string][] = [
  ["alg none, no signature", () => jwt({ alg: "none", typ: "JWT" }, { role: "ADMIN", sub: "mallory" }, null)],
  ["alg none with a signature", () => jwt({ alg: "none", typ: "JWT" }, { role: "ADMIN", sub: "mallory" }).replace(/\.[^.]*$/, ".x")],
  ["alg NONE", () => `${b64({ alg: "NONE" })}.${b64({ role: "ADMIN", sub: "mallory" })}.AAAA`],
  ["a wrong key", () => jwt(HS256, { role: "ADMIN", sub: "mallory" }, "not-the-secret-0123456789")],
  ["an empty key", () => jwt(HS256, { role: "ADMIN", sub: "mallory" }, "")],
  ["HS512 with the right secret", () => jwt({ alg: "HS512", typ: "JWT" }, { role: "ADMIN", sub: "mallory" }, TEST_JWT_SECRET, "sha512")],
  ["HS256 header, HS512 signature", () => jwt(HS256, { role: "ADMIN", sub: "mallory" }, TEST_JWT_SECRET, "sha512")],
  ["RS256 claimed", () => jwt({ alg: "RS256", typ: "JWT" }, { role: "ADMIN", sub: "mallory" })],
  ["a signature of another token", () => {
    const other = jwt(HS256, { role: "CUSTOMER", sub: customer.id });
    return `${jwt(HS256, { role: "ADMIN", sub: "mallory" }).split(".").slice(0, 2).join(".")}.${other.split(".")[2]}`;
  }],
  ["a truncated signature", () => jwt(HS256, { role: "ADMIN", sub: "tester" }).slice(0, -3)],
  ["expired", () => jwt(HS256, { role: "ADMIN", sub: "tester", exp: now() - 60 })],
  ["expired long ago", () => jwt(HS256, { role: "ADMIN", sub: "tester", exp: 1 })],
  ["exp as a string", () => jwt(HS256, { role: "ADMIN", sub: "tester", exp: String(now() + 3600) })],
  ["not yet valid (nbf)", () => jwt(HS256, { role: "ADMIN", sub: "tester", nbf: now() + 3600 })],
  ["claims that are not JSON", () => `${b64(HS256)}.${b64("role=ADMIN")}.${createHmac("sha256", TEST_JWT_SECRET).update(`${b64(HS256)}.${b64("role=ADMIN")}`).digest("base64url")}`],
  ["claims that are an array", () => jwt(HS256, [{ role: "ADMIN", sub: "tester" }])],
  ["a header that is not JSON", () => `${b64("HS256")}.${b64({ role: "ADMIN", sub: "tester" })}.AAAA`],
  ["an unknown role", () => jwt(HS256, { role: "SUPERADMIN", sub: "tester" })],
  ["a lower-case role", () => jwt(HS256, { role: "admin", sub: "tester" })],
  ["a role list", () => jwt(HS256, { role: ["ADMIN"], sub: "tester" })],
  ["no role", () => jwt(HS256, { sub: "tester" })],
  ["no sub", () => jwt(HS256, { role: "ADMIN" })],
  ["an empty sub", () => jwt(HS256, { role: "ADMIN", sub: "" })],
  ["a numeric sub", () => jwt(HS256, { role: "ADMIN", sub: 42 })],
  ["a 1000-character sub", () => jwt(HS256, { role: "ADMIN", sub: "a".repeat(1000) })],
  ["a CUSTOMER whose sub is not a uuid", () => jwt(HS256, { role: "CUSTOMER", sub: "1 or 1=1" })],
  ["a CUSTOMER whose sub is SQL", () => jwt(HS256, { role: "CUSTOMER", sub: `${customer.id}' or '1'='1` })],
  ["a PARTNER whose sub is not a uuid", () => jwt(HS256, { role: "PARTNER", sub: "partner-1" })],
];

const BAD_HEADERS: [string, () => string][] = [
  ["Bearer with nothing", () => "Bearer"],
  ["Bearer and a space", () => "Bearer "],
  ["Basic credentials", () => "Basic dXNlcjpwYXNz"],
  ["a bare token", () => admin],
  ["a lower-case scheme", () => `bearer ${admin}`],
  ["two tokens", () => `Bearer ${admin}, Bearer ${admin}`],
  ["four segments", () => `Bearer ${admin}.x`],
  ["garbage", () => "Bearer not-a-jwt"],
  ["SQL", () => "Bearer ' or 1=1 --"],
  ["8 KB of token", () => `Bearer ${"a".repeat(4000)}.${"b".repeat(4000)}.c`],
];

describe("HTTP: bad tokens are 401 UNAUTHENTICATED, never anonymous", () => {
  it.each(BAD_TOKENS)("%s", async (label, make) => {
    const token = make();
    const r = await post({ query: "{ me { role } loanProducts { code } }" }, token);
    expectError(r, 401, "UNAUTHENTICATED", label);
    expect(r.json.data, label).toBeUndefined();
    expectClean(r.text, [token], label);
  });

  it.each(BAD_HEADERS)("Authorization: %s", async (label, make) => {
    const r = await post({ query: "{ me { role } }" }, null, { authorization: make() });
    expectError(r, 401, "UNAUTHENTICATED", label);
    expectClean(r.text, [make()], label);
  });

  it("a mutation with a bad token writes nothing, anonymous-allowed ones included", async () => {
    for (const [label, make] of BAD_TOKENS.slice(0, 12)) {
      const r = await expectNothingWritten(() =>
        post({ query: `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`, variables: { input: registration() } }, make()),
      );
      expectError(r, 401, "UNAUTHENTICATED", label);
      const p = await expectNothingWritten(() => post({ query: `mutation { createPartner(input: { code: "FORGED1", name: "x" }) { id } }` }, make()));
      expectError(p, 401, "UNAUTHENTICATED", label);
    }
  });

  it("the server keeps answering good tokens after all that", async () => {
    const r = await post({ query: "{ me { role } }" }, admin);
    expect(r.json).toEqual({ data: { me: { role: "ADMIN" } } });
  });
});

describe("HTTP: valid signatures with claims of another role see nothing and change nothing", () => {
  const reads = (id: string) => ({
    query: `query($c: ID!, $l: ID!) { customer(id: $c) { id nik } loan(id: $l) { id } customers { totalCount } loans { totalCount } applications { totalCount } }`,
    variables: { c: id, l: loan.loan.id },
  });

  it("a PARTNER token whose sub is a customer's id", async () => {
    const token = await tokenFor("PARTNER", customer.id);
    const r = await post(reads(customer.id), token);
    expect(r.json).toEqual({ data: { customer: null, loan: null, customers: { totalCount: 0 }, loans: { totalCount: 0 }, applications: { totalCount: 0 } } });
    const reg = await expectNothingWritten(() =>
      post({ query: `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`, variables: { input: registration() } }, token),
    );
    expectError(reg, 200, ["FORBIDDEN", "NOT_FOUND"]);
    const sub = await expectNothingWritten(() =>
      post({ query: `mutation($c: ID) { submitApplication(input: { customerId: $c, productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "x" }) { id } }`, variables: { c: customer.id } }, token),
    );
    expectError(sub, 200, "NOT_FOUND");
    const summary = await post({ query: `{ portfolioSummary { loanCount } }` }, token);
    expect(summary.json).toEqual({ data: { portfolioSummary: { loanCount: 0 } } });
  });

  it("a CUSTOMER token whose sub is a partner's id", async () => {
    const token = await tokenFor("CUSTOMER", partner.id);
    const r = await post({ query: `{ me { role customer { id } } loans { totalCount } }` }, token);
    expect(r.json).toEqual({ data: { me: { role: "CUSTOMER", customer: null }, loans: { totalCount: 0 } } });
    const sub = await expectNothingWritten(() =>
      post({ query: `mutation { submitApplication(input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "x" }) { id } }` }, token),
    );
    expectError(sub, 200, "NOT_FOUND");
  });

  it("a CUSTOMER or PARTNER token calling ADMIN mutations is FORBIDDEN and writes nothing", async () => {
    for (const token of [await tokenFor("CUSTOMER", customer.id), await tokenFor("PARTNER", partner.id), await tokenFor("CUSTOMER", randomUUID())]) {
      for (const query of [
        `mutation { runDailyUpdate(asOf: "2030-01-01") { asOf } }`,
        `mutation { createPartner(input: { code: "NOTADMIN", name: "x" }) { id } }`,
        `mutation($l: ID!) { recordPayment(input: { loanId: $l, amount: "100000", idempotencyKey: "not-admin" }) { replayed } }`,
        `mutation($l: ID!) { writeOffLoan(loanId: $l, reason: "x") { id } }`,
      ]) {
        const r = await expectNothingWritten(() => post({ query, variables: { l: loan.loan.id } }, token));
        expectError(r, 200, "FORBIDDEN", query);
      }
    }
  });

  it("anonymous callers of ADMIN mutations are UNAUTHENTICATED and write nothing", async () => {
    const r = await expectNothingWritten(() => post({ query: `mutation { runDailyUpdate(asOf: "2030-01-01") { asOf } }` }));
    expectError(r, 200, "UNAUTHENTICATED");
  });
});

/** Every message of a conversation is protocol JSON; errors carry allowed codes and no internals. */
function expectCleanConversation(out: WsOutcome, label: string) {
  for (const m of out.messages) {
    expect(typeof m, `${label}: ${JSON.stringify(m)}`).toBe("object");
    const errors = m.type === "error" ? m.payload : m.type === "next" ? m.payload.errors ?? [] : [];
    for (const e of errors) expect(ALLOWED_CODES.has(e.extensions?.code), `${label}: ${JSON.stringify(e)}`).toBe(true);
    expectClean(JSON.stringify(m), [], label);
  }
  if (out.close) expectClean(out.close.reason, [], label);
}

/** A fresh connection still answers, over WebSocket and HTTP. */
async function expectWsHealthy() {
  const out = await wsConversation({ type: "connection_init", payload: { authorization: `Bearer ${admin}` } }, [
    { id: "ok", type: "subscribe", payload: { query: "{ loanProducts { code } }" } },
  ]);
  expect(out.messages.find((m) => m.type === "next")?.payload).toEqual({ data: { loanProducts: [{ code: "MTL" }, { code: "STL" }] } });
  await expectHealthy();
}

const init = (authorization?: unknown) => ({ type: "connection_init", payload: authorization === undefined ? {} : { authorization } });

describe("WebSocket: bad connectionParams close the socket with 4403", () => {
  it.each(BAD_TOKENS.slice(0, 16))("token: %s", async (label, make) => {
    const out = await wsConversation(init(`Bearer ${make()}`), [{ id: "1", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } }]);
    expect(out.close?.code, label).toBe(4403);
    expect(out.messages.filter((m) => m.type === "next")).toEqual([]);
  });

  it.each([
    ["a number", 5],
    ["an object", { token: "x" }],
    ["a list", ["Bearer x"]],
    ["true", true],
    ["garbage text", "Bearer garbage"],
    ["an empty Bearer", "Bearer "],
  ])("authorization as %s (a non-string was treated as anonymous)", async (label, authorization) => {
    const out = await wsConversation(init(authorization));
    expect(out.close?.code, label).toBe(4403);
    expect(out.messages.some((m) => m.type === "connection_ack"), label).toBe(false);
  });

  it.each([
    ["a string payload", { type: "connection_init", payload: "Bearer x" }],
    ["a list payload", { type: "connection_init", payload: ["x"] }],
    ["not JSON", "connection_init please"],
    ["JSON without a type", { payload: {} }],
    ["an unknown type", { type: "hello" }],
    ["a subscribe before init", { id: "1", type: "subscribe", payload: { query: "{ loanProducts { code } }" } }],
  ])("a first message that is %s closes the socket with a 44xx code", async (label, first) => {
    const out = await wsConversation(first);
    expect(out.close?.code, label).toBeGreaterThanOrEqual(4400);
    expect(out.close?.code, label).toBeLessThan(4500);
    expectCleanConversation(out, label);
  });

  afterAll(expectWsHealthy);
});

describe("WebSocket: malformed subscribe messages", () => {
  const authed = () => init(`Bearer ${admin}`);

  it.each([
    ["a numeric query", { id: "1", type: "subscribe", payload: { query: 5 } }],
    ["no query", { id: "1", type: "subscribe", payload: {} }],
    ["no payload", { id: "1", type: "subscribe" }],
    ["no id", { type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } }],
    ["a numeric id", { id: 1, type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } }],
    ["string variables", { id: "1", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }", variables: "{}" } }],
    ["not JSON", "{ subscribe"],
    ["a second connection_init", { type: "connection_init", payload: {} }],
  ])("%s closes the socket with a 44xx code", async (label, frame) => {
    const out = await wsConversation(authed(), [frame]);
    expect(out.close?.code, label).toBeGreaterThanOrEqual(4400);
    expect(out.close?.code, label).toBeLessThan(4500);
    expectCleanConversation(out, label);
  });

  it.each([
    ["does not parse", "subscription { loanStatusChanged { cursor ", {}, "GRAPHQL_PARSE_FAILED", undefined],
    ["is SQL", "select * from loans", {}, "GRAPHQL_PARSE_FAILED", undefined],
    ["asks for an unknown field", "subscription { nope }", {}, "GRAPHQL_VALIDATION_FAILED", undefined],
    ["has two root fields", "subscription { a: loanStatusChanged { cursor } b: applicationStatusChanged { cursor } }", {}, "GRAPHQL_VALIDATION_FAILED", undefined],
    ["has an unknown enum literal", "subscription { loanStatusChanged(loanId: NOPE) { cursor } }", {}, "GRAPHQL_VALIDATION_FAILED", undefined],
    ["has several operations and no name", "subscription A { loanStatusChanged { cursor } } subscription B { loanStatusChanged { cursor } }", {}, "OPERATION_RESOLUTION_FAILURE", undefined],
    ["has a wrongly typed variable", "subscription($a: ID) { loanStatusChanged(loanId: $a) { cursor } }", { a: { x: 1 } }, "BAD_USER_INPUT", "loanId"],
    ["misses a required variable", "subscription($a: ID!) { loanStatusChanged(loanId: $a) { cursor } }", {}, "BAD_USER_INPUT", "loanId"],
    ["has a forged cursor", "subscription($a: String) { loanStatusChanged(after: $a) { cursor } }", { a: "garbage" }, "BAD_USER_INPUT", "after"],
    ["has a NUL in an id", "subscription($a: ID) { applicationStatusChanged(applicationId: $a) { cursor } }", { a: "x\u0000" }, "BAD_USER_INPUT", "applicationId"],
    ["is a mutation with a bad Date", 'mutation { runDailyUpdate(asOf: "2026-13-01") { asOf } }', {}, "BAD_USER_INPUT", "asOf"],
  ])("a subscribe whose document %s gets an error with a clear code; the socket stays usable", async (label, query, variables, code, field) => {
    const out = await expectNothingWritten(() =>
      wsConversation(authed(), [
        { id: "bad", type: "subscribe", payload: { query, variables } },
        { id: "good", type: "subscribe", payload: { query: "{ loanProducts { code } }" } },
      ]),
    );
    expect(out.close, `${label}: ${JSON.stringify(out)}`).toBeUndefined();
    const answer = out.messages.find((m) => m.id === "bad" && (m.type === "error" || m.type === "next"));
    const errors = answer?.type === "error" ? answer.payload : answer?.payload?.errors;
    expect(errors?.[0]?.extensions?.code, `${label}: ${JSON.stringify(out.messages)}`).toBe(code);
    if (field) expect(errors[0].extensions.field, label).toBe(field);
    expect(out.messages.find((m) => m.id === "good" && m.type === "next")?.payload.data.loanProducts).toHaveLength(2);
    expectCleanConversation(out, label);
  });

  it("an anonymous subscriber is UNAUTHENTICATED", async () => {
    const out = await wsConversation(init(), [{ id: "1", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } }]);
    const errors = out.messages.find((m) => m.id === "1" && (m.type === "next" || m.type === "error"));
    const list = errors?.type === "error" ? errors.payload : errors?.payload?.errors;
    expect(list?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expectCleanConversation(out, "anonymous");
  });

  it("a duplicate subscribe id closes with 4409", async () => {
    const q = { query: "subscription { loanStatusChanged { cursor } }" };
    const out = await wsConversation(authed(), [{ id: "1", type: "subscribe", payload: q }, { id: "1", type: "subscribe", payload: q }]);
    expect(out.close?.code).toBe(4409);
  });

  afterAll(expectWsHealthy);
});
