/**
 * Helpers for the early settlement / payment reversal tests (RULES §12, contract
 * `corrections.graphql`): the operations as the contract names them, a loan read-back through
 * the API with the reversal fields, and a reversal-aware money check.
 *
 * Everything here goes through the HTTP GraphQL API (the contract), never through the project's
 * own schedule/allocation code: the tests state their expected figures as literals.
 */
import { expect } from "vitest";
import { auditLedger } from "../../src/audit/ledger-audit.js";
import { newKey } from "./payments.js";
import { gql, world, type GqlResult } from "./world.js";

// ---------------------------------------------------------------------------------------------
// Operations

export const PAYOFF_QUOTE = `query($id: ID!, $asOf: Date) {
  loan(id: $id) {
    id status
    payoffQuote(asOf: $asOf) { loan { id } asOf principal interest lateFees interestWaived amount }
  }
}`;

const TX_FIELDS = `id kind reversed amount walletCredit paidAt idempotencyKey channel createdAt
  allocations { principal interest lateFee payment { id installmentNumber } }`;

const REVERSAL_FIELDS = `id status reason requestedBy requestedAt decidedBy decidedAt decisionNote
  transaction { id reversed kind }`;

export const SETTLE_LOAN = `mutation($input: SettleLoanInput!) {
  settleLoan(input: $input) {
    replayed
    transaction { ${TX_FIELDS} }
    loan { id status statusCode daysPastDue totalDue totalPaid outstandingAmount }
  }
}`;

export const REQUEST_REVERSAL = `mutation($input: RequestPaymentReversalInput!) {
  requestPaymentReversal(input: $input) { ${REVERSAL_FIELDS} }
}`;
export const APPROVE_REVERSAL = `mutation($input: DecidePaymentReversalInput!) {
  approvePaymentReversal(input: $input) { ${REVERSAL_FIELDS} }
}`;
export const REJECT_REVERSAL = `mutation($input: DecidePaymentReversalInput!) {
  rejectPaymentReversal(input: $input) { ${REVERSAL_FIELDS} }
}`;

export const PAYMENT_REVERSALS = `query($first: Int, $after: String, $status: PaymentReversalStatus) {
  paymentReversals(first: $first, after: $after, status: $status) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id status } }
    nodes { ${REVERSAL_FIELDS} }
  }
}`;

/** The loan with everything §12 touches (installments, transactions with kind/reversed/reversal, history). */
export const LOAN_LEDGER = `query($id: ID!) {
  loan(id: $id) {
    id status statusCode daysPastDue totalDue totalPaid outstandingAmount
    customer { id walletBalance }
    payments {
      id installmentNumber dueDate status statusCode daysPastDue paidAt
      principalDue interestDue lateFeeDue paidPrincipal paidInterest paidLateFee paidAmount outstandingAmount
    }
    transactions(first: 100) {
      totalCount
      nodes { ${TX_FIELDS} reversal { ${REVERSAL_FIELDS} } }
    }
    statusHistory { fromCode toCode reason actor }
  }
}`;

export interface AllocationOut {
  principal: string;
  interest: string;
  lateFee: string;
  payment: { id: string; installmentNumber: number };
}
export interface ReversalOut {
  id: string;
  status: "PENDING" | "APPROVED" | "REJECTED";
  reason: string;
  requestedBy: string | null;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  transaction: { id: string; reversed: boolean; kind: string };
}
export interface LedgerTx {
  id: string;
  kind: "PAYMENT" | "SETTLEMENT";
  reversed: boolean;
  amount: string;
  walletCredit: string;
  paidAt: string;
  idempotencyKey: string;
  channel: string | null;
  createdAt: string;
  allocations: AllocationOut[];
  reversal: ReversalOut | null;
}
export interface LedgerInstallment {
  id: string;
  installmentNumber: number;
  dueDate: string;
  status: string;
  statusCode: number;
  daysPastDue: number;
  paidAt: string | null;
  principalDue: string;
  interestDue: string;
  lateFeeDue: string;
  paidPrincipal: string;
  paidInterest: string;
  paidLateFee: string;
  paidAmount: string;
  outstandingAmount: string;
}
export interface Ledger {
  id: string;
  status: string;
  statusCode: number;
  daysPastDue: number;
  totalDue: string;
  totalPaid: string;
  outstandingAmount: string;
  customer: { id: string; walletBalance: string };
  payments: LedgerInstallment[];
  transactions: { totalCount: number; nodes: LedgerTx[] };
  statusHistory: { fromCode: number | null; toCode: number; reason: string | null; actor: string }[];
}

