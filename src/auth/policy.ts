/**
 * Visibility (RULES §2) as SQL, in one place: which rows each role sees, and how a NIK reads.
 * Every repository query and every compiled statement goes through these, so a nested field can
 * never reach a row its viewer may not see: an invisible row simply does not exist for it.
 *
 * A scope is `scope(role, viewerId)`: the viewer id is an SQL value, a bound parameter in the
 * repositories (`visible(scope, viewer)`) and the placeholder "viewer" in compiled statements
 * (one statement serves every viewer of a role).
 */
import { sql, type Placeholder, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import {
  customers,
  loanApplications,
  loans,
  partners,
  paymentTransactions,
  payments,
  statusEvents,
} from "../db/schema.js";
import type { Role, Viewer } from "./viewer.js";

/** The viewer's customer or partner id: a value to bind, or a placeholder of a prepared statement. */
export type ViewerId = string | Placeholder | null;
export type ViewerRole = Viewer["role"];
export type Scope = (role: ViewerRole, viewerId: ViewerId) => SQL | undefined;

const NOTHING = sql`false`;

/** ADMIN sees every row, ANONYMOUS none; PARTNER and CUSTOMER by their rule. */
function scopeOf(rules: Record<Exclude<Role, "ADMIN">, (id: ViewerId) => SQL>): Scope {
  return (role, id) => (role === "ADMIN" ? undefined : role === "PARTNER" || role === "CUSTOMER" ? rules[role](id) : NOTHING);
}

/** The id a scope compares with: the viewer's partner or customer id (null for ADMIN, ANONYMOUS). */
export function viewerIdOf(v: Viewer): string | null {
  return v.role === "PARTNER" ? v.partnerId : v.role === "CUSTOMER" ? v.customerId : null;
}

/** The scope's condition for this viewer, its id bound as a parameter. */
export function visible(scope: Scope, v: Viewer): SQL | undefined {
  return scope(v.role, viewerIdOf(v));
}

export const customerScope = scopeOf({
  PARTNER: (id) => sql`${customers.partnerId} = ${id}`,
  CUSTOMER: (id) => sql`${customers.id} = ${id}`,
});

export const applicationScope = scopeOf({
  PARTNER: (id) => sql`${loanApplications.partnerId} = ${id}`,
  CUSTOMER: (id) => sql`${loanApplications.customerId} = ${id}`,
});

export const loanScope = scopeOf({
  PARTNER: (id) => sql`${loans.partnerId} = ${id}`,
  CUSTOMER: (id) => sql`${loans.customerId} = ${id}`,
});

/** Installments: those of the loans the viewer sees. */
export const installmentScope = scopeOf({
  PARTNER: (id) => sql`${payments.loanId} in (select l.id from loans l where l.partner_id = ${id})`,
  CUSTOMER: (id) => sql`${payments.loanId} in (select l.id from loans l where l.customer_id = ${id})`,
});

export const transactionScope = scopeOf({
  PARTNER: (id) => sql`${paymentTransactions.loanId} in (select l.id from loans l where l.partner_id = ${id})`,
  CUSTOMER: (id) => sql`${paymentTransactions.customerId} = ${id}`,
});

/**
 * Status changes are read only as the history of an application or loan the viewer sees (the
 * relation trusts its parent); on their own they show nothing.
 */
export const statusChangeScope: Scope = () => NOTHING;

/** The product catalogue is public (RULES §4): every caller sees every product. */
export const productScope: Scope = () => undefined;

/** A customer sees the partner that registered it; a partner sees itself. */
export const partnerScope = scopeOf({
  PARTNER: (id) => sql`${partners.id} = ${id}`,
  CUSTOMER: (id) => sql`${partners.id} = (select c.partner_id from customers c where c.id = ${id})`,
});

/** Which column of a status event holds the id each role is matched with. */
const EVENT_OWNER = { PARTNER: "partnerId", CUSTOMER: "customerId" } as const;

/** Status events (subscriptions): same visibility as the application or loan they describe. */
export const statusEventScope = scopeOf({
  PARTNER: (id) => sql`${statusEvents[EVENT_OWNER.PARTNER]} = ${id}`,
  CUSTOMER: (id) => sql`${statusEvents[EVENT_OWNER.CUSTOMER]} = ${id}`,
});

/**
 * Whether the viewer may see an event already in memory (the live path, without a query): the
 * same role → column rule as statusEventScope.
 */
export function canSeeEvent(v: Viewer, e: { customerId: string; partnerId: string | null }): boolean {
  if (v.role === "ADMIN") return true;
  if (v.role !== "PARTNER" && v.role !== "CUSTOMER") return false;
  return e[EVENT_OWNER[v.role]] === viewerIdOf(v);
}

/**
 * The NIK as the role may see it: full for ADMIN and the customer; for a PARTNER masked, the
 * first 6 and last 4 digits kept (a NIK of 10 digits or fewer entirely masked).
 */
export function nikAs(role: ViewerRole, nik: PgColumn | SQL = customers.nik): SQL {
  return role === "PARTNER"
    ? sql`(case when length(${nik}) <= 10 then repeat('*', length(${nik}))
                else left(${nik}, 6) || repeat('*', length(${nik}) - 10) || right(${nik}, 4) end)`
    : sql`${nik}`;
}
