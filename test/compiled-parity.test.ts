/**
 * Compiled reads ≡ resolvers, for random documents over the WHOLE query schema.
 *
 * test/compiled-reads.test.ts pins the compiled read path (src/server/compiler) to the resolvers
 * on hand-written documents and a random generator that starts at `customers`. This file drives
 * a generator built from `schema.graphql` itself: every root field of `Query` (compiled or not),
 * nested object, list and connection fields to a bounded depth, arguments drawn from a pool of
 * real ids and cursors of a small world (partners, customers with applications and loans in
 * several statuses, installments, payments — one reversed, one with a rejected and one with a
 * pending reversal — and a settled loan), each argument either inline or as a variable, aliases,
 * inline and named fragments, `__typename`, now and then a directive or an argument the
 * resolvers must refuse. Every document runs for every role (ADMIN, two PARTNERs, a CUSTOMER,
 * and anonymous where a root allows it) on the compiling gateway and on a reference gateway with
 * `compileReads: false` on the same database: status and body must be byte-identical (two error
 * bodies of the resolvers may differ in which concurrent errors they list: sameUpToErrorTiming).
 * PARITY_RUNS and PARITY_SEED change the number of operations and the seed; PARITY_SHOW=1 prints
 * each document (and both bodies of a failure).
 *
 * It also counts the requests the compiler actually answered (a statement with `row_to_json`),
 * so it fails when the generator stops reaching the compiler: among the requests whose fields
 * are all in docs/compiled-reads.md "What is compiled" (and whose arguments the compiler takes),
 * most must have been compiled.
 *
 * The compiled set below is written from the documentation on purpose (not imported from the
 * compiler), so a refactor of the compiler cannot silently shrink what this test expects.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import {
  astFromValue,
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  print,
  validate,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onQuery } from "../src/db/client.js";
import type { Gateway } from "../src/server/http.js";
import { approveReversal, ok, payoffQuote, rejectReversal, requestReversal, settle } from "./support/corrections.js";
import { makeApplication, makeCustomer, makeLoan, makeLoanBook, makePartner, makeTransaction, setInstallment } from "./support/factories.js";
import { pay } from "./support/payments.js";
import { startResolverOnlyGateway } from "./support/gateways.js";
import { adminToken, gql, tokenFor, world } from "./support/world.js";

const schema = buildSchema(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8"));
const queryType = schema.getQueryType()!;

// ---------------------------------------------------------------------------------------------
// What docs/compiled-reads.md says is compiled

const COMPILED_ROOTS = new Set(["customer", "customers", "partner", "application", "applications", "loan", "loans", "payment", "me", "portfolioSummary", "partners", "loanProducts", "__typename"]);
const PAGE_INFO = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"];
const CONNECTION = ["edges", "nodes", "pageInfo", "totalCount"];
const EDGE = ["cursor", "node"];
const COMPILED_FIELDS: Record<string, string[]> = {
  Customer: ["id", "fullName", "nik", "phone", "email", "dateOfBirth", "monthlyIncome", "walletBalance", "createdAt", "partner", "applications", "loans"],
  Partner: ["id", "code", "name", "customers", "applications", "loans"],
  Application: ["id", "requestedAmount", "tenorMonths", "purpose", "status", "statusCode", "createdAt", "updatedAt", "customer", "partner", "loan", "product", "statusHistory"],
  Loan: [
    "id", "principal", "originationFee", "disbursedAmount", "monthlyInterestRateBps", "tenorMonths", "status", "statusCode", "disbursedAt",
    "daysPastDue", "createdAt", "totalDue", "totalPaid", "outstandingAmount", "application", "customer", "partner", "payments", "product", "statusHistory",
  ],
  Payment: [
    "id", "installmentNumber", "dueDate", "principalDue", "interestDue", "lateFeeDue", "paidPrincipal", "paidInterest", "paidLateFee",
    "paidAmount", "status", "statusCode", "daysPastDue", "paidAt", "amountDue", "outstandingAmount", "loan",
  ],
  Viewer: ["role", "customer", "partner"],
  StatusChange: ["fromCode", "toCode", "reason", "actor", "at"],
  LoanProduct: ["id", "code", "name", "minAmount", "maxAmount", "minTenorMonths", "maxTenorMonths", "monthlyInterestRateBps", "originationFeeBps", "lateFeeBps"],
  PortfolioSummary: ["loanCount", "activeLoanCount", "disbursedTotal", "collectedTotal", "outstandingAmount", "byStatus", "byDaysPastDue"],
  LoanStatusCount: ["status", "count", "outstandingAmount"],
  DaysPastDueBucket: ["label", "minDays", "maxDays", "count", "outstandingAmount"],
  PageInfo: PAGE_INFO,
  CustomerConnection: CONNECTION,
  PartnerConnection: CONNECTION,
  ApplicationConnection: CONNECTION,
  LoanConnection: CONNECTION,
  PaymentConnection: CONNECTION,
  CustomerEdge: EDGE,
  ApplicationEdge: EDGE,
  LoanEdge: EDGE,
};
/** Roots an anonymous caller may use (the others answer UNAUTHENTICATED). */
const ANONYMOUS_ROOTS = new Set(["me", "loanProducts", "loanQuote", "__typename"]);
/** Cursor kind of each connection type (what an `after` of that list must have been issued by). */
const CURSOR_KIND: Record<string, string> = {
  CustomerConnection: "customer",
  ApplicationConnection: "application",
  LoanConnection: "loan",
  PaymentTransactionConnection: "transaction",
  PaymentReversalConnection: "reversal",
};

