/** How a Customer is read (src/graphql/read-model.ts): one SQL expression per field. */
import { or, sql, type SQL } from "drizzle-orm";
import { customerScope, nikAs } from "../../auth/policy.js";
import { customers, loanApplications, loans, partners } from "../../db/schema.js";
import { column, derived, idFilter, type FilterField, type ReadModel } from "../../graphql/read-model.js";
import { normalizePhone } from "./identity.js";

/** Longer than any name, phone, e-mail (254) or NIK: cannot match anything (BAD_USER_INPUT). */
export const MAX_SEARCH_LENGTH = 254;

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A search that is a phone number in any form registration accepts, normalised as stored. */
function phoneCandidate(s: string): string | undefined {
  try {
    return normalizePhone(s);
  } catch {
    return undefined;
  }
}

/** `customers(filter: { search })` (RULES §6): part of the name, or a whole phone, e-mail or NIK. */
const search: FilterField<string> = {
  where: (value, bind) => {
    const s = value.trim();
    if (!s) return undefined;
    const parts: SQL[] = [sql`${customers.fullName} ilike ${bind("%" + likeEscape(s) + "%")}`];
    const phone = phoneCandidate(s);
    if (phone) parts.push(sql`${customers.phone} = ${bind(phone)}`);
    if (s.includes("@")) parts.push(sql`${customers.email} = ${bind(s.toLowerCase())}`);
    if (/^\d{16}$/.test(s)) parts.push(sql`${customers.nik} = ${bind(s)}`);
    return or(...parts)!;
  },
  refuses: (value) => value.length > MAX_SEARCH_LENGTH,
};

export const customerRead = {
  typeName: "Customer",
  table: customers,
  tableName: "customers",
  cursorKind: "customer",
  scope: customerScope,
  // CustomerFilter.
  filters: { partnerId: idFilter(customers.partnerId), search },
  fields: {
    id: column("ID", customers.id),
    fullName: column("String", customers.fullName),
    phone: column("String", customers.phone),
    email: column("String", customers.email),
    dateOfBirth: column("Date", customers.dateOfBirth),
    monthlyIncome: column("Money", customers.monthlyIncome),
    walletBalance: column("Money", customers.walletBalance),
    createdAt: column("DateTime", customers.createdAt),
    // As the viewer's role may see it (masked for a PARTNER).
    nik: derived("String", (role) => nikAs(role, customers.nik)),
    partner: { kind: "one", target: "Partner", on: () => sql`${partners.id} = ${customers.partnerId}`, nullable: true, trustsParent: false },
    applications: { kind: "connection", target: "Application", on: () => sql`${loanApplications.customerId} = ${customers.id}`, statusArg: true },
    loans: { kind: "connection", target: "Loan", on: () => sql`${loans.customerId} = ${customers.id}`, statusArg: true },
  },
} satisfies ReadModel;
