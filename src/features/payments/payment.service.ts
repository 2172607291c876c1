import type { LoanRow } from "../../db/schema.js";
import type { Context } from "../../graphql/context.js";
import { badInput } from "../../shared/errors.js";
import { pageArgs, toConnection } from "../../shared/connections.js";
import { jakartaDate } from "../../shared/dates.js";
import { isActiveLoanStatus } from "../../domain/statuses.js";
import { payoffQuote } from "./corrections.js";
import { type LoanStatus } from "../../domain/statuses.js";
import { countReversals, listReversals } from "./payments.repo.js";

/** A loan's payment transactions (nested connection, batched across loans). */
export async function transactionsOf(ctx: Context, loanId: string, first: number | undefined, after: string | null | undefined) {
  const page = pageArgs("transaction", first, after);
  const rows = await ctx.loaders.transactionsByLoan(page).load(loanId);
  return toConnection("transaction", rows, page, () => ctx.loaders.transactionCountByLoan.load(loanId));
}

/** RULES 12.1: null unless the loan is CURRENT or LATE_*; nothing is written. */
export async function payoffQuoteOf(ctx: Context, loan: LoanRow, asOf: string | null | undefined) {
  if (!isActiveLoanStatus(loan.status as LoanStatus)) return null;
  const date = asOf ?? jakartaDate(ctx.clock.now());
  const disbursedOn = loan.disbursedAt ? jakartaDate(loan.disbursedAt) : null;
  if (disbursedOn && date < disbursedOn) throw badInput("asOf", `asOf must not be before the loan's disbursement date ${disbursedOn}`);
  const installments = await ctx.loaders.paymentsByLoan.load(loan.id);
  return { ...payoffQuote(installments, date), loanId: loan.id };
}

/** Every reversal request, newest first (ADMIN only, checked by the resolver). */
export async function reversalsPage(ctx: Context, first: number | undefined, after: string | null | undefined, status: string | null | undefined) {
  const page = pageArgs("reversal", first, after);
  const rows = await listReversals(ctx.db, status, page);
  return toConnection("reversal", rows, page, () => countReversals(ctx.db, status));
}
