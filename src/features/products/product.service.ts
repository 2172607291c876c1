import type { Context } from "../../graphql/context.js";
import { badInput } from "../../shared/errors.js";
import { addMonths, jakartaDate } from "../../shared/dates.js";
import { buildSchedule } from "../loans/schedule.js";
import type { LoanProductRow } from "../../db/schema.js";
import type { LoanQuoteInput } from "./product.type.js";
import { listProducts, productByCode } from "./products.repo.js";

export function productsAll(ctx: Context) {
  return listProducts(ctx.db);
}

/** Product by code, or BAD_USER_INPUT naming the field. */
export async function requireProduct(ctx: Context, code: string, field = "productCode"): Promise<LoanProductRow> {
  const product = typeof code === "string" && code.length <= 20 ? await productByCode(ctx.db, code) : undefined;
  if (!product) throw badInput(field, `Unknown product "${String(code).slice(0, 20)}"`);
  return product;
}

/** Amount and tenor inside the product's range, else BAD_USER_INPUT (RULES §4). */
export function checkProductTerms(product: LoanProductRow, amount: bigint, tenorMonths: number, amountField = "amount") {
  if (amount < product.minAmount || amount > product.maxAmount) {
    throw badInput(amountField, `${product.code} amount must be between ${product.minAmount} and ${product.maxAmount}`);
  }
  if (!Number.isInteger(tenorMonths) || tenorMonths < product.minTenorMonths || tenorMonths > product.maxTenorMonths) {
    throw badInput("tenorMonths", `${product.code} tenor must be between ${product.minTenorMonths} and ${product.maxTenorMonths} months`);
  }
}

/** `loanQuote`: the schedule of RULES §6 with the product's rate, from loanDate (default today). */
export async function quoteLoan(ctx: Context, input: LoanQuoteInput) {
  const product = await requireProduct(ctx, input.productCode);
  checkProductTerms(product, input.amount, input.tenorMonths);
  const loanDate = input.loanDate ?? jakartaDate(ctx.clock.now());
  // Every due date must still be a date we can write (years up to 9999).
  try {
    addMonths(loanDate, input.tenorMonths + 1);
  } catch {
    throw badInput("loanDate", "loanDate is too late: the schedule would run past the year 9999");
  }
  const s = buildSchedule({
    principal: input.amount,
    tenorMonths: input.tenorMonths,
    monthlyInterestRateBps: product.monthlyInterestBps,
    originationFeeBps: product.originationFeeBps,
    loanDate,
  });
  return {
    principal: s.principal,
    originationFee: s.originationFee,
    disbursedAmount: s.disbursedAmount,
    totalInterest: s.totalInterest,
    totalRepayment: s.totalRepayment,
    installments: s.installments,
  };
}
