/**
 * Loan mutations (RULES §1, §5, §6, §7). Each runs in ONE transaction that locks the rows it
 * changes (application first, then loan: the order cancelApplication uses), re-reads the status
 * under the lock, takes the move from `nextLoanStatus` / `nextApplicationStatus` and writes the
 * status, history and event together. Input errors are raised before the transaction; an invalid
 * move throws inside it, so nothing is written.
 */
import { actorOf } from "../../auth/viewer.js";
import type { Tx } from "../../db/client.js";
import type { ApplicationRow, LoanRow } from "../../db/schema.js";
import { nextApplicationStatus, nextLoanStatus, type ApplicationEvent, type LoanEvent } from "../../domain/lifecycle.js";
import { statusChange, type StatusChangeInput } from "../../domain/status-changes.js";
import type { ApplicationStatus, LoanStatus } from "../../domain/statuses.js";
import { recordStatusChanges, transact } from "../../events/outbox.js";
import type { Context } from "../../graphql/context.js";
import { addDays, jakartaDate } from "../../shared/dates.js";
import { badInput, invalidState, notFound } from "../../shared/errors.js";
import { isUuid } from "../../shared/ids.js";
import { requiredText } from "../../shared/text.js";
import { setApplicationStatus } from "../applications/application.writes.js";
import { lockApplication } from "../applications/applications.repo.js";
import { scheduleInstallments } from "../payments/installment.writes.js";
import { installmentCount } from "../payments/installments.repo.js";
import { runDailyUpdate as runDailyUpdateService, type DailyUpdateCounts } from "./daily-update.js";
import type { DisburseLoanInput, FailDisbursementInput } from "./loan.type.js";
import { setLoanStatusTo } from "./loan.writes.js";
import { applicationIdOfLoan, lockVisibleLoan, markLoanDisbursed, productTermsOf } from "./loans.repo.js";
import { buildSchedule } from "./schedule.js";

/** The loan's move for `event`, or INVALID_STATE worded for the loan commands. */
function loanMove(loan: LoanRow, event: LoanEvent): LoanStatus {
  return nextLoanStatus(loan.status as LoanStatus, event, { message: `Cannot ${describe(event)} a loan in status ${loan.status}` });
}

/** The move of the loan's application for `event`, or INVALID_STATE naming the application's status. */
function applicationMove(app: ApplicationRow, event: ApplicationEvent): ApplicationStatus {
  return nextApplicationStatus(app.status as ApplicationStatus, event, {
    message: `Cannot ${describe(event)}: the loan's application is ${app.status}`,
  });
}

function describe(event: LoanEvent | ApplicationEvent): string {
  switch (event) {
    case "DISBURSE":
      return "disburse";
    case "FAIL_DISBURSEMENT":
      return "record a failed disbursement of";
    case "WRITE_OFF":
      return "write off";
    default:
      return event.toLowerCase().replace(/_/g, " ");
  }
}

/**
 * Locks the loan's application, then the loan (the order cancelApplication uses), both visible
 * to the caller, else NOT_FOUND.
 */
async function lockLoanAndApplication(ctx: Context, tx: Tx, loanId: string): Promise<{ loan: LoanRow; app: ApplicationRow }> {
  const applicationId = await applicationIdOfLoan(tx, ctx.viewer, loanId);
  if (!applicationId) throw notFound("Loan");
  const app = await lockApplication(tx, ctx.viewer, applicationId);
  const loan = await lockVisibleLoan(tx, ctx.viewer, loanId);
  if (!app || !loan || loan.applicationId !== app.id) throw notFound("Loan");
  return { loan, app };
}

/**
 * INACTIVE or DISBURSAL_FAILED → CURRENT, application → FUND_DISBURSAL_SUCCESSFUL. The schedule is
 * built for loanDate = the Jakarta date of `disbursedAt` (default: now; back-dated allowed,
 * future BAD_USER_INPUT), one installment row each, evaluated as of loanDate (so NOT_DUE).
 * Lateness of a back-dated schedule is left to the daily update. The loan's fee and disbursed
 * amount are those of the schedule (they differ from the offer only when the fee cap bites on
 * another date).
 */
