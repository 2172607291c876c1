/**
 * Compiled reads cannot be made expensive by a short document (issue 11, items 1 and 3):
 * fragments that spread each other several times per level expand a 1 KB query into hundreds
 * of objects, and the compiler measures what it would emit before building it, leaving anything
 * over MAX_COMPILED_SQL_BYTES to the resolvers; its statement cache and the statements it keeps
 * prepared on the connections are bounded in bytes; aliases PostgreSQL would cut (63 bytes) are
 * answered by the resolvers too. In every case the answer is byte-identical to a gateway
 * without compiled reads.
 */
import { getOperationAST, parse, type DocumentNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import {
  compileRequest,
  MAX_COMPILED_SQL_BYTES,
  StatementCache,
  useStatementCache,
} from "../src/server/compiler/compile.js";
import { measureOperation } from "../src/server/complexity.js";
import type { Gateway } from "../src/server/http.js";
import { buildGatewaySchema } from "../src/server/schema.js";
import { makeCustomer, makeLoan, type LoanWorld } from "./support/factories.js";
import { startResolverOnlyGateway } from "./support/gateways.js";
import { tokenFor, world } from "./support/world.js";

const LOAN_FIELDS =
  "id status statusCode principal originationFee disbursedAmount monthlyInterestRateBps tenorMonths disbursedAt daysPastDue totalDue totalPaid outstandingAmount createdAt";

/** F0 = 14 loan fields; F(i) = three aliased `application { loan { ...F(i-1) } }`: 3^n loans. */
function loopFragments(n: number, loanId: string, fields = LOAN_FIELDS): string {
  let frags = `fragment F0 on Loan { ${fields} }\n`;
  for (let i = 1; i <= n; i++) {
    const b = (k: number) => `b${k}: application { loan { ...F${i - 1} } }`;
    frags += `fragment F${i} on Loan { ${b(0)} ${b(1)} ${b(2)} }\n`;
  }
  return `{ loan(id: "${loanId}") { ...F${n} } }\n${frags}`;
}

async function post(url: string, query: string, token: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, text: await res.text() };
}

let reference: Gateway;
let book: LoanWorld;
let token: string;

beforeAll(async () => {
  reference = await startResolverOnlyGateway();
  const customer = await makeCustomer();
  book = await makeLoan({ customer });
  token = await tokenFor("CUSTOMER", customer.id);
});

afterAll(async () => {
  await reference?.close();
});

/** The compiling gateway's answer, the statements it sent, and the resolver-only answer. */
async function both(query: string) {
  const w = await world();
  const statements: string[] = [];
  const stop = onQuery((q) => {
    if (!/status_events/.test(q)) statements.push(q);
  });
  let compiled;
  try {
    compiled = await post(w.url, query, token);
  } finally {
    stop();
  }
  const resolved = await post(`${reference.url}/graphql`, query, token);
  return { compiled, resolved, statements, compiledStatements: statements.filter((s) => s.includes("row_to_json")) };
}

