/**
 * The customer app example (examples/customer-app, README "Building a frontend"): its generated
 * files are what `npm run codegen:example` generates, it typechecks, and its typed documents run
 * by documentId as a CUSTOMER against a live gateway started with its persisted-documents.json
 * as TRUSTED_DOCUMENTS (register, login, my loans with installments, a quote, my loan's status
 * live), while a document not in the manifest is refused.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { loadConfig } from "../src/config.js";
import { customers } from "../src/db/schema.js";
import { TrustedDocuments } from "../src/server/persisted.js";
import { createCustomerClient, GraphQLRequestError, type CustomerClient } from "../examples/customer-app/src/client.js";
import { LoanQuote, Login, MyLoans, MyLoanStatus, RegisterCustomer } from "../examples/customer-app/src/documents.js";
import type { MyLoanStatusSubscription } from "../examples/customer-app/src/gql/graphql.js";
import { EXAMPLE_DIR, staleFiles } from "../examples/customer-app/generate.js";
import { makeLoan } from "./support/factories.js";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { registration } from "./support/registration.js";
import { adminToken, codeOf, world } from "./support/world.js";

const MANIFEST = join(EXAMPLE_DIR, "src", "gql", "persisted-documents.json");
/** A fresh registration (Money inputs are strings in the generated types). */
const newCustomer = (fullName?: string) => ({ ...registration(fullName ? { fullName } : {}), monthlyIncome: "10000000" });
const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id status } }`;

describe("customer app example: generated files and types", () => {
  it("the committed src/gql/ and bundle/app.js are what npm run codegen:example generates", async () => {
    expect(await staleFiles()).toEqual([]);
  });

  it("typechecks (tsc -p examples/customer-app) against the generated types", () => {
    const tsc = join(EXAMPLE_DIR, "..", "..", "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", join(EXAMPLE_DIR, "tsconfig.json")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("its manifest is accepted at start-up (TRUSTED_DOCUMENTS) and lists exactly the five documents", () => {
    const config = loadConfig({ NODE_ENV: "test", TRUSTED_DOCUMENTS: MANIFEST });
    expect(config.trustedDocuments).toBe(MANIFEST);
    const trusted = TrustedDocuments.load(MANIFEST);
    expect(trusted.size).toBe(5);
    for (const doc of [RegisterCustomer, Login, MyLoans, LoanQuote, MyLoanStatus]) {
      expect(trusted.has((doc as { __meta__?: { hash: string } }).__meta__!.hash.replace(/^sha256:/, ""))).toBe(true);
    }
  });
});

describe("customer app example against a gateway with TRUSTED_DOCUMENTS", () => {
  let gw: ExtraGateway;
  let client: CustomerClient;

  beforeAll(async () => {
    gw = await startExtraGateway({ trustedDocuments: TrustedDocuments.load(MANIFEST) });
    client = createCustomerClient({ url: gw.url, webSocketImpl: WebSocket });
  });
  afterAll(async () => {
    await client?.dispose();
    await gw?.close();
  });

  it("register, login, my loans with installments and payoff, a quote, and my loan's status change live — all by documentId", async () => {
    const input = newCustomer("Sari Wulandari");
    const { registerCustomer } = await client.request(RegisterCustomer, { input });
    expect(registerCustomer.customer.fullName).toBe("Sari Wulandari");
    const customerId = registerCustomer.customer.id;

    const { login } = await client.request(Login, { input: { phone: input.phone, pin: input.pin } });
    expect(login.customer.id).toBe(customerId);
    client.setToken(login.token);

    const empty = await client.request(MyLoans, {});
    expect(empty.me?.role).toBe("CUSTOMER");
    expect(empty.me?.customer?.id).toBe(customerId);
    expect(empty.me?.customer?.loans.totalCount).toBe(0);

    // A loan for this customer, accepted and not yet disbursed; then its status live.
    const [row] = await (await world()).database.db.select().from(customers).where(eq(customers.id, customerId));
    const { loan } = await makeLoan({ customer: row!, status: "INACTIVE" });
    const events: MyLoanStatusSubscription["loanStatusChanged"][] = [];
    const errors: unknown[] = [];
    const stop = client.subscribe(MyLoanStatus, { loanId: loan.id }, { next: (d) => events.push(d.loanStatusChanged), error: (e) => errors.push(e) });
    try {
      const bus = gw.gateway.app.events;
      for (let i = 0; i < 250 && bus.subscriberCount < 1 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toEqual([]);
      expect(bus.subscriberCount).toBe(1);

      const disbursed = await gw.gql(DISBURSE, { input: { loanId: loan.id } }, await adminToken());
      expect(disbursed.errors).toBeUndefined();
      for (let i = 0; i < 250 && !events.some((e) => e.toStatus === "CURRENT") && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toEqual([]);
      const current = events.find((e) => e.toStatus === "CURRENT");
      expect(current).toMatchObject({ fromStatus: "INACTIVE", toStatus: "CURRENT", loan: { id: loan.id, status: "CURRENT" } });
      expect(current!.cursor).toBeTruthy();
    } finally {
      stop();
    }

    const mine = await client.request(MyLoans, { first: 10 });
    const loans = mine.me!.customer!.loans;
    expect(loans.totalCount).toBe(1);
    const [l] = loans.nodes;
    expect(l).toMatchObject({ id: loan.id, status: "CURRENT", principal: "3000000", tenorMonths: 3, product: { code: "MTL" } });
    expect(l!.payments.map((p) => p.installmentNumber)).toEqual([1, 2, 3]);
    expect(l!.payments.reduce((s, p) => s + BigInt(p.amountDue), 0n)).toBe(BigInt(l!.totalDue));
    expect(l!.payoffQuote).not.toBeNull();
    expect(BigInt(l!.payoffQuote!.amount)).toBe(BigInt(l!.payoffQuote!.principal) + BigInt(l!.payoffQuote!.interest) + BigInt(l!.payoffQuote!.lateFees));

    const { loanQuote } = await client.request(LoanQuote, { input: { productCode: "MTL", amount: "3000000", tenorMonths: 3 } });
    expect(loanQuote.principal).toBe("3000000");
    expect(loanQuote.installments).toHaveLength(3);
    expect(loanQuote.installments.reduce((s, i) => s + BigInt(i.total), 0n)).toBe(BigInt(loanQuote.totalRepayment));
  });

  it("a document not in the manifest is refused for the customer: by text PERSISTED_QUERY_NOT_ALLOWED (403), by documentId PERSISTED_QUERY_NOT_FOUND", async () => {
    client.setToken(null);
    const { registerCustomer } = await client.request(RegisterCustomer, { input: newCustomer() });
    const token = registerCustomer.token;
    const other = `query Other { me { role customer { id nik } } }`;
    const byText = await gw.gql(other, {}, token);
    expect(byText.status).toBe(403);
    expect(codeOf(byText)).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    expect(byText.data ?? null).toBeNull();
    // A listed document's text changed by one field is another document.
    const edited = `query MyLoans { me { role customer { id nik } } }`;
    expect(codeOf(await gw.gql(edited, {}, token))).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    // The typed client with a hash that is not in the manifest.
    const unlisted = { __meta__: { hash: `sha256:${"0".repeat(64)}` }, kind: "Document", definitions: [] } as unknown as TypedDocumentNode<{ me: unknown }, Record<string, never>>;
    const err = await client.request(unlisted, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphQLRequestError);
    expect((err as GraphQLRequestError).code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((err as GraphQLRequestError).status).toBe(400);
  });
});
