/**
 * The daily update (RULES §7): re-evaluates every disbursed, unfinished loan (CURRENT, LATE_*) as
 * of a calendar date, charges the late fees of thresholds reached, and expires offers.
 *
 * Shape and guarantees:
 * - Loans are processed in batches of `batchSize` (default 500) in id order; each batch is ONE
 *   transaction: lock the batch's loans `for update` (plain, never `skip locked`: a loan being
 *   paid is waited for), load all their installments in one query, evaluate in JS with the pure
 *   rules (`evaluateInstallments`, `planLateFees`), write back with one batched
 *   statement per table, and record the loan status changes (history + events) in the same
 *   transaction. A failure rolls back only its batch; running again finishes the job, because…
 * - …it is idempotent for a given `asOf`: an installment's status and dpd are a function of
 *   `asOf`, and a late fee is charged once per threshold (`late_fee_thresholds_applied` counts
 *   the thresholds already charged), so a second run finds nothing to change (all counts 0).
 * - It catches up after gaps: jumping from 0 to 65 dpd charges the 5, 30 and 60 dpd fees at once.
 * - An EARLIER `asOf` than a previous run evaluates statuses and dpd as of that date (so a
 *   correction run can move a loan back, e.g. LATE_5DPD → LATE_1DPD), but late fees only grow:
 *   thresholds already charged stay charged and nothing is refunded.
 * - Paid installments (nothing outstanding) are never touched. A loan with nothing unpaid left
 *   becomes PAID_OFF (normally recordPayment has done that already); a loan without installment
 *   rows (inconsistent data) is left alone.
 * - Status history rows are dated `now` (when the change was recorded); the reason names the
 *   date evaluated ("daily update 2026-03-01"), the actor is "system".
 * - Offers: OFFER_MADE applications whose `expiresAt` falls on or before `asOf` in Asia/Jakarta,
 *   i.e. `expiresAt < start of (asOf + 1 day)` in Jakarta (an offer expiring at 23:59 Jakarta on
 *   `asOf` expires; one expiring at 00:00 the next day does not) become OFFER_EXPIRED, in one
 *   transaction of their own after the loans.
 * - The run is recorded in `daily_update_runs` (one row per asOf, upserted with the latest
 *   counts and time).
 */
import type { Tx } from "../../db/client.js";
import { evaluateInstallments } from "../../domain/installments.js";
import { statusChange, type StatusChangeInput } from "../../domain/status-changes.js";
import type { LoanStatus } from "../../domain/statuses.js";
import { recordStatusChanges, transact } from "../../events/outbox.js";
import type { AppServices } from "../../graphql/context.js";
import { addDays, parseDate, startOfJakartaDay, toEpochDay } from "../../shared/dates.js";
import { sumBig } from "../../shared/money.js";
import { expireOffers as expireOffersOf } from "../applications/application.writes.js";
import { planLateFees } from "../payments/delinquency.js";
import { saveInstallments } from "../payments/installment.writes.js";
import { installmentsOfLoans, type InstallmentRow, type InstallmentWrite } from "../payments/installments.repo.js";
import {
  activeLoanIds,
  applyLoanEvaluations,
  lockActiveLoans,
  upsertDailyUpdateRun,
  type DailyLoanRow,
  type DailyUpdateCounts,
  type LoanEvaluation,
} from "./loans.repo.js";

export type { DailyUpdateCounts };

/** Loans per transaction. */
export const DAILY_UPDATE_BATCH_SIZE = 500;
/** `actor` of every status change the daily update makes. */
export const DAILY_UPDATE_ACTOR = "system";

export type DailyUpdateApp = Pick<AppServices, "database" | "afterEventsCommitted" | "metrics">;

export interface DailyUpdateOptions {
  /** The calendar date (Asia/Jakarta, YYYY-MM-DD) to evaluate as of. */
  asOf: string;
  /** The time recorded on history rows and `updated_at` (the server clock). */
  now: Date;
  batchSize?: number;
}

/** What one loan needs for its evaluation (installments in installment order). */
export interface LoanForEvaluation {
  loan: Pick<DailyLoanRow, "id" | "status" | "daysPastDue" | "principal" | "lateFeeBps" | "minLateFee">;
  installments: readonly InstallmentRow[];
}