// ---------------------------------------------------------------------------------------------
// The world and its pools

type Pools = {
  ids: Record<string, string[]>;
  /** `CustomerFilter.search` values that match someone: a name part, a phone, an e-mail, a NIK. */
  searches: string[];
  cursors: Record<string, string[]>;
};
let pools: Pools;
let reference: Gateway;
let tokens: Record<string, string | undefined>;

const NOW = "2026-04-20T05:00:00.000Z";
const noon = (date: string) => `${date}T05:00:00.000Z`;

beforeAll(async () => {
  const w = await world();
  w.clock.set(NOW);
  reference = await startResolverOnlyGateway();
  const admin = await adminToken();
  const alice = await tokenFor("ADMIN", "alice");
  const bob = await tokenFor("ADMIN", "bob");

  const partnerA = await makePartner();
  const partnerB = await makePartner();
  const partnerC = await makePartner(); // no customers
  const bookA = await makeLoanBook({ partnerId: partnerA.id, count: 3 });
  const bookB = await makeLoanBook({ partnerId: partnerB.id, count: 2, productCode: "STL" });
  await makeTransaction(bookA.loans[0]!, 1_200_000n, new Date(noon("2026-02-05")));

  // The CUSTOMER viewer: applications in four statuses, and loans CURRENT (paid twice, the first
  // payment reversed, a reversal of the second rejected), INACTIVE and LATE_5DPD.
  const custA = await makeCustomer({ partnerId: partnerA.id, fullName: 'Dewi "Quote" \\ Back\u0001slash — ünïcode' });
  const apps = [
    await makeApplication({ customer: custA, status: "SUBMITTED" }),
    await makeApplication({ customer: custA, status: "DENIED" }),
    await makeApplication({ customer: custA, status: "CANCELLED" }),
    await makeApplication({
      customer: custA,
      status: "OFFER_MADE",
      history: ["SUBMITTED", "OFFER_MADE"],
      offerAmount: 2_000_000n,
      offerTenorMonths: 2,
      offerInterestBps: 400,
      offerOriginationFee: 100_000n,
      offerDisbursedAmount: 1_900_000n,
      offerInstallmentAmount: 1_080_000n,
      offerFirstDueDate: "2026-05-20",
      offerExpiresAt: new Date("2026-04-23T05:00:00.000Z"),
    }),
  ];
  const l1 = await makeLoan({ customer: custA, principal: 3_000_000n, tenorMonths: 3, rateBps: 400, loanDate: "2026-01-10", status: "CURRENT" });
  const p1 = ok(await pay(admin, { loanId: l1.loan.id, amount: "1124000", paidAt: noon("2026-02-09") })).recordPayment.transaction;
  const p2 = ok(await pay(admin, { loanId: l1.loan.id, amount: "1130000", paidAt: noon("2026-03-12") })).recordPayment.transaction;
  const r1 = ok(await requestReversal(alice, p1.id, "bounced transfer")).requestPaymentReversal;
  ok(await approveReversal(bob, r1.id, { note: "bank confirmed" }));
  const r2 = ok(await requestReversal(alice, p2.id, "duplicate?")).requestPaymentReversal;
  ok(await rejectReversal(bob, r2.id, { note: "not a duplicate" }));
  const l2 = await makeLoan({ customer: custA, status: "INACTIVE" });
  const l3 = await makeLoan({ customer: custA, status: "LATE_5DPD", loanDate: "2026-02-01", daysPastDue: 10 });
  await setInstallment(l3.payments[0]!.id, { status: "OVERDUE_5DPD", daysPastDue: 10, lateFeeDue: 50_000n });

  // Another customer of partner A with a pending reversal.
  const custA2 = await makeCustomer({ partnerId: partnerA.id });
  const l4 = await makeLoan({ customer: custA2, loanDate: "2026-01-10" });
  const p4 = ok(await pay(admin, { loanId: l4.loan.id, amount: "1124000", paidAt: noon("2026-02-10") })).recordPayment.transaction;
  ok(await requestReversal(alice, p4.id, "wrong account"));

  // A customer of partner B whose loan was settled early (PAID_OFF).
  const custB = await makeCustomer({ partnerId: partnerB.id, dateOfBirth: "1985-11-02" });
  const l5 = await makeLoan({ customer: custB, loanDate: "2026-04-01" });
  const quote = ok(await payoffQuote(admin, l5.loan.id)).loan!.payoffQuote!;
  ok(await settle(admin, { loanId: l5.loan.id, amount: quote.amount, paidAt: NOW }));

  // A customer registered without a partner: a submitted application, a failed and a written-off loan.
  const custN = await makeCustomer({ partnerId: null });
  const appN = await makeApplication({ customer: custN, status: "SUBMITTED", productCode: "STL" });
  const l6 = await makeLoan({ customer: custN, status: "DISBURSAL_FAILED" });
  const l7 = await makeLoan({ customer: custN, status: "WRITTEN_OFF", loanDate: "2025-09-01", daysPastDue: 181 });

  // Late fees charged here and there (as a daily update leaves them), so that every derived amount
  // (amountDue, outstandingAmount, totalDue) differs from its parts without them.
  for (const [i, p] of [...l7.payments, ...bookA.loans.map((l) => l.payments[0]!), ...bookB.loans.map((l) => l.payments[0]!)].entries()) {
    await setInstallment(p.id, { status: "OVERDUE_30DPD", daysPastDue: 30 + i, lateFeeDue: BigInt(25_000 * (i + 1)) });
  }

  const loansAll = [l1, l2, l3, l4, l5, l6, l7, bookA.loans[1]!, bookB.loans[0]!];
  pools = {
    ids: {
      Customer: [custA.id, custA2.id, custB.id, custN.id, bookA.customers[0]!.id, bookB.customers[1]!.id],
      Partner: [partnerA.id, partnerB.id, partnerC.id],
      Application: [...apps.map((a) => a.id), appN.id, l1.application.id, l6.application.id, bookB.loans[1]!.application.id],
      Loan: loansAll.map((l) => l.loan.id),
      Payment: [l1.payments[0]!.id, l1.payments[2]!.id, l3.payments[0]!.id, l5.payments[0]!.id, l7.payments[0]!.id, bookB.loans[0]!.payments[0]!.id],
    },
    cursors: {},
    searches: [custA.phone, custA.phone.replace(/^\+62/, "0"), custA.email.toUpperCase(), custB.nik, ` ${custN.fullName.split(" ")[0]} `],
  };
  // Real cursors of every kind of list, issued by the API (the resolvers).
  const c = ok(
    await gql(
      `query($l: ID!) { customers(first: 100) { edges { cursor node { id } } } applications(first: 100) { edges { cursor node { id } } }
        loans(first: 100) { edges { cursor node { id } } } paymentReversals(first: 10) { edges { cursor } }
        loan(id: $l) { transactions(first: 10) { edges { cursor } } } }`,
      { l: l1.loan.id },
      admin,
    ),
  ) as Record<string, any>;
  const mine = (conn: { edges: { cursor: string; node: { id: string } }[] }, ids: string[]) =>
    conn.edges.filter((e) => ids.includes(e.node.id)).map((e) => e.cursor);
  pools.cursors = {
    customer: mine(c.customers, pools.ids.Customer!).slice(0, 4),
    application: mine(c.applications, pools.ids.Application!).slice(0, 4),
    loan: mine(c.loans, pools.ids.Loan!).slice(0, 4),
    reversal: c.paymentReversals.edges.map((e: { cursor: string }) => e.cursor).slice(0, 3),
    transaction: c.loan.transactions.edges.map((e: { cursor: string }) => e.cursor),
  };
  for (const [kind, list] of Object.entries(pools.cursors)) expect(list.length, `cursors of ${kind}`).toBeGreaterThan(0);

  tokens = {
    admin,
    partnerA: await tokenFor("PARTNER", partnerA.id),
    partnerB: await tokenFor("PARTNER", partnerB.id),
    customer: await tokenFor("CUSTOMER", custA.id),
    anonymous: undefined,
  };
});

