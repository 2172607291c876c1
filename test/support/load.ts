/**
 * A small GraphQL load client for the fault tests (test/faults/) and the soak (bench/soak.ts):
 * every request is timed and recorded with its outcome (data, `extensions.code`, or a transport
 * failure), and the lending lifecycle (register → submit → approve → accept → disburse) and
 * payments are one call each. Self-contained: no import of the test world or the server code.
 *
 * Like a well-behaved client of a gateway with read replicas, it sends back the newest WAL
 * position a mutation's response carried (`X-Read-After`), so its reads see its writes whichever
 * instance behind a balancer answers them (docs/read-replicas.md). Without replicas no response
 * carries it and nothing is sent.
 */
import { randomInt, randomUUID } from "node:crypto";
import { uniqueDigits } from "./unique.js";

export const Q = {
  register: `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token customer { id } } }`,
  submit: `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id status } }`,
  approve: `mutation($input: ApproveApplicationInput!) { approveApplication(input: $input) { id status offer { amount } } }`,
  accept: `mutation($id: ID!) { acceptOffer(applicationId: $id) { id status } }`,
  disburse: `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id status payments { installmentNumber amountDue } } }`,
  pay: `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
    replayed transaction { id amount idempotencyKey } loan { id status outstandingAmount } } }`,
  loan: `query($id: ID!) { loan(id: $id) { id status principal outstandingAmount totalPaid
    customer { id fullName walletBalance } payments { installmentNumber dueDate amountDue paidAmount status }
    transactions(first: 20) { totalCount nodes { id amount } } statusHistory { fromCode toCode } } }`,
  list: `query($first: Int!) { customers(first: $first) { totalCount nodes { id fullName applications(first: 5) { nodes { id status
    loan { id status principal payments { installmentNumber dueDate principalDue interestDue status } } } } } } }`,
  loans: `query($first: Int!) { loans(first: $first) { totalCount nodes { id status outstandingAmount customer { id } } } }`,
  daily: `mutation($asOf: Date!) { runDailyUpdate(asOf: $asOf) { paymentsUpdated loansUpdated lateFeesApplied offersExpired } }`,
  createPartner: `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id code } }`,
};

export interface Outcome<T = any> {
  kind: string;
  /** ms since the epoch when the request was sent. */
  startedAt: number;
  ms: number;
  status?: number;
  data?: T | null;
  /** extensions.code of the first error, or a transport failure: FETCH_FAILED, TIMEOUT, BAD_BODY. */
  code?: string;
  message?: string;
}

export const ok = (o: Outcome) => o.code === undefined && o.data != null;

/** A WAL position "X/Y" as a number, for keeping the newest one. */
function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split("/") as [string, string];
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

export class LoadClient {
  readonly outcomes: Outcome[] = [];
  record = true;
  /** The newest X-Read-After a response carried (sent with every request). */
  readAfter: string | undefined;

  constructor(
    readonly url: string,
    readonly adminToken: string,
    readonly timeoutMs = 30_000,
  ) {}

  async gql<T = any>(kind: string, query: string, variables: Record<string, unknown> = {}, token: string | null = this.adminToken): Promise<Outcome<T>> {
    const startedAt = Date.now();
    const out: Outcome<T> = { kind, startedAt, ms: 0 };
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(this.readAfter ? { "x-read-after": this.readAfter } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      out.status = res.status;
      const after = res.headers.get("x-read-after");
      if (after && /^[0-9A-F]+\/[0-9A-F]+$/i.test(after) && (!this.readAfter || lsnValue(after) > lsnValue(this.readAfter))) this.readAfter = after;
      const text = await res.text();
      try {
        const body = JSON.parse(text) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
        out.data = body.data ?? null;
        if (body.errors?.length) {
          out.code = body.errors[0]!.extensions?.code ?? "NO_CODE";
          out.message = body.errors[0]!.message;
        }
      } catch {
        out.code = "BAD_BODY";
        out.message = text.slice(0, 200);
      }
    } catch (err) {
      out.code = (err as Error).name === "TimeoutError" ? "TIMEOUT" : "FETCH_FAILED";
      out.message = String((err as Error).cause ?? err);
    }
    out.ms = Date.now() - startedAt;
    if (this.record) this.outcomes.push(out);
    return out;
  }
}

