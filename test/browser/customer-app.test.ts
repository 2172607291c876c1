/**
 * The customer app example (examples/customer-app, served by the gateway at /examples/customer)
 * in a real (headless) Chromium, against a gateway that runs only the example's trusted
 * documents for customers: register through the form, see the (empty) loans list, a loan
 * disbursed by an ADMIN shows up live with its installments, a quote, and log out and in again.
 */
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customers } from "../../src/db/schema.js";
import { TrustedDocuments } from "../../src/server/persisted.js";
import { EXAMPLE_DIR } from "../../examples/customer-app/generate.js";
import { makeLoan } from "../support/factories.js";
import { startExtraGateway, type ExtraGateway } from "../support/gateways.js";
import { registration } from "../support/registration.js";
import { adminToken, world } from "../support/world.js";
import { CHROMIUM, launchBrowser, maybeScreenshot, recordRequests, suiteTitle, waitForSubscription, type Browser } from "./browser.js";

/** The page's `document` inside page.waitForFunction callbacks (they run in the browser). */
declare const document: any;

describe.skipIf(!CHROMIUM)(suiteTitle("customer app example in Chromium"), () => {
  let browser: Browser;
  let gw: ExtraGateway;
  beforeAll(async () => {
    [browser, gw] = await Promise.all([
      launchBrowser(),
      startExtraGateway({ trustedDocuments: TrustedDocuments.load(join(EXAMPLE_DIR, "src", "gql", "persisted-documents.json")) }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it("registers, sees its loans with installments (a disbursement shown live), gets a quote, logs out and in", async () => {
    const base = gw.gateway.url;
    const input = registration({ fullName: "Rina Kartika" });
    const page = await browser.context.newPage();
    const requests = recordRequests(browser.context, page);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const refused: string[] = [];
    page.on("response", async (r) => {
      if (r.url().endsWith("/graphql") && r.status() !== 200) refused.push(`${r.status()} ${await r.text()}`);
    });

    await page.goto(`${base}/examples/customer`);
    const subscriptions = gw.gateway.app.events.subscriberCount;
    for (const [name, value] of Object.entries(input)) await page.fill(`#register-form [name="${name}"]`, String(value));
    await page.click('#register-form button[type="submit"]');
    await page.waitForSelector('#loans [data-empty="loans"]');
    expect(await page.locator("#who").textContent()).toContain("Rina Kartika");
    const customerId = await page.locator("#who").getAttribute("data-customer-id");
    expect(customerId).toMatch(/^[0-9a-f-]{36}$/);

    // A loan for this customer, then disbursed by an ADMIN: the page shows the change live and
    // reads its loans again (installments, payoff quote).
    await waitForSubscription(gw.gateway, subscriptions);
    const [row] = await (await world()).database.db.select().from(customers).where(eq(customers.id, customerId!));
    const { loan } = await makeLoan({ customer: row!, status: "INACTIVE" });
    const disbursed = await gw.gql(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { id status } }`, { input: { loanId: loan.id } }, await adminToken());
    expect(disbursed.errors).toBeUndefined();
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#events [data-field="toStatus"]')).some((e: any) => e.textContent === "CURRENT"),
      null,
      { timeout: 5000, polling: 50 },
    );
    const section = page.locator(`#loans section[data-loan-id="${loan.id}"]`);
    await section.locator('[data-field="status"]', { hasText: "CURRENT" }).waitFor({ timeout: 5000 });
    expect(await section.locator("tr[data-installment]").count()).toBe(3);
    expect(await section.locator('[data-field="installment-status"]').allTextContents()).toEqual(["NOT_DUE", "NOT_DUE", "NOT_DUE"]);
    expect(await section.locator('[data-field="payoff"]').textContent()).toMatch(/^Pay off today \(\d{4}-\d{2}-\d{2}\): Rp [\d.]+/);

    // A quote.
    await page.fill('#quote-form [name="amount"]', "4000000");
    await page.fill('#quote-form [name="tenorMonths"]', "4");
    await page.click('#quote-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#quote [data-field="quote-total"]') || document.querySelector("#quote-error")?.textContent, null, { timeout: 5000 });
    expect(await page.locator("#quote-error").textContent()).toBe("");
    expect(await page.locator('#quote [data-field="quote-total"]').textContent()).toMatch(/^You receive Rp [\d.]+ \(fee Rp [\d.]+\) and repay Rp [\d.]+/);
    expect(await page.locator("#quote li[data-installment]").count()).toBe(4);
    await maybeScreenshot(page, "customer-app", { width: 1100, height: 900 });

    // Log out, log in again: the same loans.
    await page.click("#logout");
    await page.waitForSelector("#signed-out:not([hidden])");
    await page.fill('#login-form [name="phone"]', input.phone);
    await page.fill('#login-form [name="pin"]', input.pin);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector(`#loans section[data-loan-id="${loan.id}"]`);
    expect(await page.locator("#auth-error").textContent()).toBe("");

    await page.close();
    expect(pageErrors).toEqual([]);
    expect(refused).toEqual([]);
    expect(requests.urls.some((u) => u.startsWith("ws://"))).toBe(true);
    expect(requests.foreign(new URL(base).host)).toEqual([]);
  });
});
