import type { Context } from "../../graphql/context.js";
import { badInput, forbidden, notFound } from "../../shared/errors.js";
import { daysBetween } from "../../shared/dates.js";
import { isUuid } from "../../shared/ids.js";
import { pageArgs, toConnection } from "../../shared/connections.js";
import { isActiveLoanStatus, LOAN_STATUS_CODES, type LoanStatus } from "../../domain/statuses.js";
import { collectedTotal, countLoans, listLoans, type LoanFilterInput, type LoanParent } from "./loans.repo.js";
import { DPD_BUCKETS, portfolioBreakdown, portfolioSeriesRows } from "./portfolio.repo.js";
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

/** Money went out: active, paid off or written off (not INACTIVE, CANCELLED, DISBURSAL_FAILED). */
function isDisbursedLoanStatus(s: LoanStatus): boolean {
  return isActiveLoanStatus(s) || s === "PAID_OFF" || s === "WRITTEN_OFF";
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

/**
 * RULES §6, scoped by portfolioScope. byStatus is ordered by status code; byDaysPastDue holds the
 * active loans (CURRENT, LATE_*) in every bucket of DPD_BUCKETS, zeros included.
 */
export async function portfolioSummary(ctx: Context, partnerId: string | null | undefined) {
  const scopePartner = await portfolioScope(ctx, partnerId);
  const [rows, collected] = await Promise.all([portfolioBreakdown(ctx.db, scopePartner), collectedTotal(ctx.db, scopePartner)]);
  let loanCount = 0;
  let activeLoanCount = 0;
  let disbursedTotal = 0n;
  let outstandingAmount = 0n;
  const byStatus = new Map<string, { status: string; count: number; outstandingAmount: bigint }>();
  const byDaysPastDue = DPD_BUCKETS.map((b) => ({ ...b, count: 0, outstandingAmount: 0n }));
  for (const r of rows) {
    loanCount += r.count;
    const s = byStatus.get(r.status) ?? { status: r.status, count: 0, outstandingAmount: 0n };
    s.count += r.count;
    s.outstandingAmount += r.outstanding;
    byStatus.set(r.status, s);
    if (isDisbursedLoanStatus(r.status as LoanStatus)) disbursedTotal += r.disbursed;
    if (isActiveLoanStatus(r.status as LoanStatus)) {
      activeLoanCount += r.count;
      outstandingAmount += r.outstanding;
      const b = byDaysPastDue[r.bucket]!;
      b.count += r.count;
      b.outstandingAmount += r.outstanding;
    }
  }
  return {
    loanCount,
    activeLoanCount,
    disbursedTotal,
    collectedTotal: collected,
    outstandingAmount,
    byStatus: [...byStatus.values()].sort((a, b) => (LOAN_STATUS_CODES[a.status as LoanStatus] ?? 0) - (LOAN_STATUS_CODES[b.status as LoanStatus] ?? 0)),
    byDaysPastDue,
  };
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
