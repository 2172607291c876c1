/**
 * Compiled reads (src/server/compiler): a read the compiler knows is answered by ONE SQL
 * statement, and its HTTP body is byte-identical to what the resolvers answer for the same
 * request. A second gateway on the same database with `compileReads: false` is the reference.
 * Queries the compiler does not take (filters, bad arguments, anonymous callers, directives)
 * are answered by the resolvers, with their errors.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import type { CustomerRow, PartnerRow } from "../src/db/schema.js";
import type { Gateway } from "../src/server/http.js";
import { makeApplication, makeCustomer, makeLoan, makeLoanBook, makePartner, makeTransaction, type LoanWorld } from "./support/factories.js";
import { startResolverOnlyGateway } from "./support/gateways.js";
import { adminToken, tokenFor, world } from "./support/world.js";

let reference: Gateway;
let partnerA: PartnerRow;
let partnerB: PartnerRow;
let customer: CustomerRow;
let books: LoanWorld[];
let tokens: Record<string, string>;

beforeAll(async () => {
  reference = await startResolverOnlyGateway();
  partnerA = await makePartner();
  partnerB = await makePartner();
  const a = await makeLoanBook({ partnerId: partnerA.id, count: 8 });
  const b = await makeLoanBook({ partnerId: partnerB.id, count: 4, productCode: "STL" });
  books = [...a.loans, ...b.loans];
  for (const [i, book] of books.entries()) if (i % 2 === 0) await makeTransaction(book, 1_200_000n);
  // A customer of partner A with several applications in different statuses and a loan.
  customer = await makeCustomer({ partnerId: partnerA.id, fullName: 'Dewi "Quote" \\ Back\u0001slash — ünïcode' });
  await makeApplication({ customer, status: "DENIED" });
  await makeApplication({ customer, status: "CANCELLED" });
  await makeLoan({ customer, status: "CURRENT", loanDate: "2026-02-03" });
  tokens = {
    admin: await adminToken(),
    partnerA: await tokenFor("PARTNER", partnerA.id),
    partnerB: await tokenFor("PARTNER", partnerB.id),
    customer: await tokenFor("CUSTOMER", customer.id),
  };
});

afterAll(async () => {
  await reference?.close();
});

async function post(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

/** Both gateways' answers, and the statements the compiling one sent. */
async function both(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const w = await world();
  const statements: string[] = [];
  const stop = onQuery((q) => {
    if (!/status_events/.test(q)) statements.push(q);
  });
  let compiled;
  try {
    compiled = await post(w.url, query, variables, token);
  } finally {
    stop();
  }
  const resolved = await post(`${reference.url}/graphql`, query, variables, token);
  return { compiled, resolved, statements };
}

async function expectCompiledSame(query: string, variables: Record<string, unknown>, token: string) {
  const r = await both(query, variables, token);
  expect(r.compiled.status).toBe(200);
  expect(r.resolved.text).not.toContain('"errors"');
  expect(r.compiled.text).toBe(r.resolved.text);
  // Exactly one statement: the compiled one (allow for one unrelated background statement).
  expect(r.statements.filter((s) => s.includes("row_to_json")).length, r.statements.join("\n")).toBe(1);
  return JSON.parse(r.compiled.text) as { data: Record<string, any> };
}

const LIST = `query CustomersWithLoans($n: Int, $after: String) {
  customers(first: $n, after: $after) { nodes { fullName applications { nodes { id status requestedAmount
    loan { id status principal payments { installmentNumber dueDate principalDue interestDue status } } } } } } }`;

const POINT = `query LoanWithPayments($id: ID!) { loan(id: $id) { id status principal disbursedAmount monthlyInterestRateBps
  tenorMonths disbursedAt payments { installmentNumber dueDate principalDue interestDue lateFeeDue paidAmount status paidAt } } }`;