afterAll(async () => {
  await reference?.close();
  (await world()).clock.set(null);
});

// ---------------------------------------------------------------------------------------------
// The generator: a tree of selections, then printed (variables or literals, aliases, fragments)

/** How an argument value is judged: what the compiler takes, or what it leaves to the resolvers. */
type Verdict = "ok" | "resolvers";
interface ArgPick {
  name: string;
  type: GraphQLInputType;
  value: unknown;
  verdict: Verdict;
  asVariable: boolean;
}
interface FieldSel {
  kind: "field";
  name: string;
  parent: string;
  alias: boolean;
  /** A second selection of the same field in one set: always aliased (the cap does not apply). */
  forceAlias?: boolean;
  directive: boolean;
  args: ArgPick[];
  children?: Sel[];
}
interface FragmentSel {
  kind: "inline" | "inlineTyped" | "named";
  on: string;
  children: Sel[];
}
type Sel = FieldSel | FragmentSel;

/** True about `p` of the time (unbiased: fast-check's integers favour their bounds). */
const chance = (p: number) => fc.noBias(fc.integer({ min: 0, max: 999 })).map((n) => n < p * 1000);

/** `arb`, or undefined (left out) about `pOmit` of the time. */
function maybe<T>(arb: fc.Arbitrary<T>, pOmit: number): fc.Arbitrary<T | undefined> {
  if (pOmit <= 0) return arb;
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: Math.round(pOmit * 100) }, { arbitrary: arb, weight: Math.round((1 - pOmit) * 100) });
}

