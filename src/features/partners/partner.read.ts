/** How a Partner is read (src/graphql/read-model.ts). */
import { sql } from "drizzle-orm";
import { partnerScope } from "../../auth/policy.js";
import { customers, loanApplications, loans, partners } from "../../db/schema.js";
import { column, type ReadModel } from "../../graphql/read-model.js";

export const partnerRead = {
  typeName: "Partner",
  table: partners,
  tableName: "partners",
  cursorKind: "partner",
  scope: partnerScope,
  // `partners`: those the viewer sees, by code.
  listOrder: () => sql`${partners.code} asc`,
  fields: {
    id: column("ID", partners.id),
    code: column("String", partners.code),
    name: column("String", partners.name),
    customers: { kind: "connection", target: "Customer", on: () => sql`${customers.partnerId} = ${partners.id}`, statusArg: false },
    applications: { kind: "connection", target: "Application", on: () => sql`${loanApplications.partnerId} = ${partners.id}`, statusArg: true },
    loans: { kind: "connection", target: "Loan", on: () => sql`${loans.partnerId} = ${partners.id}`, statusArg: true },
  },
} satisfies ReadModel;
