/**
 * What the SQL compiler knows of the schema: for each object type it can compile, its table, the
 * visibility scope of its rows (from src/auth/policy.ts, the same functions the repositories use)
 * and, per field, the SQL expression that yields the field's JSON value or the relation that
 * leads to another type. Anything not listed here is answered by the ordinary resolvers.
 *
 * Every expression yields exactly what the resolver and scalar serialise: Money as a decimal
 * string, DateTime as `toISOString()`, Date as YYYY-MM-DD, status codes from the same tables.
 * test/compiled-reads.test.ts checks byte for byte that both paths answer the same.
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import {
  applicationScope,
  customerScope,
  loanScope,
  partnerScope,
  paymentScope,
} from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import { customers, loanApplications, loans, partners, payments } from "../../db/schema.js";
import type { KeyedTable } from "../../db/queries.js";
import { APPLICATION_STATUS_CODES } from "../../domain/statuses.js";
import { LOAN_STATUS_CODES, PAYMENT_STATUS_CODES } from "../../domain/statuses.js";

/** The viewer roles a compiled plan is made for (anonymous callers use the resolvers). */
export type CompiledRole = "ADMIN" | "PARTNER" | "CUSTOMER";

/** A field whose value is one SQL expression over the row. */
export interface ValueField {
  kind: "value";
  expr: (role: CompiledRole) => SQL;
}

/** Another object (or null) found by a condition on the child table. */
export interface OneField {
  kind: "one";
  target: string;
  /** Child rows that belong to the current parent row. */
  on: () => SQL;
  /** Null parents are allowed (e.g. a customer without partner). */
  when?: () => SQL;
  nullable: boolean;
  /** The relation goes through the child's visibility scope (as the resolver's loader does). */
  scoped: boolean;
}

/** A plain list (installments of a loan). */
export interface ListField {
  kind: "list";
  target: string;
  on: () => SQL;
  orderBy: () => SQL;
  scoped: boolean;
}

/** A Relay connection (first/after, newest first), optionally filtered by status. */
export interface ConnectionField {
  kind: "connection";
  target: string;
  on: () => SQL;
  statusArg: boolean;
}

export type FieldSpec = ValueField | OneField | ListField | ConnectionField;

export interface TypeSpec {
  typeName: string;
  table: KeyedTable;
  /** The table's SQL name: compiled SQL refers to rows as "<table>"."<column>". */
  tableName: string;
  /** Cursor kind of this type's connections (src/shared/connections.ts). */
  cursorKind: string;
  scope: (v: Viewer) => SQL | undefined;
  statusColumn?: PgColumn;
  fields: Record<string, FieldSpec>;
}

