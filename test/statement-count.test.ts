/**
 * DataLoader batching: the number of SQL statements a nested read sends does not grow with the
 * page size (no N+1). The gateway runs in this process, so `onQuery` sees its statements; this
 * file sends one request at a time (the worker runs one file at a time). Statements of the
 * status-event bus (its safety-net poll and NOTIFY wake-ups read `status_events`) are not part
 * of a request and are left out.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import type { PartnerRow } from "../src/db/schema.js";
import { makeApplication, makeLoanBook, makePartner, makeTransaction } from "./support/factories.js";
import { adminToken, gql, tokenFor } from "./support/world.js";

const CUSTOMERS = 52;
let partner: PartnerRow;
let admin: string;

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner();
  const mtl = await makeLoanBook({ partnerId: partner.id, count: CUSTOMERS - 12 });
  const stl = await makeLoanBook({ partnerId: partner.id, count: 12, productCode: "STL" });
  const customers = [...mtl.customers, ...stl.customers];
  const books = [...mtl.loans, ...stl.loans];
  // Some customers also have a denied application.
  for (let i = 0; i < customers.length; i += 6) await makeApplication({ customer: customers[i]!, status: "DENIED" });
  // Every loan has a payment, so whichever loans land on a page every relation is non-empty
  // (rows share created_at; the page is decided by the id tie-break).
  for (const book of books) await makeTransaction(book, 1_200_000n);
});

let stop: (() => void) | undefined;
afterEach(() => stop?.());

/** Run one request and return it with the statements sent while it ran. */
async function once(query: string, variables: Record<string, unknown>, token: string) {
  const statements: string[] = [];
  stop = onQuery((q) => {
    if (!/"?status_events"?/.test(q)) statements.push(q);
  });
  try {
    const result = await gql(query, variables, token);
    return { result, statements };
  } finally {
    stop();
    stop = undefined;
  }
}

/**
 * The request's statements: the fewest seen over a few identical runs, so that a statement of
 * something else running in this process at the time (a timer left by an earlier file of the
 * worker) cannot be mistaken for one of the request's.
 */
async function counted(query: string, variables: Record<string, unknown>, token: string) {
  let best = await once(query, variables, token);
  for (let i = 0; i < 2; i++) {
    const run = await once(query, variables, token);
    if (run.statements.length < best.statements.length) best = run;
  }
  return best;
}

describe("statement counts do not depend on the page size", () => {
  const CUSTOMER_TREE = `query($n: Int, $p: ID) { customers(first: $n, filter: { partnerId: $p }) {
    nodes { applications { nodes { loan { payments { dueDate amountDue status } } } } } } }`;

  it("customers → applications → loan → payments", async () => {
    const small = await counted(CUSTOMER_TREE, { n: 5, p: partner.id }, admin);
    const large = await counted(CUSTOMER_TREE, { n: 50, p: partner.id }, admin);
    for (const [run, n] of [[small, 5], [large, 50]] as const) {
      expect(run.result.errors).toBeUndefined();
      const nodes = run.result.data!.customers.nodes as { applications: { nodes: { loan: { payments: unknown[] } | null }[] } }[];
      expect(nodes).toHaveLength(n);
      // Real data at every level: each customer has a loan with its installments.
      for (const c of nodes) {
        const withLoan = c.applications.nodes.filter((a) => a.loan);
        expect(withLoan).toHaveLength(1);
        expect(withLoan[0]!.loan!.payments.length).toBeGreaterThan(0);
      }
    }
    expect(large.statements.length, large.statements.join("\n")).toBe(small.statements.length);
    expect(small.statements.length, small.statements.join("\n")).toBeLessThanOrEqual(6);
  });

  it("the ADMIN's filtered customer tree is one compiled statement (filters are compiled)", async () => {
    const run = await counted(CUSTOMER_TREE, { n: 50, p: partner.id }, admin);
    expect(run.result.data!.customers.nodes).toHaveLength(50);
    expect(run.statements, run.statements.join("\n")).toHaveLength(1);
    expect(run.statements[0]).toContain("row_to_json");
  });

  it("loans with every nested relation, totals and transactions", async () => {
    const LOAN_TREE = `query($n: Int, $p: ID) { loans(first: $n, filter: { partnerId: $p }) { totalCount nodes {
      totalDue totalPaid outstandingAmount
      customer { fullName partner { name } loans { totalCount } }
      application { statusHistory { toCode } creditScore { grade } product { code } }
      product { code } statusHistory { toCode }
      payments { amountDue }
      transactions { totalCount nodes { amount allocations { principal payment { installmentNumber } } } }
    } } }`;
    const small = await counted(LOAN_TREE, { n: 5, p: partner.id }, admin);
    const large = await counted(LOAN_TREE, { n: 50, p: partner.id }, admin);
    expect(small.result.errors).toBeUndefined();
    expect(large.result.errors).toBeUndefined();
    expect(large.result.data!.loans.nodes).toHaveLength(50);
    expect(large.statements.length, large.statements.join("\n")).toBe(small.statements.length);
    expect(small.statements.length, small.statements.join("\n")).toBeLessThanOrEqual(16);
  });

  it("a PARTNER's nested view batches the same way", async () => {
    const token = await tokenFor("PARTNER", partner.id);
    const TREE = `query($n: Int, $p: ID!) { partner(id: $p) { customers(first: $n) { totalCount nodes {
      nik applications { totalCount nodes { status loan { outstandingAmount payments { status } } } } loans(status: [CURRENT]) { totalCount } } } } }`;
    const small = await counted(TREE, { n: 5, p: partner.id }, token);
    const large = await counted(TREE, { n: 50, p: partner.id }, token);
    expect(small.result.errors).toBeUndefined();
    expect(large.result.data!.partner.customers.nodes).toHaveLength(50);
    expect(large.statements.length, large.statements.join("\n")).toBe(small.statements.length);
    expect(small.statements.length, small.statements.join("\n")).toBeLessThanOrEqual(12);
  });
});
