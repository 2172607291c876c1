/**
 * Relay connections: newest-first keyset order, `first` bounds, opaque cursors, `totalCount`,
 * paging through every row exactly once, and the list filters.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { CustomerRow, PartnerRow } from "../src/db/schema.js";
import { makeApplication, makeCustomer, makeLoan, makePartner, makeTransaction, type LoanWorld } from "./support/factories.js";
import { adminToken, codeOf, gql, tokenFor } from "./support/world.js";

interface Keyed {
  id: string;
  createdAt: Date;
}
/** The order every list promises: created_at desc, id desc. */
const newestFirst = (rows: Keyed[]) =>
  [...rows].sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0)).map((r) => r.id);

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  nodes: { id: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
const PAGE = `totalCount edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

/** Follow `endCursor` to the end, checking each page's shape; returns ids in the order served. */
async function pageThrough(fetchPage: (first: number, after: string | null) => Promise<Page>, first: number, expectedTotal: number) {
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page: Page = await fetchPage(first, after);
    expect(page.totalCount).toBe(expectedTotal);
    expect(page.nodes.map((n) => n.id)).toEqual(page.edges.map((e) => e.node.id));
    expect(page.nodes.length).toBeLessThanOrEqual(first);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
    seen.push(...page.nodes.map((n) => n.id));
    if (!page.pageInfo.hasNextPage) {
      expect(page.nodes.length).toBeGreaterThan(0);
      return seen;
    }
    expect(page.nodes.length).toBe(first);
    after = page.pageInfo.endCursor;
  }
  throw new Error("paging did not end");
}

let admin: string;
let partner: PartnerRow;
/** The partner's customers; several share one created_at to exercise the id tie-break. */
let people: CustomerRow[];
let loanWorlds: LoanWorld[];
const base = Date.parse("2025-06-01T00:00:00.000Z");

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner();
  people = [];
  loanWorlds = [];
  for (let i = 0; i < 11; i++) {
    // Three groups of customers share a timestamp; created out of time order on purpose.
    const createdAt = new Date(base + [5, 1, 5, 3, 5, 9, 1, 7, 5, 3, 2][i]! * 60_000);
    const customer = await makeCustomer({ partnerId: partner.id, createdAt });
    people.push(customer);
    await makeApplication({ customer, status: "DENIED", createdAt });
    loanWorlds.push(await makeLoan({ customer, createdAt: new Date(createdAt.getTime() + (i % 3) * 1000) }));
  }
});

describe("paging", () => {
  it("customers: every row exactly once, newest first, at several page sizes", async () => {
    const expected = newestFirst(people);
    for (const first of [1, 3, 4, 11, 100]) {
      const got = await pageThrough(async (n, after) => {
        const r = await gql(`query($n: Int, $after: String, $p: ID) { customers(first: $n, after: $after, filter: { partnerId: $p }) { ${PAGE} } }`, { n, after, p: partner.id }, admin);
        expect(r.errors).toBeUndefined();
        return r.data!.customers;
      }, first, 11);
      expect(got).toEqual(expected);
    }
  });

  it("Partner.customers pages the same way", async () => {
    const got = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $p: ID!) { partner(id: $p) { customers(first: $n, after: $after) { ${PAGE} } } }`, { n, after, p: partner.id }, admin);
      expect(r.errors).toBeUndefined();
      return r.data!.partner.customers;
    }, 4, 11);
    expect(got).toEqual(newestFirst(people));
  });

  it("a PARTNER pages its own customers", async () => {
    const token = await tokenFor("PARTNER", partner.id);
    const got = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String) { customers(first: $n, after: $after) { ${PAGE} } }`, { n, after }, token);
      expect(r.errors).toBeUndefined();
      return r.data!.customers;
    }, 5, 11);
    expect(got).toEqual(newestFirst(people));
  });

  it("applications and loans, root and nested under the partner", async () => {
    const apps = await gql(`query($p: ID) { applications(first: 100, filter: { partnerId: $p }) { nodes { id createdAt } } }`, { p: partner.id }, admin);
    const appRows = apps.data!.applications.nodes.map((n: { id: string; createdAt: string }) => ({ id: n.id, createdAt: new Date(n.createdAt) }));
    expect(appRows).toHaveLength(22);
    const expectedApps = newestFirst(appRows);
    expect(appRows.map((r: Keyed) => r.id)).toEqual(expectedApps);

    const rootApps = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $p: ID) { applications(first: $n, after: $after, filter: { partnerId: $p }) { ${PAGE} } }`, { n, after, p: partner.id }, admin);
      return r.data!.applications;
    }, 5, 22);
    expect(rootApps).toEqual(expectedApps);
    const nestedApps = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $p: ID!) { partner(id: $p) { applications(first: $n, after: $after) { ${PAGE} } } }`, { n, after, p: partner.id }, admin);
      return r.data!.partner.applications;
    }, 7, 22);
    expect(nestedApps).toEqual(expectedApps);

    const expectedLoans = newestFirst(loanWorlds.map((l) => l.loan));
    const rootLoans = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $p: ID) { loans(first: $n, after: $after, filter: { partnerId: $p }) { ${PAGE} } }`, { n, after, p: partner.id }, admin);
      return r.data!.loans;
    }, 3, 11);
    expect(rootLoans).toEqual(expectedLoans);
    const nestedLoans = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $p: ID!) { partner(id: $p) { loans(first: $n, after: $after) { ${PAGE} } } }`, { n, after, p: partner.id }, admin);
      return r.data!.partner.loans;
    }, 2, 11);
    expect(nestedLoans).toEqual(expectedLoans);
  });

  it("Customer.applications and Customer.loans page per customer", async () => {
    const customer = await makeCustomer();
    const rows: Keyed[] = [];
    for (let i = 0; i < 5; i++) rows.push(await makeApplication({ customer, status: "DENIED", createdAt: new Date(base + (i % 2) * 1000) }));
    const lw = await makeLoan({ customer, status: "PAID_OFF" });
    rows.push(lw.application);
    const got = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $c: ID!) { customer(id: $c) { applications(first: $n, after: $after) { ${PAGE} } } }`, { n, after, c: customer.id }, admin);
      expect(r.errors).toBeUndefined();
      return r.data!.customer.applications;
    }, 2, 6);
    expect(got).toEqual(newestFirst(rows));
    const loans = await gql(`query($c: ID!) { customer(id: $c) { loans(first: 1) { ${PAGE} } } }`, { c: customer.id }, admin);
    expect(loans.data!.customer.loans.nodes).toEqual([{ id: lw.loan.id }]);
    expect(loans.data!.customer.loans.pageInfo.hasNextPage).toBe(false);
  });

  it("nested connections of several parents in one request each page on their own", async () => {
    const [x, y] = [people[0]!, people[1]!];
    const r = await gql(
      `query($x: ID!, $y: ID!) { x: customer(id: $x) { applications(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } }
                                  y: customer(id: $y) { applications(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } } }`,
      { x: x.id, y: y.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    for (const k of ["x", "y"]) {
      expect(r.data![k].applications.totalCount).toBe(2);
      expect(r.data![k].applications.nodes).toHaveLength(1);
      expect(r.data![k].applications.pageInfo.hasNextPage).toBe(true);
    }
    expect(r.data!.x.applications.nodes[0].id).not.toBe(r.data!.y.applications.nodes[0].id);
  });

  it("Loan.transactions pages newest first", async () => {
    const customer = await makeCustomer();
    const lw = await makeLoan({ customer });
    const txs = [];
    for (let i = 0; i < 5; i++) txs.push(await makeTransaction(lw, 10_000n + BigInt(i)));
    const got = await pageThrough(async (n, after) => {
      const r = await gql(`query($n: Int, $after: String, $l: ID!) { loan(id: $l) { transactions(first: $n, after: $after) { ${PAGE} } } }`, { n, after, l: lw.loan.id }, admin);
      expect(r.errors).toBeUndefined();
      return r.data!.loan.transactions;
    }, 2, 5);
    expect(got).toEqual(newestFirst(txs));
  });

  it("an empty list has no cursors", async () => {
    const lonely = await makePartner();
    const r = await gql(`query($p: ID) { customers(filter: { partnerId: $p }) { ${PAGE} } }`, { p: lonely.id }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.customers).toEqual({
      totalCount: 0,
      edges: [],
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it("rows added after a cursor was handed out do not shift the next page", async () => {
    const p = await makePartner();
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await makeCustomer({ partnerId: p.id, createdAt: new Date(base + i * 1000) }));
    const q = `query($after: String, $p: ID) { customers(first: 2, after: $after, filter: { partnerId: $p }) { nodes { id } pageInfo { endCursor } } }`;
    const page1 = await gql(q, { after: null, p: p.id }, admin);
    await makeCustomer({ partnerId: p.id }); // newer than everything: belongs before page 1
    const page2 = await gql(q, { after: page1.data!.customers.pageInfo.endCursor, p: p.id }, admin);
    expect(page2.data!.customers.nodes.map((n: { id: string }) => n.id)).toEqual([made[1]!.id, made[0]!.id]);
  });
});

describe("first", () => {
  const lists: [string, string][] = [
    ["customers", `query($n: Int) { customers(first: $n) { totalCount } }`],
    ["applications", `query($n: Int) { applications(first: $n) { totalCount } }`],
    ["loans", `query($n: Int) { loans(first: $n) { totalCount } }`],
    ["Customer.applications", `query($n: Int, $c: ID!) { customer(id: $c) { applications(first: $n) { totalCount } } }`],
    ["Customer.loans", `query($n: Int, $c: ID!) { customer(id: $c) { loans(first: $n) { totalCount } } }`],
    ["Partner.customers", `query($n: Int, $p: ID!) { partner(id: $p) { customers(first: $n) { totalCount } } }`],
    ["Partner.applications", `query($n: Int, $p: ID!) { partner(id: $p) { applications(first: $n) { totalCount } } }`],
    ["Partner.loans", `query($n: Int, $p: ID!) { partner(id: $p) { loans(first: $n) { totalCount } } }`],
    ["Loan.transactions", `query($n: Int, $l: ID!) { loan(id: $l) { transactions(first: $n) { totalCount } } }`],
  ];
  const vars = () => ({ c: people[0]!.id, p: partner.id, l: loanWorlds[0]!.loan.id });

  it.each(lists)("%s: 0, 101 and -1 are BAD_USER_INPUT on field first", async (_name, q) => {
    for (const n of [0, 101, -1, 1000]) {
      const r = await gql(q, { ...vars(), n }, admin);
      expect(codeOf(r), `first: ${n}`).toBe("BAD_USER_INPUT");
      expect(r.errors![0]!.extensions!.field).toBe("first");
      expect(r.errors).toHaveLength(1);
    }
  });

  it.each(lists)("%s: 1, 100 and the default are accepted", async (_name, q) => {
    for (const n of [1, 100, undefined]) {
      const r = await gql(q, { ...vars(), ...(n === undefined ? {} : { n }) }, admin);
      expect(r.errors, `first: ${n}`).toBeUndefined();
    }
  });

  it("the default page is 20", async () => {
    const r = await gql(`query($p: ID!) { partner(id: $p) { applications { nodes { id } pageInfo { hasNextPage } } } }`, { p: partner.id }, admin);
    expect(r.data!.partner.applications.nodes).toHaveLength(20);
    expect(r.data!.partner.applications.pageInfo.hasNextPage).toBe(true);
  });

  it("a literal out of range is rejected the same way", async () => {
    const r = await gql(`{ loans(first: 0) { totalCount } }`, {}, admin);
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.extensions!.field).toBe("first");
  });
});

describe("cursors", () => {
  let customerCursor: string;
  let loanCursor: string;
  beforeAll(async () => {
    const r = await gql(`query($p: ID) { customers(first: 2, filter: { partnerId: $p }) { pageInfo { endCursor } } loans(first: 2, filter: { partnerId: $p }) { pageInfo { endCursor } } }`, { p: partner.id }, admin);
    customerCursor = r.data!.customers.pageInfo.endCursor;
    loanCursor = r.data!.loans.pageInfo.endCursor;
  });

  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);

  it("are opaque: no raw ids or timestamps", () => {
    expect(customerCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const p of people) expect(customerCursor).not.toContain(p.id);
  });

  it.each([
    ["garbage", () => "garbage!"],
    ["empty", () => ""],
    ["base64 of nonsense", () => b64("hello world")],
    ["too long", () => "A".repeat(500)],
    ["an old-style unsigned cursor", () => b64(`c1|customer|${Date.now()}|${people[0]!.id}`)],
    ["a decoded, edited and re-encoded cursor", () => {
      const parts = Buffer.from(customerCursor, "base64url").toString("utf8").split("|");
      parts[2] = String(Number(parts[2]) + 1);
      return b64(parts.join("|"));
    }],
    ["one character changed", () => flip(customerCursor, 10)],
    ["one character changed at the end", () => flip(customerCursor, customerCursor.length - 2)],
    ["truncated", () => customerCursor.slice(0, -4)],
    ["another list's cursor", () => loanCursor],
    ["a uuid", () => people[0]!.id],
  ])("%s is BAD_USER_INPUT on field after", async (_name, make) => {
    const r = await gql(`query($a: String) { customers(after: $a) { totalCount } }`, { a: make() }, admin);
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.extensions!.field).toBe("after");
    expect(r.errors![0]!.message).not.toMatch(/sql|select|postgres|uuid\[\]/i);
  });

  it("a cursor works only for its own kind of list, nested or not", async () => {
    const bad = await gql(`query($a: String, $p: ID!) { partner(id: $p) { loans(after: $a) { totalCount } } }`, { a: customerCursor, p: partner.id }, admin);
    expect(codeOf(bad)).toBe("BAD_USER_INPUT");
    const good = await gql(`query($a: String, $p: ID!) { partner(id: $p) { customers(first: 100, after: $a) { nodes { id } } } }`, { a: customerCursor, p: partner.id }, admin);
    expect(good.errors).toBeUndefined();
    expect(good.data!.partner.customers.nodes).toHaveLength(9);
    const tx = await gql(`query($a: String, $l: ID!) { loan(id: $l) { transactions(after: $a) { totalCount } } }`, { a: loanCursor, l: loanWorlds[0]!.loan.id }, admin);
    expect(codeOf(tx)).toBe("BAD_USER_INPUT");
  });
});

