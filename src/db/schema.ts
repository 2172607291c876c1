/**
 * All tables of the gateway. Table and column names are part of the benchmark contract
 * (other tools are pointed at the same database by these names): keep them.
 *
 * Money is whole rupiah in `bigint` (mode "bigint": never a JS number). Every foreign key is
 * indexed; uniqueness and non-negative amounts are enforced here, not only in code.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const money = (name: string) => bigint(name, { mode: "bigint" });
/** Millisecond precision so a JS Date (and a keyset cursor) holds the exact value. */
const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: "date" });
const id = () => uuid("id").primaryKey().defaultRandom();
const createdAt = () => ts("created_at").notNull().defaultNow();
const updatedAt = () => ts("updated_at").notNull().defaultNow();

export const partners = pgTable("partners", {
  id: id(),
  code: text("code").notNull().unique(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});

export const customers = pgTable(
  "customers",
  {
    id: id(),
    partnerId: uuid("partner_id").references(() => partners.id),
    fullName: text("full_name").notNull(),
    nik: text("nik").notNull().unique(),
    phone: text("phone").notNull().unique(),
    email: text("email").notNull().unique(),
    dateOfBirth: date("date_of_birth", { mode: "string" }).notNull(),
    monthlyIncome: money("monthly_income").notNull(),
    pinHash: text("pin_hash").notNull(),
    walletBalance: money("wallet_balance").notNull().default(sql`0`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("customers_partner_id_idx").on(t.partnerId),
    index("customers_created_at_idx").on(t.createdAt),
    check("customers_nik_format", sql`${t.nik} ~ '^[0-9]{16}$'`),
    check("customers_monthly_income_nonneg", sql`${t.monthlyIncome} >= 0`),
    check("customers_wallet_balance_nonneg", sql`${t.walletBalance} >= 0`),
  ],
);

/** Consecutive wrong PINs per phone number (RULES §3 lock-out). */
export const loginAttempts = pgTable("login_attempts", {
  phone: text("phone").primaryKey(),
  failedCount: integer("failed_count").notNull().default(0),
  lockedUntil: ts("locked_until"),
  updatedAt: updatedAt(),
});

export const loanProducts = pgTable(
  "loan_products",
  {
    id: id(),
    code: text("code").notNull().unique(),
    name: text("name").notNull(),
    minAmount: money("min_amount").notNull(),
    maxAmount: money("max_amount").notNull(),
    minTenorMonths: integer("min_tenor_months").notNull(),
    maxTenorMonths: integer("max_tenor_months").notNull(),
    /** MTL's rate is by grade; the product row carries the best grade's rate (400 bps). */
    monthlyInterestBps: integer("monthly_interest_bps").notNull(),
    originationFeeBps: integer("origination_fee_bps").notNull(),
    lateFeeBps: integer("late_fee_bps").notNull(),
    minLateFee: money("min_late_fee").notNull().default(sql`0`),
    createdAt: createdAt(),
  },
  (t) => [
    check("loan_products_amounts", sql`${t.minAmount} > 0 and ${t.minAmount} <= ${t.maxAmount}`),
    check("loan_products_tenors", sql`${t.minTenorMonths} >= 1 and ${t.minTenorMonths} <= ${t.maxTenorMonths}`),
    check(
      "loan_products_rates_nonneg",
      sql`${t.monthlyInterestBps} >= 0 and ${t.originationFeeBps} >= 0 and ${t.lateFeeBps} >= 0 and ${t.minLateFee} >= 0`,
    ),
  ],
);

export const loanApplications = pgTable(
  "loan_applications",
  {
    id: id(),
    customerId: uuid("customer_id").notNull().references(() => customers.id),
    productId: uuid("product_id").notNull().references(() => loanProducts.id),
    /** The customer's partner at submission (denormalised for partner scoping). */
    partnerId: uuid("partner_id").references(() => partners.id),
    requestedAmount: money("requested_amount").notNull(),
    tenorMonths: integer("tenor_months").notNull(),
    purpose: text("purpose").notNull(),
    status: text("status").notNull(),
    creditGrade: text("credit_grade"),
    creditMaxAmount: money("credit_max_amount"),
    creditMaxTenorMonths: integer("credit_max_tenor_months"),
    creditInterestBps: integer("credit_interest_bps"),
    creditReasons: jsonb("credit_reasons").$type<string[]>(),
    offerAmount: money("offer_amount"),
    offerTenorMonths: integer("offer_tenor_months"),
    offerInterestBps: integer("offer_interest_bps"),
    offerOriginationFee: money("offer_origination_fee"),
    offerDisbursedAmount: money("offer_disbursed_amount"),
    offerInstallmentAmount: money("offer_installment_amount"),
    offerFirstDueDate: date("offer_first_due_date", { mode: "string" }),
    offerExpiresAt: ts("offer_expires_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("loan_applications_customer_id_idx").on(t.customerId),
    index("loan_applications_product_id_idx").on(t.productId),
    index("loan_applications_partner_id_idx").on(t.partnerId),
    index("loan_applications_created_at_idx").on(t.createdAt),
    index("loan_applications_offer_expiry_idx")
      .on(t.offerExpiresAt)
      .where(sql`${t.status} = 'OFFER_MADE'`),
    check("loan_applications_requested_amount_pos", sql`${t.requestedAmount} > 0`),
    check("loan_applications_tenor_pos", sql`${t.tenorMonths} >= 1`),
    check(
      "loan_applications_status",
      sql`${t.status} in ('SUBMITTED','DENIED','CANCELLED','OFFER_MADE','OFFER_ACCEPTED','OFFER_DECLINED','OFFER_EXPIRED','FUND_DISBURSAL_SUCCESSFUL','FUND_DISBURSAL_FAILED')`,
    ),
    check(
      "loan_applications_offer_nonneg",
      sql`coalesce(${t.offerAmount}, 0) >= 0 and coalesce(${t.offerOriginationFee}, 0) >= 0 and coalesce(${t.offerDisbursedAmount}, 0) >= 0 and coalesce(${t.offerInstallmentAmount}, 0) >= 0 and coalesce(${t.creditMaxAmount}, 0) >= 0`,
    ),
  ],
);

export const loans = pgTable(
  "loans",
  {
    id: id(),
    applicationId: uuid("application_id")
      .notNull()
      .unique()
      .references(() => loanApplications.id),
    customerId: uuid("customer_id").notNull().references(() => customers.id),
    partnerId: uuid("partner_id").references(() => partners.id),
    productId: uuid("product_id").notNull().references(() => loanProducts.id),
    principal: money("principal").notNull(),
    originationFee: money("origination_fee").notNull(),
    disbursedAmount: money("disbursed_amount").notNull(),
    monthlyInterestBps: integer("monthly_interest_bps").notNull(),
    tenorMonths: integer("tenor_months").notNull(),
    status: text("status").notNull(),
    disbursedAt: ts("disbursed_at"),
    /** As of the latest daily update or payment that evaluated the loan. */
    daysPastDue: integer("days_past_due").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("loans_customer_id_idx").on(t.customerId),
    index("loans_partner_id_idx").on(t.partnerId),
    index("loans_product_id_idx").on(t.productId),
    index("loans_created_at_idx").on(t.createdAt),
    index("loans_status_idx").on(t.status),
    check("loans_principal_pos", sql`${t.principal} > 0`),
    check("loans_fee_nonneg", sql`${t.originationFee} >= 0 and ${t.originationFee} <= ${t.principal}`),
    check("loans_disbursed_amount", sql`${t.disbursedAmount} = ${t.principal} - ${t.originationFee}`),
    check("loans_tenor", sql`${t.tenorMonths} between 1 and 60`),
    check("loans_dpd_nonneg", sql`${t.daysPastDue} >= 0`),
    check(
      "loans_status",
      sql`${t.status} in ('INACTIVE','CANCELLED','DISBURSAL_FAILED','CURRENT','LATE_1DPD','LATE_5DPD','LATE_30DPD','LATE_60DPD','LATE_90DPD','LATE_120DPD','LATE_150DPD','LATE_180DPD','PAID_OFF','WRITTEN_OFF')`,
    ),
  ],
);

/** One row per scheduled installment of a loan. */
export const payments = pgTable(
  "payments",
  {
    id: id(),
    loanId: uuid("loan_id").notNull().references(() => loans.id),
    installmentNumber: integer("installment_number").notNull(),
    dueDate: date("due_date", { mode: "string" }).notNull(),
    principalDue: money("principal_due").notNull(),
    interestDue: money("interest_due").notNull(),
    lateFeeDue: money("late_fee_due").notNull().default(sql`0`),
    paidPrincipal: money("paid_principal").notNull().default(sql`0`),
    paidInterest: money("paid_interest").notNull().default(sql`0`),
    paidLateFee: money("paid_late_fee").notNull().default(sql`0`),
    paidAmount: money("paid_amount").notNull().default(sql`0`),
    status: text("status").notNull(),
    daysPastDue: integer("days_past_due").notNull().default(0),
    /** How many late-fee thresholds (5, 30, 60, … dpd) have been charged. */
    lateFeeThresholdsApplied: integer("late_fee_thresholds_applied").notNull().default(0),
    paidAt: ts("paid_at"),
    /** Interest taken off `interestDue` by an early settlement (RULES §12.2); 0 otherwise. */
    interestWaived: money("interest_waived").notNull().default(sql`0`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("payments_loan_id_idx").on(t.loanId),
    uniqueIndex("payments_loan_installment_uq").on(t.loanId, t.installmentNumber),
    check(
      "payments_amounts_nonneg",
      sql`${t.principalDue} >= 0 and ${t.interestDue} >= 0 and ${t.lateFeeDue} >= 0 and ${t.paidPrincipal} >= 0 and ${t.paidInterest} >= 0 and ${t.paidLateFee} >= 0`,
    ),
    check(
      "payments_paid_within_due",
      sql`${t.paidPrincipal} <= ${t.principalDue} and ${t.paidInterest} <= ${t.interestDue} and ${t.paidLateFee} <= ${t.lateFeeDue}`,
    ),
    check(
      "payments_paid_amount_sum",
      sql`${t.paidAmount} = ${t.paidPrincipal} + ${t.paidInterest} + ${t.paidLateFee}`,
    ),
    check("payments_thresholds", sql`${t.lateFeeThresholdsApplied} between 0 and 7`),
    check("payments_interest_waived_nonneg", sql`${t.interestWaived} >= 0`),
    check("payments_dpd_nonneg", sql`${t.daysPastDue} >= 0`),
  ],
);

/** Money received for a loan (one row per received transfer). */
export const paymentTransactions = pgTable(
  "payment_transactions",
  {
    id: id(),
    loanId: uuid("loan_id").notNull().references(() => loans.id),
    customerId: uuid("customer_id").notNull().references(() => customers.id),
    amount: money("amount").notNull(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    channel: text("channel"),
    paidAt: ts("paid_at").notNull(),
    walletCredit: money("wallet_credit").notNull().default(sql`0`),
    /** PAYMENT (recordPayment) or SETTLEMENT (settleLoan), RULES §12.2. */
    kind: text("kind").notNull().default("PAYMENT"),
    /** Set when an approved reversal took it out of the loan's money (RULES §12.3). */
    reversedAt: ts("reversed_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("payment_transactions_loan_id_idx").on(t.loanId),
    check("payment_transactions_kind", sql`${t.kind} in ('PAYMENT', 'SETTLEMENT')`),
    index("payment_transactions_customer_id_idx").on(t.customerId),
    check("payment_transactions_amount_pos", sql`${t.amount} > 0`),
    check(
      "payment_transactions_wallet_credit",
      sql`${t.walletCredit} >= 0 and ${t.walletCredit} <= ${t.amount}`,
    ),
  ],
);

export const paymentAllocations = pgTable(
  "payment_allocations",
  {
    id: id(),
    transactionId: uuid("transaction_id")
      .notNull()
      .references(() => paymentTransactions.id),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id),
    principal: money("principal").notNull().default(sql`0`),
    interest: money("interest").notNull().default(sql`0`),
    lateFee: money("late_fee").notNull().default(sql`0`),
    createdAt: createdAt(),
  },
  (t) => [
    index("payment_allocations_transaction_id_idx").on(t.transactionId),
    index("payment_allocations_payment_id_idx").on(t.paymentId),
    check(
      "payment_allocations_nonneg",
      sql`${t.principal} >= 0 and ${t.interest} >= 0 and ${t.lateFee} >= 0 and ${t.principal} + ${t.interest} + ${t.lateFee} > 0`,
    ),
  ],
);

/** Permanent audit trail of every application and loan status change (statusHistory). */
/** A request to reverse a payment transaction, decided by a second ADMIN (RULES §12.3). */
export const paymentReversals = pgTable(
  "payment_reversals",
  {
    id: id(),
    transactionId: uuid("transaction_id")
      .notNull()
      .references(() => paymentTransactions.id),
    loanId: uuid("loan_id")
      .notNull()
      .references(() => loans.id),
    status: text("status").notNull().default("PENDING"),
    reason: text("reason").notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: ts("requested_at").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: ts("decided_at"),
    decisionNote: text("decision_note"),
    createdAt: createdAt(),
  },
  (t) => [
    index("payment_reversals_transaction_id_idx").on(t.transactionId),
    index("payment_reversals_loan_id_idx").on(t.loanId),
    index("payment_reversals_status_created_idx").on(t.status, t.createdAt, t.id),
    index("payment_reversals_created_idx").on(t.createdAt, t.id),
    // At most one open request, and at most one approval, per transaction.
    uniqueIndex("payment_reversals_one_pending_uq").on(t.transactionId).where(sql`${t.status} = 'PENDING'`),
    uniqueIndex("payment_reversals_one_approved_uq").on(t.transactionId).where(sql`${t.status} = 'APPROVED'`),
    check("payment_reversals_status", sql`${t.status} in ('PENDING', 'APPROVED', 'REJECTED')`),
    check(
      "payment_reversals_four_eyes",
      sql`${t.status} = 'PENDING' or (${t.decidedBy} is not null and ${t.decidedAt} is not null and (${t.status} = 'REJECTED' or ${t.decidedBy} <> ${t.requestedBy}))`,
    ),
  ],
);

export const statusChanges = pgTable(
  "status_changes",
  {
    /** Insertion order: several changes can share one transaction's timestamp. */
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    entityType: text("entity_type").notNull(),
    entityId: uuid("entity_id").notNull(),
    fromCode: integer("from_code"),
    toCode: integer("to_code").notNull(),
    reason: text("reason"),
    actor: text("actor").notNull(),
    at: ts("at").notNull().defaultNow(),
  },
  (t) => [
    index("status_changes_entity_idx").on(t.entityId, t.id),
    check("status_changes_entity_type", sql`${t.entityType} in ('APPLICATION','LOAN')`),
  ],
);

/**
 * The outbox that subscriptions publish from: one row per status change, written in the same
 * transaction; `id` is the monotonic resume cursor. Pruned after the retention period.
 */
export const statusEvents = pgTable(
  "status_events",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    entityType: text("entity_type").notNull(),
    entityId: uuid("entity_id").notNull(),
    customerId: uuid("customer_id").notNull().references(() => customers.id),
    partnerId: uuid("partner_id").references(() => partners.id),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    reason: text("reason"),
    actor: text("actor").notNull(),
    at: ts("at").notNull().defaultNow(),
  },
  (t) => [
    index("status_events_entity_idx").on(t.entityId),
    index("status_events_customer_id_idx").on(t.customerId),
    index("status_events_partner_id_idx").on(t.partnerId),
    index("status_events_at_idx").on(t.at),
    check("status_events_entity_type", sql`${t.entityType} in ('APPLICATION','LOAN')`),
  ],
);

/** One row per `runDailyUpdate(asOf)` executed (operators' record; the update is idempotent). */
export const dailyUpdateRuns = pgTable("daily_update_runs", {
  asOf: date("as_of", { mode: "string" }).primaryKey(),
  paymentsUpdated: integer("payments_updated").notNull(),
  loansUpdated: integer("loans_updated").notNull(),
  lateFeesApplied: integer("late_fees_applied").notNull(),
  offersExpired: integer("offers_expired").notNull(),
  ranAt: ts("ran_at").notNull().defaultNow(),
});

/**
 * Fixed-window counters of the per-client-IP limits on `login` and `registerCustomer`
 * (src/server/rate-limit.ts): one row per key, bumped by one upsert, shared by every instance.
 */
export const rateLimitCounters = pgTable(
  "rate_limit_counters",
  {
    key: text("key").primaryKey(),
    windowStart: ts("window_start").notNull(),
    hits: integer("hits").notNull(),
  },
  (t) => [index("rate_limit_counters_window_start_idx").on(t.windowStart)],
);

/** Automatic persisted queries (Apollo APQ cache, src/server/persisted.ts), shared by every instance. */
export const persistedQueries = pgTable(
  "persisted_queries",
  {
    key: text("key").primaryKey(),
    document: text("document").notNull(),
    /** Null: kept until deleted. */
    expiresAt: ts("expires_at"),
    createdAt: createdAt(),
  },
  (t) => [index("persisted_queries_expires_at_idx").on(t.expiresAt)],
);

export type PartnerRow = typeof partners.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;
export type LoanProductRow = typeof loanProducts.$inferSelect;
export type ApplicationRow = typeof loanApplications.$inferSelect;
export type LoanRow = typeof loans.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type PaymentTransactionRow = typeof paymentTransactions.$inferSelect;
export type PaymentAllocationRow = typeof paymentAllocations.$inferSelect;
export type PaymentReversalRow = typeof paymentReversals.$inferSelect;
export type StatusChangeRow = typeof statusChanges.$inferSelect;
export type StatusEventRow = typeof statusEvents.$inferSelect;
