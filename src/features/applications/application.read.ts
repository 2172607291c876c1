/** How an Application is read (src/graphql/read-model.ts): one SQL expression per field. */
import { sql } from "drizzle-orm";
import { applicationScope } from "../../auth/policy.js";
import { customers, loanApplications, loanProducts, loans, partners } from "../../db/schema.js";
import { column, idFilter, status, statusCode, statusFilter, type ReadModel } from "../../graphql/read-model.js";
import { APPLICATION_STATUS_CODES } from "../../domain/statuses.js";
import { statusHistoryOf } from "./status-change.read.js";

export const applicationRead = {
  typeName: "Application",
  table: loanApplications,
  tableName: "loan_applications",
  cursorKind: "application",
  scope: applicationScope,
  // ApplicationFilter (and the `status` argument of nested application lists).
  filters: {
    status: statusFilter(loanApplications.status),
    partnerId: idFilter(loanApplications.partnerId),
    customerId: idFilter(loanApplications.customerId),
  },
  fields: {
    id: column("ID", loanApplications.id),
    requestedAmount: column("Money", loanApplications.requestedAmount),
    tenorMonths: column("Int", loanApplications.tenorMonths),
    purpose: column("String", loanApplications.purpose),
    status: status(loanApplications.status, APPLICATION_STATUS_CODES),
    statusCode: statusCode(loanApplications.status, APPLICATION_STATUS_CODES),
    createdAt: column("DateTime", loanApplications.createdAt),
    updatedAt: column("DateTime", loanApplications.updatedAt),
    customer: { kind: "one", target: "Customer", on: () => sql`${customers.id} = ${loanApplications.customerId}`, nullable: false, trustsParent: false },
    partner: { kind: "one", target: "Partner", on: () => sql`${partners.id} = ${loanApplications.partnerId}`, nullable: true, trustsParent: false },
    product: { kind: "one", target: "LoanProduct", on: () => sql`${loanProducts.id} = ${loanApplications.productId}`, nullable: false, trustsParent: false },
    loan: { kind: "one", target: "Loan", on: () => sql`${loans.applicationId} = ${loanApplications.id}`, nullable: true, trustsParent: false },
    statusHistory: statusHistoryOf(() => sql`${loanApplications.id}`),
  },
} satisfies ReadModel;