describe("customer filters", () => {
  let p: PartnerRow;
  let budi: CustomerRow, siti: CustomerRow, under: CustomerRow, other: CustomerRow;
  const unique = `${Date.now() % 1_000_000}`.padStart(6, "0");
  beforeAll(async () => {
    p = await makePartner();
    budi = await makeCustomer({ partnerId: p.id, fullName: `Budi Santoso ${unique}`, phone: `+62812${unique}77`, email: `budi.${unique}@example.id` });
    siti = await makeCustomer({ partnerId: p.id, fullName: `Siti Nurhaliza ${unique}` });
    under = await makeCustomer({ partnerId: p.id, fullName: `Dewi_Lestari ${unique}` });
    other = await makeCustomer({ partnerId: p.id, fullName: `DewiXLestari ${unique}` });
  });

  async function search(search: string, token = admin, partnerId: string | null = p.id) {
    const r = await gql(
      `query($f: CustomerFilter) { customers(first: 100, filter: $f) { totalCount nodes { id } } }`,
      { f: { search, ...(partnerId ? { partnerId } : {}) } },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.customers.totalCount).toBe(r.data!.customers.nodes.length);
    return r.data!.customers.nodes.map((n: { id: string }) => n.id).sort();
  }

  it("matches a case-insensitive part of the name", async () => {
    expect(await search("santoso")).toEqual([budi.id]);
    expect(await search("NURHAL")).toEqual([siti.id]);
    expect(await search(`  siti nurhaliza ${unique} `)).toEqual([siti.id]);
    expect(await search(unique)).toEqual([budi.id, siti.id, under.id, other.id].sort());
    expect(await search("nobody-is-called-this")).toEqual([]);
  });

  it("treats LIKE wildcards literally", async () => {
    expect(await search("i_L")).toEqual([under.id]);
    expect(await search("%")).toEqual([]);
    expect(await search("\\")).toEqual([]);
  });

  it("matches a whole phone number in every accepted form", async () => {
    const local = `0812${unique}77`;
    for (const form of [local, `62812${unique}77`, `+62812${unique}77`, `0812-${unique.slice(0, 3)}-${unique.slice(3)}77`, `+62 812 ${unique} 77`]) {
      expect(await search(form), form).toEqual([budi.id]);
    }
    expect(await search(`0812${unique}`)).toEqual([]); // part of a phone is not enough
    expect(await search(`+62812${unique}7`)).toEqual([]);
  });

  it("matches a whole e-mail address, case-insensitively", async () => {
    expect(await search(`budi.${unique}@example.id`)).toEqual([budi.id]);
    expect(await search(`BUDI.${unique}@Example.ID`)).toEqual([budi.id]);
    expect(await search(`budi.${unique}@example`)).toEqual([]);
  });

  it("matches a whole NIK", async () => {
    expect(await search(siti.nik)).toEqual([siti.id]);
    expect(await search(siti.nik.slice(0, 12))).toEqual([]);
  });

  it("works without a partner filter (ADMIN) and inside a PARTNER's scope", async () => {
    expect(await search(siti.nik, admin, null)).toEqual([siti.id]);
    expect(await search(`budi.${unique}@example.id`, await tokenFor("PARTNER", p.id), null)).toEqual([budi.id]);
    const stranger = await makePartner();
    expect(await search(`budi.${unique}@example.id`, await tokenFor("PARTNER", stranger.id), null)).toEqual([]);
  });

  it("a search longer than anything searchable is BAD_USER_INPUT", async () => {
    const q = `query($s: String) { customers(filter: { search: $s }) { totalCount } }`;
    const tooLong = await gql(q, { s: "a".repeat(255) }, admin);
    expect(codeOf(tooLong)).toBe("BAD_USER_INPUT");
    expect(tooLong.errors![0]!.extensions!.field).toBe("search");
    const longest = await gql(q, { s: "a".repeat(254) }, admin);
    expect(longest.errors).toBeUndefined();
  });

  it("an empty search or partnerId of another partner", async () => {
    expect(await search("")).toHaveLength(4);
    expect(await search("   ")).toHaveLength(4);
    const r = await gql(`query($p: ID) { customers(filter: { partnerId: $p }) { totalCount } }`, { p: "not-a-uuid" }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.customers.totalCount).toBe(0);
  });
});