const value = (expr: (role: CompiledRole) => SQL): ValueField => ({ kind: "value", expr });
const col = (c: PgColumn) => value(() => sql`${c}`);
const uuidText = (c: PgColumn) => value(() => sql`${c}::text`);
const money = (c: PgColumn) => value(() => sql`${c}::text`);
const date = (c: PgColumn) => value(() => sql`to_char(${c}, 'YYYY-MM-DD')`);
/** Exactly `Date.prototype.toISOString()` (timestamps are stored with millisecond precision). */
export const isoTimestamp = (c: PgColumn | SQL) => sql`to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const dateTime = (c: PgColumn) => value(() => isoTimestamp(c));

/**
 * A value no resolver could serialise (a status outside its enum) yields the fallback sentinel,
 * so the resolvers answer that request with the error GraphQL prescribes.
 */
export const FALLBACK_SENTINEL = '{"!fallback":1}';
const fallback = sql.raw(`'${FALLBACK_SENTINEL}'::json`);

function statusCases(codes: Readonly<Record<string, number>>, then: (status: string, code: number) => string): SQL {
  return sql.raw(
    Object.entries(codes)
      .map(([status, code]) => {
        if (!/^[A-Z0-9_]+$/.test(status) || !Number.isInteger(code)) throw new Error(`bad status code entry ${status}`);
        return `when '${status}' then ${then(status, code)}`;
      })
      .join(" "),
  );
}

/** The status as its enum value; anything else falls back to the resolvers. */
function statusOf(c: PgColumn, codes: Readonly<Record<string, number>>): ValueField {
  return value(() => sql`(case ${c} ${statusCases(codes, (s) => `'"${s}"'::json`)} else ${fallback} end)`);
}

/** The status's JULO code, from the same table the resolver uses. */
function codeOf(c: PgColumn, codes: Readonly<Record<string, number>>): ValueField {
  return value(() => sql`(case ${c} ${statusCases(codes, (_s, code) => `'${code}'::json`)} else ${fallback} end)`);
}

/** Σ over a loan's installments, as loanTotals() computes it (0 for a loan without installments). */
const loanSum = (what: SQL) =>
  value(() => sql`(select coalesce(sum(${what}), 0)::text from "payments" "__p" where "__p"."loan_id" = ${loans.id})`);

const customerSpec: TypeSpec = {
  typeName: "Customer",
  table: customers,
  tableName: "customers",
  cursorKind: "customer",
  scope: customerScope,
  fields: {
    id: uuidText(customers.id),
    fullName: col(customers.fullName),
    phone: col(customers.phone),
    email: col(customers.email),
    dateOfBirth: date(customers.dateOfBirth),
    monthlyIncome: money(customers.monthlyIncome),
    walletBalance: money(customers.walletBalance),
    createdAt: dateTime(customers.createdAt),
    // policy.nikFor / identity.maskNik: first 6 and last 4 digits kept for a PARTNER.
    nik: value((role) =>
      role === "PARTNER"
        ? sql`(case when length(${customers.nik}) <= 10 then repeat('*', length(${customers.nik}))
                else left(${customers.nik}, 6) || repeat('*', length(${customers.nik}) - 10) || right(${customers.nik}, 4) end)`
        : sql`${customers.nik}`,
    ),
    partner: {
      kind: "one",
      target: "Partner",
      on: () => sql`${partners.id} = ${customers.partnerId}`,
      nullable: true,
      scoped: true,
    },
    applications: { kind: "connection", target: "Application", on: () => sql`${loanApplications.customerId} = ${customers.id}`, statusArg: true },
    loans: { kind: "connection", target: "Loan", on: () => sql`${loans.customerId} = ${customers.id}`, statusArg: true },
  },
};

const partnerSpec: TypeSpec = {
  typeName: "Partner",
  table: partners,
  tableName: "partners",
  cursorKind: "partner",
  scope: partnerScope,
  fields: {
    id: uuidText(partners.id),
    code: col(partners.code),
    name: col(partners.name),
    customers: { kind: "connection", target: "Customer", on: () => sql`${customers.partnerId} = ${partners.id}`, statusArg: false },
    applications: { kind: "connection", target: "Application", on: () => sql`${loanApplications.partnerId} = ${partners.id}`, statusArg: true },
    loans: { kind: "connection", target: "Loan", on: () => sql`${loans.partnerId} = ${partners.id}`, statusArg: true },
  },
};

const applicationSpec: TypeSpec = {
  typeName: "Application",
  table: loanApplications,
  tableName: "loan_applications",
  cursorKind: "application",
  scope: applicationScope,
  statusColumn: loanApplications.status,
  fields: {
    id: uuidText(loanApplications.id),
    requestedAmount: money(loanApplications.requestedAmount),
    tenorMonths: col(loanApplications.tenorMonths),
    purpose: col(loanApplications.purpose),
    status: statusOf(loanApplications.status, APPLICATION_STATUS_CODES),
    statusCode: codeOf(loanApplications.status, APPLICATION_STATUS_CODES),
    createdAt: dateTime(loanApplications.createdAt),
    updatedAt: dateTime(loanApplications.updatedAt),
    customer: { kind: "one", target: "Customer", on: () => sql`${customers.id} = ${loanApplications.customerId}`, nullable: false, scoped: true },
    partner: { kind: "one", target: "Partner", on: () => sql`${partners.id} = ${loanApplications.partnerId}`, nullable: true, scoped: true },
    loan: { kind: "one", target: "Loan", on: () => sql`${loans.applicationId} = ${loanApplications.id}`, nullable: true, scoped: true },
  },
};

const loanSpec: TypeSpec = {
  typeName: "Loan",
  table: loans,
  tableName: "loans",
  cursorKind: "loan",
  scope: loanScope,
  statusColumn: loans.status,
  fields: {
    id: uuidText(loans.id),
    principal: money(loans.principal),
    originationFee: money(loans.originationFee),
    disbursedAmount: money(loans.disbursedAmount),
    monthlyInterestRateBps: col(loans.monthlyInterestBps),
    tenorMonths: col(loans.tenorMonths),
    status: statusOf(loans.status, LOAN_STATUS_CODES),
    statusCode: codeOf(loans.status, LOAN_STATUS_CODES),
    disbursedAt: dateTime(loans.disbursedAt),
    daysPastDue: col(loans.daysPastDue),
    createdAt: dateTime(loans.createdAt),
    totalDue: loanSum(sql`"__p"."principal_due" + "__p"."interest_due" + "__p"."late_fee_due"`),
    totalPaid: loanSum(sql`"__p"."paid_amount"`),
    outstandingAmount: loanSum(sql`"__p"."principal_due" + "__p"."interest_due" + "__p"."late_fee_due" - "__p"."paid_amount"`),
    application: { kind: "one", target: "Application", on: () => sql`${loanApplications.id} = ${loans.applicationId}`, nullable: false, scoped: true },
    customer: { kind: "one", target: "Customer", on: () => sql`${customers.id} = ${loans.customerId}`, nullable: false, scoped: true },
    partner: { kind: "one", target: "Partner", on: () => sql`${partners.id} = ${loans.partnerId}`, nullable: true, scoped: true },
    // Installments of a loan the viewer sees (paymentsByLoan has no scope of its own either).
    payments: {
      kind: "list",
      target: "Payment",
      on: () => sql`${payments.loanId} = ${loans.id}`,
      orderBy: () => sql`${payments.installmentNumber}`,
      scoped: false,
    },
  },
};

const paymentSpec: TypeSpec = {
  typeName: "Payment",
  table: payments as unknown as KeyedTable,
  tableName: "payments",
  cursorKind: "payment",
  scope: paymentScope,
  fields: {
    id: uuidText(payments.id),
    installmentNumber: col(payments.installmentNumber),
    dueDate: date(payments.dueDate),
    principalDue: money(payments.principalDue),
    interestDue: money(payments.interestDue),
    lateFeeDue: money(payments.lateFeeDue),
    paidPrincipal: money(payments.paidPrincipal),
    paidInterest: money(payments.paidInterest),
    paidLateFee: money(payments.paidLateFee),
    paidAmount: money(payments.paidAmount),
    status: statusOf(payments.status, PAYMENT_STATUS_CODES),
    statusCode: codeOf(payments.status, PAYMENT_STATUS_CODES),
    daysPastDue: col(payments.daysPastDue),
    paidAt: dateTime(payments.paidAt),
    amountDue: value(() => sql`(${payments.principalDue} + ${payments.interestDue} + ${payments.lateFeeDue})::text`),
    outstandingAmount: value(
      () => sql`(${payments.principalDue} + ${payments.interestDue} + ${payments.lateFeeDue} - ${payments.paidAmount})::text`,
    ),
    loan: { kind: "one", target: "Loan", on: () => sql`${loans.id} = ${payments.loanId}`, nullable: false, scoped: true },
  },
};

export const TYPES: Readonly<Record<string, TypeSpec>> = {
  Customer: customerSpec,
  Partner: partnerSpec,
  Application: applicationSpec,
  Loan: loanSpec,
  Payment: paymentSpec,
};

/** Root query fields the compiler answers. Connections with a `filter` use the resolvers. */
export type RootSpec = { kind: "byId"; target: string } | { kind: "connection"; target: string } | { kind: "me" };

export const ROOTS: Readonly<Record<string, RootSpec>> = {
  customer: { kind: "byId", target: "Customer" },
  customers: { kind: "connection", target: "Customer" },
  partner: { kind: "byId", target: "Partner" },
  application: { kind: "byId", target: "Application" },
  applications: { kind: "connection", target: "Application" },
  loan: { kind: "byId", target: "Loan" },
  loans: { kind: "connection", target: "Loan" },
  payment: { kind: "byId", target: "Payment" },
  me: { kind: "me" },
};
