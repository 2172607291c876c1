/**
 * recordPayment (RULES §8) and settleLoan (§12.2): post money received for an active loan in ONE
 * transaction with the loan row locked, allocate it oldest installment first, and re-evaluate the
 * loan as of paidAt. A settlement first checks the amount against the payoff quote as of paidAt's
 * date and waives the interest of the installments after the current one, so it pays every
 * installment and the loan becomes PAID_OFF.
 */
import { actorOf } from "../../auth/viewer.js";
import type { Tx } from "../../db/client.js";
import { uniqueViolation } from "../../db/pg-errors.js";
import type { PaymentTransactionRow } from "../../db/schema.js";
import { evaluateInstallments } from "../../domain/installments.js";
import { isActiveLoanStatus, type LoanStatus } from "../../domain/statuses.js";
import { recordStatusChange, transact } from "../../events/outbox.js";
import type { Context } from "../../graphql/context.js";
import { badInput, DomainError, idempotencyConflict, invalidState, notFound } from "../../shared/errors.js";
import { jakartaDate } from "../../shared/dates.js";
import { isUuid } from "../../shared/ids.js";
import { MAX_MONEY } from "../../shared/money.js";
import { addToWallet, lockWallet } from "../customers/wallet.writes.js";
import { saveLoanEvaluation } from "../loans/loan.writes.js";
import { allocate, duesOf } from "./allocation.js";
import { payoffQuote } from "./corrections.js";
import { lockInstallments, writeInstallments, type InstallmentWrite } from "./installments.repo.js";
import type { RecordPaymentInput, SettleLoanInput } from "./payment.type.js";
import { insertAllocations, insertTransaction, lockLoan, transactionByIdempotencyKey } from "./payments.repo.js";

export type TransactionKind = "PAYMENT" | "SETTLEMENT";

export const IDEMPOTENCY_KEY_MAX = 100;
export const CHANNEL_MAX = 50;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export interface RecordPaymentResult {
  transaction: PaymentTransactionRow;
  replayed: boolean;
  loanId: string;
}

interface PaymentRequest {
  kind: TransactionKind;
  loanId: string;
  amount: bigint;
  idempotencyKey: string;
  paidAt: Date;
  channel: string | null;
}

/** Checks everything that does not need the database; throws BAD_USER_INPUT / NOT_FOUND. */
function validate(ctx: Context, input: RecordPaymentInput | SettleLoanInput, kind: TransactionKind): PaymentRequest {
  if (!isUuid(input.loanId)) throw notFound("Loan");
  const amount = input.amount;
  if (typeof amount !== "bigint" || amount <= 0n) throw badInput("amount", "amount must be greater than 0");

  const key = typeof input.idempotencyKey === "string" ? input.idempotencyKey.trim() : "";
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX || !PRINTABLE_ASCII.test(key)) {
    throw badInput("idempotencyKey", `idempotencyKey must be 1–${IDEMPOTENCY_KEY_MAX} printable ASCII characters`);
  }

  const now = ctx.clock.now();
  const paidAt = input.paidAt ?? now;
  if (paidAt.getTime() > now.getTime()) throw badInput("paidAt", "paidAt must not be in the future");

  let channel: string | null = null;
  if (input.channel != null) {
    channel = input.channel.trim();
    if (channel.length > CHANNEL_MAX) throw badInput("channel", `channel must be at most ${CHANNEL_MAX} characters`);
    if (/[\x00-\x1f\x7f]/.test(channel)) throw badInput("channel", "channel must not contain control characters");
    if (channel.length === 0) channel = null;
  }
  return { kind, loanId: input.loanId.toLowerCase(), amount, idempotencyKey: key, paidAt, channel };
}

/**
 * The stored result for a repeated key, or IDEMPOTENCY_CONFLICT when it was used otherwise: for
 * another loan or amount, or by the other mutation (recordPayment and settleLoan share the keys).
 */
function replayOf(existing: PaymentTransactionRow, req: PaymentRequest): RecordPaymentResult {
  if (existing.loanId !== req.loanId || existing.amount !== req.amount) {
    throw idempotencyConflict("This idempotencyKey was already used for a different loan or amount");
  }
  if (existing.kind !== req.kind) {
    const by = existing.kind === "SETTLEMENT" ? "settleLoan" : "recordPayment";
    throw idempotencyConflict(`This idempotencyKey was already used by ${by}`);
  }
  return { transaction: existing, replayed: true, loanId: existing.loanId };
}

