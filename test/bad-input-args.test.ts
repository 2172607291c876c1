/**
 * Bad argument values against the live gateway: Money (negative, fraction, exponent, hex,
 * whitespace, overflow), Date and DateTime (impossible days, months and times, non-ISO), forged
 * cursors, unknown enum values, wrong variable types, missing variables, SQL-looking strings and
 * non-uuid ids, NUL characters, huge strings. Every rejection is a clear code (BAD_USER_INPUT
 * naming the argument or input field, or the GraphQL validation code), leaks no internals, and a
 * rejected mutation writes nothing (every table's rows and contents are compared before/after).
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CustomerRow, PartnerRow } from "../src/db/schema.js";
import { expectBadInput, expectClean, expectError, expectHealthy, expectNothingWritten, fingerprint, post } from "./support/bad-input.js";
import { makeApplication, makeCustomer, makeLoan, makePartner, type LoanWorld } from "./support/factories.js";
import { registration } from "./support/registration.js";
import { adminToken, tokenFor } from "./support/world.js";

let admin: string;
let partner: PartnerRow;
let customer: CustomerRow;
let customerToken: string;
let loan: LoanWorld;
let submittedApp: string;
let cursor: string;

beforeAll(async () => {
  admin = await adminToken();
  partner = await makePartner();
  customer = await makeCustomer({ partnerId: partner.id });
  customerToken = await tokenFor("CUSTOMER", customer.id);
  loan = await makeLoan({ customer });
  const other = await makeCustomer({ partnerId: partner.id });
  submittedApp = (await makeApplication({ customer: other, status: "SUBMITTED" })).id;
  await makeCustomer({ partnerId: partner.id });
  const r = await post({ query: `query($p: ID) { customers(first: 1, filter: { partnerId: $p }) { pageInfo { endCursor } } }`, variables: { p: partner.id } }, admin);
  cursor = r.json.data.customers.pageInfo.endCursor;
});

afterAll(expectHealthy);

/**
 * Validation and NUL refusals are GraphQL request errors: HTTP 400 for a client that accepts
 * application/graphql-response+json, as here where the status is asserted; 200 for the legacy
 * application/json (GraphQL over HTTP; see test/graphql-http-audit.test.ts).
 */
const MODERN = { accept: "application/graphql-response+json" };

const RECORD = `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { replayed transaction { id } } }`;
const QUOTE = `query($input: LoanQuoteInput!) { loanQuote(input: $input) { principal } }`;
const payment = (over: Record<string, unknown>) => ({ loanId: loan.loan.id, amount: "100000", idempotencyKey: `bad-${randomUUID()}`, ...over });

/** A mutation the server must refuse with BAD_USER_INPUT on `field`, writing nothing. */
async function rejectedMutation(label: string, query: string, variables: Record<string, unknown>, field: string | undefined, token: string | null = admin, echoes: string[] = []) {
  const r = await expectNothingWritten(() => post({ query, variables }, token));
  const e = expectBadInput(r, field, label);
  expectClean(r.text, echoes, label);
  if (r.json.data) expect(Object.values(r.json.data).every((v) => v === null), label).toBe(true);
  return e;
}

