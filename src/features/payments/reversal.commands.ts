/**
 * Payment reversal with four eyes (RULES §12.3): one ADMIN asks, another approves (or any ADMIN
 * rejects). Approving takes the transaction out of the loan's money and re-posts every later
 * transaction in (paidAt, createdAt) order, in ONE database transaction with the loan locked
 * (the same lock recordPayment and settleLoan take, so a reversal and a payment on one loan run
 * one after the other).
 *
 * Lock order, as in payment.commands.ts: loan → reversal row → installments → customer (wallet)
 * → event-order lock.
 */
import { actorOf } from "../../auth/viewer.js";
import type { Tx } from "../../db/client.js";
import { uniqueViolation } from "../../db/pg-errors.js";
import type { LoanRow, PaymentReversalRow, PaymentTransactionRow } from "../../db/schema.js";
import { evaluateInstallments } from "../../domain/installments.js";
import { recordStatusChange, transact } from "../../events/outbox.js";
import type { Context } from "../../graphql/context.js";
import { jakartaDate } from "../../shared/dates.js";
import { badInput, forbidden, invalidState, notFound } from "../../shared/errors.js";
import { isUuid } from "../../shared/ids.js";
import { addToWallet, lockWallet } from "../customers/wallet.writes.js";
import { saveLoanEvaluation } from "../loans/loan.writes.js";
import { comesAfter, postingOrder, replayPostings } from "./corrections.js";
import { lockInstallments, writeInstallments, type InstallmentWrite } from "./installments.repo.js";
import type { DecidePaymentReversalInput, RequestPaymentReversalInput } from "./payment.type.js";
import {
  activeTransactionsOfLoan,
  allocationsByTransactionIds,
  decideReversal,
  insertReversal,
  loanHasSettlement,
  lockLoan,
  lockReversal,
  markReversed,
  pendingReversalOf,
  replaceAllocations,
  reversalById,
  transactionById,
} from "./payments.repo.js";

export const REVERSAL_REASON_MAX = 500;
export const DECISION_NOTE_MAX = 500;

function adminSub(ctx: Context): string {
  if (ctx.viewer.role !== "ADMIN") throw forbidden();
  return ctx.viewer.sub;
}

function text(field: string, value: string | null | undefined, max: number, required: boolean): string | null {
  const t = (value ?? "").trim();
  if (t.length === 0) {
    if (required) throw badInput(field, `${field} must be 1–${max} characters`);
    return null;
  }
  if (t.length > max) throw badInput(field, `${field} must be at most ${max} characters`);
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(t)) throw badInput(field, `${field} must not contain control characters`);
  return t;
}

/**
 * The request's conditions (RULES §12.3), checked with the loan locked: a PAYMENT, not reversed,
 * no other PENDING request (`except` is the request being approved), no SETTLEMENT on the loan,
 * the loan not WRITTEN_OFF.
 */
async function checkReversible(tx: Tx, t: PaymentTransactionRow, loanStatus: string, except?: string): Promise<void> {
  if (t.kind !== "PAYMENT") throw invalidState("Only a PAYMENT transaction can be reversed (this one is a SETTLEMENT)", loanStatus);
  if (t.reversedAt) throw invalidState("This transaction is already reversed", loanStatus);
  const pending = await pendingReversalOf(tx, t.id);
  if (pending && pending.id !== except) throw invalidState("This transaction already has a PENDING reversal request", loanStatus);
  if (await loanHasSettlement(tx, t.loanId)) throw invalidState("The loan was settled early: its payments cannot be reversed", loanStatus);
  if (loanStatus === "WRITTEN_OFF") throw invalidState("The loan is WRITTEN_OFF", loanStatus);
}

export async function requestPaymentReversal(ctx: Context, input: RequestPaymentReversalInput): Promise<PaymentReversalRow> {
  const sub = adminSub(ctx);
  const reason = text("reason", input.reason, REVERSAL_REASON_MAX, true)!;
  if (!isUuid(input.transactionId)) throw notFound("PaymentTransaction");
  const transactionId = input.transactionId.toLowerCase();
  try {
    return await transact(ctx.app, async (tx) => {
      const t = await transactionById(tx, transactionId);
      if (!t) throw notFound("PaymentTransaction");
      const loan = await lockLoan(tx, t.loanId);
      if (!loan) throw notFound("Loan");
      await checkReversible(tx, (await transactionById(tx, transactionId))!, loan.status);
      const now = ctx.clock.now();
      return insertReversal(tx, { transactionId, loanId: t.loanId, status: "PENDING", reason, requestedBy: sub, requestedAt: now });
    });
  } catch (err) {
    // Two requests for one transaction at once: the partial unique index lets one in.
    if (uniqueViolation(err)?.constraint?.includes("one_pending")) {
      throw invalidState("This transaction already has a PENDING reversal request", "PENDING");
    }
    throw err;
  }
}

/**
 * Both decisions: an ADMIN, a note, then — with the loan (the lock every posting takes) and the
 * request locked — a PENDING request, which an approval needs from another ADMIN than the asker.
 */
async function decide<T>(
  ctx: Context,
  input: DecidePaymentReversalInput,
  decision: "approved" | "rejected",
  fn: (tx: Tx, d: { loan: LoanRow; r: PaymentReversalRow; sub: string; note: string | null }) => Promise<T>,
): Promise<T> {
  const sub = adminSub(ctx);
  const note = text("note", input.note, DECISION_NOTE_MAX, false);
  if (!isUuid(input.reversalId)) throw notFound("PaymentReversal");
  const id = input.reversalId.toLowerCase();
  return transact(ctx.app, async (tx) => {
    const known = await reversalById(tx, id);
    if (!known) throw notFound("PaymentReversal");
    const loan = (await lockLoan(tx, known.loanId))!;
    const r = (await lockReversal(tx, id))!;
    if (decision === "approved" && r.requestedBy === sub) {
      throw forbidden("Four eyes: a reversal must be approved by another ADMIN than the one who asked for it");
    }
    if (r.status !== "PENDING") throw invalidState(`Only a PENDING request can be ${decision} (this one is ${r.status})`, r.status);
    return fn(tx, { loan, r, sub, note });
  });
}

