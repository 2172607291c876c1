/** How a Loan is read (src/graphql/read-model.ts): one SQL expression per field, totals included. */
import { sql, type SQL } from "drizzle-orm";
import { loanScope } from "../../auth/policy.js";
import { customers, loanApplications, loanProducts, loans, partners, payments } from "../../db/schema.js";
import { atLeastFilter, column, derived, derivedMoney, idFilter, status, statusCode, statusFilter, type ReadModel } from "../../graphql/read-model.js";
import { LOAN_STATUS_CODES } from "../../domain/statuses.js";
import { statusHistoryOf } from "../applications/status-change.read.js";

/** Σ over the loan's installments (0 for a loan without installments). */
const overInstallments = (what: SQL) =>
  derivedMoney(() => sql`(select coalesce(sum(${what}), 0) from "payments" "__p" where "__p"."loan_id" = ${loans.id})`);

export const loanRead = {
  typeName: "Loan",
  table: loans,
  tableName: "loans",
  cursorKind: "loan",
  scope: loanScope,
  // LoanFilter (and the `status` argument of nested loan lists).
  filters: {
    status: statusFilter(loans.status),
    partnerId: idFilter(loans.partnerId),
    customerId: idFilter(loans.customerId),
    minDaysPastDue: atLeastFilter(loans.daysPastDue),
  },
  fields: {
    id: column("ID", loans.id),
    principal: column("Money", loans.principal),
    originationFee: column("Money", loans.originationFee),
    disbursedAmount: column("Money", loans.disbursedAmount),
    monthlyInterestRateBps: derived("Int", () => sql`${loans.monthlyInterestBps}`),
    tenorMonths: column("Int", loans.tenorMonths),
    status: status(loans.status, LOAN_STATUS_CODES),
    statusCode: statusCode(loans.status, LOAN_STATUS_CODES),
    disbursedAt: column("DateTime", loans.disbursedAt),
    daysPastDue: column("Int", loans.daysPastDue),
    createdAt: column("DateTime", loans.createdAt),
    totalDue: overInstallments(sql`"__p"."principal_due" + "__p"."interest_due" + "__p"."late_fee_due"`),
    totalPaid: overInstallments(sql`"__p"."paid_amount"`),
    outstandingAmount: overInstallments(sql`"__p"."principal_due" + "__p"."interest_due" + "__p"."late_fee_due" - "__p"."paid_amount"`),
    application: { kind: "one", target: "Application", on: () => sql`${loanApplications.id} = ${loans.applicationId}`, nullable: false, trustsParent: false },
    customer: { kind: "one", target: "Customer", on: () => sql`${customers.id} = ${loans.customerId}`, nullable: false, trustsParent: false },
    partner: { kind: "one", target: "Partner", on: () => sql`${partners.id} = ${loans.partnerId}`, nullable: true, trustsParent: false },
    product: { kind: "one", target: "LoanProduct", on: () => sql`${loanProducts.id} = ${loans.productId}`, nullable: false, trustsParent: false },
    statusHistory: statusHistoryOf(() => sql`${loans.id}`),
    // The installments of a loan the viewer sees are the viewer's to see.
    payments: {
      kind: "list",
      target: "Payment",
      on: () => sql`${payments.loanId} = ${loans.id}`,
      orderBy: () => sql`${payments.installmentNumber}`,
      trustsParent: true,
    },
  },
} satisfies ReadModel;
