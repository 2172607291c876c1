/**
 * Application mutations (RULES §4, §5): submit (with scoring at once), approve, reject, cancel,
 * accept the offer (creates the INACTIVE loan), decline it.
 *
 * Every mutation validates its input before the transaction, then runs in ONE transaction with
 * the application (or, for a submission, the customer) row locked `for update`, re-reads the
 * status under the lock, takes the move from `nextApplicationStatus` and writes status, history and
 * event together. A rejected move writes nothing (the transaction rolls back).
 *
 * Choices where RULES is silent (keep in the project docs):
 * - Visibility: an application or customer the caller may not see does not exist for it
 *   (`NOT_FOUND`); a malformed id is `NOT_FOUND` too. A CUSTOMER acts on its own applications, a
 *   PARTNER on those of its customers, ADMIN on all. A CUSTOMER that names another customer in
 *   `submitApplication.customerId` gets `NOT_FOUND`; naming itself is allowed.
 * - Validation order of `submitApplication`: `customerId` (a CUSTOMER naming another: NOT_FOUND;
 *   PARTNER/ADMIN without it: BAD_USER_INPUT), product (`productCode`), amount (`requestedAmount`),
 *   tenor (`tenorMonths`), purpose (`purpose`: trimmed, 1–500 characters), then the customer's
 *   visibility (NOT_FOUND), then open application/loan (CONFLICT), checked with the customer row
 *   locked so concurrent submissions for one customer serialise.
 * - Lock order: application row, then its loan row (cancelApplication); customer row first for
 *   submitApplication. Other mutations that take both should keep that order.
 * - Age at submission uses the customer's date of birth and today's Asia/Jakarta date; income is
 *   the customer's `monthlyIncome` at submission. The score (grade, limits, reasons) is stored on
 *   the application; a denial is a second change SUBMITTED → DENIED by "system" whose reason is
 *   "Credit scoring: " followed by the reasons joined with "; ".
 * - `approveApplication` cuts the offer by the score stored on the application (its grade's limits
 *   and rate, which for STL are the product's) and by the product; the `note` (trimmed, at most
 *   500 characters, empty = none) is the history reason. A state error is reported before an
 *   amount/tenor error. `createdAt`/`updatedAt`/history times come from the server clock.
 * - `acceptOffer` after `expiresAt` (now ≥ expiresAt) is INVALID_STATE with currentStatus
 *   OFFER_MADE and changes nothing; `declineOffer` and `cancelApplication` stay allowed on an
 *   offer past its expiry until the daily update has expired it (the customer is only saying no).
 * - `cancelApplication` reason and `rejectApplication` reason: trimmed, at most 500 characters;
 *   the reject reason must not be empty. The INACTIVE loan of a cancelled application is
 *   cancelled in the same transaction with the same reason (or "application cancelled").
 */
import { actorOf } from "../../auth/viewer.js";
import type { Tx } from "../../db/client.js";
import type { ApplicationRow, LoanRow } from "../../db/schema.js";
import { uniqueViolation } from "../../db/pg-errors.js";
import { nextApplicationStatus, nextLoanStatus, type ApplicationEvent } from "../../domain/lifecycle.js";
import { statusChange, type ChangeNote } from "../../domain/status-changes.js";
import {
  LOAN_STATUSES,
  OPEN_APPLICATION_STATUSES,
  isOpenLoanStatus,
  type ApplicationStatus,
  type LoanStatus,
} from "../../domain/statuses.js";
import { recordStatusChanges, transact } from "../../events/outbox.js";
import type { Context } from "../../graphql/context.js";
import { badInput, conflict, invalidState, notFound } from "../../shared/errors.js";
import { ageOn, jakartaDate } from "../../shared/dates.js";
import { isUuid } from "../../shared/ids.js";
import { optionalText, requiredText } from "../../shared/text.js";
import { openLoan, setLoanStatusTo } from "../loans/loan.writes.js";
import { lockLoanOfApplication } from "../loans/loans.repo.js";
import { buildSchedule } from "../loans/schedule.js";
import { checkProductTerms, requireProduct } from "../products/product.service.js";
import { productsByIds } from "../products/products.repo.js";
import type { ApproveApplicationInput, RejectApplicationInput, SubmitApplicationInput } from "./application.type.js";
import { setApplicationStatus } from "./application.writes.js";
import { insertApplication, lockApplication, lockCustomer, openApplicationOrLoan } from "./applications.repo.js";
import { OfferLimitError, offerLimits, score, type CreditScore, type Grade, type ProductCode } from "./scoring.js";

