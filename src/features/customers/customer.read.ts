/** How a Customer is read (src/graphql/read-model.ts): one SQL expression per field. */
import { sql } from "drizzle-orm";
import { customerScope, nikAs } from "../../auth/policy.js";
import { customers, loanApplications, loans, partners } from "../../db/schema.js";
import { column, derived, type ReadModel } from "../../graphql/read-model.js";

export const customerRead = {
  typeName: "Customer",
  table: customers,
  tableName: "customers",
  cursorKind: "customer",
  scope: customerScope,
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