export interface LoanDayEvaluation {
  /** Installment rows whose status, dpd, late fee or thresholds changed (new values). */
  installments: InstallmentWrite[];
  /** The loan's new status and dpd, when either changed. */
  loan: LoanEvaluation | null;
  /** The loan's status move, when it changed. */
  statusChange: { from: LoanStatus; to: LoanStatus } | null;
  /** Late fees > 0 charged. */
  feesCharged: number;
}

/** Day numbers of dates, memoised (a run sees the same few due dates over and over). */
export function dayNumberCache(): (date: string) => number {
  const cache = new Map<string, number>();
  return (date) => {
    let n = cache.get(date);
    if (n === undefined) cache.set(date, (n = toEpochDay(date)));
    return n;
  };
}

/**
 * Pure: one loan as of `asOf`. Its installments are evaluated by `evaluateInstallments` (an unpaid
 * one gets `unpaidPaymentStatus(dpd)` and `daysPastDue = max(dpd, 0)`, dpd = asOf − dueDate; a
 * paid one is never touched; the loan follows its worst unpaid installment, PAID_OFF when none is
 * unpaid) and charged the fees `planLateFees` plans (thresholds reached and not yet charged,
 * capped so late fees + interest ≤ principal).
 */
export function evaluateLoanAsOf(input: LoanForEvaluation, asOf: string, dayOf: (date: string) => number = toEpochDay): LoanDayEvaluation {
  const { loan, installments } = input;
  const evaluated = evaluateInstallments(
    installments.map((i) => ({ dueDate: i.dueDate, outstanding: i.principalDue + i.interestDue + i.lateFeeDue - i.paidAmount })),
    asOf,
    dayOf,
  );
  const plan = planLateFees({
    asOfDpdByInstallment: installments.map((i, k) => ({
      paymentId: i.id,
      dpd: evaluated.installments[k]!.dpd,
      unpaid: evaluated.installments[k]!.unpaid,
      principalDue: i.principalDue,
      interestDue: i.interestDue,
      thresholdsApplied: i.lateFeeThresholdsApplied,
    })),
    lateFeeBps: loan.lateFeeBps,
    minLateFee: loan.minLateFee,
    loanPrincipal: loan.principal,
    loanTotalInterest: sumBig(installments.map((i) => i.interestDue)),
    loanTotalLateFees: sumBig(installments.map((i) => i.lateFeeDue)),
  });
  const fees = new Map<string, { amount: bigint; thresholds: number }>();
  let feesCharged = 0;
  for (const f of plan) {
    const acc = fees.get(f.paymentId) ?? { amount: 0n, thresholds: 0 };
    acc.amount += f.fee;
    acc.thresholds += 1;
    fees.set(f.paymentId, acc);
    if (f.fee > 0n) feesCharged++;
  }

  const changed: InstallmentWrite[] = [];
  installments.forEach((i, k) => {
    const e = evaluated.installments[k]!;
    if (!e.unpaid) return; // paid: never touched
    const fee = fees.get(i.id);
    const next: InstallmentWrite = {
      ...i,
      status: e.status,
      daysPastDue: e.daysPastDue,
      lateFeeDue: i.lateFeeDue + (fee?.amount ?? 0n),
      lateFeeThresholdsApplied: i.lateFeeThresholdsApplied + (fee?.thresholds ?? 0),
    };
    if (
      next.status !== i.status ||
      next.daysPastDue !== i.daysPastDue ||
      next.lateFeeDue !== i.lateFeeDue ||
      next.lateFeeThresholdsApplied !== i.lateFeeThresholdsApplied
    ) {
      changed.push(next);
    }
  });

  // A loan without installments cannot be evaluated (it would look paid off): leave it alone.
  if (installments.length === 0) return { installments: changed, loan: null, statusChange: null, feesCharged };
  const { status, daysPastDue } = evaluated.loan;
  const from = loan.status as LoanStatus;
  const loanChanged = status !== from || daysPastDue !== loan.daysPastDue;
  return {
    installments: changed,
    loan: loanChanged ? { id: loan.id, status, daysPastDue } : null,
    statusChange: status !== from ? { from, to: status } : null,
    feesCharged,
  };
}