export function rejectPaymentReversal(ctx: Context, input: DecidePaymentReversalInput): Promise<PaymentReversalRow> {
  return decide(ctx, input, "rejected", (tx, { r, sub, note }) =>
    decideReversal(tx, r.id, { status: "REJECTED", decidedBy: sub, decidedAt: ctx.clock.now(), decisionNote: note }),
  );
}

export function approvePaymentReversal(ctx: Context, input: DecidePaymentReversalInput): Promise<PaymentReversalRow> {
  return decide(ctx, input, "approved", async (tx, { loan, r, sub, note }) => {
    const t = (await transactionById(tx, r.transactionId))!;
    await checkReversible(tx, t, loan.status, r.id);

    const now = ctx.clock.now();
    const all = await activeTransactionsOfLoan(tx, loan.id);
    const others = all.filter((x) => x.id !== t.id);
    const asOf = input.asOf ?? jakartaDate(now);
    const disbursedOn = loan.disbursedAt ? jakartaDate(loan.disbursedAt) : null;
    if (disbursedOn && asOf < disbursedOn) throw badInput("asOf", `asOf must not be before the loan's disbursement date ${disbursedOn}`);
    const latest = others.reduce<Date | null>((m, x) => (m === null || x.paidAt > m ? x.paidAt : m), null);
    if (latest && asOf < jakartaDate(latest)) {
      throw badInput("asOf", `asOf must not be before the latest remaining payment (${jakartaDate(latest)})`);
    }

    // T and every later transaction S come off the installments and the wallet ...
    const later = others.filter((x) => comesAfter(x, t)).sort(postingOrder);
    const undone = [t, ...later];
    const allocations = await allocationsByTransactionIds(tx, undone.map((x) => x.id));
    const installments = await lockInstallments(tx, loan.id);
    const base = installments.map((i) => ({ ...i }));
    const baseById = new Map(base.map((i) => [i.id, i]));
    for (const x of undone) {
      for (const a of allocations.get(x.id) ?? []) {
        const i = baseById.get(a.paymentId)!;
        i.paidPrincipal -= a.principal;
        i.paidInterest -= a.interest;
        i.paidLateFee -= a.lateFee;
      }
    }
    // ... and each S is posted again, oldest first.
    const replay = replayPostings(
      base,
      later.map((x) => ({ id: x.id, amount: x.amount, paidAt: x.paidAt })),
    );
    await markReversed(tx, t.id, now);
    for (const posting of replay.postings) {
      await replaceAllocations(
        tx,
        posting.id,
        posting.allocations.map((a) => ({ transactionId: posting.id, paymentId: a.paymentId, principal: a.principal, interest: a.interest, lateFee: a.lateFee })),
        posting.walletCredit,
      );
    }
    const walletDelta = replay.postings.reduce((sum, posting) => sum + posting.walletCredit, 0n) - undone.reduce((sum, x) => sum + x.walletCredit, 0n);
    if (walletDelta !== 0n) {
      await lockWallet(tx, loan.customerId);
      await addToWallet(tx, loan.customerId, walletDelta, now);
    }

    // Installments: paid ones from the transaction that completed them, unpaid ones as of asOf.
    const byId = new Map(installments.map((i) => [i.id, i]));
    const evaluated = evaluateInstallments(
      replay.installments.map((n) => {
        const old = byId.get(n.id)!;
        const outstanding = n.principalDue + n.interestDue + n.lateFeeDue - (n.paidPrincipal + n.paidInterest + n.paidLateFee);
        return { dueDate: n.dueDate, outstanding, status: old.status, daysPastDue: old.daysPastDue, paidOn: n.completedAt ? jakartaDate(n.completedAt) : null };
      }),
      asOf,
    );
    const writes: InstallmentWrite[] = [];
    replay.installments.forEach((n, k) => {
      const old = byId.get(n.id)!;
      const e = evaluated.installments[k]!;
      const moved = n.paidPrincipal !== old.paidPrincipal || n.paidInterest !== old.paidInterest || n.paidLateFee !== old.paidLateFee;
      if (e.unpaid) {
        if (!moved && old.status === e.status && old.daysPastDue === e.daysPastDue && old.paidAt === null) return;
      } else {
        if (!n.completedAt) return; // paid before T and untouched by the replay
        if (!moved && old.paidAt?.getTime() === n.completedAt.getTime() && old.status === e.status) return;
      }
      const { paidPrincipal, paidInterest, paidLateFee } = n;
      writes.push({ ...old, paidPrincipal, paidInterest, paidLateFee, status: e.status, daysPastDue: e.daysPastDue, paidAt: e.unpaid ? null : n.completedAt });
    });
    await writeInstallments(tx, writes, now);

    // The loan as of asOf; PAID_OFF → CURRENT/LATE_* is allowed here only.
    const change = await saveLoanEvaluation(tx, loan, evaluated.loan, { reason: "payment reversal", actor: actorOf(ctx.viewer), at: now });
    if (change) await recordStatusChange(tx, change);
    return decideReversal(tx, r.id, { status: "APPROVED", decidedBy: sub, decidedAt: now, decisionNote: note });
  });
}