describe("application and loan filters", () => {
  let p: PartnerRow;
  let c1: CustomerRow, c2: CustomerRow, c3: CustomerRow;
  let l1: LoanWorld, l2: LoanWorld, l3: LoanWorld;
  let submitted: string, denied: string;
  beforeAll(async () => {
    p = await makePartner();
    c1 = await makeCustomer({ partnerId: p.id });
    c2 = await makeCustomer({ partnerId: p.id });
    c3 = await makeCustomer({ partnerId: p.id });
    l1 = await makeLoan({ customer: c1, status: "CURRENT" });
    l2 = await makeLoan({ customer: c2, status: "LATE_5DPD", daysPastDue: 7 });
    l3 = await makeLoan({ customer: c3, status: "LATE_30DPD", daysPastDue: 45 });
    denied = (await makeApplication({ customer: c1, status: "DENIED" })).id;
    submitted = (await makeApplication({ customer: c2, status: "SUBMITTED" })).id;
  });

  async function appIds(filter: object) {
    const r = await gql(`query($f: ApplicationFilter) { applications(first: 100, filter: $f) { totalCount nodes { id status } } }`, { f: { partnerId: p.id, ...filter } }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.applications.totalCount).toBe(r.data!.applications.nodes.length);
    return r.data!.applications.nodes.map((n: { id: string }) => n.id).sort();
  }
  async function loanIds(filter: object) {
    const r = await gql(`query($f: LoanFilter) { loans(first: 100, filter: $f) { totalCount nodes { id } } }`, { f: { partnerId: p.id, ...filter } }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.loans.totalCount).toBe(r.data!.loans.nodes.length);
    return r.data!.loans.nodes.map((n: { id: string }) => n.id).sort();
  }
  const s = (...xs: string[]) => xs.sort();

  it("ApplicationFilter: status, partnerId, customerId and combinations", async () => {
    expect(await appIds({})).toEqual(s(l1.application.id, l2.application.id, l3.application.id, denied, submitted));
    expect(await appIds({ status: ["DENIED"] })).toEqual([denied]);
    expect(await appIds({ status: ["DENIED", "SUBMITTED"] })).toEqual(s(denied, submitted));
    expect(await appIds({ status: [] })).toEqual([]);
    expect(await appIds({ customerId: c1.id })).toEqual(s(l1.application.id, denied));
    expect(await appIds({ customerId: c1.id, status: ["SUBMITTED"] })).toEqual([]);
    expect(await appIds({ customerId: c2.id, status: ["SUBMITTED", "FUND_DISBURSAL_SUCCESSFUL"] })).toEqual(s(l2.application.id, submitted));
    expect(await appIds({ customerId: "nope" })).toEqual([]);
    const other = await makePartner();
    expect(await appIds({ partnerId: other.id })).toEqual([]);
  });

  it("LoanFilter: status, partnerId, customerId, minDaysPastDue", async () => {
    expect(await loanIds({})).toEqual(s(l1.loan.id, l2.loan.id, l3.loan.id));
    expect(await loanIds({ status: ["CURRENT"] })).toEqual([l1.loan.id]);
    expect(await loanIds({ status: ["LATE_5DPD", "LATE_30DPD"] })).toEqual(s(l2.loan.id, l3.loan.id));
    expect(await loanIds({ customerId: c3.id })).toEqual([l3.loan.id]);
    expect(await loanIds({ minDaysPastDue: 0 })).toEqual(s(l1.loan.id, l2.loan.id, l3.loan.id));
    expect(await loanIds({ minDaysPastDue: 1 })).toEqual(s(l2.loan.id, l3.loan.id));
    expect(await loanIds({ minDaysPastDue: 7 })).toEqual(s(l2.loan.id, l3.loan.id));
    expect(await loanIds({ minDaysPastDue: 8 })).toEqual([l3.loan.id]);
    expect(await loanIds({ minDaysPastDue: 46 })).toEqual([]);
    expect(await loanIds({ minDaysPastDue: 1, status: ["LATE_5DPD"], customerId: c2.id })).toEqual([l2.loan.id]);
  });

  it("status arguments of nested connections", async () => {
    const r = await gql(
      `query($c: ID!, $p: ID!) {
        customer(id: $c) { applications(status: [DENIED]) { totalCount nodes { id } } loans(status: [PAID_OFF]) { totalCount } }
        partner(id: $p) { loans(status: [LATE_5DPD, LATE_30DPD]) { totalCount } applications(status: [SUBMITTED]) { totalCount nodes { id } } }
      }`,
      { c: c1.id, p: p.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.customer.applications).toEqual({ totalCount: 1, nodes: [{ id: denied }] });
    expect(r.data!.customer.loans.totalCount).toBe(0);
    expect(r.data!.partner.loans.totalCount).toBe(2);
    expect(r.data!.partner.applications).toEqual({ totalCount: 1, nodes: [{ id: submitted }] });
  });

  it("an unknown status is a validation error, not an empty list", async () => {
    const r = await gql(`{ loans(filter: { status: [NOPE] }) { totalCount } }`, {}, admin);
    expect(codeOf(r)).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