describe("a short document that expands exponentially", () => {
  it("the 1 KB repro (729 loans) is answered by the resolvers, not by megabytes of SQL", async () => {
    const query = loopFragments(6, book.loan.id);
    expect(query.length).toBeLessThan(1100);
    const r = await both(query);
    expect(r.compiled.status).toBe(200);
    expect(r.compiled.text).toBe(r.resolved.text);
    const ids = [...r.compiled.text.matchAll(/"id":"([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(729);
    expect(new Set(ids)).toEqual(new Set([book.loan.id]));
    expect(r.compiledStatements).toEqual([]);
    // Each statement the resolvers sent is small (the old compiled one was 2 MB).
    expect(Math.max(...r.statements.map((s) => s.length))).toBeLessThan(16 * 1024);
  });

  it("the cost check counts every copy: its cost is the number of fields in the answer", () => {
    const schema = buildGatewaySchema();
    const query = loopFragments(6, book.loan.id);
    const doc = parse(query);
    const cost = measureOperation(schema, doc, getOperationAST(doc)!).cost;
    // 729 loans × 14 fields, plus 3 × (243 + 81 + 27 + 9 + 3 + 1) × 2 application/loan fields,
    // plus the root field: every value of the 257 KB answer counted once.
    expect(cost).toBe(729 * 14 + 3 * 364 * 2 + 1);
  });

  it("measuring is linear in the document: 2^40 expanded selections are counted, not walked", () => {
    const schema = buildGatewaySchema();
    let frags = "fragment F0 on Loan { id }\n";
    for (let i = 1; i <= 40; i++) frags += `fragment F${i} on Loan { ...F${i - 1} ...F${i - 1} }\n`;
    const doc = parse(`{ loan(id: "${book.loan.id}") { ...F40 } }\n${frags}`);
    const m = measureOperation(schema, doc, getOperationAST(doc)!);
    // Each level doubles the spreads below it: 2^40 copies of `id`, plus every spread.
    expect(m.cost).toBe(1 + 2 ** 40);
    expect(m.selections).toBe(1 + 2 ** 41 - 1 + 2 ** 40);
  });

  it("the same shape under the bound is still one compiled statement", async () => {
    const r = await both(loopFragments(2, book.loan.id));
    expect(r.compiled.text).toBe(r.resolved.text);
    expect(r.compiledStatements).toHaveLength(1);
    expect(r.compiledStatements[0]!.length).toBeLessThan(MAX_COMPILED_SQL_BYTES);
  });

  it("the size is estimated before anything is built, close to what would be built", () => {
    const schema = buildGatewaySchema();
    const viewer = { role: "CUSTOMER" as const, customerId: book.loan.customerId, sub: book.loan.customerId };
    const compile = (q: string) => {
      const doc = parse(q);
      return compileRequest(schema, doc, getOperationAST(doc)!, {}, viewer);
    };
    for (const n of [0, 1, 2]) {
      const req = compile(loopFragments(n, book.loan.id))!;
      expect(req).not.toBeNull();
      const ratio = req.statement.estimatedBytes / req.statement.text.length;
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.3);
    }
    // 27 loans would be ~80 KB of SQL: over the bound, nothing is built.
    expect(compile(loopFragments(3, book.loan.id))).toBeNull();
  });
});

describe("the statement cache and the prepared statements are bounded in bytes", () => {
  it("unique documents evict old statements; past the prepared budget statements run unnamed", async () => {
    const schema = buildGatewaySchema();
    const viewer = { role: "CUSTOMER" as const, customerId: book.loan.customerId, sub: book.loan.customerId };
    const small = new StatementCache(40 * 1024, 12 * 1024);
    const previous = useStatementCache(small);
    try {
      const w = await world();
      const prepared: boolean[] = [];
      for (let i = 0; i < 30; i++) {
        // A different document each time (an alias makes it unique), ~2.7 KB of SQL each.
        const q = `{ v${i}: loan(id: "${book.loan.id}") { id status totalDue outstandingAmount payments { installmentNumber amountDue } } }`;
        const doc = parse(q);
        const req = compileRequest(schema, doc, getOperationAST(doc)!, {}, viewer)!;
        prepared.push(req.statement.prepare);
        expect(small.bytes).toBeLessThanOrEqual(small.maxBytes);
        expect(small.preparedBytes).toBeLessThanOrEqual(small.maxPreparedBytes);
        // Prepared or not, the gateway answers it like the resolvers.
        const r = await both(q);
        expect(r.compiled.text).toBe(r.resolved.text);
        expect(r.compiledStatements).toHaveLength(1);
        void w;
      }
      expect(small.size).toBeLessThan(30);
      // The first statements fill the budget and stay prepared; the rest run unnamed.
      const firstUnprepared = prepared.indexOf(false);
      expect(firstUnprepared).toBeGreaterThan(0);
      expect(prepared.slice(firstUnprepared).every((p) => !p)).toBe(true);
    } finally {
      useStatementCache(previous);
    }
  });
});

describe("aliases PostgreSQL would cut at 63 bytes", () => {
  it("a 70-character alias comes back whole", async () => {
    const alias = `a${"x".repeat(69)}`;
    const r = await both(`{ loan(id: "${book.loan.id}") { ${alias}: status id } }`);
    expect(r.compiled.text).toBe(r.resolved.text);
    expect(JSON.parse(r.compiled.text).data.loan[alias]).toBe(book.loan.status);
  });

  it("two 64-character aliases that differ only at the end stay two keys", async () => {
    const stem = `b${"y".repeat(62)}`;
    const r = await both(`{ loan(id: "${book.loan.id}") { ${stem}1: status ${stem}2: id } }`);
    expect(r.compiled.text).toBe(r.resolved.text);
    const loan = JSON.parse(r.compiled.text).data.loan;
    expect(Object.keys(loan)).toEqual([`${stem}1`, `${stem}2`]);
    expect(loan[`${stem}2`]).toBe(book.loan.id);
  });

  it("long aliases on connections, edges and lists too", async () => {
    const long = (p: string) => `${p}${"z".repeat(64)}`;
    const q = `{ me { customer { ${long("c")}: loans(first: 2) { ${long("n")}: nodes { id ${long("p")}: payments { installmentNumber } } ${long("e")}: edges { ${long("k")}: cursor } ${long("i")}: pageInfo { ${long("h")}: hasNextPage } } } } }`;
    const r = await both(q);
    expect(r.compiled.text).toBe(r.resolved.text);
    expect(r.compiled.text).toContain(long("p"));
  });

  it("an alias of 61 characters is still compiled", async () => {
    const alias = `d${"w".repeat(60)}`;
    const r = await both(`{ loan(id: "${book.loan.id}") { ${alias}: status } }`);
    expect(r.compiled.text).toBe(r.resolved.text);
    expect(r.compiledStatements).toHaveLength(1);
  });
});

describe("filter values are parameters, never statement text", () => {
  const schema = buildGatewaySchema();
  // One parsed document per text, as the gateway keeps them (statements are cached per document).
  const docs = new Map<string, DocumentNode>();
  const compileAs = (q: string, variables: Record<string, unknown>) => {
    const viewer = { role: "ADMIN" as const, sub: "admin" };
    let doc = docs.get(q);
    if (!doc) docs.set(q, (doc = parse(q)));
    return compileRequest(schema, doc, getOperationAST(doc)!, variables, viewer);
  };

  it("one statement per filter shape, whatever the values; the values are not in its text", () => {
    const q = `query($f: CustomerFilter) { customers(first: 5, filter: $f) { totalCount nodes { id } } }`;
    const hostile = `x'); drop table customers; --`;
    const a = compileAs(q, { f: { search: hostile, partnerId: "0b3a4b62-51d5-4ad8-a0d4-1d9f0c0d4f10" } })!;
    const b = compileAs(q, { f: { search: "Dewi", partnerId: "7e4e2a1c-8f3b-4c1e-9a57-3c2f1b0d9e21" } })!;
    expect(a).not.toBeNull();
    expect(b.statement).toBe(a.statement);
    expect(a.statement.text).not.toContain("drop table");
    expect(a.statement.text).not.toContain("0b3a4b62");
    expect(Object.values(a.values)).toContain(`%${hostile}%`);
    // Another shape (no search, an empty status list vs a given one): another statement.
    const c = compileAs(q, { f: { partnerId: "7e4e2a1c-8f3b-4c1e-9a57-3c2f1b0d9e21" } })!;
    expect(c.statement).not.toBe(a.statement);
    const loans = `query($f: LoanFilter) { loans(filter: $f) { nodes { id } } }`;
    const empty = compileAs(loans, { f: { status: [] } })!;
    const given = compileAs(loans, { f: { status: ["CURRENT"] } })!;
    const other = compileAs(loans, { f: { status: ["LATE_5DPD", "PAID_OFF"], minDaysPastDue: 3 } })!;
    const same = compileAs(loans, { f: { status: ["PAID_OFF"], minDaysPastDue: 90 } })!;
    expect(empty.statement).not.toBe(given.statement);
    expect(other.statement).toBe(same.statement);
    expect(given.statement.text).not.toContain("CURRENT");
  });

  it("a filter's SQL counts in the size estimate as it is in the statement", () => {
    const q = `query($f: CustomerFilter, $l: LoanFilter) { customers(first: 5, filter: $f) { totalCount nodes { id loans(status: [CURRENT]) { nodes { id } } } }
        loans(filter: $l) { totalCount nodes { id } } }`;
    const bare = compileAs(q, {})!;
    const filtered = compileAs(q, {
      f: { search: "0812345678@x", partnerId: "7e4e2a1c-8f3b-4c1e-9a57-3c2f1b0d9e21" },
      l: { status: ["CURRENT"], minDaysPastDue: 1, customerId: "0b3a4b62-51d5-4ad8-a0d4-1d9f0c0d4f10" },
    })!;
    // Never under the real size (the bound's direction); small statements of a few connections
    // are overestimated by the connections' constant, as before filters.
    for (const req of [bare, filtered]) expect(req.statement.estimatedBytes).toBeGreaterThan(0.8 * req.statement.text.length);
    const added = filtered.statement.text.length - bare.statement.text.length;
    const estimated = filtered.statement.estimatedBytes - bare.statement.estimatedBytes;
    expect(added).toBeGreaterThan(300);
    expect(estimated / added).toBeGreaterThan(0.8);
    expect(estimated / added).toBeLessThan(1.3);
  });
});