const UUID_NOBODY = "00000000-0000-4000-8000-000000000000";
const DATES = ["2026-02-01", "2026-04-20", "2026-05-15"];

/** A value for an argument (or input field) `name` of `type` on `where` ("Type.field"). */
function valueArb(name: string, type: GraphQLInputType, where: string): fc.Arbitrary<{ value: unknown; verdict: Verdict }> {
  const ok = (a: fc.Arbitrary<unknown>) => a.map((value) => ({ value, verdict: "ok" as Verdict }));
  const bad = (a: fc.Arbitrary<unknown>) => a.map((value) => ({ value, verdict: "resolvers" as Verdict }));
  const nullable = !isNonNullType(type);
  const t = getNullableType(type) as GraphQLInputType;
  const named = getNamedType(t);
  if (isInputObjectType(named)) {
    const fields = Object.values(named.getFields());
    return fc
      .tuple(...fields.map((f) => maybe(valueArb(f.name, f.type, `${named.name}.${f.name}`), isNonNullType(f.type) ? 0 : 0.5)))
      .map((vals) => {
        const value: Record<string, unknown> = {};
        vals.forEach((v, i) => v !== undefined && (value[fields[i]!.name] = v.value));
        // A filter field the resolvers refuse (an over-long search) leaves the request to them; an
        // id that is not a uuid is compiled (it matches nothing, as in the resolvers).
        const refused = vals.some((v, i) => v?.verdict === "resolvers" && fields[i]!.name === "search");
        return { value, verdict: (refused ? "resolvers" : "ok") as Verdict };
      });
  }
  if (isListType(t) && isEnumType(named)) {
    const all = named.getValues().map((v) => v.name);
    return fc.oneof({ arbitrary: ok(fc.subarray(all, { maxLength: 3 })), weight: 6 }, { arbitrary: ok(fc.constant(null)), weight: nullable ? 1 : 0 });
  }
  if (isEnumType(named)) return ok(fc.constantFrom(...named.getValues().map((v) => v.name)));
  if (named.name === "ID") {
    const target =
      name === "customerId" ? "Customer" : name === "partnerId" ? "Partner" : name === "loanId" ? "Loan" : getNamedType(queryType.getFields()[where.split(".")[1]!]?.type ?? named).name;
    const own = pools.ids[target] ?? pools.ids.Loan!;
    const others = Object.entries(pools.ids).filter(([k]) => k !== target).flatMap(([, v]) => v);
    return fc.oneof(
      { arbitrary: ok(fc.constantFrom(...own)), weight: 12 },
      { arbitrary: ok(fc.constantFrom(UUID_NOBODY, ...others.slice(0, 4), own[0]!.toUpperCase())), weight: 2 },
      { arbitrary: bad(fc.constantFrom("1 or 1=1", "")), weight: 1 },
    );
  }
  if (name === "first") {
    return fc.oneof(
      { arbitrary: ok(fc.integer({ min: 1, max: 5 })), weight: 10 },
      { arbitrary: ok(fc.constant(null)), weight: 1 },
      { arbitrary: bad(fc.constantFrom(0, -1, 101)), weight: 1 },
    );
  }
  if (name === "after") {
    const kind = where; // the caller passes the connection's cursor kind
    const own = pools.cursors[kind] ?? [];
    const others = Object.entries(pools.cursors).filter(([k]) => k !== kind).flatMap(([, v]) => v);
    return fc.oneof(
      { arbitrary: ok(fc.constantFrom(...own)), weight: own.length ? 8 : 0 },
      { arbitrary: ok(fc.constant(null)), weight: 1 },
      { arbitrary: bad(fc.constantFrom(others[0]!, "Zm9yZ2Vk", own[0] ? `${own[0].slice(0, -2)}AA` : "x")), weight: 2 },
    );
  }
  if (named.name === "Int") {
    if (name === "tenorMonths") return ok(fc.constantFrom(1, 3, 6, 13));
    if (name === "minDaysPastDue") return ok(fc.constantFrom(-1, 0, 5, 10, 30, 200));
    return ok(fc.constantFrom(0, 5, 30, 200));
  }
  if (named.name === "Date") return ok(fc.constantFrom(...DATES));
  if (named.name === "Money") return ok(fc.constantFrom("3000000", 1_000_000, "500", "12000000"));
  if (named.name === "String") {
    if (name === "productCode") return ok(fc.constantFrom("MTL", "STL", "NOPE"));
    if (name === "search") {
      return fc.oneof(
        { arbitrary: ok(fc.constantFrom("Dewi", "ünï", "Customer", "%", "_", "zzz", "   ", ...pools.searches)), weight: 10 },
        { arbitrary: bad(fc.constant("x".repeat(255))), weight: 1 },
      );
    }
    return ok(fc.constantFrom("x"));
  }
  if (named.name === "Boolean") return ok(fc.boolean());
  throw new Error(`no value generator for ${where}(${name}: ${String(type)})`);
}

