import type { Context } from "../../graphql/context.js";
import { forbidden, notFound } from "../../shared/errors.js";
import { isUuid } from "../../shared/ids.js";
import { pageArgs, toConnection } from "../../shared/connections.js";
import { isActiveLoanStatus } from "../../domain/statuses.js";
import { type LoanStatus } from "../../domain/statuses.js";
import { collectedTotal, countLoans, listLoans, portfolioByStatus, type LoanFilterInput, type LoanParent } from "./loans.repo.js";
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
 * RULES §6: ADMIN all or one partner's; PARTNER always its own (another partnerId is NOT_FOUND);
 * CUSTOMER forbidden. byStatus is ordered by status code.
 */
export async function portfolioSummary(ctx: Context, partnerId: string | null | undefined) {
  const v = ctx.viewer;
  let scopePartner: string | null = null;
  if (v.role === "PARTNER") {
    if (partnerId != null && partnerId.toLowerCase() !== v.partnerId) throw notFound("Partner");
    scopePartner = v.partnerId;
  } else if (v.role === "ADMIN") {
    if (partnerId != null) {
      if (!isUuid(partnerId)) throw notFound("Partner");
      const [p] = await partnersByIds(ctx.db, v, [partnerId.toLowerCase()]);
      if (!p) throw notFound("Partner");
      scopePartner = p.id;
    }
  } else {
    throw forbidden();
  }
  const [rows, collected] = await Promise.all([portfolioByStatus(ctx.db, scopePartner), collectedTotal(ctx.db, scopePartner)]);
  let loanCount = 0;
  let activeLoanCount = 0;
  let disbursedTotal = 0n;
  let outstandingAmount = 0n;
  for (const r of rows) {
    loanCount += r.count;
    if (isDisbursedLoanStatus(r.status as LoanStatus)) disbursedTotal += r.disbursed;
    if (isActiveLoanStatus(r.status as LoanStatus)) {
      activeLoanCount += r.count;
      outstandingAmount += r.outstanding;
    }
  }
  return {
    loanCount,
    activeLoanCount,
    disbursedTotal,
    collectedTotal: collected,
    outstandingAmount,
    byStatus: rows.map((r) => ({ status: r.status, count: r.count, outstandingAmount: r.outstanding })),
  };
}
