/**
 * The fast path of compiled reads (src/server/compiler/fast-path.ts): a plain POST read is
 * answered before Apollo, with the same status, content type and bytes as Apollo gives; every
 * other request, and every request a check refuses, goes through Apollo and gets Apollo's answer.
 * References on the same database: a gateway without compiled reads (the resolvers) and one with
 * compiled reads inside Apollo only (`compiledFastPath: false`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PartnerRow } from "../src/db/schema.js";
import { singleResultContentType } from "../src/server/compiler/fast-path.js";
import { sha256Hex, TrustedDocuments } from "../src/server/persisted.js";
import type { Gateway, GatewayOptions } from "../src/server/http.js";
import { makeLoanBook, makePartner, type LoanWorld } from "./support/factories.js";
import { startExtraGateway } from "./support/gateways.js";
import { adminToken, tokenFor, world } from "./support/world.js";

let resolvers: Gateway;
let pluginOnly: Gateway;
let partner: PartnerRow;
let book: LoanWorld[];
let tokens: Record<"admin" | "partner" | "customer", string>;

async function gateway(over: Partial<GatewayOptions>): Promise<Gateway> {
  return (await startExtraGateway(over)).gateway;
}

beforeAll(async () => {
  resolvers = await gateway({ compileReads: false });
  pluginOnly = await gateway({ compiledFastPath: false });
  partner = await makePartner();
  book = (await makeLoanBook({ partnerId: partner.id, count: 3 })).loans;
  tokens = {
    admin: await adminToken(),
    partner: await tokenFor("PARTNER", partner.id),
    customer: await tokenFor("CUSTOMER", book[0]!.loan.customerId),
  };
});

afterAll(async () => {
  await resolvers?.close();
  await pluginOnly?.close();
});

const POINT = `query LoanWithPayments($id: ID!) { loan(id: $id) { id status principal payments { installmentNumber dueDate status } } }`;
const LIST = `query Book($n: Int) { customers(first: $n) { totalCount pageInfo { endCursor } nodes { fullName loans { nodes { id principal } } } } }`;

const COSTLY = `query($n: Int) { customers(first: $n) { nodes { loans(first: $n) { nodes { payments { loan { payments { id } } } } } } } }`;

interface Sent {
  status: number;
  contentType: string | null;
  text: string;
}

async function send(base: string, init: { body: string; headers?: Record<string, string>; method?: string; search?: string }): Promise<Sent> {
  const res = await fetch(`${base}/graphql${init.search ?? ""}`, {
    method: init.method ?? "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: init.method === "GET" ? undefined : init.body,
  });
  return { status: res.status, contentType: res.headers.get("content-type"), text: await res.text() };
}

/** The same request to our gateway and the two references; and how ours answered it. */
async function all(init: Parameters<typeof send>[1]) {
  const w = await world();
  const before = w.gateway.compiledReads();
  const ours = await send(w.gateway.url, init);
  const after = w.gateway.compiledReads();
  return {
    ours,
    resolvers: await send(resolvers.url, init),
    plugin: await send(pluginOnly.url, init),
    fast: after.fastPath - before.fastPath,
    compiled: after.answered - before.answered,
  };
}