describe("Money", () => {
  const bad: [string, unknown][] = [
    ["negative", "-1"],
    ["negative Int", -100000],
    ["a fraction", "100000.5"],
    ["a Float", 100000.5],
    ["an exponent", "1e6"],
    ["an exponent Float", 1e21],
    ["hex", "0x186A0"],
    ["a leading space", " 100000"],
    ["a trailing newline", "100000\n"],
    ["a thousands separator", "100,000"],
    ["an underscore separator", "100_000"],
    ["a plus sign", "+100000"],
    ["full-width digits", "１００００００"],
    ["empty", ""],
    ["2^63", "9223372036854775808"],
    ["20 digits", "99999999999999999999"],
    ["an unsafe Int", 2 ** 53 + 2],
    ["a boolean", true],
    ["an object", { amount: 1 }],
    ["a list", ["100000"]],
    ["Infinity text", "Infinity"],
    ["NaN text", "NaN"],
  ];

  it.each(bad)("recordPayment amount: %s is BAD_USER_INPUT on amount and writes nothing", async (label, amount) => {
    await rejectedMutation(label, RECORD, { input: payment({ amount }) }, "amount");
  });

  it.each([
    ["negative", "-1"],
    ["a Float", "1.5"],
    ["an exponent", "1e6"],
    ["2^63", "9223372036854775808"],
  ])("a Money literal (%s) is BAD_USER_INPUT on amount", async (label, literal) => {
    const r = await post({ query: `{ loanQuote(input: { productCode: "MTL", amount: ${literal}, tenorMonths: 3 }) { principal } }` });
    expectBadInput(r, "amount", label);
    expectClean(r.text, [], label);
  });

  it("null for a required Money is BAD_USER_INPUT on amount", async () => {
    await rejectedMutation("null", RECORD, { input: payment({ amount: null }) }, "amount");
  });

  it("the largest Money (2^63-1) is accepted as input and refused by the product range, not by the database", async () => {
    const r = await post({ query: QUOTE, variables: { input: { productCode: "MTL", amount: "9223372036854775807", tenorMonths: 3 } } });
    expectBadInput(r, "amount");
    expectClean(r.text);
  });

  it("registerCustomer monthlyIncome: negative, fraction and overflow write nothing", async () => {
    const REGISTER = `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`;
    for (const monthlyIncome of ["-5", "1.5", "1e7", "99999999999999999999", -5, 1.5]) {
      await rejectedMutation(`monthlyIncome ${monthlyIncome}`, REGISTER, { input: registration({ monthlyIncome: monthlyIncome as string }) }, "monthlyIncome", null);
    }
  });
});