export async function disburseLoan(ctx: Context, input: DisburseLoanInput): Promise<LoanRow> {
  if (!isUuid(input.loanId)) throw notFound("Loan");
  const now = ctx.clock.now();
  const disbursedAt = input.disbursedAt ?? now;
  if (disbursedAt.getTime() > now.getTime()) throw badInput("disbursedAt", "disbursedAt must not be in the future");
  const loanDate = jakartaDate(disbursedAt);
  const actor = actorOf(ctx.viewer);

  return transact(ctx.app, async (tx) => {
    const { loan, app } = await lockLoanAndApplication(ctx, tx, input.loanId);
    const to = loanMove(loan, "DISBURSE");
    const appTo = applicationMove(app, "DISBURSE");

    // A failed disbursement never created installments, so a retry cannot duplicate them.
    if ((await installmentCount(tx, loan.id)) > 0) {
      throw invalidState("This loan already has an installment schedule", loan.status);
    }
    const terms = await productTermsOf(tx, loan.productId);
    if (!terms) throw new Error(`product ${loan.productId} of loan ${loan.id} not found`);
    const schedule = buildSchedule({
      principal: loan.principal,
      tenorMonths: loan.tenorMonths,
      monthlyInterestRateBps: loan.monthlyInterestBps,
      originationFeeBps: terms.originationFeeBps,
      loanDate,
    });

    await scheduleInstallments(tx, loan.id, schedule.installments, loanDate, now);
    const updated = await markLoanDisbursed(
      tx,
      loan.id,
      { status: to, disbursedAt, originationFee: schedule.originationFee, disbursedAmount: schedule.disbursedAmount },
      now,
    );
    const note = { reason: `disbursed ${schedule.disbursedAmount} on ${loanDate}`, actor, at: now };
    const application = await setApplicationStatus(tx, app, appTo, note);
    await recordStatusChanges(tx, [statusChange("LOAN", loan, loan.status as LoanStatus, to, note), ...(application.change ? [application.change] : [])]);
    return updated;
  });
}

/**
 * INACTIVE or DISBURSAL_FAILED → DISBURSAL_FAILED, application → FUND_DISBURSAL_FAILED. A repeated
 * failure keeps both statuses and writes no (no-op) status change for them.
 */
export async function failDisbursement(ctx: Context, input: FailDisbursementInput): Promise<LoanRow> {
  if (!isUuid(input.loanId)) throw notFound("Loan");
  const reason = requiredText(input.reason, "reason");
  const now = ctx.clock.now();
  const actor = actorOf(ctx.viewer);

  return transact(ctx.app, async (tx) => {
    const { loan, app } = await lockLoanAndApplication(ctx, tx, input.loanId);
    const to = loanMove(loan, "FAIL_DISBURSEMENT");
    const appTo = applicationMove(app, "FAIL_DISBURSEMENT");

    const note = { reason, actor, at: now };
    const changes: StatusChangeInput[] = [];
    let updated = loan;
    if (to !== loan.status) {
      const moved = await setLoanStatusTo(tx, loan, to, note);
      updated = moved.loan;
      changes.push(moved.change);
    }
    const application = await setApplicationStatus(tx, app, appTo, note);
    if (application.change) changes.push(application.change);
    await recordStatusChanges(tx, changes);
    return updated;
  });
}

/** LATE_90DPD or worse → WRITTEN_OFF (terminal). */
export async function writeOffLoan(ctx: Context, loanId: string, reason: string): Promise<LoanRow> {
  if (!isUuid(loanId)) throw notFound("Loan");
  const why = requiredText(reason, "reason");
  const now = ctx.clock.now();
  const actor = actorOf(ctx.viewer);

  return transact(ctx.app, async (tx) => {
    const loan = await lockVisibleLoan(tx, ctx.viewer, loanId);
    if (!loan) throw notFound("Loan");
    const moved = await setLoanStatusTo(tx, loan, loanMove(loan, "WRITE_OFF"), { reason: why, actor, at: now });
    await recordStatusChanges(tx, [moved.change]);
    return moved.loan;
  });
}

/** RULES §7 as of `asOf` (see daily-update.ts); history times are the server clock's now. */
export async function runDailyUpdate(ctx: Context, asOf: string): Promise<DailyUpdateCounts> {
  // The run looks one day past asOf (offer expiry): the last representable day cannot be evaluated.
  try {
    addDays(asOf, 1);
  } catch {
    throw badInput("asOf", "asOf must be before 9999-12-31");
  }
  return runDailyUpdateService(ctx.app, { asOf, now: ctx.clock.now() });
}
