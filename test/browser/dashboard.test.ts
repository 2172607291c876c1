/**
 * The partner dashboard in a real (headless) Chromium: the partner's loans and portfolio, a
 * status change shown live within 2 seconds, and a resume with `after` from the cursor saved
 * in localStorage after the page was away (the missed event replayed, nothing repeated); and a
 * payment reversal approved by a second ADMIN (RULES §12.3): the reversed transaction struck
 * through with a "reversed" badge in the loan's detail and the "payment reversal" status change
 * in the live list.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { changeLoanStatus } from "../support/events.js";
import { makeCustomer, makeLoan, makePartner, makeTransaction } from "../support/factories.js";
import { pay } from "../support/payments.js";
import { gql, tokenFor, world } from "../support/world.js";
import { CHROMIUM, launchBrowser, maybeScreenshot, recordRequests, suiteTitle, waitForSubscription, type Browser } from "./browser.js";

/** The page's `document`, `localStorage` and `getComputedStyle` inside page.evaluate callbacks (they run in the browser). */
declare const document: any;
declare const localStorage: any;
declare const getComputedStyle: any;

const REQUEST_REVERSAL = `mutation($input: RequestPaymentReversalInput!) {
  requestPaymentReversal(input: $input) { id status requestedBy }
}`;
const APPROVE_REVERSAL = `mutation($input: DecidePaymentReversalInput!) {
  approvePaymentReversal(input: $input) { id status requestedBy decidedBy }
}`;

/** Today's Asia/Jakarta date moved by `days`. */
function jakartaDay(days: number): string {
  return new Date(Date.now() + 7 * 3600_000 + days * 86400_000).toISOString().slice(0, 10);
}

async function rowStatus(page: Page, loanId: string): Promise<string | null> {
  return page.locator(`tr[data-loan-id="${loanId}"] [data-field="status"]`).textContent();
}

async function eventStatuses(page: Page): Promise<string[]> {
  return page.locator('#events [data-field="toStatus"]').allTextContents();
}