describe("Date and DateTime", () => {
  const DAILY = `mutation($d: Date!) { runDailyUpdate(asOf: $d) { asOf } }`;
  it.each([
    ["Feb 30", "2026-02-30"],
    ["Feb 29 of a common year", "2027-02-29"],
    ["month 13", "2026-13-01"],
    ["month 0", "2026-00-10"],
    ["day 0", "2026-01-00"],
    ["day 32", "2026-01-32"],
    ["no padding", "2026-1-1"],
    ["no dashes", "20260101"],
    ["slashes", "01/02/2026"],
    ["a date-time", "2026-01-01T00:00:00Z"],
    ["words", "yesterday"],
    ["five-digit year", "10000-01-01"],
    ["year 0", "0000-01-01"],
    ["trailing space", "2026-01-01 "],
    ["empty", ""],
    ["an Int", 20260101],
  ])("runDailyUpdate asOf %s is BAD_USER_INPUT on asOf and writes nothing", async (label, d) => {
    await rejectedMutation(label, DAILY, { d }, "asOf");
  });

  it("runDailyUpdate as of the last representable day (9999-12-31) is BAD_USER_INPUT and writes nothing (was INTERNAL_SERVER_ERROR after the loan batches had committed)", async () => {
    await rejectedMutation("9999-12-31", DAILY, { d: "9999-12-31" }, "asOf");
  });

  it("a Date literal that is not a day is BAD_USER_INPUT on asOf", async () => {
    const r = await expectNothingWritten(() => post({ query: `mutation { runDailyUpdate(asOf: "2026-02-30") { asOf } }` }, admin));
    expectBadInput(r, "asOf");
  });

  it.each([
    ["Feb 30", "2026-02-30T03:00:00Z"],
    ["Apr 31", "2026-04-31T03:00:00.000Z"],
    ["month 13", "2026-13-01T00:00:00Z"],
    ["hour 24", "2026-01-01T24:00:00Z"],
    ["minute 60", "2026-01-01T10:60:00Z"],
    ["second 60", "2026-01-01T10:00:60Z"],
    ["offset +25:00", "2026-01-01T10:00:00+25:00"],
    ["no zone", "2026-01-01T10:00:00"],
    ["a date only", "2026-01-01"],
    ["epoch millis", 1767225600000],
    ["epoch text", "1767225600"],
    ["RFC 2822", "Thu, 01 Jan 2026 00:00:00 GMT"],
    ["a future time", "2999-01-01T00:00:00Z"],
  ])("recordPayment paidAt %s is BAD_USER_INPUT on paidAt and writes nothing", async (label, paidAt) => {
    await rejectedMutation(label, RECORD, { input: payment({ paidAt }) }, "paidAt");
  });

  it("disburseLoan disbursedAt on Feb 30 is BAD_USER_INPUT (not a silent March 2)", async () => {
    const inactive = await makeLoan({ customer: await makeCustomer(), status: "INACTIVE" });
    await rejectedMutation(
      "disbursedAt",
      `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id } }`,
      { input: { loanId: inactive.loan.id, disbursedAt: "2026-02-30T03:00:00Z" } },
      "disbursedAt",
    );
  });

  it.each([
    ["Feb 30", "2026-02-30"],
    ["dd-mm-yyyy", "10-01-2026"],
  ])("loanQuote loanDate %s is BAD_USER_INPUT on loanDate", async (label, loanDate) => {
    const r = await post({ query: QUOTE, variables: { input: { productCode: "MTL", amount: "3000000", tenorMonths: 3, loanDate } } });
    expectBadInput(r, "loanDate", label);
    expectClean(r.text, [], label);
  });

  it("loanQuote with a loanDate whose schedule would run past 9999 is BAD_USER_INPUT (was a 500)", async () => {
    for (const loanDate of ["9999-12-31", "9999-09-01"]) {
      const r = await post({ query: QUOTE, variables: { input: { productCode: "MTL", amount: "3000000", tenorMonths: 6, loanDate } } });
      expectBadInput(r, "loanDate", loanDate);
    }
    const ok = await post({ query: QUOTE, variables: { input: { productCode: "MTL", amount: "3000000", tenorMonths: 6, loanDate: "9998-01-10" } } });
    expect(ok.json.errors).toBeUndefined();
  });

  it("registerCustomer dateOfBirth that is not a day writes nothing", async () => {
    const REGISTER = `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`;
    for (const dateOfBirth of ["1990-02-30", "1990-13-01", "17/05/1990", "1990-5-17"]) {
      await rejectedMutation(dateOfBirth, REGISTER, { input: { ...registration(), dateOfBirth } }, "dateOfBirth", null);
    }
  });
});

describe("cursors", () => {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
  const decoded = () => Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const resign = (parts: string[], key: Buffer | string) => {
    const payload = parts.slice(0, 4).join("|");
    return b64(`${payload}|${createHmac("sha256", key).update(payload).digest("base64url").slice(0, 16)}`);
  };
  it.each([
    ["truncated", () => cursor.slice(0, cursor.length - 3)],
    ["one byte", () => cursor.slice(0, 1)],
    ["padded with '='", () => `${cursor}==`],
    ["with a space", () => ` ${cursor}`],
    ["edited id", () => b64([...decoded().slice(0, 3), randomUUID(), decoded()[4]].join("|"))],
    ["edited time", () => b64([decoded()[0], decoded()[1], "0", ...decoded().slice(3)].join("|"))],
    ["re-signed with the default (unconfigured) key", () => resign([decoded()[0]!, decoded()[1]!, "1", randomUUID()], createHash256("julo-gateway cursor key (no secret configured)"))],
    ["re-signed with a guessed key", () => resign(decoded(), "secret")],
    ["without its tag", () => b64(decoded().slice(0, 4).join("|"))],
    ["SQL in the id", () => b64([...decoded().slice(0, 3), "' or 1=1 --", decoded()[4]].join("|"))],
    ["a huge number", () => b64([decoded()[0], decoded()[1], "9".repeat(400), ...decoded().slice(3)].join("|"))],
    ["200 KB", () => "A".repeat(200_000)],
    ["unicode", () => "カーソル"],
  ])("a cursor %s is BAD_USER_INPUT on after", async (label, make) => {
    const value = make();
    const r = await post({ query: `query($a: String) { customers(first: 5, after: $a) { totalCount } }`, variables: { a: value } }, admin);
    expectBadInput(r, "after", label);
    expectClean(r.text, [value], label);
  });

  it("a cursor of another kind of list is BAD_USER_INPUT on after, nested too", async () => {
    const r = await post({ query: `query($a: String, $l: ID!) { loan(id: $l) { transactions(after: $a) { totalCount } } }`, variables: { a: cursor, l: loan.loan.id } }, admin);
    expectBadInput(r, "after");
  });
});

