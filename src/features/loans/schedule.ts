/**
 * Repayment schedule (RULES §6, steps 1–6). Pure: the caller supplies `loanDate` (the
 * disbursement date, or the date a quote/offer assumes).
 */
import { addMonths, dateParts, dateWithDay, daysBetween, parseDate } from "../../shared/dates.js";
import { bpsOf, bpsToBig, minBig, sumBig } from "../../shared/money.js";

export interface ScheduleTerms {
  principal: bigint;
  tenorMonths: number;
  monthlyInterestRateBps: number;
  originationFeeBps: number;
  loanDate: string;
}

export interface ScheduledInstallment {
  installmentNumber: number;
  dueDate: string;
  principal: bigint;
  interest: bigint;
  total: bigint;
}

export interface Schedule {
  principal: bigint;
  originationFee: bigint;
  disbursedAmount: bigint;
  totalInterest: bigint;
  /** principal + totalInterest */
  totalRepayment: bigint;
  /** `a` = p + i after the step-2 rounding: the offer's `installmentAmount`. */
  regularInstallment: bigint;
  firstDueDate: string;
  lastDueDate: string;
  /** floor(P * 40 * days / 10000), days = loanDate to the last due date. */
  feeCap: bigint;
  installments: ScheduledInstallment[];
}

/** Due dates fall on this day of the month at the latest (29–31 would not exist every month). */
export const MAX_CYCLE_DAY = 28;
/** The first due date is at least this many days after the loan date. */
export const MIN_DAYS_TO_FIRST_DUE = 15;
/** OJK/AFPI cap: fee + interest ≤ 0.4% of the principal per day (40 bps). */
export const FEE_CAP_DAILY_BPS = 40;
/** Step 2 rounds the regular installment down to a multiple of this. */
export const INSTALLMENT_ROUNDING = 1000n;

/** Cycle day of a loan: the loan date's day of month, but at most 28. */
export function cycleDay(loanDate: string): number {
  return Math.min(dateParts(loanDate).day, MAX_CYCLE_DAY);
}

/**
 * The earliest date on the cycle day that is at least 15 days after `loanDate` (step 3).
 * Because the cycle day never exceeds the loan date's day, this is always the cycle day of the
 * next month, 28–31 days later; the loop states the rule rather than relying on that.
 */
export function firstDueDate(loanDate: string): string {
  const { year, month } = dateParts(loanDate);
  let candidate = dateWithDay(year, month, cycleDay(loanDate));
  while (daysBetween(loanDate, candidate) < MIN_DAYS_TO_FIRST_DUE) candidate = addMonths(candidate, 1);
  return candidate;
}

function checkTerms(t: ScheduleTerms): void {
  if (typeof t.principal !== "bigint" || t.principal <= 0n) throw new RangeError("principal must be a positive bigint");
  if (!Number.isSafeInteger(t.tenorMonths) || t.tenorMonths < 1) {
    throw new RangeError(`tenorMonths must be a positive integer, got ${t.tenorMonths}`);
  }
  bpsToBig(t.monthlyInterestRateBps);
  bpsToBig(t.originationFeeBps);
  parseDate(t.loanDate);
}

export function buildSchedule(t: ScheduleTerms): Schedule {
  checkTerms(t);
  const P = t.principal;
  const n = t.tenorMonths;
  const N = BigInt(n);

  // Step 1: equal principal, flat interest on the original principal.
  const p = P / N;
  let i = bpsOf(P, t.monthlyInterestRateBps);

  // Step 2: round the regular installment down to Rp 1,000 by lowering the interest.
  if (n > 1 && t.monthlyInterestRateBps > 0) {
    const a = ((p + i) / INSTALLMENT_ROUNDING) * INSTALLMENT_ROUNDING;
    if (a > p) i = a - p;
  }
  const regularInstallment = p + i;

  // Step 3: due dates.
  const first = firstDueDate(t.loanDate);
  const dueDates = Array.from({ length: n }, (_, k) => addMonths(first, k));
  const last = dueDates[n - 1]!;

  // Step 4: principal and interest per installment. The last installment absorbs the principal
  // remainder (P - p*n) and gives the same amount back in interest; for n = 1 the single
  // installment is both first and last, so both adjustments apply to it.
  const remainder = P - p * N;
  const d = BigInt(daysBetween(t.loanDate, first));
  const principals: bigint[] = [];
  const interests: bigint[] = [];
  for (let k = 1; k <= n; k++) {
    let interest = k === 1 ? (i * d) / 30n : i;
    let principal = p;
    if (k === n) {
      principal = P - p * (N - 1n);
      interest = interest > remainder ? interest - remainder : 0n;
    }
    principals.push(principal);
    interests.push(interest);
  }

  // Step 5: origination fee, deducted from the amount disbursed.
  let fee = bpsOf(P, t.originationFeeBps);

  // Step 6: fee cap. Cut interest from the last installment backwards, then the fee.
  const feeCap = (P * BigInt(FEE_CAP_DAILY_BPS) * BigInt(daysBetween(t.loanDate, last))) / 10_000n;
  let excess = fee + sumBig(interests) - feeCap;
  for (let k = n - 1; k >= 0 && excess > 0n; k--) {
    const cut = minBig(excess, interests[k]!);
    interests[k] = interests[k]! - cut;
    excess -= cut;
  }
  if (excess > 0n) fee -= minBig(excess, fee);

  const installments: ScheduledInstallment[] = dueDates.map((dueDate, k) => ({
    installmentNumber: k + 1,
    dueDate,
    principal: principals[k]!,
    interest: interests[k]!,
    total: principals[k]! + interests[k]!,
  }));
  const totalInterest = sumBig(interests);
  return {
    principal: P,
    originationFee: fee,
    disbursedAmount: P - fee,
    totalInterest,
    totalRepayment: P + totalInterest,
    regularInstallment,
    firstDueDate: first,
    lastDueDate: last,
    feeCap,
    installments,
  };
}