/** The instant before which an offer must expire to be expired by the run for `asOf`. */
export function offerExpiryCutoff(asOf: string): Date {
  return startOfJakartaDay(addDays(asOf, 1));
}

interface BatchCounts {
  paymentsUpdated: number;
  loansUpdated: number;
  lateFeesApplied: number;
}

/** One batch of loans, in the caller's transaction: a bounded number of statements. */
async function updateLoanBatch(tx: Tx, ids: readonly string[], asOf: string, now: Date): Promise<BatchCounts> {
  const locked = await lockActiveLoans(tx, ids);
  if (locked.length === 0) return { paymentsUpdated: 0, loansUpdated: 0, lateFeesApplied: 0 };
  const rows = await installmentsOfLoans(
    tx,
    locked.map((l) => l.id),
  );
  const byLoan = new Map<string, InstallmentRow[]>();
  for (const r of rows) {
    let list = byLoan.get(r.loanId);
    if (!list) byLoan.set(r.loanId, (list = []));
    list.push(r);
  }

  const installmentUpdates: InstallmentWrite[] = [];
  const loanUpdates: LoanEvaluation[] = [];
  const changes: StatusChangeInput[] = [];
  let lateFeesApplied = 0;
  const reason = `daily update ${asOf}`;
  const dayOf = dayNumberCache();
  for (const loan of locked) {
    const e = evaluateLoanAsOf({ loan, installments: byLoan.get(loan.id) ?? [] }, asOf, dayOf);
    installmentUpdates.push(...e.installments);
    lateFeesApplied += e.feesCharged;
    if (e.loan) loanUpdates.push(e.loan);
    if (e.statusChange) {
      changes.push(statusChange("LOAN", loan, e.statusChange.from, e.statusChange.to, { reason, actor: DAILY_UPDATE_ACTOR, at: now }));
    }
  }
  await saveInstallments(tx, installmentUpdates, now);
  await applyLoanEvaluations(tx, loanUpdates, now);
  await recordStatusChanges(tx, changes);
  return { paymentsUpdated: installmentUpdates.length, loansUpdated: loanUpdates.length, lateFeesApplied };
}

/** OFFER_MADE → OFFER_EXPIRED for offers expiring on or before `asOf` (Jakarta), in the caller's transaction. */
async function expireOffers(tx: Tx, asOf: string, now: Date): Promise<number> {
  const changes = await expireOffersOf(tx, offerExpiryCutoff(asOf), {
    reason: `offer expired (daily update ${asOf})`,
    actor: DAILY_UPDATE_ACTOR,
    at: now,
  });
  await recordStatusChanges(tx, changes);
  return changes.length;
}

/** Runs the daily update as of `asOf` (see the module comment) and records the run (and its duration in the metrics). */
export async function runDailyUpdate(app: DailyUpdateApp, opts: DailyUpdateOptions): Promise<DailyUpdateCounts> {
  if (!app.metrics) return dailyUpdate(app, opts);
  const started = performance.now();
  let ok = false;
  try {
    const result = await dailyUpdate(app, opts);
    ok = true;
    return result;
  } finally {
    app.metrics.dailyUpdate((performance.now() - started) / 1000, ok);
  }
}

async function dailyUpdate(app: DailyUpdateApp, opts: DailyUpdateOptions): Promise<DailyUpdateCounts> {
  const asOf = parseDate(opts.asOf);
  offerExpiryCutoff(asOf); // throws for an asOf it cannot evaluate, before any batch is written
  const batchSize = opts.batchSize ?? DAILY_UPDATE_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const { now } = opts;
  const result: DailyUpdateCounts = { asOf, paymentsUpdated: 0, loansUpdated: 0, lateFeesApplied: 0, offersExpired: 0 };

  const ids = await activeLoanIds(app.database.db);
  for (let i = 0; i < ids.length; i += batchSize) {
    const batch = ids.slice(i, i + batchSize);
    const counts = await transact(app, (tx) => updateLoanBatch(tx, batch, asOf, now));
    result.paymentsUpdated += counts.paymentsUpdated;
    result.loansUpdated += counts.loansUpdated;
    result.lateFeesApplied += counts.lateFeesApplied;
  }
  result.offersExpired = await transact(app, (tx) => expireOffers(tx, asOf, now));
  await upsertDailyUpdateRun(app.database.db, result, now);
  return result;
}