export interface SettleArgs {
  loanId: string;
  amount: string | number | bigint;
  idempotencyKey?: string;
  paidAt?: string | null;
  channel?: string | null;
}

export async function settle(token: string | null, a: SettleArgs) {
  const input: Record<string, unknown> = {
    loanId: a.loanId,
    amount: typeof a.amount === "bigint" ? a.amount.toString() : a.amount,
    idempotencyKey: a.idempotencyKey ?? newKey(),
  };
  if (a.paidAt !== undefined) input.paidAt = a.paidAt;
  if (a.channel !== undefined) input.channel = a.channel;
  return gql<{ settleLoan: { replayed: boolean; transaction: Omit<LedgerTx, "reversal">; loan: Record<string, any> } }>(SETTLE_LOAN, { input }, token);
}

export async function requestReversal(token: string | null, transactionId: string, reason: string) {
  return gql<{ requestPaymentReversal: ReversalOut }>(REQUEST_REVERSAL, { input: { transactionId, reason } }, token);
}

export interface DecideArgs {
  note?: string | null;
  asOf?: string | null;
}

export async function approveReversal(token: string | null, reversalId: string, d: DecideArgs = {}) {
  return gql<{ approvePaymentReversal: ReversalOut }>(APPROVE_REVERSAL, { input: { reversalId, ...d } }, token);
}

export async function rejectReversal(token: string | null, reversalId: string, d: DecideArgs = {}) {
  return gql<{ rejectPaymentReversal: ReversalOut }>(REJECT_REVERSAL, { input: { reversalId, ...d } }, token);
}

export async function payoffQuote(token: string | null, loanId: string, asOf?: string) {
  return gql<{ loan: { id: string; status: string; payoffQuote: Record<string, any> | null } | null }>(
    PAYOFF_QUOTE,
    asOf === undefined ? { id: loanId } : { id: loanId, asOf },
    token,
  );
}

