/**
 * The read models the SQL compiler answers from (each declared beside its feature, see
 * src/graphql/read-model.ts) and the root query fields it compiles. Anything not listed here is
 * answered by the ordinary resolvers.
 */
import type { ComputedModel, ReadModel } from "../../graphql/read-model.js";
import { portfolioPrelude, portfolioSummaryRead } from "../../features/loans/portfolio.read.js";
import { applicationRead } from "../../features/applications/application.read.js";
import { customerRead } from "../../features/customers/customer.read.js";
import { loanRead } from "../../features/loans/loan.read.js";
import { partnerRead } from "../../features/partners/partner.read.js";
import { installmentRead } from "../../features/payments/installment.read.js";
import { productRead } from "../../features/products/product.read.js";
import { statusChangeRead } from "../../features/applications/status-change.read.js";

export const READ_MODELS: Readonly<Record<string, ReadModel>> = Object.fromEntries(
  [customerRead, partnerRead, applicationRead, loanRead, installmentRead, productRead, statusChangeRead].map((m) => [m.typeName, m]),
);

/** Root query fields the compiler answers (a root connection's `filter` from its model's `filters`). */
export type RootField =
  | { kind: "byId"; target: string }
  | { kind: "connection"; target: string }
  | { kind: "me" }
  /** Every row the viewer sees, in the model's listOrder. */
  | { kind: "all"; target: string }
  | {
      /** An object computed in SQL over a WITH clause the root's arguments decide. */
      kind: "computed";
      model: ComputedModel;
      prelude: typeof portfolioPrelude;
    };

export const ROOT_FIELDS: Readonly<Record<string, RootField>> = {
  customer: { kind: "byId", target: "Customer" },
  customers: { kind: "connection", target: "Customer" },
  partner: { kind: "byId", target: "Partner" },
  application: { kind: "byId", target: "Application" },
  applications: { kind: "connection", target: "Application" },
  loan: { kind: "byId", target: "Loan" },
  loans: { kind: "connection", target: "Loan" },
  payment: { kind: "byId", target: "Payment" },
  me: { kind: "me" },
  partners: { kind: "all", target: "Partner" },
  loanProducts: { kind: "all", target: "LoanProduct" },
  portfolioSummary: { kind: "computed", model: portfolioSummaryRead, prelude: portfolioPrelude },
};
