/**
 * Credit scoring at submission (RULES §4) and the limits of an offer (RULES §5).
 * Ratios are compared by cross-multiplication on bigints, never as floats.
 */
import { bpsOf, minBig } from "../../shared/money.js";

export type Grade = "A-" | "B+" | "B-" | "C";
export type ProductCode = "MTL" | "STL";

export interface ScoringInput {
  productCode: ProductCode;
  amount: bigint;
  tenorMonths: number;
  monthlyIncome: bigint;
  /** Age in full years on the submission date. */
  age: number;
  productRateBps: number;
  productMaxAmount: bigint;
  productMaxTenorMonths: number;
}

export interface CreditScore {
  grade: Grade;
  maxAmount: bigint;
  maxTenorMonths: number;
  monthlyInterestRateBps: number;
  reasons: string[];
  denied: boolean;
}

export interface CreditLimits {
  maxAmount: bigint;
  maxTenorMonths: number;
  monthlyInterestRateBps: number;
}

/** The credit matrix. C gets nothing: it is always denied. */
export const CREDIT_MATRIX: Readonly<Record<Grade, Readonly<CreditLimits>>> = Object.freeze({
  "A-": Object.freeze({ maxAmount: 8_000_000n, maxTenorMonths: 6, monthlyInterestRateBps: 400 }),
  "B+": Object.freeze({ maxAmount: 7_000_000n, maxTenorMonths: 6, monthlyInterestRateBps: 500 }),
  "B-": Object.freeze({ maxAmount: 5_000_000n, maxTenorMonths: 4, monthlyInterestRateBps: 600 }),
  C: Object.freeze({ maxAmount: 0n, maxTenorMonths: 0, monthlyInterestRateBps: 0 }),
});

/** Rate used in the installment estimate of an MTL application, whatever the grade. */
export const MTL_ESTIMATE_RATE_BPS = 400;
export const MIN_AGE = 21;
export const MAX_AGE = 60;
export const MIN_MONTHLY_INCOME = 3_000_000n;
export const GRADE_A_MIN_INCOME = 8_000_000n;
export const GRADE_B_PLUS_MIN_INCOME = 5_000_000n;

/** Stable denial reasons (the part before ":" is a machine-readable code). In this order. */
export const DENIAL_REASONS = Object.freeze({
  CREDIT_GRADE_C: "CREDIT_GRADE_C: installment-to-income ratio above 40%",
  AGE_BELOW_21: "AGE_BELOW_21: applicant must be at least 21 years old",
  AGE_ABOVE_60: "AGE_ABOVE_60: applicant must be at most 60 years old",
  INCOME_BELOW_3000000: "INCOME_BELOW_3000000: monthly income must be at least Rp 3,000,000",
});
export type DenialReason = (typeof DENIAL_REASONS)[keyof typeof DENIAL_REASONS];

/** `floor(amount / tenor) + floor(amount * rateBps / 10000)`. */
export function installmentEstimate(amount: bigint, tenorMonths: number, rateBps: number): bigint {
  if (!Number.isSafeInteger(tenorMonths) || tenorMonths < 1) {
    throw new RangeError(`tenorMonths must be a positive integer, got ${tenorMonths}`);
  }
  if (amount < 0n) throw new RangeError("amount must not be negative");
  return amount / BigInt(tenorMonths) + bpsOf(amount, rateBps);
}

/**
 * `estimate / income ≤ percent / 100`, by cross-multiplication. With no income the ratio is
 * unbounded, so it is never within any limit (and nothing divides by zero).
 */
function ratioAtMost(estimate: bigint, income: bigint, percent: bigint): boolean {
  return income > 0n && estimate * 100n <= income * percent;
}

/** Grade from the installment estimate and the monthly income. */
export function gradeFor(estimate: bigint, monthlyIncome: bigint): Grade {
  if (ratioAtMost(estimate, monthlyIncome, 20n) && monthlyIncome >= GRADE_A_MIN_INCOME) return "A-";
  if (ratioAtMost(estimate, monthlyIncome, 30n) && monthlyIncome >= GRADE_B_PLUS_MIN_INCOME) return "B+";
  if (ratioAtMost(estimate, monthlyIncome, 40n)) return "B-";
  return "C";
}

/**
 * Scores an application. Limits: grade C → 0 / 0 / 0. Otherwise MTL uses the credit matrix (never
 * above the product's own maximums) and STL the product's maximums and rate. The limits follow
 * the grade only: an application denied for age or income keeps its grade's limits, and
 * `denied`/`reasons` say why it is refused.
 */
