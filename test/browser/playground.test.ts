/**
 * The admin playground in a real (headless) Chromium: it loads from the gateway alone, has the
 * schema (docs, autocomplete), runs a query with the Headers editor's token, and runs a
 * subscription over graphql-ws that receives a status change. The Examples panel has the
 * "Correcting money" walk-through (RULES §12), every example is a valid operation of the
 * gateway's schema, and the payoff quote and settlement examples run against it.
 */
import { readFile } from "node:fs/promises";
import { buildSchema, parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { changeLoanStatus } from "../support/events.js";
import { makeCustomer, makeLoan, makePartner, makeTransaction } from "../support/factories.js";
import { tokenFor, world } from "../support/world.js";
import { CHROMIUM, launchBrowser, maybeScreenshot, recordRequests, suiteTitle, waitForSubscription, type Browser } from "./browser.js";

/** The page's `document` and `window` inside page.evaluate callbacks (they run in the browser). */
declare const document: any;
declare const window: any;

const CORRECTION_EXAMPLES = [
  "Payoff quote: what closes a loan",
  "Settle a loan early (ADMIN)",
  "Reversal 1. Request it (ADMIN)",
  "Reversal 2. Approve it (another ADMIN)",
  "Reversal: reject it instead (ADMIN)",
  "Reversal requests (ADMIN)",
];

/** Today's Asia/Jakarta date moved by `days`. */
function jakartaDay(days: number): string {
  return new Date(Date.now() + 7 * 3600_000 + days * 86400_000).toISOString().slice(0, 10);
}

/** Opens an example from the Examples panel and waits for its query in the editor. */
async function openExample(page: Page, title: string, contains: string): Promise<void> {
  await page.click(`button[data-example="${title}"]`);
  await page.waitForFunction(
    (t) => (document.querySelector(".graphiql-query-editor .CodeMirror") as unknown as { CodeMirror: any }).CodeMirror.getValue().includes(t),
    contains,
    { timeout: 5000 },
  );
}

/** Sets one of GraphiQL's CodeMirror editors: "query", "variables" or "headers". */
async function setEditor(page: Page, which: "query" | "variables" | "headers", value: string): Promise<void> {
  await page.evaluate(
    ([w, v]) => {
      const editors = Array.from(document.querySelectorAll(".graphiql-editor-tool .CodeMirror"));
      const el = w === "query" ? document.querySelector(".graphiql-query-editor .CodeMirror") : editors[w === "variables" ? 0 : 1];
      (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(v!);
    },
    [which, value],
  );
}

/** GraphiQL reads the operation name off the query editor ~100 ms after an edit: wait for it. */
async function waitForOperation(page: Page, name: string): Promise<void> {
  await page.waitForFunction((n) => document.querySelector(".graphiql-query-editor .CodeMirror")?.CodeMirror.operationName === n, name, { timeout: 5000 });
}

async function editorValue(page: Page, which: "query" | "headers"): Promise<string> {
  return page.evaluate((w) => {
    const el = w === "query" ? document.querySelector(".graphiql-query-editor .CodeMirror") : document.querySelectorAll(".graphiql-editor-tool .CodeMirror")[1];
    return (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue();
  }, which);
}

async function responseText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.querySelector(".graphiql-response .CodeMirror");
    return el ? (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue() : "";
  });
}

async function waitForResponse(page: Page, text: string, timeout = 5000): Promise<string> {
  await page.waitForFunction(
    (t) => {
      const el = document.querySelector(".graphiql-response .CodeMirror");
      return !!el && (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue().includes(t);
    },
    text,
    { timeout, polling: 50 },
  );
  return responseText(page);
}

describe.skipIf(!CHROMIUM)(suiteTitle("playground in Chromium"), () => {
  let browser: Browser;
  beforeAll(async () => {
    // The worker's gateway (migrations on first use) and the browser start outside the test's time.
    [browser] = await Promise.all([launchBrowser(), world()]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("loads offline from the gateway, runs a query with a token and a live subscription", async () => {
    const w = await world();
    const base = w.gateway.url;
    const partner = await makePartner({ name: "Koperasi Sejahtera" });
    const siti = await makeCustomer({ partnerId: partner.id, fullName: "Siti Rahmawati" });
    const budi = await makeCustomer({ partnerId: partner.id, fullName: "Budi Santoso" });
    const sitiLoan = await makeLoan({ customer: siti, status: "CURRENT", loanDate: "2026-10-10" });
    const budiLoan = await makeLoan({ customer: budi, productCode: "STL", status: "CURRENT", loanDate: "2026-10-20" });
    await makeTransaction(budiLoan, 500_000n);
    const partnerToken = await tokenFor("PARTNER", partner.id);

    const page = await browser.context.newPage();
    const requests = recordRequests(browser.context, page);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    await page.goto(`${base}/playground`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror");

    // Development: the headers editor holds the page's ADMIN token.
    expect(await editorValue(page, "headers")).toMatch(/"Authorization": "Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+"/);

    // The schema arrived (introspection): the docs list the root types, autocomplete offers fields.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForFunction(() => document.querySelector(".graphiql-doc-explorer")?.textContent?.includes("subscription: Subscription"), null, {
      timeout: 10_000,
    });
    await page.evaluate(() => {
      const cm = (document.querySelector(".graphiql-query-editor .CodeMirror") as unknown as { CodeMirror: any }).CodeMirror;
      cm.setValue("{\n  portfolio\n}");
      cm.focus();
      cm.setCursor({ line: 1, ch: 11 });
    });
    await page.keyboard.type("S");
    await page.waitForSelector(".CodeMirror-hint", { timeout: 5000 });
    expect(await page.locator(".CodeMirror-hint").allTextContents()).toContain("portfolioSummary");
    await page.keyboard.press("Escape");

    // A query with the partner's token typed into the headers editor: only its own loans.
    await setEditor(page, "headers", JSON.stringify({ Authorization: `Bearer ${partnerToken}` }));
    await setEditor(
      page,
      "query",
      `query PartnerLoans {\n  me { role partner { id name } }\n  loans(first: 10) {\n    totalCount\n    nodes { id status daysPastDue outstandingAmount customer { fullName } }\n  }\n}\n`,
    );
    await waitForOperation(page, "PartnerLoans");
    await page.click(".graphiql-execute-button");
    const result = JSON.parse(await waitForResponse(page, '"totalCount"'));
    expect(result.data.me).toEqual({ role: "PARTNER", partner: { id: partner.id, name: "Koperasi Sejahtera" } });
    expect(result.data.loans.totalCount).toBe(2);
    expect(result.data.loans.nodes.map((l: { id: string }) => l.id).sort()).toEqual([sitiLoan.loan.id, budiLoan.loan.id].sort());

    // The Examples panel opens the subscription example in a new tab (headers prefilled);
    // run it with the partner's token and see the event a status change produces.
    await page.click('button[aria-label="Show Examples"]');
    await page.click('button[data-example="Watch loan status changes"]');
    await page.waitForFunction(() =>
      (document.querySelector(".graphiql-query-editor .CodeMirror") as unknown as { CodeMirror: any }).CodeMirror.getValue().includes("loanStatusChanged"),
    );
    expect(await editorValue(page, "headers")).toContain("Bearer eyJ");
    await setEditor(page, "headers", JSON.stringify({ Authorization: `Bearer ${partnerToken}` }, null, 2));
    await setEditor(page, "variables", JSON.stringify({ loanId: sitiLoan.loan.id }, null, 2));
    await waitForOperation(page, "WatchLoans");
    const subscriptions = w.gateway.app.events.subscriberCount;
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(() => document.querySelector(".graphiql-execute-button")?.getAttribute("aria-label")?.includes("Stop"), null, { timeout: 5000 });
    await waitForSubscription(w.gateway, subscriptions);
    await changeLoanStatus(sitiLoan.loan.id, siti, "CURRENT", "LATE_1DPD", "daily update 2026-11-11");
    const event = JSON.parse(await waitForResponse(page, "LATE_1DPD"));
    expect(event.data.loanStatusChanged).toMatchObject({
      fromStatus: "CURRENT",
      toStatus: "LATE_1DPD",
      reason: "daily update 2026-11-11",
      loan: { id: sitiLoan.loan.id, status: "LATE_1DPD" },
    });
    expect(typeof event.data.loanStatusChanged.cursor).toBe("string");

    await maybeScreenshot(page, "playground");
    await page.click(".graphiql-execute-button"); // stop the subscription
    await page.close();

    expect(pageErrors).toEqual([]);
    expect(requests.urls.some((u) => u.startsWith("ws://"))).toBe(true);
    expect(requests.foreign(new URL(base).host)).toEqual([]);
  });

  it("has the 'Correcting money' examples, all valid operations, and runs the quote and the settlement", async () => {
    const w = await world();
    const base = w.gateway.url;
    const partner = await makePartner();
    const dewi = await makeCustomer({ partnerId: partner.id, fullName: "Dewi Lestari" });
    // Disbursed five days ago: installment 1 is the current one, 2 and 3 come later.
    const l = await makeLoan({ customer: dewi, status: "CURRENT", loanDate: jakartaDay(-5) });
    const [i1, i2, i3] = l.payments;
    const principal = l.payments.reduce((s, p) => s + p.principalDue, 0n);
    const expected = {
      principal: principal.toString(),
      interest: i1!.interestDue.toString(),
      lateFees: "0",
      interestWaived: (i2!.interestDue + i3!.interestDue).toString(),
      amount: (principal + i1!.interestDue).toString(),
    };

    const page = await browser.context.newPage();
    const requests = recordRequests(browser.context, page);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${base}/playground`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror");

    // Every example, the new ones included, is a valid operation of the gateway's schema.
    const examples: { group: string; title: string; query: string }[] = await page.evaluate(() => window.PLAYGROUND_EXAMPLES);
    const schema = buildSchema(await readFile(new URL("../../schema.graphql", import.meta.url), "utf8"));
    for (const ex of examples) expect(validate(schema, parse(ex.query)).map((e) => e.message), ex.title).toEqual([]);
    expect(examples.filter((e) => e.group === "Correcting money").map((e) => e.title)).toEqual(CORRECTION_EXAMPLES);
    const approve = examples.find((e) => e.title === "Reversal 2. Approve it (another ADMIN)")!.query;
    expect(approve).toContain("npm run token -- --role ADMIN --sub bob");
    expect(approve).toMatch(/FORBIDDEN/);

    // The panel lists them under their own heading.
    if (!(await page.locator('button[data-example="Who am I, which products exist"]').isVisible())) {
      await page.click('button[aria-label="Show Examples"]');
    }
    expect(await page.locator(".examples h3").allTextContents()).toContain("Correcting money");
    for (const title of CORRECTION_EXAMPLES) expect(await page.locator(`button[data-example="${title}"]`).count(), title).toBe(1);

    // The quote example, run as it opens (the development ADMIN token is in the headers).
    await openExample(page, "Payoff quote: what closes a loan", "payoffQuote(asOf: $asOf)");
    expect(await editorValue(page, "headers")).toContain("Bearer eyJ");
    await setEditor(page, "variables", JSON.stringify({ id: l.loan.id }, null, 2));
    await waitForOperation(page, "PayoffQuote");
    await page.click(".graphiql-execute-button");
    const quoted = JSON.parse(await waitForResponse(page, '"interestWaived"'));
    expect(quoted.errors).toBeUndefined();
    expect(quoted.data.loan).toMatchObject({ id: l.loan.id, status: "CURRENT", payoffQuote: { asOf: jakartaDay(0), ...expected } });

    // The settlement example with the quoted amount closes the loan.
    await openExample(page, "Settle a loan early (ADMIN)", "settleLoan(input: $input)");
    await setEditor(page, "variables", JSON.stringify({ input: { loanId: l.loan.id, amount: expected.amount, idempotencyKey: `settle-${l.loan.id}` } }, null, 2));
    await waitForOperation(page, "SettleLoan");
    await page.click(".graphiql-execute-button");
    const settled = JSON.parse(await waitForResponse(page, '"replayed"'));
    expect(settled.errors).toBeUndefined();
    expect(settled.data.settleLoan).toMatchObject({
      replayed: false,
      transaction: { kind: "SETTLEMENT", amount: expected.amount, walletCredit: "0" },
      loan: { id: l.loan.id, status: "PAID_OFF", outstandingAmount: "0" },
    });

    await page.close();
    expect(pageErrors).toEqual([]);
    expect(requests.foreign(new URL(base).host)).toEqual([]);
  });
});
