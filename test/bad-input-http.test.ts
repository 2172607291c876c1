/**
 * Bad input at the transport: malformed JSON, wrong content types, non-object bodies, `query`,
 * `variables`, `operationName` and `extensions` of the wrong type, oversized bodies (declared and
 * streamed), wrong methods and GET quirks. Each goes to the live gateway; the answer must be a
 * clear JSON error (no stack, SQL or driver text) and the server must keep answering.
 */
import { request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { expectClean, expectError, expectHealthy, post, rawGet, rawPost, type RawResult } from "./support/bad-input.js";
import { world } from "./support/world.js";

const JSON_CT = { "content-type": "application/json" };
const OK_QUERY = JSON.stringify({ query: "{ me { role } }" });

afterAll(expectHealthy);

async function check(label: string, r: RawResult, status: number | number[], code: string) {
  expectError(r, status, code, label);
  expectClean(r.text, [], label);
  expect(r.json.data, label).toBeUndefined();
  await expectHealthy();
}

/**
 * A GraphQL request error (the document does not parse or validate, the operation cannot be
 * determined), by GraphQL over HTTP: 400 with application/graphql-response+json; 200 with the
 * legacy application/json (fetch's default Accept is `*` / `*`, which gets application/json), the
 * same error and no `data` either way.
 */
async function checkRequestError(label: string, send: (headers: Record<string, string>) => Promise<RawResult>, code: string) {
  const modern = await send({ accept: "application/graphql-response+json" });
  expect(modern.contentType, label).toMatch(/^application\/graphql-response\+json/);
  await check(`${label} (graphql-response+json)`, modern, 400, code);
  for (const accept of ["application/json", "*/*"]) {
    const legacy = await send({ accept });
    expect(legacy.contentType, label).toMatch(/^application\/json/);
    await check(`${label} (${accept})`, legacy, 200, code);
    expect(legacy.json.errors, label).toEqual(modern.json.errors);
  }
}

describe("malformed JSON bodies", () => {
  it.each([
    ["an unterminated object", "{"],
    ["a truncated body", '{"query":"{ me { role } }"'],
    ["single quotes", "{'query':'{ me { role } }'}"],
    ["trailing garbage", `${OK_QUERY} x`],
    ["two objects", `${OK_QUERY}${OK_QUERY}`],
    ["a byte-order mark", `\uFEFF${OK_QUERY}`],
    ["NaN", '{"query":"{ me { role } }","variables":{"n":NaN}}'],
    ["a comment", `/* hi */ ${OK_QUERY}`],
    ["plain words", "hello world"],
  ])("%s is 400 BAD_REQUEST", async (label, body) => {
    await check(label, await rawPost(body), 400, "BAD_REQUEST");
  });

  it("invalid UTF-8 bytes are 400 BAD_REQUEST", async () => {
    await check("bytes", await rawPost(Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d])), 400, "BAD_REQUEST");
  });

  it("an empty body is 400 BAD_REQUEST", async () => {
    await check("empty", await rawPost(""), 400, "BAD_REQUEST");
  });
});

describe("content types", () => {
  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }],
    ["application/graphql", { "content-type": "application/graphql" }],
    ["text/xml", { "content-type": "text/xml" }],
    ["none", {} as Record<string, string>],
  ])("%s is 415 BAD_REQUEST (the body is not read as GraphQL)", async (label, headers) => {
    await check(label, await rawPost(OK_QUERY, headers), 415, "BAD_REQUEST");
  });

  it("a form-encoded mutation does not run", async () => {
    const r = await rawPost("query=mutation%7BrunDailyUpdate(asOf%3A%222026-01-01%22)%7BasOf%7D%7D", { "content-type": "application/x-www-form-urlencoded" });
    await check("form mutation", r, 415, "BAD_REQUEST");
  });
});

describe("bodies that are not a GraphQL request object", () => {
  it.each([
    ["null", "null"],
    ["a number", "42"],
    ["a string", '"{ me { role } }"'],
    ["true", "true"],
    ["an empty object", "{}"],
  ])("%s is 400 BAD_REQUEST", async (label, body) => {
    await check(label, await rawPost(body, JSON_CT), 400, "BAD_REQUEST");
  });

  it.each([
    ["an empty array", "[]"],
    ["a batch", `[${OK_QUERY},${OK_QUERY}]`],
  ])("%s (batching is off) is 400 BAD_REQUEST", async (label, body) => {
    await check(label, await rawPost(body, JSON_CT), 400, "BAD_REQUEST");
  });
});

