/**
 * Authentication and visibility of the read API (RULES §2): who may call what, and what each
 * viewer sees, top-level and nested. Something invisible does not exist for the viewer: single
 * fields are null, lists leave it out.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mintToken, tokenKey } from "../src/auth/tokens.js";
import type { CustomerRow, PartnerRow } from "../src/db/schema.js";
import { makeApplication, makeCustomer, makeLoan, makePartner, makeTransaction, type LoanWorld } from "./support/factories.js";
import { adminToken, codeOf, gql, tokenFor, TEST_JWT_SECRET } from "./support/world.js";

interface Person {
  customer: CustomerRow;
  loan: LoanWorld;
  /** A second, denied application (no loan). */
  deniedApplicationId: string;
  transactionId: string;
}

let p1: PartnerRow;
let p2: PartnerRow;
/** a, b: partner 1's customers; c: partner 2's; d: registered directly (no partner). */
let a: Person, b: Person, c: Person, d: Person;
let admin: string;

async function person(partner: PartnerRow | null): Promise<Person> {
  const customer = await makeCustomer({ partnerId: partner?.id ?? null });
  const denied = await makeApplication({ customer, status: "DENIED", createdAt: new Date(Date.now() - 86400_000) });
  const loan = await makeLoan({ customer });
  const tx = await makeTransaction(loan, 500_000n, new Date("2026-01-20T03:00:00Z"));
  return { customer, loan, deniedApplicationId: denied.id, transactionId: tx.id };
}

beforeAll(async () => {
  p1 = await makePartner();
  p2 = await makePartner();
  a = await person(p1);
  b = await person(p1);
  c = await person(p2);
  d = await person(null);
  admin = await adminToken();
});

const ids = (conn: { nodes: { id: string }[] }) => conn.nodes.map((n) => n.id).sort();
const sorted = (xs: string[]) => [...xs].sort();
const applicationIds = (...ps: Person[]) => sorted(ps.flatMap((p) => [p.loan.application.id, p.deniedApplicationId]));

/** One query asking for every entity of a person by id. */
const LOOKUP = `query($c: ID!, $a: ID!, $d: ID!, $l: ID!, $p: ID!, $pp: ID!) {
  customer(id: $c) { id }
  application(id: $a) { id }
  denied: application(id: $d) { id }
  loan(id: $l) { id }
  payment(id: $p) { id }
  partner(id: $pp) { id }
}`;

async function lookup(token: string, who: Person, partner: PartnerRow | null) {
  const r = await gql(
    LOOKUP,
    {
      c: who.customer.id,
      a: who.loan.application.id,
      d: who.deniedApplicationId,
      l: who.loan.loan.id,
      p: who.loan.payments[1]!.id,
      pp: partner?.id ?? "00000000-0000-4000-8000-000000000000",
    },
    token,
  );
  expect(r.errors).toBeUndefined();
  const x = r.data!;
  return {
    customer: x.customer !== null,
    application: x.application !== null,
    denied: x.denied !== null,
    loan: x.loan !== null,
    payment: x.payment !== null,
    partner: x.partner !== null,
  };
}
const all = (v: boolean) => ({ customer: v, application: v, denied: v, loan: v, payment: v, partner: v });