function argsArb(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>): fc.Arbitrary<ArgPick[]> {
  if (field.args.length === 0) return fc.constant([]);
  const target = getNamedType(field.type).name;
  return fc
    .tuple(
      ...field.args.map((arg: GraphQLArgument) => {
        const where = arg.name === "after" ? (CURSOR_KIND[target] ?? target) : `${parent.name}.${field.name}`;
        const v = valueArb(arg.name, arg.type, where);
        const pick = fc.tuple(v, fc.boolean()).map(([x, asVariable]): ArgPick => ({ name: arg.name, type: arg.type, ...x, asVariable }));
        if (isNonNullType(arg.type)) return pick;
        // Optional arguments: often left out.
        return maybe(pick, 0.4);
      }),
    )
    .map((picks) => picks.filter((p): p is ArgPick => p !== undefined));
}

/** Types that only wrap a list (they do not use up a level of the depth budget). */
const isWrapper = (name: string) => /(Connection|Edge)$/.test(name) || name === "PageInfo";

function fieldArb(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, budget: number): fc.Arbitrary<FieldSel> {
  const target = getNamedType(field.type);
  const base = fc.record({ args: argsArb(parent, field), alias: chance(0.25), directive: chance(0.006) });
  if (isLeafType(target)) {
    return base.map((b) => ({ kind: "field", name: field.name, parent: parent.name, ...b }));
  }
  const next = isWrapper(parent.name) ? budget : budget - 1;
  return fc
    .tuple(base, fc.constant(null).chain(() => selectionArb(target as GraphQLObjectType, next)))
    .map(([b, children]) => ({ kind: "field", name: field.name, parent: parent.name, ...b, children }));
}