describe.skipIf(!CHROMIUM)(suiteTitle("partner dashboard in Chromium"), () => {
  let browser: Browser;
  beforeAll(async () => {
    // The worker's gateway (migrations on first use) and the browser start outside the test's time.
    [browser] = await Promise.all([launchBrowser(), world()]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the partner's loans, an ADMIN status change within 2 s, and resumes after a reload", async () => {
    const w = await world();
    const base = w.gateway.url;
    const partner = await makePartner({ name: "Koperasi Sejahtera" });
    const other = await makePartner();
    const people = ["Siti Rahmawati", "Budi Santoso", "Dewi Lestari", "Agus Pratama"];
    const customers = await Promise.all(people.map((fullName) => makeCustomer({ partnerId: partner.id, fullName })));
    const current = await makeLoan({ customer: customers[0]!, status: "CURRENT", loanDate: "2026-10-10" });
    const late = await makeLoan({ customer: customers[1]!, status: "LATE_5DPD", daysPastDue: 12, loanDate: "2026-09-02" });
    const paying = await makeLoan({ customer: customers[2]!, productCode: "MTL", principal: 6_000_000n, tenorMonths: 6, status: "CURRENT", loanDate: "2026-08-15" });
    await makeTransaction(paying, 1_500_000n);
    const small = await makeLoan({ customer: customers[3]!, productCode: "STL", status: "CURRENT", loanDate: "2026-11-01" });
    const stranger = await makeLoan({ customer: await makeCustomer({ partnerId: other.id }), status: "CURRENT" });
    const token = await tokenFor("PARTNER", partner.id);

    const page = await browser.context.newPage();
    const requests = recordRequests(browser.context, page);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    const subscriptions = w.gateway.app.events.subscriberCount;
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", token);
    await page.click("#connect");
    await page.waitForSelector(`tr[data-loan-id="${current.loan.id}"]`);
    await page.waitForSelector('#conn[data-state="live"]');

    // The partner's own loans only, with status, days past due and outstanding amount.
    const ids = await page.locator("#loans tbody tr").evaluateAll((rows: any[]) => rows.map((r) => r.getAttribute("data-loan-id")));
    expect(ids.sort()).toEqual([current.loan.id, late.loan.id, paying.loan.id, small.loan.id].sort());
    expect(ids).not.toContain(stranger.loan.id);
    expect(await rowStatus(page, late.loan.id)).toBe("LATE_5DPD");
    expect(await page.locator(`tr[data-loan-id="${late.loan.id}"] [data-field="daysPastDue"]`).textContent()).toBe("12");
    expect(await page.locator(`tr[data-loan-id="${paying.loan.id}"] [data-field="outstandingAmount"]`).textContent()).toMatch(/^\d{1,3}(\.\d{3})+$/);
    expect(await page.locator('#summary [data-field="loanCount"]').textContent()).toBe("4");
    expect(await page.locator("#who").textContent()).toContain("Koperasi Sejahtera");

    // An ADMIN-side status change (through the outbox, as a daily update would) shows within 2 s.
    await waitForSubscription(w.gateway, subscriptions);
    const changedAt = Date.now();
    await changeLoanStatus(current.loan.id, customers[0]!, "CURRENT", "LATE_1DPD", "daily update 2026-11-11");
    await page.waitForFunction(
      (id) => document.querySelector(`tr[data-loan-id="${id}"] [data-field="status"]`)?.textContent === "LATE_1DPD",
      current.loan.id,
      { timeout: 2000, polling: 50 },
    );
    expect(Date.now() - changedAt).toBeLessThan(2000);
    expect(await eventStatuses(page)).toEqual(["LATE_1DPD"]);
    const cursor = await page.evaluate((key) => localStorage.getItem(key), `dashboard.cursor.${partner.id}`);
    expect(cursor).toMatch(/^[\w-]+$/);
    // The totals follow (refetched about a second after the event).
    await page.waitForFunction(() => document.querySelector("#by-status")?.textContent?.includes("LATE_1DPD · 1"), null, { timeout: 5000 });
    await maybeScreenshot(page, "dashboard", { width: 1280, height: 560 });

    // Away from the page (the socket closes), a change happens; back on the page, the saved
    // cursor replays exactly the missed event.
    await page.goto(`${base}/healthz`);
    await changeLoanStatus(current.loan.id, customers[0]!, "LATE_1DPD", "LATE_5DPD", "daily update 2026-11-15");
    await page.goto(`${base}/dashboard`);
    await page.waitForFunction(() => document.querySelectorAll('#events [data-field="toStatus"]').length > 0, null, { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300)); // nothing else (no duplicate) arrives
    expect(await eventStatuses(page)).toEqual(["LATE_5DPD"]);
    expect(await rowStatus(page, current.loan.id)).toBe("LATE_5DPD");
    const resumed = await page.evaluate((key) => localStorage.getItem(key), `dashboard.cursor.${partner.id}`);
    expect(resumed).not.toBe(cursor);

    await page.close();
    expect(pageErrors).toEqual([]);
    expect(requests.urls.some((u) => u.startsWith("ws://"))).toBe(true);
    expect(requests.foreign(new URL(base).host)).toEqual([]);
  });

  it("shows a reversed transaction struck through and the 'payment reversal' status change live", async () => {
    const w = await world();
    const base = w.gateway.url;
    const partner = await makePartner({ name: "Koperasi Makmur" });
    const siti = await makeCustomer({ partnerId: partner.id, fullName: "Siti Aminah" });
    // Disbursed five days ago: every installment is due later, so the loan is CURRENT once unpaid.
    const l = await makeLoan({ customer: siti, status: "CURRENT", loanDate: jakartaDay(-5) });
    const totalDue = l.payments.reduce((s, p) => s + p.principalDue + p.interestDue, 0n);
    const alice = await tokenFor("ADMIN", "alice");
    const bob = await tokenFor("ADMIN", "bob");

    // Two payments through the API: the second pays the loan off.
    const first = await pay(alice, { loanId: l.loan.id, amount: 1_000_000n, channel: "VA_BCA" });
    expect(first.errors).toBeUndefined();
    const second = await pay(alice, { loanId: l.loan.id, amount: totalDue - 1_000_000n, channel: "VA_BRI" });
    expect(second.errors).toBeUndefined();
    expect(second.data!.recordPayment.loan.status).toBe("PAID_OFF");
    const firstId = first.data!.recordPayment.transaction.id;
    const secondId = second.data!.recordPayment.transaction.id;

    const page = await browser.context.newPage();
    const requests = recordRequests(browser.context, page);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    const subscriptions = w.gateway.app.events.subscriberCount;
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", await tokenFor("PARTNER", partner.id));
    await page.click("#connect");
    await page.waitForSelector('#conn[data-state="live"]');
    await waitForSubscription(w.gateway, subscriptions);

    // The loan's detail: both transactions, neither reversed.
    await page.click(`tr[data-loan-id="${l.loan.id}"] [data-action="open"]`);
    await page.waitForSelector(`#transactions tr[data-transaction-id="${firstId}"]`);
    expect(await page.locator("#detail-status").textContent()).toBe("PAID_OFF");
    expect(await page.locator("#transactions tbody tr").evaluateAll((rows: any[]) => rows.map((r) => r.getAttribute("data-transaction-id")))).toEqual([
      secondId,
      firstId,
    ]);
    expect(await page.locator("#transactions tr.reversed").count()).toBe(0);
    expect(await page.locator('#transactions [data-field="reversed"]').count()).toBe(0);
    expect(await page.locator(`#detail [data-field="totalPaid"]`).textContent()).toBe(`Rp ${totalDue.toLocaleString("de-DE")}`);

    // Four eyes: alice asks, alice may not approve, bob approves.
    const requested = await gql(REQUEST_REVERSAL, { input: { transactionId: firstId, reason: "Bounced transfer" } }, alice);
    expect(requested.errors).toBeUndefined();
    const reversalId = requested.data!.requestPaymentReversal.id;
    const self = await gql(APPROVE_REVERSAL, { input: { reversalId } }, alice);
    expect(self.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const approved = await gql(APPROVE_REVERSAL, { input: { reversalId, note: "Bank confirmed" } }, bob);
    expect(approved.errors).toBeUndefined();
    expect(approved.data!.approvePaymentReversal).toEqual({ id: reversalId, status: "APPROVED", requestedBy: "alice", decidedBy: "bob" });

    // Live: the status change with its reason, the loan's row, and the detail read again.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll("#events li")).some((li: any) => li.querySelector('[data-field="reason"]')?.textContent?.trim() === "payment reversal"),
      null,
      { timeout: 5000, polling: 50 },
    );
    const event = page.locator("#events li").first();
    expect(await event.locator('[data-field="toStatus"]').textContent()).toBe("CURRENT");
    expect(await event.textContent()).toContain("PAID_OFF → CURRENT payment reversal");
    expect(await rowStatus(page, l.loan.id)).toBe("CURRENT");
    await page.waitForSelector(`#transactions tr.reversed[data-transaction-id="${firstId}"]`, { timeout: 5000 });
    const reversedRow = page.locator(`#transactions tr[data-transaction-id="${firstId}"]`);
    expect(await reversedRow.locator('[data-field="reversed"]').textContent()).toBe("reversed");
    expect(await reversedRow.locator('[data-field="reversal-reason"]').textContent()).toContain("Bounced transfer");
    expect(await reversedRow.locator('[data-field="amount"]').evaluate((td: any) => getComputedStyle(td).textDecorationLine)).toBe("line-through");
    const keptRow = page.locator(`#transactions tr[data-transaction-id="${secondId}"]`);
    expect(await keptRow.getAttribute("class")).not.toContain("reversed");
    expect(await keptRow.locator('[data-field="reversed"]').count()).toBe(0);
    expect(await page.locator("#detail-status").textContent()).toBe("CURRENT");
    expect(await page.locator(`#detail [data-field="totalPaid"]`).textContent()).toBe(`Rp ${(totalDue - 1_000_000n).toLocaleString("de-DE")}`);
    // The totals follow: the loan is active again and the reversed payment is no longer collected.
    await page.waitForFunction(() => document.querySelector("#by-status")?.textContent?.includes("CURRENT · 1"), null, { timeout: 5000 });
    expect(await page.locator('#summary [data-field="collectedTotal"]').textContent()).toBe(`Rp ${(totalDue - 1_000_000n).toLocaleString("de-DE")}`);
    await maybeScreenshot(page, "dashboard-reversal", { width: 1280, height: 820 });

    await page.close();
    expect(pageErrors).toEqual([]);
    expect(requests.foreign(new URL(base).host)).toEqual([]);
  });
});