describe("anonymous callers", () => {
  it("may call loanProducts, loanQuote and me (null)", async () => {
    const r = await gql(`{
      me { role }
      loanProducts { code }
      loanQuote(input: { productCode: "STL", amount: "1000000", tenorMonths: 1, loanDate: "2026-01-10" }) { principal }
    }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.me).toBeNull();
    expect(r.data!.loanProducts.map((p: { code: string }) => p.code).sort()).toEqual(["MTL", "STL"]);
    expect(r.data!.loanQuote.principal).toBe("1000000");
  });

  it.each([
    ["customer", `{ customer(id: "00000000-0000-4000-8000-000000000000") { id } }`],
    ["customers", `{ customers { totalCount } }`],
    ["application", `{ application(id: "00000000-0000-4000-8000-000000000000") { id } }`],
    ["applications", `{ applications { totalCount } }`],
    ["loan", `{ loan(id: "00000000-0000-4000-8000-000000000000") { id } }`],
    ["loans", `{ loans { totalCount } }`],
    ["payment", `{ payment(id: "00000000-0000-4000-8000-000000000000") { id } }`],
    ["partner", `{ partner(id: "00000000-0000-4000-8000-000000000000") { id } }`],
    ["partners", `{ partners { id } }`],
    ["portfolioSummary", `{ portfolioSummary { loanCount } }`],
  ])("%s is UNAUTHENTICATED", async (field, query) => {
    const r = await gql(query);
    expect(codeOf(r)).toBe("UNAUTHENTICATED");
    expect(r.errors![0]!.path).toEqual([field]);
    // Nullable fields resolve to null, non-null ones null the whole response.
    expect(r.data?.[field] ?? null).toBeNull();
  });

  it("gets nothing of a real row either", async () => {
    const r = await gql(`query($id: ID!) { customer(id: $id) { id fullName } }`, { id: a.customer.id });
    expect(codeOf(r)).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(r)).not.toContain(a.customer.fullName);
  });
});

describe("bad tokens are UNAUTHENTICATED, never anonymous", () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const cases: [string, () => Promise<string>][] = [
    ["garbage", async () => "Bearer not-a-token"],
    ["three garbage segments", async () => "Bearer abc.def.ghi"],
    ["no scheme", async () => (await adminToken())],
    ["Basic scheme", async () => `Basic ${Buffer.from("admin:admin").toString("base64")}`],
    ["empty bearer", async () => "Bearer "],
    ["expired", async () => `Bearer ${await tokenFor("ADMIN", "tester", -60)}`],
    ["alg none, empty signature", async () => `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "tester", role: "ADMIN" })}.`],
    ["alg none, any signature", async () => `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "tester", role: "ADMIN" })}.c2ln`],
    ["wrong secret", async () => `Bearer ${await mintToken(tokenKey("another-secret-0123456789-abcdefghij"), { role: "ADMIN", sub: "tester" })}`],
    [
      "HS512 with the right secret",
      async () => {
        const { SignJWT } = await import("jose");
        const t = await new SignJWT({ role: "ADMIN" }).setProtectedHeader({ alg: "HS512" }).setSubject("tester").sign(new TextEncoder().encode(TEST_JWT_SECRET));
        return `Bearer ${t}`;
      },
    ],
    ["tampered payload", async () => {
      const [h, , s] = (await tokenFor("CUSTOMER", "00000000-0000-4000-8000-000000000000")).split(".");
      return `Bearer ${h}.${b64({ sub: "tester", role: "ADMIN" })}.${s}`;
    }],
    ["unknown role", async () => `Bearer ${await mintToken(tokenKey(TEST_JWT_SECRET), { role: "ROOT" as never, sub: "x" })}`],
    ["CUSTOMER with a non-uuid sub", async () => `Bearer ${await tokenFor("CUSTOMER", "alice")}`],
    ["PARTNER with a non-uuid sub", async () => `Bearer ${await tokenFor("PARTNER", "acme")}`],
  ];

  it.each(cases)("%s", async (_name, header) => {
    const h = await header();
    for (const query of [`{ me { role } }`, `{ loanProducts { code } }`, `{ customers { totalCount } }`]) {
      const r = await gql(query, {}, null, { authorization: h });
      expect(codeOf(r), `${query} with ${h}`).toBe("UNAUTHENTICATED");
      expect(r.data ?? null).toBeNull();
      expect(r.status).toBe(401);
    }
  });

  it("a well-signed token for a customer that does not exist sees nothing", async () => {
    const t = await tokenFor("CUSTOMER", "00000000-0000-4000-8000-00000000abcd");
    const r = await gql(`{ me { role customer { id } partner { id } } customers { totalCount } loans { totalCount } applications { totalCount } partners { id } }`, {}, t);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({
      me: { role: "CUSTOMER", customer: null, partner: null },
      customers: { totalCount: 0 },
      loans: { totalCount: 0 },
      applications: { totalCount: 0 },
      partners: [],
    });
  });
});

describe("me", () => {
  it("tells each role who it is", async () => {
    const q = `{ me { role customer { id } partner { id } } }`;
    const asCustomer = await gql(q, {}, await tokenFor("CUSTOMER", a.customer.id));
    expect(asCustomer.data!.me).toEqual({ role: "CUSTOMER", customer: { id: a.customer.id }, partner: null });
    const asPartner = await gql(q, {}, await tokenFor("PARTNER", p1.id));
    expect(asPartner.data!.me).toEqual({ role: "PARTNER", customer: null, partner: { id: p1.id } });
    const asAdmin = await gql(q, {}, admin);
    expect(asAdmin.data!.me).toEqual({ role: "ADMIN", customer: null, partner: null });
  });
});

describe("CUSTOMER", () => {
  let token: string;
  beforeAll(async () => {
    token = await tokenFor("CUSTOMER", a.customer.id);
  });

  it("sees itself and its own rows by id", async () => {
    expect(await lookup(token, a, p1)).toEqual(all(true));
  });

  it("does not see another customer's rows, even of the same partner", async () => {
    expect(await lookup(token, b, p1)).toEqual({ ...all(false), partner: true });
    expect(await lookup(token, c, p2)).toEqual(all(false));
    expect(await lookup(token, d, null)).toEqual(all(false));
  });

  it("lists only its own rows", async () => {
    const r = await gql(`{ customers(first: 100) { totalCount nodes { id } } applications(first: 100) { totalCount nodes { id } } loans(first: 100) { totalCount nodes { id } } partners { id } }`, {}, token);
    expect(r.errors).toBeUndefined();
    expect(ids(r.data!.customers)).toEqual([a.customer.id]);
    expect(r.data!.customers.totalCount).toBe(1);
    expect(ids(r.data!.applications)).toEqual(applicationIds(a));
    expect(r.data!.applications.totalCount).toBe(2);
    expect(ids(r.data!.loans)).toEqual([a.loan.loan.id]);
    expect(r.data!.loans.totalCount).toBe(1);
    expect(r.data!.partners).toEqual([{ id: p1.id }]);
  });

  it("filters cannot widen its view", async () => {
    const r = await gql(
      `query($p: ID!, $c: ID!) {
        customers(filter: { partnerId: $p }) { totalCount nodes { id } }
        applications(filter: { customerId: $c }) { totalCount }
        loans(filter: { customerId: $c }) { totalCount }
        byPartner: loans(filter: { partnerId: $p }) { nodes { id } }
      }`,
      { p: p1.id, c: b.customer.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(ids(r.data!.customers)).toEqual([a.customer.id]);
    expect(r.data!.applications.totalCount).toBe(0);
    expect(r.data!.loans.totalCount).toBe(0);
    expect(ids(r.data!.byPartner)).toEqual([a.loan.loan.id]);
  });

  it("nested lists through its partner show only its own rows", async () => {
    const r = await gql(
      `{ me { customer { partner { id
          customers(first: 100) { totalCount nodes { id } }
          applications(first: 100) { totalCount nodes { id } }
          loans(first: 100) { totalCount nodes { id } } } } } }`,
      {},
      token,
    );
    expect(r.errors).toBeUndefined();
    const partner = r.data!.me.customer.partner;
    expect(partner.id).toBe(p1.id);
    expect(ids(partner.customers)).toEqual([a.customer.id]);
    expect(partner.customers.totalCount).toBe(1);
    expect(ids(partner.applications)).toEqual(applicationIds(a));
    expect(partner.applications.totalCount).toBe(2);
    expect(ids(partner.loans)).toEqual([a.loan.loan.id]);
    expect(partner.loans.totalCount).toBe(1);
  });

  it("sees its own loan's transactions, allocations and installments with the full NIK", async () => {
    const r = await gql(
      `query($id: ID!) { loan(id: $id) {
        customer { nik }
        payments { id }
        transactions { totalCount nodes { id loan { id } allocations { payment { id loan { id } } } } }
      } }`,
      { id: a.loan.loan.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    const loan = r.data!.loan;
    expect(loan.customer.nik).toBe(a.customer.nik);
    expect(loan.payments).toHaveLength(3);
    expect(loan.transactions.totalCount).toBe(1);
    expect(loan.transactions.nodes[0].id).toBe(a.transactionId);
    expect(loan.transactions.nodes[0].allocations[0].payment.loan.id).toBe(a.loan.loan.id);
  });

  it("a customer without a partner sees no partner", async () => {
    const r = await gql(`{ me { customer { partner { id } } } partners { id } }`, {}, await tokenFor("CUSTOMER", d.customer.id));
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ me: { customer: { partner: null } }, partners: [] });
  });
});

describe("PARTNER", () => {
  let token: string;
  beforeAll(async () => {
    token = await tokenFor("PARTNER", p1.id);
  });

  it("sees the customers it registered and their rows", async () => {
    expect(await lookup(token, a, p1)).toEqual(all(true));
    expect(await lookup(token, b, p1)).toEqual(all(true));
  });

  it("does not see other partners, their customers or customers without a partner", async () => {
    expect(await lookup(token, c, p2)).toEqual(all(false));
    expect(await lookup(token, d, null)).toEqual({ ...all(false), partner: false });
  });

  it("lists exactly its own customers, applications and loans", async () => {
    const r = await gql(`{ customers(first: 100) { totalCount nodes { id } } applications(first: 100) { totalCount nodes { id } } loans(first: 100) { totalCount nodes { id } } partners { id } }`, {}, token);
    expect(r.errors).toBeUndefined();
    expect(ids(r.data!.customers)).toEqual(sorted([a.customer.id, b.customer.id]));
    expect(r.data!.customers.totalCount).toBe(2);
    expect(ids(r.data!.applications)).toEqual(applicationIds(a, b));
    expect(r.data!.applications.totalCount).toBe(4);
    expect(ids(r.data!.loans)).toEqual(sorted([a.loan.loan.id, b.loan.loan.id]));
    expect(r.data!.loans.totalCount).toBe(2);
    expect(r.data!.partners).toEqual([{ id: p1.id }]);
  });

  it("filtering by another partner finds nothing", async () => {
    const r = await gql(
      `query($p: ID!, $c: ID!) {
        customers(filter: { partnerId: $p }) { totalCount nodes { id } }
        applications(filter: { partnerId: $p }) { totalCount }
        loans(filter: { partnerId: $p }) { totalCount }
        hisLoans: loans(filter: { customerId: $c }) { totalCount }
      }`,
      { p: p2.id, c: c.customer.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({
      customers: { totalCount: 0, nodes: [] },
      applications: { totalCount: 0 },
      loans: { totalCount: 0 },
      hisLoans: { totalCount: 0 },
    });
  });

  it("gets null for another partner, nested lists included", async () => {
    const r = await gql(
      `query($p: ID!) { partner(id: $p) { id customers { totalCount } loans { totalCount } applications { totalCount } } }`,
      { p: p2.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.partner).toBeNull();
  });

  it("sees its own nested connections", async () => {
    const r = await gql(
      `query($p: ID!) { partner(id: $p) { id code name
        customers(first: 100) { totalCount nodes { id } }
        applications(first: 100) { totalCount nodes { id } }
        loans(first: 100) { totalCount nodes { id } } } }`,
      { p: p1.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    const p = r.data!.partner;
    expect(p).toMatchObject({ id: p1.id, code: p1.code, name: p1.name });
    expect(ids(p.customers)).toEqual(sorted([a.customer.id, b.customer.id]));
    expect(ids(p.applications)).toEqual(applicationIds(a, b));
    expect(ids(p.loans)).toEqual(sorted([a.loan.loan.id, b.loan.loan.id]));
    expect([p.customers.totalCount, p.applications.totalCount, p.loans.totalCount]).toEqual([2, 4, 2]);
  });

  it("sees the NIK masked wherever a customer appears", async () => {
    const masked = (nik: string) => `${nik.slice(0, 6)}******${nik.slice(-4)}`;
    const r = await gql(
      `query($c: ID!, $l: ID!, $a: ID!) {
        customer(id: $c) { nik }
        customers(first: 100) { nodes { id nik } }
        loan(id: $l) { customer { nik } application { customer { nik } } }
        application(id: $a) { customer { nik } }
        me { partner { customers(first: 100) { nodes { id nik } } } }
      }`,
      { c: a.customer.id, l: a.loan.loan.id, a: a.loan.application.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    const expected = masked(a.customer.nik);
    expect(expected).toMatch(/^\d{6}\*{6}\d{4}$/);
    expect(r.data!.customer.nik).toBe(expected);
    expect(r.data!.loan.customer.nik).toBe(expected);
    expect(r.data!.loan.application.customer.nik).toBe(expected);
    expect(r.data!.application.customer.nik).toBe(expected);
    for (const list of [r.data!.customers.nodes, r.data!.me.partner.customers.nodes]) {
      for (const n of list as { id: string; nik: string }[]) {
        const full = [a, b].find((p) => p.customer.id === n.id)!.customer.nik;
        expect(n.nik).toBe(masked(full));
      }
    }
    expect(JSON.stringify(r.data)).not.toContain(a.customer.nik);
    expect(JSON.stringify(r.data)).not.toContain(b.customer.nik);
  });

  it("sees its customers' transactions and installments, not other partners' ones", async () => {
    const q = `query($l: ID!, $p: ID!) { loan(id: $l) { transactions { totalCount nodes { id allocations { payment { id } } } } payments { id } } payment(id: $p) { id loan { id } } }`;
    const own = await gql(q, { l: b.loan.loan.id, p: b.loan.payments[0]!.id }, token);
    expect(own.errors).toBeUndefined();
    expect(own.data!.loan.transactions.totalCount).toBe(1);
    expect(own.data!.loan.transactions.nodes[0].allocations.length).toBeGreaterThan(0);
    expect(own.data!.payment).toEqual({ id: b.loan.payments[0]!.id, loan: { id: b.loan.loan.id } });
    const other = await gql(q, { l: c.loan.loan.id, p: c.loan.payments[0]!.id }, token);
    expect(other.errors).toBeUndefined();
    expect(other.data).toEqual({ loan: null, payment: null });
  });
});

describe("ADMIN", () => {
  it("sees everything, with full NIKs", async () => {
    for (const [who, partner] of [[a, p1], [b, p1], [c, p2], [d, null]] as const) {
      expect(await lookup(admin, who, partner)).toEqual({ ...all(true), partner: partner !== null });
    }
    const r = await gql(`query($id: ID!) { customer(id: $id) { nik } }`, { id: c.customer.id }, admin);
    expect(r.data!.customer.nik).toBe(c.customer.nik);
  });

  it("lists every partner and every customer of a partner", async () => {
    const r = await gql(
      `query($p: ID!) { partners { id } customers(first: 100, filter: { partnerId: $p }) { totalCount nodes { id } } loans(first: 100, filter: { partnerId: $p }) { totalCount } }`,
      { p: p1.id },
      admin,
    );
    expect(r.errors).toBeUndefined();
    const partnerIds = r.data!.partners.map((p: { id: string }) => p.id);
    expect(partnerIds).toEqual(expect.arrayContaining([p1.id, p2.id]));
    expect(ids(r.data!.customers)).toEqual(sorted([a.customer.id, b.customer.id]));
    expect(r.data!.loans.totalCount).toBe(2);
  });
});

describe("ids that cannot exist", () => {
  it.each(["not-a-uuid", "", "1", "'; select 1; --", "00000000-0000-4000-8000-00000000000g", "00000000000040008000000000000000"])(
    "%j is null, not an error",
    async (bad) => {
      const r = await gql(
        `query($id: ID!) { customer(id: $id) { id } application(id: $id) { id } loan(id: $id) { id } payment(id: $id) { id } partner(id: $id) { id } }`,
        { id: bad },
        admin,
      );
      expect(r.errors).toBeUndefined();
      expect(r.data).toEqual({ customer: null, application: null, loan: null, payment: null, partner: null });
    },
  );

  it("an upper-case uuid finds the row", async () => {
    const r = await gql(`query($id: ID!) { loan(id: $id) { id } }`, { id: a.loan.loan.id.toUpperCase() }, admin);
    expect(r.data!.loan).toEqual({ id: a.loan.loan.id });
  });
});
