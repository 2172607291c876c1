import type { Context } from "../../server/context.js";
import { pageArgs, toConnection } from "../../shared/connections.js";

/** A loan's payment transactions (nested connection, batched across loans). */
export async function transactionsOf(ctx: Context, loanId: string, first: number | undefined, after: string | null | undefined) {
  const page = pageArgs("transaction", first, after);
  const rows = await ctx.loaders.transactionsByLoan(page).load(loanId);
  return toConnection("transaction", rows, page, () => ctx.loaders.transactionCountByLoan.load(loanId));
}