describe("compiled reads answer exactly what the resolvers answer", () => {
  it("the benchmark list and point reads, for every role", async () => {
    for (const token of Object.values(tokens)) {
      await expectCompiledSame(LIST, { n: 10 }, token);
      for (const b of books.slice(0, 3)) await expectCompiledSame(POINT, { id: b.loan.id }, token);
    }
    const data = (await expectCompiledSame(LIST, { n: 50 }, tokens.partnerA!)).data;
    // The partner sees only its own 9 customers.
    expect(data.customers.nodes).toHaveLength(9);
  });

  it("connections: edges, cursors, pageInfo, totalCount, paging with after, status filters", async () => {
    const q = `query($n: Int, $after: String) { customers(first: $n, after: $after) {
      __typename totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
      edges { cursor __typename node { id nik createdAt walletBalance monthlyIncome dateOfBirth
        loans(first: 2) { totalCount edges { cursor node { id statusCode totalDue totalPaid outstandingAmount } } pageInfo { endCursor hasNextPage } }
        applications(status: [DENIED, CANCELLED]) { totalCount nodes { status statusCode createdAt updatedAt purpose tenorMonths } }
        none: applications(status: []) { totalCount nodes { id } } } } } }`;
    for (const token of Object.values(tokens)) {
      const first = (await expectCompiledSame(q, { n: 3 }, token)).data;
      const end = first.customers.pageInfo.endCursor;
      if (first.customers.pageInfo.hasNextPage) {
        const second = (await expectCompiledSame(q, { n: 3, after: end }, token)).data;
        expect(second.customers.pageInfo.hasPreviousPage).toBe(true);
        // A cursor the compiled path made is accepted by the resolvers and vice versa.
        expect(second.customers.edges[0].cursor).not.toBe(first.customers.edges[0].cursor);
      }
    }
  });

  it("aliases, fragments, __typename, nested relations both ways, me", async () => {
    const q = `query Tree($id: ID!, $c: ID!) {
      __typename
      l: loan(id: $id) { ...L again: payments { id amountDue outstandingAmount statusCode paidPrincipal paidInterest paidLateFee daysPastDue } }
      c: customer(id: $c) { __typename fullName partner { id code name } ... on Customer { email phone } }
      me { __typename role customer { id fullName } partner { id name loans(first: 3) { nodes { id } } } }
    }
    fragment L on Loan { __typename id originationFee createdAt daysPastDue
      customer { fullName partner { code } } application { id customer { id } loan { id } }
      payments { loan { id tenorMonths } installmentNumber } }`;
    for (const token of Object.values(tokens)) {
      await expectCompiledSame(q, { id: books[0]!.loan.id, c: customer.id }, token);
      await expectCompiledSame(q, { id: books[10]!.loan.id, c: books[10]!.loan.customerId }, token);
    }
  });

  it("root lists and point reads of every compiled type", async () => {
    const q = `query($p: ID!, $pay: ID!, $app: ID!) {
      loans(first: 4) { totalCount nodes { id status } }
      applications(first: 4) { nodes { id status loan { id } } }
      partner(id: $p) { id customers(first: 2) { totalCount nodes { nik } } applications(first: 2, status: [OFFER_ACCEPTED]) { totalCount } loans(status: [CURRENT]) { totalCount } }
      payment(id: $pay) { id dueDate loan { id } }
      application(id: $app) { id requestedAmount customer { id } partner { id } }
    }`;
    for (const token of Object.values(tokens)) {
      await expectCompiledSame(q, { p: partnerA.id, pay: books[1]!.payments[0]!.id, app: books[2]!.application.id }, token);
    }
  });

  it("every filter field of every root list, alone and together, for every role", async () => {
    const CUSTOMERS = `query($f: CustomerFilter, $n: Int) { customers(first: $n, filter: $f) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id fullName nik applications(first: 2) { nodes { id status } } loans(first: 2) { nodes { id status payments { installmentNumber status } } } } } }`;
    const APPLICATIONS = `query($f: ApplicationFilter) { applications(first: 5, filter: $f) { totalCount edges { cursor node { id status customer { id } } } } }`;
    const LOANS = `query($f: LoanFilter) { loans(first: 5, filter: $f) { totalCount pageInfo { hasNextPage startCursor } nodes { id status daysPastDue outstandingAmount } } }`;
    const loan = books[0]!.loan;
    const customerFilters: Record<string, unknown>[] = [
      {},
      { partnerId: partnerA.id },
      { partnerId: partnerB.id.toUpperCase() },
      { partnerId: "not-a-uuid" },
      { partnerId: null, search: null },
      { search: "Dewi" },
      { search: "  ünï " },
      { search: "%" },
      { search: "_" },
      { search: "   " },
      { search: customer.phone },
      { search: customer.phone.replace(/^\+62/, "0") },
      { search: customer.email.toUpperCase() },
      { search: customer.nik },
      { search: "x".repeat(254) },
      { partnerId: partnerA.id, search: "Dewi" },
    ];
    const applicationFilters: Record<string, unknown>[] = [
      { status: [] },
      { status: ["DENIED", "CANCELLED"] },
      { partnerId: partnerB.id },
      { customerId: customer.id },
      { customerId: "1 or 1=1" },
      { status: ["OFFER_ACCEPTED"], partnerId: partnerA.id, customerId: loan.customerId },
    ];
    const loanFilters: Record<string, unknown>[] = [
      { status: [] },
      { status: ["CURRENT"] },
      { status: ["CURRENT", "LATE_5DPD", "PAID_OFF"] },
      { partnerId: partnerA.id },
      { customerId: loan.customerId },
      { minDaysPastDue: 0 },
      { minDaysPastDue: 1 },
      { minDaysPastDue: -5 },
      { status: ["CURRENT"], partnerId: partnerB.id, customerId: books[10]!.loan.customerId, minDaysPastDue: 0 },
    ];
    for (const token of Object.values(tokens)) {
      for (const f of customerFilters) await expectCompiledSame(CUSTOMERS, { f, n: 3 }, token);
      for (const f of applicationFilters) await expectCompiledSame(APPLICATIONS, { f }, token);
      for (const f of loanFilters) await expectCompiledSame(LOANS, { f }, token);
    }
    // Inline literals too, and the filter values really filter.
    const inline = await expectCompiledSame(`{ customers(first: 50, filter: { partnerId: "${partnerB.id}" }) { totalCount nodes { partner { id } } } }`, {}, tokens.admin!);
    expect(inline.data.customers.totalCount).toBe(4);
    expect(new Set(inline.data.customers.nodes.map((n: { partner: { id: string } }) => n.partner.id))).toEqual(new Set([partnerB.id]));
    const found = await expectCompiledSame(CUSTOMERS, { f: { search: customer.nik } }, tokens.admin!);
    expect(found.data.customers.nodes.map((n: { id: string }) => n.id)).toEqual([customer.id]);
  });

  it("partners, loanProducts and the products of loans and applications, for every role", async () => {
    const q = `query($l: ID!) { partners { __typename id code name customers(first: 1) { totalCount } }
      loanProducts { id code name minAmount maxAmount minTenorMonths maxTenorMonths monthlyInterestRateBps originationFeeBps lateFeeBps }
      loan(id: $l) { product { code monthlyInterestRateBps } application { product { ...P } } }
      loans(first: 3) { nodes { product { ...P } } } }
      fragment P on LoanProduct { __typename id name lateFeeBps }`;
    for (const token of Object.values(tokens)) {
      for (const b of [books[0]!, books[10]!]) await expectCompiledSame(q, { l: b.loan.id }, token);
    }
    const admin = (await expectCompiledSame(q, { l: books[0]!.loan.id }, tokens.admin!)).data;
    expect(admin.loanProducts.map((p: { code: string }) => p.code)).toEqual(["MTL", "STL"]);
    expect(admin.partners.length).toBeGreaterThanOrEqual(2);
    const partner = (await expectCompiledSame(q, { l: books[0]!.loan.id }, tokens.partnerA!)).data;
    expect(partner.partners.map((p: { id: string }) => p.id)).toEqual([partnerA.id]);
  });

  it("statusHistory of applications and loans, for every role", async () => {
    const q = `query($l: ID!) { loan(id: $l) { statusHistory { __typename fromCode toCode reason actor at }
        application { statusHistory { toCode at } } }
      applications(first: 6) { nodes { id statusHistory { fromCode toCode actor } loan { statusHistory { ... on StatusChange { reason } } } } } }`;
    for (const token of Object.values(tokens)) {
      for (const b of [books[0]!, books[10]!]) await expectCompiledSame(q, { l: b.loan.id }, token);
    }
    const data = (await expectCompiledSame(q, { l: books[0]!.loan.id }, tokens.admin!)).data;
    expect(data.loan.application.statusHistory.length).toBeGreaterThan(0);
  });

  it("portfolioSummary: every field, for ADMIN (all, one partner) and PARTNER (own, with or without its id)", async () => {
    const q = `query($p: ID) { portfolioSummary(partnerId: $p) { __typename loanCount activeLoanCount disbursedTotal collectedTotal outstandingAmount
      byStatus { __typename status count outstandingAmount } byDaysPastDue { label minDays maxDays count outstandingAmount __typename }
      again: byStatus { count } ... on PortfolioSummary { total: loanCount } } }`;
    for (const p of [undefined, partnerA.id, partnerB.id.toUpperCase()]) await expectCompiledSame(q, { p }, tokens.admin!);
    for (const p of [undefined, partnerA.id, partnerA.id.toUpperCase()]) await expectCompiledSame(q, { p }, tokens.partnerA!);
    const all = (await expectCompiledSame(q, {}, tokens.admin!)).data.portfolioSummary;
    const a = (await expectCompiledSame(q, {}, tokens.partnerA!)).data.portfolioSummary;
    const b = (await expectCompiledSame(q, {}, tokens.partnerB!)).data.portfolioSummary;
    expect(a.loanCount).toBe(9);
    expect(b.loanCount).toBe(4);
    expect(all.loanCount).toBeGreaterThanOrEqual(13);
    expect(all.byDaysPastDue).toHaveLength(6);
  });

  it("portfolioSummary that the resolvers refuse (another partner, none, not a uuid, a CUSTOMER): their error", async () => {
    const q = `query($p: ID) { portfolioSummary(partnerId: $p) { loanCount byStatus { status } } }`;
    const nobody = "00000000-0000-4000-8000-000000000000";
    const cases: [string, unknown][] = [
      ["admin", nobody],
      ["admin", "1 or 1=1"],
      ["partnerA", partnerB.id],
      ["partnerA", nobody],
      ["partnerA", "not-a-uuid"],
      ["customer", undefined],
      ["customer", partnerA.id],
    ];
    for (const [role, p] of cases) {
      const r = await both(q, { p }, tokens[role]);
      expect(r.compiled.status).toBe(r.resolved.status);
      expect(r.compiled.text, `${role} ${p}`).toBe(r.resolved.text);
      expect(r.compiled.text).toMatch(/"code":"(NOT_FOUND|FORBIDDEN)"/);
      // An ADMIN's unknown partner is found out by the compiled statement (one, not run twice);
      // the other cases never reach the database through it.
      expect(r.statements.filter((s) => s.includes("row_to_json")).length).toBe(role === "admin" && p === nobody ? 1 : 0);
    }
  });

  it("random selections over the compiled fields (fast-check)", async () => {
    const scalarsLoan = ["id", "status", "statusCode", "principal", "originationFee", "disbursedAmount", "monthlyInterestRateBps", "tenorMonths", "disbursedAt", "daysPastDue", "createdAt", "totalDue", "totalPaid", "outstandingAmount"];
    const scalarsPayment = ["id", "installmentNumber", "dueDate", "principalDue", "interestDue", "lateFeeDue", "paidAmount", "status", "statusCode", "paidAt", "amountDue", "outstandingAmount"];
    const scalarsCustomer = ["id", "fullName", "nik", "phone", "email", "dateOfBirth", "monthlyIncome", "walletBalance", "createdAt"];
    const scalarsApp = ["id", "status", "statusCode", "requestedAmount", "tenorMonths", "purpose", "createdAt", "updatedAt"];
    const pick = (xs: string[]) => fc.subarray(xs, { minLength: 1 }).map((s) => s.join(" "));
    const payment = pick(scalarsPayment);
    const loan = fc
      .tuple(pick(scalarsLoan), fc.option(payment, { nil: undefined }))
      .map(([s, p]) => `${s}${p ? ` payments { ${p} }` : ""}`);
    const app = fc
      .tuple(pick(scalarsApp), fc.option(loan, { nil: undefined }))
      .map(([s, l]) => `${s}${l ? ` loan { ${l} }` : ""}`);
    const cust = fc
      .tuple(pick(scalarsCustomer), fc.option(app, { nil: undefined }), fc.option(loan, { nil: undefined }), fc.integer({ min: 1, max: 4 }))
      .map(([s, a, l, n]) => `${s}${a ? ` applications(first: ${n}) { totalCount nodes { ${a} } }` : ""}${l ? ` loans { nodes { ${l} } }` : ""}`);
    const roles = Object.keys(tokens);
    await fc.assert(
      fc.asyncProperty(cust, fc.integer({ min: 1, max: 12 }), fc.constantFrom(...roles), fc.boolean(), async (sel, n, role, pageInfo) => {
        const q = `query { customers(first: ${n}) { ${pageInfo ? "pageInfo { hasNextPage endCursor }" : ""} nodes { ${sel} } } }`;
        const r = await both(q, {}, tokens[role]);
        expect(r.compiled.text).toBe(r.resolved.text);
        expect(r.statements.filter((s) => s.includes("row_to_json")).length).toBe(1);
      }),
      { numRuns: 40, seed: 20261201 },
    );
  });
});