function selectionArb(type: GraphQLObjectType, budget: number): fc.Arbitrary<Sel[]> {
  const fields = Object.values(type.getFields());
  const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)));
  const objects = isWrapper(type.name) || budget > 0 ? fields.filter((f) => isObjectType(getNamedType(f.type))) : [];
  const leafPick = leaves.length ? fc.subarray(leaves, { minLength: 1, maxLength: Math.min(6, leaves.length) }) : fc.constant([]);
  // Usually one or two object fields where there are any (deeper documents reach more of both
  // paths); drawn from the list twice over, so a field is sometimes selected twice in one set.
  const objectCount = fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.constant(2), weight: 2 });
  const objectPick = objects.length
    ? objectCount
        .chain((k) => fc.shuffledSubarray([...objects, ...objects], { minLength: k, maxLength: k }))
        .chain((os) => (os.length ? fc.tuple(...os.map((o) => fieldArb(type, o, budget))) : fc.constant([] as FieldSel[])))
    : fc.constant([] as FieldSel[]);
  return fc
    .tuple(
      fc.tuple(...leaves.map((l) => fieldArb(type, l, budget))).map((x) => x as FieldSel[]),
      leafPick,
      objectPick,
      chance(0.2),
      fc.constantFrom("none", "none", "none", "inline", "inlineTyped", "named"),
      fc.noBias(fc.nat(1000)),
    )
    .map(([leafSels, chosen, objectSels, typename, wrap, split]) => {
      // The same field twice: aliased (its own arguments), or the same arguments and no alias, so
      // that GraphQL merges both selection sets into one.
      const seen = new Map<string, FieldSel>();
      const objectsOnce = objectSels.map((o): FieldSel => {
        const first = seen.get(o.name);
        seen.set(o.name, o);
        if (!first) return o;
        return split % 2 ? { ...o, alias: true, forceAlias: true } : { ...o, alias: false, args: first.alias ? o.args : first.args, ...(first.alias ? { alias: true, forceAlias: true } : {}) };
      });
      let sels: Sel[] = [...chosen.map((c) => leafSels[leaves.indexOf(c)]!), ...objectsOnce];
      if (typename || sels.length === 0) {
        sels.push({ kind: "field", name: "__typename", parent: type.name, alias: typename && split % 3 === 0, directive: false, args: [] });
      }
      const k = split % (sels.length + 1);
      if (wrap !== "none" && k < sels.length) {
        sels = [...sels.slice(0, k), { kind: wrap as FragmentSel["kind"], on: type.name, children: sels.slice(k) }];
      }
      return sels;
    });
}

const ROOT_FIELDS = Object.values(queryType.getFields());

/** One operation: a first root field drawn uniformly (so every root is covered), maybe a second. */
const operationArb = fc
  .tuple(
    fc.constantFrom(...ROOT_FIELDS),
    maybe(fc.constantFrom(...ROOT_FIELDS), 0.6),
    fc.constantFrom(1, 2, 3, 3, 4),
    chance(0.25),
    fc.constantFrom("none", "none", "none", "inline", "named"),
  )
  .chain(([first, second, budget, typename, wrap]) => {
    const roots = second && second.name !== first.name ? [first, second] : [first];
    return fc
      .tuple(...roots.map((r) => fieldArb(queryType, r, budget)))
      .map((fields): Sel[] => {
        const sels: Sel[] = typename ? [{ kind: "field", name: "__typename", parent: "Query", alias: false, directive: false, args: [] }, ...fields] : fields;
        return wrap === "none" ? sels : [{ kind: wrap as FragmentSel["kind"], on: "Query", children: sels }];
      });
  });

interface Printed {
  query: string;
  variables: Record<string, unknown>;
  roots: string[];
  /** Every field is in the documented compiled set and every argument is one the compiler takes. */
  compilable: boolean;
  /** GraphQL validation accepts it (two merged selections of one field can conflict below). */
  valid: boolean;
  /** Root lists given a non-null `filter`, or nested lists a `status` (e.g. "loans.filter"). */
  filters: string[];
}

const MAX_ALIASES = 20; // the gateway refuses more than 30 (src/server/limits.ts)