export function score(input: ScoringInput): CreditScore {
  if (input.monthlyIncome < 0n) throw new RangeError("monthlyIncome must not be negative");
  if (input.amount <= 0n) throw new RangeError("amount must be positive");
  const estimateRate = input.productCode === "MTL" ? MTL_ESTIMATE_RATE_BPS : input.productRateBps;
  const estimate = installmentEstimate(input.amount, input.tenorMonths, estimateRate);
  const grade = gradeFor(estimate, input.monthlyIncome);

  let limits: CreditLimits;
  if (grade === "C") {
    limits = CREDIT_MATRIX.C;
  } else if (input.productCode === "MTL") {
    const m = CREDIT_MATRIX[grade];
    limits = {
      maxAmount: minBig(m.maxAmount, input.productMaxAmount),
      maxTenorMonths: Math.min(m.maxTenorMonths, input.productMaxTenorMonths),
      monthlyInterestRateBps: m.monthlyInterestRateBps,
    };
  } else {
    limits = {
      maxAmount: input.productMaxAmount,
      maxTenorMonths: input.productMaxTenorMonths,
      monthlyInterestRateBps: input.productRateBps,
    };
  }

  const reasons: string[] = [];
  if (grade === "C") reasons.push(DENIAL_REASONS.CREDIT_GRADE_C);
  if (input.age < MIN_AGE) reasons.push(DENIAL_REASONS.AGE_BELOW_21);
  if (input.age > MAX_AGE) reasons.push(DENIAL_REASONS.AGE_ABOVE_60);
  if (input.monthlyIncome < MIN_MONTHLY_INCOME) reasons.push(DENIAL_REASONS.INCOME_BELOW_3000000);

  return { grade, ...limits, reasons, denied: reasons.length > 0 };
}

/** The product's range, as far as an offer is concerned. */
export interface OfferProduct {
  minAmount: bigint;
  maxAmount: bigint;
  minTenorMonths: number;
  maxTenorMonths: number;
}

export interface OfferTerms {
  amount: bigint;
  tenorMonths: number;
  rateBps: number;
}

/** A named (or resulting) offer amount/tenor outside what may be offered. */
export class OfferLimitError extends Error {
  readonly field: "amount" | "tenorMonths";
  constructor(field: "amount" | "tenorMonths", message: string) {
    super(message);
    this.name = "OfferLimitError";
    this.field = field;
  }
}

/**
 * Offer terms for `approveApplication` (RULES §5). By default the requested amount and tenor,
 * each cut to what the grade and the product allow. The admin may instead name smaller values:
 * a named value may not exceed that default (so an offer never exceeds what the customer asked
 * for, nor the grade's or product's limit) nor fall below the product minimum; either throws
 * `OfferLimitError` naming the field. If even the default falls below the product minimum
 * (e.g. grade C), that is an `OfferLimitError` too. The rate is the score's (grade rate for MTL,
 * product rate for STL).
 */
export function offerLimits(
  creditScore: CreditScore,
  product: OfferProduct,
  requestedAmount: bigint,
  requestedTenor: number,
  namedAmount?: bigint | null,
  namedTenor?: number | null,
): OfferTerms {
  const allowedAmount = minBig(requestedAmount, creditScore.maxAmount, product.maxAmount);
  const allowedTenor = Math.min(requestedTenor, creditScore.maxTenorMonths, product.maxTenorMonths);

  let amount = allowedAmount;
  if (namedAmount !== undefined && namedAmount !== null) {
    if (namedAmount > allowedAmount) {
      throw new OfferLimitError("amount", `amount ${namedAmount} exceeds the most that may be offered (${allowedAmount})`);
    }
    amount = namedAmount;
  }
  if (amount < product.minAmount) {
    throw new OfferLimitError("amount", `amount ${amount} is below the product minimum (${product.minAmount})`);
  }

  let tenorMonths = allowedTenor;
  if (namedTenor !== undefined && namedTenor !== null) {
    if (!Number.isSafeInteger(namedTenor)) {
      throw new OfferLimitError("tenorMonths", `tenorMonths must be an integer, got ${namedTenor}`);
    }
    if (namedTenor > allowedTenor) {
      throw new OfferLimitError("tenorMonths", `tenorMonths ${namedTenor} exceeds the most that may be offered (${allowedTenor})`);
    }
    tenorMonths = namedTenor;
  }
  if (tenorMonths < product.minTenorMonths) {
    throw new OfferLimitError(
      "tenorMonths",
      `tenorMonths ${tenorMonths} is below the product minimum (${product.minTenorMonths})`,
    );
  }

  return { amount, tenorMonths, rateBps: creditScore.monthlyInterestRateBps };
}