describe("what the compiler leaves to the resolvers", () => {
  const cases: [string, string, Record<string, unknown>, string | undefined][] = [
    ["first out of range", `query($n: Int) { customers(first: $n) { nodes { id } } }`, { n: 101 }, "admin"],
    ["first zero", `query($n: Int) { customers(first: $n) { nodes { id } } }`, { n: 0 }, "admin"],
    ["a forged cursor", `query($a: String) { customers(after: $a) { nodes { id } } }`, { a: "Zm9yZ2Vk" }, "admin"],
    ["another list's cursor", `query($a: String) { loans(after: $a) { nodes { id } } }`, { a: "" }, "admin"],
    ["an id that is not a uuid", `{ loan(id: "1 or 1=1") { id } }`, {}, "admin"],
    ["a search longer than any name (BAD_USER_INPUT)", `query($s: String) { customers(filter: { search: $s }) { nodes { id } } }`, { s: "x".repeat(255) }, "admin"],
    ["a filter with a wrong value type", `query($f: LoanFilter) { loans(filter: $f) { nodes { id } } }`, { f: { minDaysPastDue: "ten" } }, "admin"],
    ["a directive", `query($s: Boolean!) { loans(first: 2) { nodes { id status @include(if: $s) } } }`, { s: false }, "admin"],
    ["an anonymous caller", `{ loans(first: 2) { nodes { id } } }`, {}, undefined],
    ["a field it does not know", `{ applications(first: 2) { nodes { id creditScore { grade } offer { amount } } } }`, {}, "admin"],
    ["the product catalogue for an anonymous caller", `{ loanProducts { code name } }`, {}, undefined],
    ["wrong variable type", `query($n: Int) { customers(first: $n) { nodes { id } } }`, { n: "ten" }, "admin"],
    ...(["admin", "partnerA", "customer"] as const).map(
      (role): [string, string, Record<string, unknown>, string | undefined] => [
        `the corrections fields (RULES §12) as ${role}`,
        `{ loans(first: 5) { nodes { id status payoffQuote(asOf: "2026-06-01") { asOf principal interest lateFees interestWaived amount loan { id } }
          transactions { nodes { id kind reversed reversal { status requestedBy decidedBy } } } } } }`,
        {},
        role,
      ],
    ),
  ];
  it.each(cases)("%s: same answer as the resolvers", async (_name, query, variables, role) => {
    if (query.includes("loans(after: $a)")) {
      // A customer cursor used on the loans list.
      const page = JSON.parse((await post((await world()).url, `{ customers(first: 1) { pageInfo { endCursor } } }`, {}, tokens.admin)).text);
      variables = { a: page.data.customers.pageInfo.endCursor };
    }
    const r = await both(query, variables, role ? tokens[role] : undefined);
    expect(r.compiled.status).toBe(r.resolved.status);
    expect(r.compiled.text).toBe(r.resolved.text);
    expect(r.statements.filter((s) => s.includes("row_to_json")).length).toBe(0);
  });
});