function printOperation(sels: Sel[]): Printed {
  const varDefs: string[] = [];
  const variables: Record<string, unknown> = {};
  const fragments: string[] = [];
  const roots: string[] = [];
  const filters: string[] = [];
  let n = 0;
  let aliases = 0;
  let compilable = true;

  const arg = (a: ArgPick): string => {
    if (a.verdict === "resolvers") compilable = false;
    if (a.asVariable) {
      const v = `v${n++}`;
      varDefs.push(`$${v}: ${String(a.type)}`);
      variables[v] = a.value;
      return `${a.name}: $${v}`;
    }
    const ast = astFromValue(a.value, a.type);
    if (!ast) throw new Error(`no literal for ${a.name}=${JSON.stringify(a.value)}`);
    return `${a.name}: ${print(ast)}`;
  };
  const set = (list: Sel[]): string => `{ ${list.map(sel).join(" ")} }`;
  const sel = (s: Sel): string => {
    if (s.kind !== "field") {
      if (s.kind === "inline") return `... ${set(s.children)}`;
      if (s.kind === "inlineTyped") return `... on ${s.on} ${set(s.children)}`;
      const name = `F${n++}`;
      fragments.push(`fragment ${name} on ${s.on} ${set(s.children)}`);
      return `...${name}`;
    }
    if (s.parent === "Query") {
      roots.push(s.name);
      if (!COMPILED_ROOTS.has(s.name)) compilable = false;
    } else if (s.name !== "__typename" && !COMPILED_FIELDS[s.parent]?.includes(s.name)) compilable = false;
    let out = "";
    if (s.forceAlias || (s.alias && aliases < MAX_ALIASES)) {
      aliases++;
      out += `k${n++}_${s.name}: `;
    }
    out += s.name;
    if (s.args.length) out += `(${s.args.map(arg).join(", ")})`;
    for (const a of s.args) if ((a.name === "filter" || a.name === "status") && a.value != null) filters.push(`${s.name}.${a.name}`);
    if (s.directive) {
      compilable = false;
      out += n++ % 2 ? " @include(if: true)" : " @skip(if: false)";
    }
    if (s.children) out += ` ${set(s.children)}`;
    return out;
  };
  const body = set(sels);
  const head = varDefs.length ? `query Random(${varDefs.join(", ")})` : `query Random`;
  const query = [`${head} ${body}`, ...fragments].join("\n");
  const valid = validate(schema, parse(query)).length === 0;
  return { query, variables, roots, compilable: compilable && valid, valid, filters };
}

// ---------------------------------------------------------------------------------------------
// Running both gateways