/** The data of a result that must have succeeded (the errors are shown when it did not). */
export function ok<T>(r: GqlResult<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

/** The loan read through the API as `token` sees it (transactions sorted by paidAt, createdAt). */
export async function ledger(token: string, loanId: string): Promise<Ledger> {
  const l = ok(await gql<{ loan: Ledger }>(LOAN_LEDGER, { id: loanId }, token)).loan;
  expect(l).not.toBeNull();
  l.payments.sort((a, b) => a.installmentNumber - b.installmentNumber);
  l.transactions.nodes.sort((a, b) => a.paidAt.localeCompare(b.paidAt) || a.createdAt.localeCompare(b.createdAt));
  return l;
}

/** One installment's paid parts and status, in the shape the tests write their literals in. */
export function row(p: LedgerInstallment) {
  return {
    n: p.installmentNumber,
    paid: [p.paidPrincipal, p.paidInterest, p.paidLateFee].join("/"),
    status: p.status,
    paidAt: p.paidAt,
    dpd: p.daysPastDue,
  };
}

/** Allocations of a transaction as `n:principal/interest/lateFee` strings, in installment order. */
export function allocs(t: { allocations: AllocationOut[] }): string[] {
  return [...t.allocations]
    .sort((a, b) => a.payment.installmentNumber - b.payment.installmentNumber)
    .map((a) => `${a.payment.installmentNumber}:${a.principal}/${a.interest}/${a.lateFee}`);
}

const big = (s: string) => BigInt(s);

/**
 * RULES §12.3's money invariants, read through the API (reversal-aware, the customer has only
 * this loan): every transaction's amount = Σ its allocations + walletCredit (reversed ones too,
 * their allocations stay on record); per installment and component, Σ allocations of the
 * NON-reversed transactions = what it shows as paid, never above due; the wallet = Σ wallet
 * credits of the non-reversed; totalPaid = Σ paidAmount; paid status ⇔ nothing outstanding.
 */
export function checkLedger(l: Ledger): { collected: bigint; allocated: bigint; wallet: bigint } {
  const problems: string[] = [];
  let collected = 0n;
  let wallet = 0n;
  const perInstallment = new Map<string, [bigint, bigint, bigint]>();
  for (const t of l.transactions.nodes) {
    const sum = t.allocations.reduce((s, a) => s + big(a.principal) + big(a.interest) + big(a.lateFee), 0n);
    if (sum + big(t.walletCredit) !== big(t.amount)) problems.push(`transaction ${t.id}: ${sum} + ${t.walletCredit} != ${t.amount}`);
    if (t.reversed) continue;
    collected += big(t.amount);
    wallet += big(t.walletCredit);
    for (const a of t.allocations) {
      const cur = perInstallment.get(a.payment.id) ?? [0n, 0n, 0n];
      perInstallment.set(a.payment.id, [cur[0] + big(a.principal), cur[1] + big(a.interest), cur[2] + big(a.lateFee)]);
    }
  }
  let allocated = 0n;
  for (const p of l.payments) {
    const [pr, it, lf] = perInstallment.get(p.id) ?? [0n, 0n, 0n];
    if (pr !== big(p.paidPrincipal) || it !== big(p.paidInterest) || lf !== big(p.paidLateFee)) {
      problems.push(`installment ${p.installmentNumber}: allocations ${pr}/${it}/${lf} != paid ${p.paidPrincipal}/${p.paidInterest}/${p.paidLateFee}`);
    }
    if (big(p.paidPrincipal) > big(p.principalDue) || big(p.paidInterest) > big(p.interestDue) || big(p.paidLateFee) > big(p.lateFeeDue)) {
      problems.push(`installment ${p.installmentNumber}: paid above due`);
    }
    if (big(p.paidAmount) !== big(p.paidPrincipal) + big(p.paidInterest) + big(p.paidLateFee)) problems.push(`installment ${p.installmentNumber}: paidAmount != Σ parts`);
    const outstanding = big(p.principalDue) + big(p.interestDue) + big(p.lateFeeDue) - big(p.paidAmount);
    if (outstanding !== big(p.outstandingAmount)) problems.push(`installment ${p.installmentNumber}: outstandingAmount ${p.outstandingAmount} != ${outstanding}`);
    if (p.status.startsWith("PAID_") !== (outstanding === 0n)) problems.push(`installment ${p.installmentNumber}: status ${p.status} with outstanding ${outstanding}`);
    allocated += big(p.paidAmount);
  }
  if (allocated !== big(l.totalPaid)) problems.push(`totalPaid ${l.totalPaid} != Σ paidAmount ${allocated}`);
  if (collected !== allocated + wallet) problems.push(`Σ non-reversed amounts ${collected} != Σ allocated ${allocated} + Σ wallet ${wallet}`);
  if (big(l.customer.walletBalance) !== wallet) problems.push(`wallet ${l.customer.walletBalance} != Σ non-reversed wallet credits ${wallet}`);
  const allPaid = l.payments.every((p) => p.status.startsWith("PAID_"));
  if (allPaid !== (l.status === "PAID_OFF")) problems.push(`loan ${l.status} but all paid = ${allPaid}`);
  if (problems.length) throw new Error(problems.join("\n"));
  return { collected, allocated, wallet };
}

/** The ledger audit (src/audit/ledger-audit.ts, `npm run audit`) on these customers' rows. */
export async function expectAuditClean(customerIds: string[]): Promise<void> {
  const report = await auditLedger((await world()).database.db, { customerIds });
  const failing = report.checks.filter((c) => c.violations > 0).map((c) => `${c.name}: ${c.examples.join("; ")}`);
  expect(failing).toEqual([]);
  expect(report.ok).toBe(true);
}

/** Every PaymentReversal of the given status, following the connection's pages. */
export async function allReversals(token: string, status?: string): Promise<ReversalOut[]> {
  const out: ReversalOut[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    type Page = { paymentReversals: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: ReversalOut[] } };
    const r: GqlResult<Page> = await gql<Page>(
      PAYMENT_REVERSALS,
      { first: 100, after, status },
      token,
    );
    const c: Page["paymentReversals"] = ok(r).paymentReversals;
    out.push(...c.nodes);
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  return out;
}

/** Jakarta 12:00 (05:00 UTC) on a date, as the ISO instant the API returns. */
export const noonJakarta = (date: string) => `${date}T05:00:00.000Z`;
