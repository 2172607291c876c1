/** How a LoanProduct is read (src/graphql/read-model.ts). */
import { sql } from "drizzle-orm";
import { productScope } from "../../auth/policy.js";
import { loanProducts } from "../../db/schema.js";
import { column, type ReadModel } from "../../graphql/read-model.js";

export const productRead = {
  typeName: "LoanProduct",
  table: loanProducts,
  tableName: "loan_products",
  cursorKind: "product",
  scope: productScope,
  // `loanProducts`: the catalogue by code.
  listOrder: () => sql`${loanProducts.code} asc`,
  fields: {
    id: column("ID", loanProducts.id),
    code: column("String", loanProducts.code),
    name: column("String", loanProducts.name),
    minAmount: column("Money", loanProducts.minAmount),
    maxAmount: column("Money", loanProducts.maxAmount),
    minTenorMonths: column("Int", loanProducts.minTenorMonths),
    maxTenorMonths: column("Int", loanProducts.maxTenorMonths),
    monthlyInterestRateBps: column("Int", loanProducts.monthlyInterestBps),
    originationFeeBps: column("Int", loanProducts.originationFeeBps),
    lateFeeBps: column("Int", loanProducts.lateFeeBps),
  },
} satisfies ReadModel;