/** Posts a PAYMENT or SETTLEMENT in the caller's transaction (see the module comment). */
async function postTransaction(ctx: Context, tx: Tx, req: PaymentRequest): Promise<RecordPaymentResult> {
  // 1. Lock the loan: postings on one loan (and repeats of a key on it) run one after another.
  const loan = await lockLoan(tx, req.loanId);
  if (!loan) throw notFound("Loan");

  // 2. Idempotency, before any state check: a repeat after the loan was paid off still replays.
  const existing = await transactionByIdempotencyKey(tx, req.idempotencyKey);
  if (existing) return replayOf(existing, req);

  const status = loan.status as LoanStatus;
  if (!isActiveLoanStatus(status)) {
    const what = req.kind === "SETTLEMENT" ? "Only a CURRENT or LATE loan can be settled" : "A payment can only be recorded for a CURRENT or LATE loan";
    throw invalidState(`${what} (loan is ${status})`, status);
  }
  if (loan.disbursedAt && req.paidAt.getTime() < loan.disbursedAt.getTime()) {
    throw badInput("paidAt", "paidAt must not be before the loan was disbursed");
  }

  // 3. Allocate over the locked installments (a settlement first waives the later interest).
  const asOf = jakartaDate(req.paidAt);
  let installments = await lockInstallments(tx, loan.id);
  const waived = new Set<string>();
  if (req.kind === "SETTLEMENT") {
    const quote = payoffQuote(installments, asOf);
    if (req.amount < quote.amount) {
      throw new DomainError("BAD_USER_INPUT", `amount is below the payoff amount ${quote.amount} as of ${asOf}`, {
        field: "amount",
        payoffAmount: quote.amount.toString(),
      });
    }
    const later = new Set(quote.waivedInstallmentIds);
    installments = installments.map((i) => {
      if (!later.has(i.id)) return i;
      waived.add(i.id);
      return { ...i, interestDue: i.paidInterest, interestWaived: i.interestWaived + (i.interestDue - i.paidInterest) };
    });
  }
  const { allocations, walletCredit } = allocate(req.amount, duesOf(installments));

  const now = ctx.clock.now();
  // Locks are always taken in this order: loan → its installments → the idempotency key (unique
  // index entry) → the customer row (wallet) → the event-order lock; the customer row is held
  // only for the end of the transaction.
  const transaction = await insertTransaction(tx, {
    kind: req.kind,
    loanId: loan.id,
    customerId: loan.customerId,
    amount: req.amount,
    idempotencyKey: req.idempotencyKey,
    channel: req.channel,
    paidAt: req.paidAt,
    walletCredit,
  });
  if (walletCredit > 0n) {
    const balance = await lockWallet(tx, loan.customerId);
    if (balance === undefined || balance > MAX_MONEY - walletCredit) {
      throw badInput("amount", "amount is too large: the customer's wallet balance would overflow");
    }
  }
  await insertAllocations(
    tx,
    allocations.map((a) => ({
      transactionId: transaction.id,
      paymentId: a.paymentId,
      principal: a.principal,
      interest: a.interest,
      lateFee: a.lateFee,
    })),
  );

  // 4. New installment state as of paidAt: touched ones get the money (paid on paidAt's date when
  //    nothing is left), every unpaid one is re-evaluated, one paid before stays exactly as it is.
  //    Late fees are the daily update's job, not charged here.
  const byId = new Map(allocations.map((a) => [a.paymentId, a]));
  const paid = installments.map((i) => {
    const a = byId.get(i.id);
    const paidPrincipal = i.paidPrincipal + (a?.principal ?? 0n);
    const paidInterest = i.paidInterest + (a?.interest ?? 0n);
    const paidLateFee = i.paidLateFee + (a?.lateFee ?? 0n);
    const outstanding = i.principalDue + i.interestDue + i.lateFeeDue - (paidPrincipal + paidInterest + paidLateFee);
    return { i, a, paidPrincipal, paidInterest, paidLateFee, outstanding };
  });
  const evaluated = evaluateInstallments(
    paid.map(({ i, a, outstanding }) => ({ dueDate: i.dueDate, outstanding, status: i.status, daysPastDue: i.daysPastDue, paidOn: a ? asOf : null })),
    asOf,
  );
  const writes: InstallmentWrite[] = [];
  paid.forEach(({ i, a, paidPrincipal, paidInterest, paidLateFee, outstanding }, k) => {
    const e = evaluated.installments[k]!;
    if (!a && !waived.has(i.id) && e.status === i.status && e.daysPastDue === i.daysPastDue) return;
    const paidAt = outstanding > 0n ? null : a ? req.paidAt : i.paidAt;
    writes.push({ ...i, paidPrincipal, paidInterest, paidLateFee, status: e.status, daysPastDue: e.daysPastDue, paidAt });
  });
  await writeInstallments(tx, writes, now);
  if (walletCredit > 0n) await addToWallet(tx, loan.customerId, walletCredit, now);

  // 5. The loan as of paidAt.
  const reason = req.kind === "SETTLEMENT" ? "early settlement" : `payment ${transaction.id}`;
  const change = await saveLoanEvaluation(tx, loan, evaluated.loan, { reason, actor: actorOf(ctx.viewer), at: now });
  if (change) await recordStatusChange(tx, change);
  return { transaction, replayed: false, loanId: loan.id };
}

export function recordPayment(ctx: Context, input: RecordPaymentInput): Promise<RecordPaymentResult> {
  return postIdempotently(ctx, validate(ctx, input, "PAYMENT"));
}

/** RULES §12.2: closes the loan early with at least the payoff amount as of paidAt's date. */
export function settleLoan(ctx: Context, input: SettleLoanInput): Promise<RecordPaymentResult> {
  return postIdempotently(ctx, validate(ctx, input, "SETTLEMENT"));
}

async function postIdempotently(ctx: Context, req: PaymentRequest): Promise<RecordPaymentResult> {
  try {
    return await transact(ctx.app, (tx) => postTransaction(ctx, tx, req));
  } catch (err) {
    // The same key committed meanwhile by a posting we were not serialised with (another loan's
    // lock): our insert waited for it and failed. Look again in a new transaction, once.
    const violation = uniqueViolation(err);
    if (!violation || (violation.constraint && !violation.constraint.includes("idempotency_key"))) throw err;
    return transact(ctx.app, (tx) => postTransaction(ctx, tx, req));
  }
}