export const MAX_PURPOSE_LENGTH = 500;
/** An offer may be accepted for 72 hours after it was made. */
export const OFFER_VALIDITY_MS = 72 * 60 * 60 * 1000;
/** Loan statuses that do not block a new application (PAID_OFF, CANCELLED, WRITTEN_OFF). */
const CLOSED_LOAN_STATUSES: readonly LoanStatus[] = LOAN_STATUSES.filter((s) => !isOpenLoanStatus(s));

/** The application locked for update, visible to the caller, or NOT_FOUND. */
async function lockVisibleApplication(ctx: Context, tx: Tx, id: string): Promise<ApplicationRow> {
  const app = await lockApplication(tx, ctx.viewer, id);
  if (!app) throw notFound("Application");
  return app;
}

/** After commit: later field resolvers of this request see the fresh rows, not cached ones. */
function primeApplication(ctx: Context, app: ApplicationRow): void {
  ctx.loaders.applicationById.clear(app.id).prime(app.id, app);
  ctx.loaders.statusHistory.clear(app.id);
}

function primeLoan(ctx: Context, loan: LoanRow): void {
  ctx.loaders.loanById.clear(loan.id).prime(loan.id, loan);
  ctx.loaders.loanByApplicationId.clear(loan.applicationId).prime(loan.applicationId, loan);
  ctx.loaders.statusHistory.clear(loan.id);
}

/** An application event with no effect beyond the status (reject, decline): lock, move, write, record. */
async function applyStatusOnlyEvent(ctx: Context, id: string, event: ApplicationEvent, reason: string | null): Promise<ApplicationRow> {
  const note: ChangeNote = { reason, actor: actorOf(ctx.viewer), at: ctx.clock.now() };
  const row = await transact(ctx.app, async (tx) => {
    const app = await lockVisibleApplication(ctx, tx, id);
    const moved = await setApplicationStatus(tx, app, nextApplicationStatus(app.status as ApplicationStatus, event), note);
    await recordStatusChanges(tx, [moved.change!]);
    return moved.application;
  });
  primeApplication(ctx, row);
  return row;
}

// ---------------------------------------------------------------------------------------------
// submitApplication

/** The customer the application is for (before visibility is checked). */
function targetCustomerId(ctx: Context, given: string | null | undefined): string {
  const v = ctx.viewer;
  if (v.role === "CUSTOMER") {
    if (given != null && given.toLowerCase() !== v.customerId.toLowerCase()) throw notFound("Customer");
    return v.customerId;
  }
  if (given == null || given.trim() === "") {
    throw badInput("customerId", "customerId is required when a partner or an admin submits an application");
  }
  return given;
}

