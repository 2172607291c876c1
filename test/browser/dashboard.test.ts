/**
 * The partner dashboard in a real (headless) Chromium: the partner's loans and portfolio, a
 * status change shown live within 2 seconds, and a resume with `after` from the cursor saved
 * in localStorage after the page was away (the missed event replayed, nothing repeated); and a
 * payment reversal approved by a second ADMIN (RULES §12.3): the reversed transaction struck
 * through with a "reversed" badge in the loan's detail and the "payment reversal" status change
 * in the live list; and the charts (Chart.js loaded from the gateway, every other host blocked
 * and none asked for), paging, the status filter, the CSV export, and the charts following a
 * live event.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { changeLoanStatus } from "../support/events.js";
import { makeCustomer, makeLoan, makeLoanBook, makePartner, makeTransaction } from "../support/factories.js";
import { pay } from "../support/payments.js";
import { gql, tokenFor, world } from "../support/world.js";
import { CHROMIUM, launchBrowser, maybeScreenshot, recordRequests, suiteTitle, waitForSubscription, type Browser } from "./browser.js";

/** The page's `document`, `localStorage` and `getComputedStyle` inside page.evaluate callbacks (they run in the browser). */
declare const document: any;
declare const localStorage: any;
declare const getComputedStyle: any;
declare const Chart: any;

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
    await maybeScreenshot(page, "dashboard", { width: 1280, height: 900 });

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
    await maybeScreenshot(page, "dashboard-reversal", { width: 1280, height: 1120 });

    await page.close();
    expect(pageErrors).toEqual([]);
    expect(requests.foreign(new URL(base).host)).toEqual([]);
  });

  it("draws the charts with Chart.js from the gateway, pages, filters, exports CSV and follows a live payment", async () => {
    const w = await world();
    const base = w.gateway.url;
    const host = new URL(base).host;
    const partner = await makePartner({ name: "Koperasi Grafik" });
    // 22 CURRENT loans (MTL 3,000,000 → 2,850,000 disbursed each) disbursed three days ago …
    const book = await makeLoanBook({ partnerId: partner.id, count: 22, loanDate: jakartaDay(-3) });
    // … and a late one from January, whose customer's name needs CSV quoting.
    const sari = await makeCustomer({ partnerId: partner.id, fullName: 'Sari "Ayu", Putri' });
    const late = await makeLoan({ customer: sari, status: "LATE_5DPD", daysPastDue: 12, loanDate: "2026-01-10" });
    const allIds = [...book.loans.map((l) => l.loan.id), late.loan.id];
    const token = await tokenFor("PARTNER", partner.id);

    const page = await browser.context.newPage();
    const requests = recordRequests(browser.context, page);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // Offline: anything for another host is refused (and recorded: there must be none).
    const blocked: string[] = [];
    await page.route(
      (url) => url.host !== host,
      (route) => {
        blocked.push(route.request().url());
        return route.abort();
      },
    );

    const subscriptions = w.gateway.app.events.subscriberCount;
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", token);
    await page.click("#connect");
    await page.waitForSelector('#conn[data-state="live"]');
    await page.waitForFunction(() => Chart.getChart("chart-money")?.data.labels.length === 30, null, { timeout: 5000 });

    // Chart.js came from the gateway's allow-listed file.
    expect(await page.evaluate(() => typeof Chart === "function" && Chart.version)).toBe("4.6.1");
    expect(requests.urls).toContain(`${base}/assets/vendor/chart.umd.min.js`);
    expect(await page.locator("#charts-missing").isHidden()).toBe(true);

    // The charts' data, and pixels actually drawn on each canvas.
    const chartData = (id: string) =>
      page.evaluate((cid) => {
        const c = Chart.getChart(cid);
        return { type: c.config.type, labels: c.data.labels, data: c.data.datasets.map((d: any) => d.data) };
      }, id);
    expect(await chartData("chart-status")).toEqual({ type: "doughnut", labels: ["CURRENT", "LATE_5DPD"], data: [[22, 1]] });
    expect(await chartData("chart-dpd")).toEqual({
      type: "bar",
      labels: ["0 days", "1-4 days", "5-29 days", "30-59 days", "60-89 days", "90+ days"],
      data: [[22, 0, 1, 0, 0, 0]],
    });
    const money = await chartData("chart-money");
    expect(money.labels[0]).toBe(jakartaDay(-29));
    expect(money.labels[29]).toBe(jakartaDay(0));
    expect(money.data[0]![26]).toBe(22 * 2_850_000); // disbursed three days ago
    expect(money.data[0]!.reduce((a: number, b: number) => a + b, 0)).toBe(22 * 2_850_000);
    expect(money.data[1]!.every((v: number) => v === 0)).toBe(true); // nothing collected yet
    expect(await page.locator('#series-total').textContent()).toBe("Disbursed Rp 62.700.000 (22 loans) · Collected Rp 0 (0 payments)");
    for (const id of ["chart-status", "chart-dpd", "chart-money"]) {
      const painted = await page.evaluate((cid) => {
        const canvas = document.getElementById(cid);
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return { n, width: canvas.width, height: canvas.height };
      }, id);
      expect(painted.width, id).toBeGreaterThan(100);
      expect(painted.height, id).toBeGreaterThan(100);
      expect(painted.n, id).toBeGreaterThan(500);
    }
    expect(await page.locator("#chart-status").getAttribute("aria-label")).toBe("Loans by status: CURRENT 22, LATE_5DPD 1");

    // Paging: 20 + 3, every loan once; back to the same first page.
    const rowIds = () => page.locator("#loans tbody tr").evaluateAll((rows: any[]) => rows.map((r) => r.getAttribute("data-loan-id")));
    const first = await rowIds();
    expect(first).toHaveLength(20);
    expect(await page.locator("#page-info").textContent()).toBe("1–20 of 23");
    expect(await page.locator("#page-prev").isDisabled()).toBe(true);
    await page.click("#page-next");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent === "21–23 of 23");
    const second = await rowIds();
    expect(second).toHaveLength(3);
    expect([...first, ...second].sort()).toEqual([...allIds].sort());
    expect(await page.locator("#page-next").isDisabled()).toBe(true);
    await page.click("#page-prev");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent === "1–20 of 23");
    expect(await rowIds()).toEqual(first);

    // The status filter: the late loan only.
    await page.selectOption("#status-filter", "LATE_5DPD");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent === "1–1 of 1");
    expect(await rowIds()).toEqual([late.loan.id]);
    expect(await page.locator("#page-next").isDisabled()).toBe(true);

    // CSV of the filtered loans: RFC 4180 quoting, money as plain digits.
    const download = async () => {
      const [d] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
      return { name: d.suggestedFilename(), text: await readFile((await d.path())!, "utf8") };
    };
    const lateCsv = await download();
    expect(lateCsv.name).toBe(`loans-${partner.code}-LATE_5DPD-${jakartaDay(0)}.csv`);
    expect(lateCsv.text).toBe(
      "\ufeffloan_id,customer,status,days_past_due,outstanding_amount,principal\r\n" +
        `${late.loan.id},"Sari ""Ayu"", Putri",LATE_5DPD,12,3364000,3000000\r\n`,
    );
    // Every loan, all pages (not just the 20 shown).
    await page.selectOption("#status-filter", "");
    await page.waitForFunction(() => document.querySelector("#page-info")?.textContent === "1–20 of 23");
    const allCsv = await download();
    const lines = allCsv.text.replace(/^\ufeff/, "").split("\r\n");
    expect(lines.pop()).toBe("");
    expect(lines[0]).toBe("loan_id,customer,status,days_past_due,outstanding_amount,principal");
    const rows = lines.slice(1);
    expect(rows).toHaveLength(23);
    expect(rows.map((r) => r.split(",")[0]).sort()).toEqual([...allIds].sort());
    for (const r of rows.filter((r) => !r.startsWith(late.loan.id))) expect(r).toMatch(/^[0-9a-f-]{36},Customer \w+,CURRENT,0,3364000,3000000$/);

    // Another period: a week.
    await page.fill("#series-from", jakartaDay(-6));
    await page.dispatchEvent("#series-from", "change");
    await page.waitForFunction(() => Chart.getChart("chart-money").data.labels.length === 7, null, { timeout: 5000 });
    expect((await chartData("chart-money")).data[0]![3]).toBe(22 * 2_850_000);
    // Over 366 days: the API's refusal is shown, the chart keeps the last good period.
    await page.fill("#series-from", "2024-01-01");
    await page.dispatchEvent("#series-from", "change");
    await page.waitForSelector("#series-error:not([hidden])");
    expect(await page.locator("#series-error").textContent()).toContain("at most 366 days");
    await page.fill("#series-from", jakartaDay(-29));
    await page.dispatchEvent("#series-from", "change");
    await page.waitForFunction(() => Chart.getChart("chart-money").data.labels.length === 30, null, { timeout: 5000 });
    expect(await page.locator("#series-error").isHidden()).toBe(true);

    // Live: a loan paid off through the API moves the status chart and today's collected bar.
    await waitForSubscription(w.gateway, subscriptions);
    const paid = book.loans.find((l) => l.loan.id === first.find((id) => id !== late.loan.id))!; // a row on the first page
    const totalDue = paid.payments.reduce((s, p) => s + p.principalDue + p.interestDue, 0n);
    const r = await pay(await tokenFor("ADMIN", "alice"), { loanId: paid.loan.id, amount: totalDue, channel: "VA_BCA" });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPayment.loan.status).toBe("PAID_OFF");
    await page.waitForFunction(
      () => JSON.stringify(Chart.getChart("chart-status").data.datasets[0].data) === "[21,1,1]",
      null,
      { timeout: 5000, polling: 50 },
    );
    expect((await chartData("chart-status")).labels).toEqual(["CURRENT", "LATE_5DPD", "PAID_OFF"]);
    await page.waitForFunction((amount) => Chart.getChart("chart-money").data.datasets[1].data[29] === amount, Number(totalDue), { timeout: 5000 });
    expect((await chartData("chart-dpd")).data).toEqual([[21, 0, 1, 0, 0, 0]]);
    expect(await rowStatus(page, paid.loan.id)).toBe("PAID_OFF");
    expect(await page.locator("#series-total").textContent()).toBe(`Disbursed Rp 62.700.000 (22 loans) · Collected Rp ${totalDue.toLocaleString("de-DE")} (1 payment)`);
    await page.locator("#series-from").blur();
    await maybeScreenshot(page, "dashboard-charts", { width: 1280, height: 1000 });

    await page.close();
    expect(pageErrors).toEqual([]);
    expect(blocked).toEqual([]);
    expect(requests.foreign(host)).toEqual([]);
  });
});