describe("fields of the wrong type", () => {
  it.each([
    ["query is a number", { query: 42 }],
    ["query is an object", { query: { me: { role: true } } }],
    ["query is an array", { query: ["{ me { role } }"] }],
    ["query is true", { query: true }],
    ["query is null", { query: null }],
    ["query is missing", { variables: {} }],
    ["query is empty", { query: "" }],
    ["variables is a string", { query: "{ me { role } }", variables: "{}" }],
    ["variables is an array", { query: "{ me { role } }", variables: [1, 2] }],
    ["variables is a number", { query: "{ me { role } }", variables: 5 }],
    ["variables is true", { query: "{ me { role } }", variables: true }],
    ["operationName is a number", { query: "{ me { role } }", operationName: 5 }],
    ["operationName is an object", { query: "{ me { role } }", operationName: {} }],
    ["extensions is a string", { query: "{ me { role } }", extensions: "x" }],
    ["extensions is an array", { query: "{ me { role } }", extensions: [1] }],
  ])("%s is 400 BAD_REQUEST", async (label, payload) => {
    await check(label, await post(payload), 400, "BAD_REQUEST");
  });

  it("an unknown operationName is a request error with a clear code (400 for graphql-response+json)", async () => {
    const send = (h: Record<string, string>) => post({ query: "query A { me { role } } query B { me { role } }", operationName: "C" }, null, h);
    await checkRequestError("unknown operationName", send, "OPERATION_RESOLUTION_FAILURE");
  });

  it("several operations without operationName is a request error with a clear code (400 for graphql-response+json)", async () => {
    const send = (h: Record<string, string>) => post({ query: "query A { me { role } } query B { me { role } }" }, null, h);
    await checkRequestError("no operationName", send, "OPERATION_RESOLUTION_FAILURE");
  });
});

describe("documents that do not parse or validate", () => {
  it.each([
    ["an unclosed selection", "{ me { role "],
    ["a stray character", "{ me { role } } }"],
    ["an unterminated string", '{ loan(id: "abc) { id } }'],
    ["a bad escape", '{ loan(id: "\\x41") { id } }'],
    ["only a comment", "# nothing here"],
    ["a JSON object", '{"query": 1}'],
    ["SQL", "select * from customers; --"],
  ])("%s is GRAPHQL_PARSE_FAILED (400 for graphql-response+json, 200 for application/json)", async (label, query) => {
    await checkRequestError(label, (h) => post({ query }, null, h), "GRAPHQL_PARSE_FAILED");
  });

  it.each([
    ["an unknown field", "{ nope }"],
    ["an unknown argument", "{ loanProducts(sql: \"1\") { code } }"],
    ["a missing selection", "{ loanProducts }"],
    ["a selection on a scalar", "{ me { role { x } } }"],
    ["an undefined variable", "{ loan(id: $id) { id } }"],
    ["an unknown variable type", "query($x: Nope) { me { role } }"],
    ["an unused fragment", "fragment F on Loan { id } { me { role } }"],
    ["a fragment cycle", "fragment A on Loan { ...B } fragment B on Loan { ...A } { loan(id: \"x\") { ...A } }"],
    ["an unknown directive", "{ me @sql { role } }"],
    ["a subscription with two root fields", "subscription { a: loanStatusChanged { cursor } b: applicationStatusChanged { cursor } }"],
  ])("%s is GRAPHQL_VALIDATION_FAILED (400 for graphql-response+json, 200 for application/json)", async (label, query) => {
    await checkRequestError(label, (h) => post({ query }, null, h), "GRAPHQL_VALIDATION_FAILED");
  });
});

describe("subscriptions over HTTP", () => {
  it("are 400 BAD_REQUEST pointing to WebSocket (were INTERNAL_SERVER_ERROR), for every caller", async () => {
    const { adminToken } = await import("./support/world.js");
    for (const token of [null, await adminToken()]) {
      const r = await post({ query: "subscription { loanStatusChanged { cursor } }" }, token);
      await check("subscription over POST", r, 400, "BAD_REQUEST");
      expect(r.json.errors[0].message).toMatch(/WebSocket/);
    }
    const get = await rawGet(`?query=${encodeURIComponent("subscription { applicationStatusChanged { cursor } }")}`);
    await check("subscription over GET", get, [400, 405], "BAD_REQUEST");
  });
});