export async function submitApplication(ctx: Context, input: SubmitApplicationInput): Promise<ApplicationRow> {
  const customerId = targetCustomerId(ctx, input.customerId);
  const product = await requireProduct(ctx, input.productCode, "productCode");
  checkProductTerms(product, input.requestedAmount, input.tenorMonths, "requestedAmount");
  const purpose = requiredText(input.purpose, "purpose", MAX_PURPOSE_LENGTH);
  if (!isUuid(customerId)) throw notFound("Customer");

  const now = ctx.clock.now();
  const today = jakartaDate(now);
  const actor = actorOf(ctx.viewer);

  const row = await transact(ctx.app, async (tx) => {
    // The lock serialises submissions for one customer: the check below and the insert cannot
    // interleave with another submission's.
    const customer = await lockCustomer(tx, ctx.viewer, customerId);
    if (!customer) throw notFound("Customer");
    const open = await openApplicationOrLoan(tx, customer.id, OPEN_APPLICATION_STATUSES, CLOSED_LOAN_STATUSES);
    if (open === "application") {
      throw conflict("The customer already has an application in progress (SUBMITTED, OFFER_MADE or OFFER_ACCEPTED)");
    }
    if (open === "loan") throw conflict("The customer already has a loan that is not finished");

    const s = score({
      productCode: product.code as ProductCode,
      amount: input.requestedAmount,
      tenorMonths: input.tenorMonths,
      monthlyIncome: customer.monthlyIncome,
      age: ageOn(customer.dateOfBirth, today),
      productRateBps: product.monthlyInterestBps,
      productMaxAmount: product.maxAmount,
      productMaxTenorMonths: product.maxTenorMonths,
    });

    const submitted: ApplicationStatus = "SUBMITTED";
    let app = await insertApplication(tx, {
      customerId: customer.id,
      productId: product.id,
      partnerId: customer.partnerId,
      requestedAmount: input.requestedAmount,
      tenorMonths: input.tenorMonths,
      purpose,
      status: submitted,
      creditGrade: s.grade,
      creditMaxAmount: s.maxAmount,
      creditMaxTenorMonths: s.maxTenorMonths,
      creditInterestBps: s.monthlyInterestRateBps,
      creditReasons: s.reasons,
      createdAt: now,
      updatedAt: now,
    });
    const changes = [statusChange("APPLICATION", app, null, submitted, { actor, at: now })];
    if (s.denied) {
      const denied = nextApplicationStatus(submitted, "DENY");
      const moved = await setApplicationStatus(tx, app, denied, { reason: `Credit scoring: ${s.reasons.join("; ")}`, actor: "system", at: now });
      app = moved.application;
      changes.push(moved.change!);
    }
    await recordStatusChanges(tx, changes);
    return app;
  });
  primeApplication(ctx, row);
  return row;
}

// ---------------------------------------------------------------------------------------------
// approveApplication / rejectApplication (ADMIN)

/** The score stored on the application at submission. */
function storedScore(app: ApplicationRow): CreditScore {
  return {
    grade: (app.creditGrade ?? "C") as Grade,
    maxAmount: app.creditMaxAmount ?? 0n,
    maxTenorMonths: app.creditMaxTenorMonths ?? 0,
    monthlyInterestRateBps: app.creditInterestBps ?? 0,
    reasons: app.creditReasons ?? [],
    denied: false,
  };
}

export async function approveApplication(ctx: Context, input: ApproveApplicationInput): Promise<ApplicationRow> {
  const note = optionalText(input.note, "note");
  const now = ctx.clock.now();
  const loanDate = jakartaDate(now);

  const row = await transact(ctx.app, async (tx) => {
    const app = await lockVisibleApplication(ctx, tx, input.applicationId);
    const to = nextApplicationStatus(app.status as ApplicationStatus, "APPROVE");
    const [product] = await productsByIds(tx, [app.productId]);
    if (!product) throw notFound("Product");

    let terms;
    try {
      terms = offerLimits(storedScore(app), product, app.requestedAmount, app.tenorMonths, input.amount, input.tenorMonths);
    } catch (err) {
      if (err instanceof OfferLimitError) throw badInput(err.field, err.message);
      throw err;
    }
    const schedule = buildSchedule({
      principal: terms.amount,
      tenorMonths: terms.tenorMonths,
      monthlyInterestRateBps: terms.rateBps,
      originationFeeBps: product.originationFeeBps,
      loanDate,
    });

    const moved = await setApplicationStatus(tx, app, to, { reason: note, actor: actorOf(ctx.viewer), at: now }, {
      offerAmount: terms.amount,
      offerTenorMonths: terms.tenorMonths,
      offerInterestBps: terms.rateBps,
      offerOriginationFee: schedule.originationFee,
      offerDisbursedAmount: schedule.disbursedAmount,
      offerInstallmentAmount: schedule.regularInstallment,
      offerFirstDueDate: schedule.firstDueDate,
      offerExpiresAt: new Date(now.getTime() + OFFER_VALIDITY_MS),
    });
    await recordStatusChanges(tx, [moved.change!]);
    return moved.application;
  });
  primeApplication(ctx, row);
  return row;
}

