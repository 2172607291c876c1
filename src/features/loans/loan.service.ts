import type { Context } from "../../graphql/context.js";
import { badInput, forbidden, notFound } from "../../shared/errors.js";
import { daysBetween } from "../../shared/dates.js";
import { isUuid } from "../../shared/ids.js";
import { pageArgs, toConnection } from "../../shared/connections.js";
import { countLoans, listLoans, type LoanFilterInput, type LoanParent } from "./loans.repo.js";
import { portfolioSeriesRows, portfolioSummaryRow } from "./portfolio.repo.js";
import { partnersByIds } from "../partners/partners.repo.js";

export async function loansPage(ctx: Context, first: number | undefined, after: string | null | undefined, filter: LoanFilterInput | null | undefined) {
  const args = pageArgs("loan", first, after);
  const rows = await listLoans(ctx.db, ctx.viewer, filter, args);
  return toConnection("loan", rows, args, () => countLoans(ctx.db, ctx.viewer, filter));
}

export async function loansOf(
  ctx: Context,
  parent: LoanParent,
  parentId: string,
  first: number | undefined,
  after: string | null | undefined,
  status: string[] | null | undefined,
) {
  const page = pageArgs("loan", first, after);
  const rows = await ctx.loaders.loansByParent({ parent, status, page }).load(parentId);
  return toConnection("loan", rows, page, () => ctx.loaders.loanCountByParent({ parent, status }).load(parentId));
}

/**
 * Whose book a portfolio read covers (RULES §6): ADMIN all (null) or one partner's; PARTNER always
 * its own (another partnerId is NOT_FOUND); CUSTOMER forbidden.
 */
async function portfolioScope(ctx: Context, partnerId: string | null | undefined): Promise<string | null> {
  const v = ctx.viewer;
  if (v.role === "PARTNER") {
    if (partnerId != null && partnerId.toLowerCase() !== v.partnerId) throw notFound("Partner");
    return v.partnerId;
  }
  if (v.role === "ADMIN") {
    if (partnerId == null) return null;
    if (!isUuid(partnerId)) throw notFound("Partner");
    const [p] = await partnersByIds(ctx.db, v, [partnerId.toLowerCase()]);
    if (!p) throw notFound("Partner");
    return p.id;
  }
  throw forbidden();
}

/** RULES §6, scoped by portfolioScope; every figure as portfolio.read.ts declares it. */
export async function portfolioSummary(ctx: Context, partnerId: string | null | undefined) {
  return portfolioSummaryRow(ctx.db, await portfolioScope(ctx, partnerId));
}

/** The longest period portfolioSeries answers, in days (a leap year). */
export const MAX_SERIES_DAYS = 366;

/**
 * Money disbursed and collected per Asia/Jakarta day in [from, to], every day listed (zeros
 * included), scoped like portfolioSummary. from after to, or more than MAX_SERIES_DAYS days, is
 * BAD_USER_INPUT (checked after the scope, so a CUSTOMER is FORBIDDEN whatever the dates).
 */
export async function portfolioSeries(ctx: Context, from: string, to: string, partnerId: string | null | undefined) {
  const scopePartner = await portfolioScope(ctx, partnerId);
  const days = daysBetween(from, to) + 1;
  if (days < 1) throw badInput("to", "to must not be before from");
  if (days > MAX_SERIES_DAYS) throw badInput("to", `The period may cover at most ${MAX_SERIES_DAYS} days (from ${from} to ${to} is ${days})`);
  return portfolioSeriesRows(ctx.db, scopePartner, from, to);
}