function createHash256(s: string): Buffer {
  return createHmac("sha256", Buffer.alloc(0)).update(s).digest();
}

describe("enums", () => {
  it.each([
    ["an unknown value", "[NOPE]"],
    ["lower case", "[current]"],
    ["a string", '["CURRENT"]'],
    ["a status code", "[220]"],
    ["another enum's value", "[SUBMITTED]"],
  ])("a literal with %s is GRAPHQL_VALIDATION_FAILED", async (label, value) => {
    const r = await post({ query: `{ loans(filter: { status: ${value} }) { totalCount } }` }, admin, MODERN);
    expectError(r, 400, "GRAPHQL_VALIDATION_FAILED", label);
    expectClean(r.text, [], label);
  });

  it.each([
    ["an unknown value", ["NOPE"]],
    ["lower case", ["current"]],
    ["a number", [220]],
    ["null in a non-null list", [null]],
    ["SQL", ["CURRENT'); drop table loans; --"]],
  ])("a variable with %s is BAD_USER_INPUT naming the input field", async (label, status) => {
    const r = await post({ query: `query($s: [LoanStatus!]) { loans(filter: { status: $s }) { totalCount } }`, variables: { s: status } }, admin);
    expectBadInput(r, "status", label);
    expectClean(r.text, [String(status[0])], label);
  });

  it("an enum input field given a wrong enum inside an input object variable names the field", async () => {
    const r = await post({ query: `query($f: LoanFilter) { loans(filter: $f) { totalCount } }`, variables: { f: { status: ["NOPE"] } } }, admin);
    expectBadInput(r, "status");
  });
});

describe("variables", () => {
  it.each([
    ["a string for an Int", "query($n: Int) { loans(first: $n) { totalCount } }", { n: "5" }, "first"],
    ["a Float for an Int", "query($n: Int) { loans(first: $n) { totalCount } }", { n: 1.5 }, "first"],
    ["2^31 for an Int", "query($n: Int) { loans(first: $n) { totalCount } }", { n: 2 ** 31 }, "first"],
    ["an object for an ID", "query($id: ID!) { loan(id: $id) { id } }", { id: { $ne: null } }, "id"],
    ["a list for an ID", "query($id: ID!) { loan(id: $id) { id } }", { id: ["x"] }, "id"],
    ["a boolean for an ID", "query($id: ID!) { loan(id: $id) { id } }", { id: true }, "id"],
    ["null for a required ID", "query($id: ID!) { loan(id: $id) { id } }", { id: null }, "id"],
    ["a missing required ID", "query($id: ID!) { loan(id: $id) { id } }", {}, "id"],
    ["a string for an input object", "query($f: LoanFilter) { loans(filter: $f) { totalCount } }", { f: "status = CURRENT" }, "filter"],
    ["an unknown input field", "query($f: LoanFilter) { loans(filter: $f) { totalCount } }", { f: { where: "1=1" } }, "where"],
    ["a string for minDaysPastDue", "query($f: LoanFilter) { loans(filter: $f) { totalCount } }", { f: { minDaysPastDue: "30" } }, "minDaysPastDue"],
  ])("%s is BAD_USER_INPUT on the argument", async (label, query, variables, field) => {
    const r = await post({ query, variables }, admin);
    expectBadInput(r, field, label);
    expectClean(r.text, [], label);
  });

  it.each([
    ["a required input missing a field", () => ({ input: { loanId: loan.loan.id, amount: "1" } }), "idempotencyKey"],
    ["a required input that is null", () => ({ input: null }), "input"],
    ["a required input missing", () => ({}), "input"],
    ["an input with an unknown field", () => ({ input: { ...payment({}), sql: "drop table payments" } }), "sql"],
  ])("recordPayment with %s is BAD_USER_INPUT and writes nothing", async (label, variables, field) => {
    await rejectedMutation(label, RECORD, variables(), field);
  });

  it("Int literals out of range are GRAPHQL_VALIDATION_FAILED", async () => {
    for (const q of [`{ loans(first: 2147483648) { totalCount } }`, `{ loans(first: 1.5) { totalCount } }`, `{ loans(first: "5") { totalCount } }`]) {
      const r = await post({ query: q }, admin, MODERN);
      expectError(r, 400, "GRAPHQL_VALIDATION_FAILED", q);
    }
  });
});