export async function rejectApplication(ctx: Context, input: RejectApplicationInput): Promise<ApplicationRow> {
  const reason = requiredText(input.reason, "reason");
  return applyStatusOnlyEvent(ctx, input.applicationId, "REJECT", reason);
}

// ---------------------------------------------------------------------------------------------
// cancelApplication, acceptOffer, declineOffer (any signed-in role, on what it may see)

export async function cancelApplication(ctx: Context, id: string, reason: string | null): Promise<ApplicationRow> {
  const why = optionalText(reason, "reason");
  const now = ctx.clock.now();
  const actor = actorOf(ctx.viewer);

  const result = await transact(ctx.app, async (tx) => {
    const app = await lockVisibleApplication(ctx, tx, id);
    const from = app.status as ApplicationStatus;
    const to = nextApplicationStatus(from, "CANCEL");
    const note: ChangeNote = { reason: why, actor, at: now };
    const changes = [statusChange("APPLICATION", app, from, to, note)];

    let loan = await lockLoanOfApplication(tx, app.id);
    if (loan) {
      const loanFrom = loan.status as LoanStatus;
      const loanTo = nextLoanStatus(loanFrom, "CANCEL", { message: `cannot cancel an application whose loan is ${loanFrom}`, currentStatus: from });
      const moved = await setLoanStatusTo(tx, loan, loanTo, { ...note, reason: why ?? "application cancelled" });
      loan = moved.loan;
      changes.push(moved.change);
    }
    const updated = (await setApplicationStatus(tx, app, to, note)).application;
    await recordStatusChanges(tx, changes);
    return { app: updated, loan };
  });
  primeApplication(ctx, result.app);
  if (result.loan) primeLoan(ctx, result.loan);
  return result.app;
}

export async function acceptOffer(ctx: Context, id: string): Promise<LoanRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.viewer);

  let result: { app: ApplicationRow; loan: LoanRow };
  try {
    result = await transact(ctx.app, async (tx) => {
      const app = await lockVisibleApplication(ctx, tx, id);
      const from = app.status as ApplicationStatus;
      const to = nextApplicationStatus(from, "ACCEPT");
      if (app.offerExpiresAt == null || app.offerAmount == null) throw invalidState("the application has no offer", from);
      if (now.getTime() >= app.offerExpiresAt.getTime()) {
        throw invalidState(`the offer expired at ${app.offerExpiresAt.toISOString()}`, from);
      }
      const note: ChangeNote = { actor, at: now };
      const moved = await setApplicationStatus(tx, app, to, note);
      const updated = moved.application;
      const { loan, change } = await openLoan(
        tx,
        {
          applicationId: app.id,
          customerId: app.customerId,
          partnerId: app.partnerId,
          productId: app.productId,
          principal: app.offerAmount,
          originationFee: app.offerOriginationFee!,
          disbursedAmount: app.offerDisbursedAmount!,
          monthlyInterestBps: app.offerInterestBps!,
          tenorMonths: app.offerTenorMonths!,
        },
        note,
      );
      await recordStatusChanges(tx, [moved.change!, change]);
      return { app: updated, loan };
    });
  } catch (err) {
    // One loan per application (unique index): a racing accept that got past the lock loses.
    if (uniqueViolation(err)) throw invalidState("the offer has already been accepted", "OFFER_ACCEPTED");
    throw err;
  }
  primeApplication(ctx, result.app);
  primeLoan(ctx, result.loan);
  return result.loan;
}

export async function declineOffer(ctx: Context, id: string): Promise<ApplicationRow> {
  return applyStatusOnlyEvent(ctx, id, "DECLINE", null);
}
