/**
 * The customer page (/examples/customer on the gateway): register or log in, my loans with their
 * installments and payoff quote, a loan quote, and my loans' status changes live. Every
 * operation is a typed document of src/documents.ts sent by documentId (src/client.ts), so the
 * page works against a gateway that runs only the manifest's documents (TRUSTED_DOCUMENTS).
 * Bundled into bundle/app.js by `npm run codegen:example`.
 */
import { createCustomerClient, GraphQLRequestError } from "./client.js";
import { LoanQuote, Login, MyLoans, MyLoanStatus, RegisterCustomer } from "./documents.js";
import type { MyLoansQuery, MyLoanStatusSubscription } from "./gql/graphql.js";

const TOKEN_KEY = "customer-app.token";

const endpoint = `${location.origin}/graphql`;
const client = createCustomerClient({ url: endpoint, token: sessionStorage.getItem(TOKEN_KEY) });
let stopLive: (() => void) | undefined;

type Child = Node | string | number | null | undefined;

/** An element with attributes and text children (text only: nothing is parsed as HTML). */
function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from the page`);
  return e as T;
}

const rupiah = (amount: string) => `Rp ${BigInt(amount).toLocaleString("id-ID")}`;

function field(form: HTMLFormElement, name: string): string {
  const input = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  return input?.value.trim() ?? "";
}

function showError(target: string, err: unknown): void {
  const message = err instanceof GraphQLRequestError ? `${err.code ?? "ERROR"}: ${err.message}` : err instanceof Error ? err.message : String(err);
  byId(target).textContent = message;
}

function signedIn(token: string | null): void {
  client.setToken(token);
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  byId("signed-out").hidden = !!token;
  byId("signed-in").hidden = !token;
  stopLive?.();
  stopLive = undefined;
  byId("events").replaceChildren();
  if (token) {
    void loadLoans();
    startLive();
  }
}

type Loans = NonNullable<NonNullable<MyLoansQuery["me"]>["customer"]>["loans"]["nodes"];

function renderLoans(loans: Loans): void {
  const list = byId("loans");
  if (!loans.length) {
    list.replaceChildren(el("p", { class: "empty", "data-empty": "loans" }, "No loans yet."));
    return;
  }
  list.replaceChildren(
    ...loans.map((loan) =>
      el(
        "section",
        { class: "loan", "data-loan-id": loan.id },
        el(
          "h3",
          {},
          `${loan.product.name} · ${rupiah(loan.principal)} · ${loan.tenorMonths} months · `,
          el("span", { class: "status", "data-field": "status" }, loan.status),
        ),
        el(
          "p",
          {},
          `Paid ${rupiah(loan.totalPaid)} of ${rupiah(loan.totalDue)}; outstanding ${rupiah(loan.outstandingAmount)}`,
          loan.daysPastDue > 0 ? ` · ${loan.daysPastDue} days past due` : "",
        ),
        loan.payoffQuote
          ? el("p", { class: "payoff", "data-field": "payoff" }, `Pay off today (${loan.payoffQuote.asOf}): ${rupiah(loan.payoffQuote.amount)}`, loan.payoffQuote.interestWaived !== "0" ? ` (interest waived ${rupiah(loan.payoffQuote.interestWaived)})` : "")
          : null,
        loan.payments.length
          ? el(
              "table",
              { class: "installments" },
              el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "Due"), el("th", {}, "Amount"), el("th", {}, "Paid"), el("th", {}, "Status"))),
              el(
                "tbody",
                {},
                ...loan.payments.map((p) =>
                  el(
                    "tr",
                    { "data-installment": String(p.installmentNumber) },
                    el("td", {}, p.installmentNumber),
                    el("td", {}, p.dueDate),
                    el("td", {}, rupiah(p.amountDue)),
                    el("td", {}, rupiah(p.paidAmount)),
                    el("td", { "data-field": "installment-status" }, p.status),
                  ),
                ),
              ),
            )
          : el("p", { class: "empty" }, "Installments appear once the loan is disbursed."),
      ),
    ),
  );
}

async function loadLoans(): Promise<void> {
  try {
    const data = await client.request(MyLoans, { first: 10 });
    const customer = data.me?.customer;
    if (!customer) {
      signedIn(null);
      return;
    }
    byId("who").textContent = `${customer.fullName} · wallet ${rupiah(customer.walletBalance)}`;
    byId("who").dataset.customerId = customer.id;
    renderLoans(customer.loans.nodes);
    byId("loans-error").textContent = "";
  } catch (err) {
    showError("loans-error", err);
  }
}

function startLive(): void {
  const events = byId("events");
  stopLive = client.subscribe(MyLoanStatus, {}, {
    next: ({ loanStatusChanged: e }: MyLoanStatusSubscription) => {
      events.prepend(
        el(
          "li",
          { "data-loan-id": e.loan.id },
          `${new Date(e.at).toLocaleTimeString()} · loan ${e.loan.id.slice(0, 8)}: ${e.fromStatus ?? "—"} → `,
          el("strong", { "data-field": "toStatus" }, e.toStatus),
          e.reason ? ` (${e.reason})` : "",
        ),
      );
      void loadLoans();
    },
    error: (err) => showError("live-error", err),
  });
}

byId<HTMLFormElement>("register-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget as HTMLFormElement;
  byId("auth-error").textContent = "";
  try {
    const { registerCustomer } = await client.request(RegisterCustomer, {
      input: {
        fullName: field(form, "fullName"),
        nik: field(form, "nik"),
        phone: field(form, "phone"),
        email: field(form, "email"),
        dateOfBirth: field(form, "dateOfBirth"),
        monthlyIncome: field(form, "monthlyIncome"),
        pin: field(form, "pin"),
      },
    });
    signedIn(registerCustomer.token);
  } catch (err) {
    showError("auth-error", err);
  }
});

byId<HTMLFormElement>("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget as HTMLFormElement;
  byId("auth-error").textContent = "";
  try {
    const { login } = await client.request(Login, { input: { phone: field(form, "phone"), pin: field(form, "pin") } });
    signedIn(login.token);
  } catch (err) {
    showError("auth-error", err);
  }
});

byId<HTMLFormElement>("quote-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget as HTMLFormElement;
  const out = byId("quote");
  byId("quote-error").textContent = "";
  try {
    const { loanQuote: q } = await client.request(LoanQuote, {
      input: { productCode: field(form, "productCode"), amount: field(form, "amount"), tenorMonths: Number(field(form, "tenorMonths")) },
    });
    out.replaceChildren(
      el("p", { "data-field": "quote-total" }, `You receive ${rupiah(q.disbursedAmount)} (fee ${rupiah(q.originationFee)}) and repay ${rupiah(q.totalRepayment)} (interest ${rupiah(q.totalInterest)}).`),
      el(
        "ol",
        {},
        ...q.installments.map((i) => el("li", { "data-installment": String(i.installmentNumber) }, `${i.dueDate}: ${rupiah(i.total)} (principal ${rupiah(i.principal)}, interest ${rupiah(i.interest)})`)),
      ),
    );
  } catch (err) {
    out.replaceChildren();
    showError("quote-error", err);
  }
});

byId("logout").addEventListener("click", () => signedIn(null));
byId("refresh").addEventListener("click", () => void loadLoans());

signedIn(client.token);