async function post(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

/** Both gateways' answers, and how many compiled statements the compiling one sent. */
async function both(query: string, variables: Record<string, unknown>, token?: string) {
  const w = await world();
  let compiledStatements = 0;
  const stop = onQuery((q) => {
    if (q.includes("row_to_json")) compiledStatements++;
  });
  let compiled;
  try {
    compiled = await post(w.url, query, variables, token);
  } finally {
    stop();
  }
  const resolved = await post(`${reference.url}/graphql`, query, variables, token);
  return { compiled, resolved, compiledStatements };
}

const ROLES = ["admin", "partnerA", "partnerB", "customer", "anonymous"] as const;
const NUM_RUNS = Number(process.env.PARITY_RUNS ?? 300);
const SEED = Number(process.env.PARITY_SEED ?? 20261212);

/**
 * Two error bodies that can differ from run to run of the SAME resolvers. graphql-js lists errors
 * in the order they were raised, and sibling fields resolve concurrently (on PostgreSQL on several
 * pooled connections), so two errors can come back in either order ("order"). And once an error
 * nulls a non-null field, its nullable ancestor (or `data`) is answered without waiting for the
 * rest of that subtree, whose later errors are then not reported at all ("race"; e.g. a refused
 * `loanQuote` input beside a forged cursor under `customers`: `data` is null and the one error is
 * whichever was raised first). Both bodies carry errors, so neither is a compiled answer (the
 * compiled path answers only without errors): everything except the errors list — `data` above
 * all — must still be identical.
 */
function sameUpToErrorTiming(compiled: string, resolved: string): "order" | "race" | undefined {
  try {
    const a = JSON.parse(compiled) as { errors?: unknown[] };
    const b = JSON.parse(resolved) as { errors?: unknown[] };
    if (!a.errors?.length || !b.errors?.length) return undefined;
    const rest = (x: { errors?: unknown[] }) => JSON.stringify({ ...x, errors: undefined });
    if (rest(a) !== rest(b)) return undefined;
    const sorted = (x: unknown[]) => JSON.stringify(x.map((e) => JSON.stringify(e)).sort());
    return sorted(a.errors) === sorted(b.errors) ? "order" : "race";
  } catch {
    return undefined;
  }
}

/** Where two bodies first differ, with some context of both. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `first difference at ${i}:\n  compiled:  …${a.slice(Math.max(0, i - 120), i + 120)}\n  resolvers: …${b.slice(Math.max(0, i - 120), i + 120)}`;
}

describe("compiled reads ≡ resolvers for random documents over every root field and role", () => {
  it(`${NUM_RUNS} random operations × every role: same status and byte-identical body`, { timeout: 300_000 }, async () => {
    const started = Date.now();
    const stats = {
      operations: 0,
      requests: 0,
      compiled: 0,
      expected: 0,
      compiledOfExpected: 0,
      errors: 0,
      invalid: 0,
      errorTiming: { order: 0, race: 0 },
      roots: new Map<string, number>(),
      roles: new Map<string, number>(),
      compiledRoots: new Map<string, number>(),
      compiledFilters: new Map<string, number>(),
      missed: [] as string[],
    };
    await fc.assert(
      fc.asyncProperty(operationArb, async (sels) => {
        const op = printOperation(sels);
        if (process.env.PARITY_SHOW) console.info(`${op.compilable}\n${op.query}\n${JSON.stringify(op.variables)}`);
        stats.operations++;
        if (!op.valid) stats.invalid++;
        for (const r of op.roots) stats.roots.set(r, (stats.roots.get(r) ?? 0) + 1);
        const anonymousAllowed = op.roots.some((r) => ANONYMOUS_ROOTS.has(r));
        for (const role of ROLES) {
          // Anonymous where a root allows it, and on every fourth other document (its errors).
          if (role === "anonymous" && !anonymousAllowed && stats.operations % 4 !== 0) continue;
          const r = await both(op.query, op.variables, tokens[role]);
          const where = `${role}\n${op.query}\nvariables: ${JSON.stringify(op.variables)}`;
          expect(r.compiled.status, `${where}\n${r.compiled.text}\n${r.resolved.text}`).toBe(r.resolved.status);
          if (r.compiled.text !== r.resolved.text) {
            const timing = sameUpToErrorTiming(r.compiled.text, r.resolved.text);
            if (!timing) expect.fail(`${where}\n${firstDifference(r.compiled.text, r.resolved.text)}${process.env.PARITY_SHOW ? `\n${r.compiled.text}\n${r.resolved.text}` : ""}`);
            stats.errorTiming[timing]++;
          }
          expect(r.compiledStatements, where).toBeLessThanOrEqual(1);
          stats.requests++;
          stats.roles.set(role, (stats.roles.get(role) ?? 0) + 1);
          if (r.resolved.text.includes('"errors"')) stats.errors++;
          if (r.compiledStatements === 1) {
            stats.compiled++;
            for (const root of op.roots) stats.compiledRoots.set(root, (stats.compiledRoots.get(root) ?? 0) + 1);
            for (const f of op.filters) stats.compiledFilters.set(f, (stats.compiledFilters.get(f) ?? 0) + 1);
          }
          if (op.compilable && role !== "anonymous") {
            stats.expected++;
            if (r.compiledStatements === 1) stats.compiledOfExpected++;
            else if (stats.missed.length < 5) stats.missed.push(where);
          }
        }
      }),
      { numRuns: NUM_RUNS, seed: SEED, endOnFailure: true },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const share = stats.compiledOfExpected / Math.max(1, stats.expected);
    console.info(
      `compiled parity: ${stats.operations} operations (${stats.invalid} invalid), ${stats.requests} request pairs in ${seconds}s; ` +
        `${stats.compiled} compiled (${stats.compiledOfExpected}/${stats.expected} = ${(share * 100).toFixed(0)}% of those with only compiled fields); ` +
        `${stats.errors} answered with errors (equal up to the order of their errors: ${stats.errorTiming.order}, up to which concurrent errors were reported: ${stats.errorTiming.race}); roots ${JSON.stringify(Object.fromEntries(stats.roots))}; roles ${JSON.stringify(Object.fromEntries(stats.roles))}; ` +
        `compiled per root ${JSON.stringify(Object.fromEntries(stats.compiledRoots))}; compiled with filters ${JSON.stringify(Object.fromEntries(stats.compiledFilters))}` +
        (stats.missed.length ? `\nnot compiled although expected, e.g.:\n${stats.missed.join("\n---\n")}` : ""),
    );
    // Every root field of the schema and every role was exercised.
    for (const f of ROOT_FIELDS) expect(stats.roots.get(f.name) ?? 0, `root ${f.name}`).toBeGreaterThanOrEqual(Math.min(3, Math.floor(NUM_RUNS / 40)));
    for (const role of ROLES) expect(stats.roles.get(role) ?? 0, `role ${role}`).toBeGreaterThan(0);
    // The generator still reaches the compiler: most documents it makes of compiled fields only
    // were answered by one compiled statement.
    expect(stats.expected).toBeGreaterThanOrEqual(NUM_RUNS / 5);
    expect(share).toBeGreaterThan(0.8);
    // …and did so from every root the compiler knows.
    for (const root of COMPILED_ROOTS) if (root !== "__typename") expect(stats.compiledRoots.get(root) ?? 0, `compiled from ${root}`).toBeGreaterThan(0);
    // …with filters on every root list (and a nested status filter).
    for (const f of ["customers.filter", "applications.filter", "loans.filter", "loans.status", "applications.status"]) {
      expect(stats.compiledFilters.get(f) ?? 0, `compiled with ${f}`).toBeGreaterThan(0);
    }
  });
});