describe("size limits", () => {
  it("a 2 MB body is 413 PAYLOAD_TOO_LARGE", async () => {
    const body = JSON.stringify({ query: "{ me { role } }", variables: { x: "a".repeat(2_000_000) } });
    await check("2 MB", await rawPost(body), 413, "PAYLOAD_TOO_LARGE");
  });

  it("a 2 MB body streamed without Content-Length is 413 too (or the connection is cut)", async () => {
    const w = await world();
    const url = new URL(w.url);
    const outcome = await new Promise<{ status?: number; text?: string; error?: string }>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, text }));
        res.on("error", (e) => resolve({ status: res.statusCode, text, error: String(e) }));
      });
      req.on("error", (e) => resolve({ error: String(e) }));
      const chunk = "a".repeat(64 * 1024);
      req.write('{"query":"{ me { role } }","variables":{"x":"');
      let sent = 0;
      const pump = () => {
        while (sent < 2_000_000) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end('"}}');
      };
      pump();
    });
    if (outcome.status !== undefined) {
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.text!).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    } else {
      expect(outcome.error).toBeTruthy(); // the server stopped reading and closed the socket
    }
    await expectHealthy();
  });

  it("a body just under the limit is read (and its GraphQL checked as usual)", async () => {
    const body = JSON.stringify({ query: "{ me { role } }", variables: { x: "a".repeat(900_000) } });
    const r = await rawPost(body);
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.json).toEqual({ data: { me: null } });
  });

  it("a 200 KB string argument is answered without internals", async () => {
    const r = await post({ query: `query($s: String) { customers(filter: { search: $s }) { totalCount } }`, variables: { s: "x".repeat(200_000) } });
    expectError(r, [200, 401], "UNAUTHENTICATED", "200 KB search, anonymous");
    expectClean(r.text, ["x".repeat(200_000)]);
  });
});

describe("methods and GET", () => {
  it.each(["PUT", "DELETE", "PATCH"])("%s is 405", async (method) => {
    const w = await world();
    const res = await fetch(w.url, { method, headers: JSON_CT, body: OK_QUERY });
    const text = await res.text();
    expect(res.status).toBe(405);
    expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_REQUEST");
    expectClean(text);
    await expectHealthy();
  });

  it("a mutation over GET is refused and does not run", async () => {
    const r = await rawGet(`?query=${encodeURIComponent('mutation { createPartner(input: { code: "GETPARTNER", name: "x" }) { id } }')}`);
    await check("GET mutation", r, 405, "BAD_REQUEST");
  });

  it("GET without a CSRF preflight header is refused", async () => {
    const w = await world();
    const res = await fetch(`${w.url}?query=${encodeURIComponent("{ me { role } }")}`);
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_REQUEST");
    expectClean(text);
  });

  it.each([
    ["variables that are not JSON", `?query=${encodeURIComponent("{ me { role } }")}&variables=%7Bnope`],
    ["extensions that are not JSON", `?query=${encodeURIComponent("{ me { role } }")}&extensions=%5B`],
    ["no query", "?variables=%7B%7D"],
  ])("GET with %s is 400 BAD_REQUEST", async (label, search) => {
    await check(label, await rawGet(search), 400, "BAD_REQUEST");
  });

  it("GET with a query that does not parse is GRAPHQL_PARSE_FAILED (400 for graphql-response+json)", async () => {
    await checkRequestError("GET parse", (h) => rawGet(`?query=${encodeURIComponent("{ me {")}`, h), "GRAPHQL_PARSE_FAILED");
  });

  it("an enormous URL is refused by the HTTP layer and the server keeps answering", async () => {
    const w = await world();
    const res = await fetch(`${w.url}?query=${"%20".repeat(40_000)}`, { headers: { "apollo-require-preflight": "1" } }).catch(() => undefined);
    if (res) {
      expect([400, 413, 414, 431]).toContain(res.status);
      expectClean(await res.text());
    }
    await expectHealthy();
  });
});
