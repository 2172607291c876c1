/**
 * Visibility (RULES §2) as SQL conditions, in one place. Every repository query goes through
 * these, so a nested field can never reach a row its viewer may not see: an invisible row
 * simply does not exist for that viewer.
 */
import { sql, type SQL } from "drizzle-orm";
import {
  customers,
  loanApplications,
  loans,
  partners,
  paymentTransactions,
  payments,
  statusEvents,
} from "../db/schema.js";
import { maskNik } from "../features/customers/identity.js";
import type { Viewer } from "./viewer.js";

const NOTHING = sql`false`;

export function customerScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${customers.partnerId} = ${v.partnerId}`;
    case "CUSTOMER":
      return sql`${customers.id} = ${v.customerId}`;
    default:
      return NOTHING;
  }
}

export function applicationScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${loanApplications.partnerId} = ${v.partnerId}`;
    case "CUSTOMER":
      return sql`${loanApplications.customerId} = ${v.customerId}`;
    default:
      return NOTHING;
  }
}

export function loanScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${loans.partnerId} = ${v.partnerId}`;
    case "CUSTOMER":
      return sql`${loans.customerId} = ${v.customerId}`;
    default:
      return NOTHING;
  }
}

export function paymentScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${payments.loanId} in (select l.id from loans l where l.partner_id = ${v.partnerId})`;
    case "CUSTOMER":
      return sql`${payments.loanId} in (select l.id from loans l where l.customer_id = ${v.customerId})`;
    default:
      return NOTHING;
  }
}

export function transactionScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${paymentTransactions.loanId} in (select l.id from loans l where l.partner_id = ${v.partnerId})`;
    case "CUSTOMER":
      return sql`${paymentTransactions.customerId} = ${v.customerId}`;
    default:
      return NOTHING;
  }
}

/** A customer sees the partner that registered it; a partner sees itself. */
export function partnerScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${partners.id} = ${v.partnerId}`;
    case "CUSTOMER":
      return sql`${partners.id} = (select c.partner_id from customers c where c.id = ${v.customerId})`;
    default:
      return NOTHING;
  }
}

/** Status events (subscriptions): same visibility as the application or loan they describe. */
export function statusEventScope(v: Viewer): SQL | undefined {
  switch (v.role) {
    case "ADMIN":
      return undefined;
    case "PARTNER":
      return sql`${statusEvents.partnerId} = ${v.partnerId}`;
    case "CUSTOMER":
      return sql`${statusEvents.customerId} = ${v.customerId}`;
    default:
      return NOTHING;
  }
}

/** Whether the viewer may see an event row (used on the live path, without a query). */
export function canSeeEvent(v: Viewer, e: { customerId: string; partnerId: string | null }): boolean {
  switch (v.role) {
    case "ADMIN":
      return true;
    case "PARTNER":
      return e.partnerId === v.partnerId;
    case "CUSTOMER":
      return e.customerId === v.customerId;
    default:
      return false;
  }
}

/** NIK as the viewer may see it: masked for partners (first 6 and last 4 digits kept). */
export function nikFor(v: Viewer, nik: string): string {
  return v.role === "PARTNER" ? maskNik(nik) : nik;
}