const json = (query: string, variables?: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ query, ...(variables ? { variables } : {}), ...extra });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe("the compiled-read fast path", () => {
  it("answers plain reads itself, with Apollo's status, content type and bytes, for every role", async () => {
    for (const token of Object.values(tokens)) {
      for (const [query, variables] of [
        [POINT, { id: book[1]!.loan.id }],
        [LIST, { n: 2 }],
      ] as const) {
        const r = await all({ body: json(query, variables), headers: bearer(token) });
        expect(r.fast).toBe(1);
        expect(r.ours).toEqual(r.resolvers);
        expect(r.plugin).toEqual(r.resolvers);
        expect(r.ours.status).toBe(200);
        expect(r.ours.contentType).toBe("application/json; charset=utf-8");
        expect(r.ours.text).not.toContain('"errors"');
      }
    }
  });

  it("labels the body as Apollo would for each Accept header, and leaves the rest to Apollo", async () => {
    const body = json(POINT, { id: book[0]!.loan.id });
    const cases: [string, number][] = [
      ["*/*", 1],
      ["application/json", 1],
      ["application/graphql-response+json, application/json;q=0.9", 1],
      ["application/json;q=0.5, application/graphql-response+json;q=0.8", 1],
      ["text/html", 0],
      ["application/xml", 0],
    ];
    for (const [accept, fast] of cases) {
      const r = await all({ body, headers: { ...bearer(tokens.admin), accept } });
      expect(r.fast, accept).toBe(fast);
      expect(r.ours, accept).toEqual(r.resolvers);
      expect(r.ours.contentType, accept).toBe(singleResultContentType(accept) ?? r.resolvers.contentType);
    }
    expect(singleResultContentType("application/graphql-response+json")).toBe("application/graphql-response+json; charset=utf-8");
    expect(singleResultContentType(undefined)).toBe("application/json; charset=utf-8");
  });

  it("sends everything else through Apollo, which answers it exactly as before", async () => {
    const id = book[2]!.loan.id;
    const admin = bearer(tokens.admin);
    const cases: [string, Parameters<typeof send>[1], { compiled: boolean; fast?: number }][] = [
      ["an anonymous caller", { body: json(POINT, { id }) }, { compiled: false }],
      ["a forged token", { body: json(POINT, { id }), headers: bearer(`${tokens.admin}x`) }, { compiled: false }],
      ["a token signed with another key", { body: json(POINT, { id }), headers: bearer("eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiQURNSU4ifQ.c2lnbmF0dXJl") }, { compiled: false }],
      ["a syntax error", { body: json(`query { loan(id: "${id}") { id `), headers: admin }, { compiled: false }],
      ["a validation error", { body: json(`query { loan(id: "${id}") { id nope } }`), headers: admin }, { compiled: false }],
      ["an unknown operationName", { body: json(POINT, { id }, { operationName: "Other" }), headers: admin }, { compiled: false }],
      ["the matching operationName (fast)", { body: json(POINT, { id }, { operationName: "LoanWithPayments" }), headers: admin }, { compiled: true, fast: 1 }],
      ["two operations, none named", { body: json(`${POINT} query B { me { role } }`, { id }), headers: admin }, { compiled: false }],
      ["a missing variable", { body: json(POINT), headers: admin }, { compiled: false }],
      ["null variables", { body: json(POINT, undefined, { variables: null }), headers: admin }, { compiled: false }],
      ["variables that are a list", { body: json(POINT, undefined, { variables: [id] }), headers: admin }, { compiled: false }],
      ["a non-string operationName", { body: json(POINT, { id }, { operationName: 7 }), headers: admin }, { compiled: false }],
      ["extensions (e.g. an APQ registration)", { body: json(POINT, { id }, { extensions: { foo: 1 } }), headers: admin }, { compiled: true }],
      ["an unknown body member", { body: json(POINT, { id }, { extra: 1 }), headers: admin }, { compiled: true }],
      ["a NUL in a variable", { body: json(POINT, { id: `${id}\u0000` }), headers: admin }, { compiled: false }],
      ["a text/plain body (CSRF)", { body: json(POINT, { id }), headers: { ...admin, "content-type": "text/plain; x=application/json" } }, { compiled: false }],
      ["GET", { body: "", method: "GET", search: `?query=${encodeURIComponent(POINT)}&variables=${encodeURIComponent(JSON.stringify({ id }))}`, headers: { ...admin, "apollo-require-preflight": "1" } }, { compiled: true }],
      ["a mutation", { body: json(`mutation { createPartner(input: { code: "", name: "" }) { id } }`), headers: admin }, { compiled: false }],
      ["too many aliases", { body: json(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: loan(id: "${id}") { id }`).join(" ")} }`), headers: admin }, { compiled: false }],
      ["too costly (lists multiplied by a variable first)", { body: json(COSTLY, { n: 100 }), headers: admin }, { compiled: false }],
      ["the same document at a low cost (fast)", { body: json(COSTLY, { n: 2 }), headers: admin }, { compiled: true, fast: 1 }],
      ["introspection by a partner in production rules", { body: json(`{ __schema { queryType { name } } }`), headers: bearer(tokens.partner) }, { compiled: false }],
    ];
    for (const [name, init, expected] of cases) {
      const r = await all(init);
      expect(r.fast, name).toBe(expected.fast ?? 0);
      expect(r.compiled > 0, name).toBe(expected.compiled);
      expect(r.ours, name).toEqual(r.resolvers);
      expect(r.plugin, name).toEqual(r.resolvers);
    }
  });

  it("answers for a read a check refuses what Apollo answers (trusted documents, introspection in production)", async () => {
    const trustedDocuments = TrustedDocuments.fromManifest({ [sha256Hex(LIST)]: LIST });
    const strict = await gateway({ development: false, trustedDocuments });
    try {
      const reference = await gateway({ development: false, trustedDocuments, compileReads: false });
      try {
        const body = json(POINT, { id: book[0]!.loan.id });
        for (const token of [tokens.partner, tokens.customer]) {
          const a = await send(strict.url, { body, headers: bearer(token) });
          const b = await send(reference.url, { body, headers: bearer(token) });
          expect(a).toEqual(b);
          expect(a.status).toBe(403);
          expect(a.text).toContain("PERSISTED_QUERY_NOT_ALLOWED");
        }
        expect(strict.compiledReads().fastPath).toBe(0);
        // ADMIN may run any document: answered by the fast path.
        const a = await send(strict.url, { body, headers: bearer(tokens.admin) });
        expect(a).toEqual(await send(reference.url, { body, headers: bearer(tokens.admin) }));
        expect(strict.compiledReads().fastPath).toBe(1);
        // A listed document, sent as text by a partner: answered by the fast path.
        const listed = json(LIST, { n: 2 });
        expect(await send(strict.url, { body: listed, headers: bearer(tokens.partner) })).toEqual(await send(reference.url, { body: listed, headers: bearer(tokens.partner) }));
        expect(strict.compiledReads().fastPath).toBe(2);
        // Introspection is ADMIN-only in production: refused by Apollo's path, as before.
        const schemaQuery = json(`{ __schema { queryType { name } } }`);
        const refused = await send(strict.url, { body: schemaQuery, headers: bearer(tokens.admin) });
        expect(refused.status).toBe(200);
      } finally {
        await reference.close();
      }
    } finally {
      await strict.close();
    }
  });
});