describe("SQL-looking strings and ids that are not uuids", () => {
  const SQLISH = ["'; drop table customers; --", "1 or 1=1", "' OR '1'='1", "1; select pg_sleep(5)", "%' union select nik from customers --", "\\'; truncate loans; --", "$1", "${1}"];

  it.each(SQLISH)("customers(filter: { search: %j }) finds nothing and breaks nothing", async (search) => {
    const before = await fingerprint(["customers", "loans"]);
    const started = Date.now();
    const r = await post({ query: `query($s: String) { customers(filter: { search: $s }) { totalCount nodes { id } } }`, variables: { s: search } }, admin);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.status).toBe(200);
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data.customers.totalCount).toBe(0);
    expectClean(r.text, [search]);
    expect(await fingerprint(["customers", "loans"])).toEqual(before);
  });

  it("the same search as a literal finds nothing", async () => {
    const r = await post({ query: `{ customers(filter: { search: "'; drop table customers; --" }) { totalCount } }` }, admin);
    expect(r.json).toEqual({ data: { customers: { totalCount: 0 } } });
  });

  it.each(["1 or 1=1", "' OR '1'='1", "1", "null", "00000000-0000-0000-0000-00000000000g", `${randomUUID()}' or '1'='1`, `${randomUUID()} `, "x".repeat(10_000)])(
    "point reads by id %j are null",
    async (id) => {
      const r = await post({
        query: `query($id: ID!) { loan(id: $id) { id } customer(id: $id) { id } application(id: $id) { id } payment(id: $id) { id } partner(id: $id) { id } }`,
        variables: { id },
      }, admin);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ data: { loan: null, customer: null, application: null, payment: null, partner: null } });
    },
  );

  it("loan(id: \"1 or 1=1\") as a literal is null", async () => {
    const r = await post({ query: `{ loan(id: "1 or 1=1") { id } }` }, admin);
    expect(r.json).toEqual({ data: { loan: null } });
  });

  it.each(SQLISH)("filters by partnerId/customerId %j match nothing", async (id) => {
    const r = await post({
      query: `query($id: ID) { loans(filter: { partnerId: $id, customerId: $id }) { totalCount } applications(filter: { partnerId: $id, customerId: $id }) { totalCount } customers(filter: { partnerId: $id }) { totalCount } }`,
      variables: { id },
    }, admin);
    expect(r.json).toEqual({ data: { loans: { totalCount: 0 }, applications: { totalCount: 0 }, customers: { totalCount: 0 } } });
  });

  it("portfolioSummary(partnerId) that is not a uuid is NOT_FOUND", async () => {
    const r = await post({ query: `{ portfolioSummary(partnerId: "1 or 1=1") { loanCount } }` }, admin);
    expectError(r, 200, "NOT_FOUND");
    expectClean(r.text);
  });

  it.each([
    ["acceptOffer", `mutation($id: ID!) { acceptOffer(applicationId: $id) { id } }`, () => customerToken],
    ["declineOffer", `mutation($id: ID!) { declineOffer(applicationId: $id) { id } }`, () => customerToken],
    ["cancelApplication", `mutation($id: ID!) { cancelApplication(applicationId: $id) { id } }`, () => admin],
    ["writeOffLoan", `mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "x") { id } }`, () => admin],
    ["disburseLoan", `mutation($id: ID!) { disburseLoan(input: { loanId: $id }) { id } }`, () => admin],
    ["approveApplication", `mutation($id: ID!) { approveApplication(input: { applicationId: $id }) { id } }`, () => admin],
    ["rejectApplication", `mutation($id: ID!) { rejectApplication(input: { applicationId: $id, reason: "x" }) { id } }`, () => admin],
    ["failDisbursement", `mutation($id: ID!) { failDisbursement(input: { loanId: $id, reason: "x" }) { id } }`, () => admin],
  ])("%s with ids that are not uuids is NOT_FOUND and writes nothing", async (label, query, token) => {
    for (const id of ["1 or 1=1", "'; delete from loans; --", "", `${loan.loan.id}'--`]) {
      const r = await expectNothingWritten(() => post({ query, variables: { id } }, token()));
      expectError(r, 200, "NOT_FOUND", `${label} ${id}`);
      expectClean(r.text, [id], label);
    }
  });

  it("recordPayment on a loan id that is not a uuid is NOT_FOUND and writes nothing", async () => {
    const r = await expectNothingWritten(() => post({ query: RECORD, variables: { input: payment({ loanId: "1 or 1=1" }) } }, admin));
    expectError(r, 200, "NOT_FOUND");
  });

  it("createPartner with SQL in its code is BAD_USER_INPUT on code and writes nothing", async () => {
    await rejectedMutation("code", `mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { code: "'; drop table partners; --", name: "x" } }, "code");
  });

  it("registerCustomer with SQL in nik, phone and email writes nothing", async () => {
    const REGISTER = `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`;
    for (const [field, value] of [["nik", "'; drop table customers; --"], ["phone", "0812' or '1'='1"], ["email", "a@b.c'; drop table customers; --"]] as const) {
      await rejectedMutation(field, REGISTER, { input: registration({ [field]: value }) }, field, null, [value]);
    }
  });
});

describe("huge and unstorable strings", () => {
  const BIG = "x".repeat(200_000);
  it("registerCustomer with a 200 KB fullName is BAD_USER_INPUT on fullName and writes nothing", async () => {
    await rejectedMutation("fullName", `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`, { input: registration({ fullName: BIG }) }, "fullName", null, [BIG]);
  });

  it.each([
    ["purpose", `mutation($s: String!) { submitApplication(input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: $s }) { id } }`, "purpose", () => customerToken],
    ["productCode", `mutation($s: String!) { submitApplication(input: { productCode: $s, requestedAmount: "3000000", tenorMonths: 3, purpose: "x" }) { id } }`, "productCode", () => customerToken],
    ["reject reason", `mutation($s: String!, $id: ID!) { rejectApplication(input: { applicationId: $id, reason: $s }) { id } }`, "reason", () => admin],
    ["approve note", `mutation($s: String, $id: ID!) { approveApplication(input: { applicationId: $id, note: $s }) { id } }`, "note", () => admin],
    ["partner name", `mutation($s: String!) { createPartner(input: { code: "BIGNAME", name: $s }) { id } }`, "name", () => admin],
    ["idempotencyKey", `mutation($s: String!, $l: ID!) { recordPayment(input: { loanId: $l, amount: "1000", idempotencyKey: $s }) { replayed } }`, "idempotencyKey", () => admin],
    ["channel", `mutation($s: String, $l: ID!) { recordPayment(input: { loanId: $l, amount: "1000", idempotencyKey: "big-channel", channel: $s }) { replayed } }`, "channel", () => admin],
  ])("a 200 KB %s is BAD_USER_INPUT and writes nothing", async (label, query, field, token) => {
    await rejectedMutation(label, query, { s: BIG, id: submittedApp, l: loan.loan.id }, field, token(), [BIG]);
  });

  it.each([
    ["a search", `query($s: String) { customers(filter: { search: $s }) { totalCount } }`, "search", () => admin],
    ["a product code", `query($s: String!) { loanQuote(input: { productCode: $s, amount: "3000000", tenorMonths: 3 }) { principal } }`, "productCode", () => null],
    ["a login phone", `mutation($s: String!) { login(input: { phone: $s, pin: "123456" }) { token } }`, "phone", () => null],
    ["a fullName", `mutation($s: String!) { registerCustomer(input: { fullName: $s, nik: "3171015705900001", phone: "081234567890", email: "nul@example.id", dateOfBirth: "1990-05-17", monthlyIncome: "10000000", pin: "246810" }) { token } }`, "fullName", () => null],
    ["a partner name", `mutation($s: String!) { createPartner(input: { code: "NULNAME", name: $s }) { id } }`, "name", () => admin],
    ["a purpose", `mutation($s: String!) { submitApplication(input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: $s }) { id } }`, "purpose", () => customerToken],
    ["a reason", `mutation($s: String!, $id: ID!) { rejectApplication(input: { applicationId: $id, reason: $s }) { id } }`, "reason", () => admin],
  ])("a NUL character in %s is BAD_USER_INPUT (was INTERNAL_SERVER_ERROR) and writes nothing", async (label, query, field, token) => {
    for (const s of ["a\u0000b", "\u0000"]) {
      const r = await expectNothingWritten(() => post({ query, variables: { s, id: submittedApp } }, token(), MODERN));
      expectBadInput(r, field, label);
      expect(r.status).toBe(400);
      expectClean(r.text, [], label);
    }
  });

  it("a NUL character in a string literal is BAD_USER_INPUT naming the argument", async () => {
    const r = await post({ query: `{ customers(filter: { search: "a\\u0000b" }) { totalCount } }` }, admin);
    expectBadInput(r, "search");
    const id = await post({ query: `{ loan(id: "\\u0000") { id } }` }, admin);
    expectBadInput(id, "id");
  });

  it("a NUL inside a nested input object variable names that field", async () => {
    const r = await post({ query: `query($f: CustomerFilter) { customers(filter: $f) { totalCount } }`, variables: { f: { search: "x\u0000" } } }, admin);
    expectBadInput(r, "search");
  });

  it("other control characters and lone surrogates in a search are answered, not crashed on", async () => {
    for (const s of ["\u0001\u0002", "\ud800", "\uffff", "a\u202eb", "😀".repeat(50)]) {
      const r = await post({ query: `query($s: String) { customers(filter: { search: $s }) { totalCount } }`, variables: { s } }, admin);
      expect(r.status).toBe(200);
      expect(r.json.errors).toBeUndefined();
    }
  });
});

describe("rejected mutations in a valid state", () => {
  it("writeOffLoan on a CURRENT loan is INVALID_STATE and writes nothing", async () => {
    const r = await expectNothingWritten(() => post({ query: `mutation($id: ID!) { writeOffLoan(loanId: $id, reason: "try") { id } }`, variables: { id: loan.loan.id } }, admin));
    expectError(r, 200, "INVALID_STATE");
  });

  it("approveApplication for more than allowed is BAD_USER_INPUT on amount and writes nothing", async () => {
    await rejectedMutation("amount", `mutation($id: ID!) { approveApplication(input: { applicationId: $id, amount: "999999999" }) { id } }`, { id: submittedApp }, "amount");
  });

  it("approveApplication with a negative tenor is BAD_USER_INPUT on tenorMonths and writes nothing", async () => {
    await rejectedMutation("tenor", `mutation($id: ID!) { approveApplication(input: { applicationId: $id, tenorMonths: -3 }) { id } }`, { id: submittedApp }, "tenorMonths");
  });

  it("submitApplication with a tenor of 2^31-1 is BAD_USER_INPUT on tenorMonths and writes nothing", async () => {
    await rejectedMutation("tenor", `mutation { submitApplication(input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 2147483647, purpose: "x" }) { id } }`, {}, "tenorMonths", customerToken);
  });

  it("recordPayment of zero is BAD_USER_INPUT on amount and writes nothing", async () => {
    await rejectedMutation("zero", RECORD, { input: payment({ amount: "0" }) }, "amount");
  });
});