/** Valid, unique registration input (NIK agreeing with the date of birth, 081… phone). */
export function registration(): Record<string, string> {
  const digits = uniqueDigits();
  const dateOfBirth = `19${80 + randomInt(15)}-${String(1 + randomInt(12)).padStart(2, "0")}-${String(1 + randomInt(28)).padStart(2, "0")}`;
  const [y, m, d] = dateOfBirth.split("-") as [string, string, string];
  const nik = `${31 + randomInt(4)}${digits.slice(0, 4)}${d}${m}${y.slice(2)}${digits.slice(4)}`;
  return {
    fullName: `Load Customer ${digits}`,
    nik,
    phone: `0812${digits}`,
    email: `load-${randomUUID()}@example.id`,
    dateOfBirth,
    monthlyIncome: "10000000",
    pin: "246810",
  };
}

export interface LifecycleResult {
  /** The step that failed, if any (the chain stops there: nothing is retried blindly). */
  failed?: Outcome;
  customerId?: string;
  applicationId?: string;
  loanId?: string;
  /** Loan status changes the chain made: INACTIVE on accept, CURRENT on disburse. */
  steps: string[];
}

/**
 * One customer through the whole lifecycle: registered by `registrarToken` (a PARTNER's token
 * makes it that partner's customer), submit as the customer, approve, accept, disburse.
 * `until` stops early (e.g. "accept" leaves an INACTIVE loan); `disbursedAt` back-dates the loan.
 */
export async function lifecycle(
  c: LoadClient,
  registrarToken: string | null,
  until: "register" | "submit" | "approve" | "accept" | "disburse" = "disburse",
  opts: { disbursedAt?: Date } = {},
): Promise<LifecycleResult> {
  const r: LifecycleResult = { steps: [] };
  const reg = await c.gql("register", Q.register, { input: registration() }, registrarToken);
  if (!ok(reg)) return { ...r, failed: reg };
  const customerToken = reg.data.registerCustomer.token as string;
  r.customerId = reg.data.registerCustomer.customer.id;
  r.steps.push("register");
  if (until === "register") return r;
  const sub = await c.gql(
    "submit",
    Q.submit,
    { input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "Modal usaha warung" } },
    customerToken,
  );
  if (!ok(sub)) return { ...r, failed: sub };
  r.applicationId = sub.data.submitApplication.id;
  r.steps.push("submit");
  if (sub.data.submitApplication.status !== "SUBMITTED" || until === "submit") return r;
  const app = await c.gql("approve", Q.approve, { input: { applicationId: r.applicationId } });
  if (!ok(app)) return { ...r, failed: app };
  r.steps.push("approve");
  if (until === "approve") return r;
  const acc = await c.gql("accept", Q.accept, { id: r.applicationId }, customerToken);
  if (!ok(acc)) return { ...r, failed: acc };
  r.loanId = acc.data.acceptOffer.id;
  r.steps.push("accept");
  if (until === "accept") return r;
  const dis = await c.gql("disburse", Q.disburse, { input: { loanId: r.loanId, ...(opts.disbursedAt ? { disbursedAt: opts.disbursedAt.toISOString() } : {}) } });
  if (!ok(dis)) return { ...r, failed: dis };
  r.steps.push("disburse");
  return r;
}

/** A payment idempotency key bound to one loan and amount (retried as many times as wanted). */
export interface PaymentKey {
  key: string;
  loanId: string;
  amount: string;
  /** Transaction ids the API answered for this key (must all be the same one). */
  transactionIds: Set<string>;
  attempts: number;
  successes: number;
}

export function paymentKey(loanId: string, amount: string): PaymentKey {
  return { key: `pay-${randomUUID()}`, loanId, amount, transactionIds: new Set(), attempts: 0, successes: 0 };
}

/** Post (or retry) the payment of `k`; remembers which transaction the API says it produced. */
export async function pay(c: LoadClient, k: PaymentKey, kind = "pay"): Promise<Outcome> {
  k.attempts++;
  const o = await c.gql(kind, Q.pay, { input: { loanId: k.loanId, amount: k.amount, idempotencyKey: k.key } });
  if (ok(o)) {
    k.successes++;
    k.transactionIds.add(o.data.recordPayment.transaction.id);
  }
  return o;
}

/** Percentile (0–100) of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
