/**
 * DNS rebinding in a real (headless) Chromium: the browser resolves evil.example to 127.0.0.1
 * (--host-resolver-rules), as an attacker's DNS would after the page loaded. A script on that
 * origin reads same-origin responses, so it could read any token the gateway hands to it: it
 * must find none (src/server/static.ts, localRequest). The pages still work there with a pasted
 * token; on 127.0.0.1 the playground is prefilled and "Use demo partner" signs in, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { makeCustomer, makeLoan, makePartner } from "../support/factories.js";
import { tokenFor, world } from "../support/world.js";
import { CHROMIUM, launchBrowser, suiteTitle, type Browser } from "./browser.js";

/** The page's `document` and `fetch` inside page.evaluate callbacks (they run in the browser). */
declare const document: any;
declare const fetch: any;

const EVIL = "evil.example";

async function headersEditor(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelectorAll(".graphiql-editor-tool .CodeMirror")[1].CodeMirror.getValue());
}

describe.skipIf(!CHROMIUM)(suiteTitle("development tokens in Chromium (DNS rebinding)"), () => {
  let browser: Browser;
  beforeAll(async () => {
    [browser] = await Promise.all([
      launchBrowser([`--host-resolver-rules=MAP ${EVIL} 127.0.0.1`, "--disable-features=HttpsUpgrades"]),
      world(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("a page on a name rebound to 127.0.0.1 reads no token; the pages work with a pasted one", async () => {
    const w = await world();
    const port = w.gateway.port;
    const evil = `http://${EVIL}:${port}`;
    const partner = await makePartner({ name: "Koperasi Rebind" });
    const loan = await makeLoan({ customer: await makeCustomer({ partnerId: partner.id, fullName: "Rina Wati" }), status: "CURRENT" });
    const partnerToken = await tokenFor("PARTNER", partner.id);
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // The attacker's script: same-origin reads of the token pages.
    await page.goto(`${evil}/healthz`);
    const stolen = await page.evaluate(async () => {
      const playground = await fetch("/playground").then((r: any) => r.text());
      const demo = await fetch("/dashboard/demo-token").then(async (r: any) => ({ status: r.status, body: await r.text() }));
      return { playground, demo };
    });
    expect(stolen.playground).toContain("page-config");
    expect(stolen.playground).not.toMatch(/eyJ|Bearer|Authorization/);
    expect(stolen.demo.status).toBe(404);
    expect(stolen.demo.body).not.toContain("eyJ");

    // The playground there: nothing prefilled, a note saying to paste; a pasted token runs.
    await page.goto(`${evil}/playground`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror");
    expect((await headersEditor(page)).trim()).toBe("");
    expect(await page.locator("#env-note").textContent()).toMatch(/^paste \{"Authorization": "Bearer <token>"\}/);
    await page.evaluate((t) => {
      document.querySelectorAll(".graphiql-editor-tool .CodeMirror")[1].CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${t}` }));
      document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue("query Who { me { role partner { name } } }");
    }, partnerToken);
    await page.waitForFunction(() => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.operationName === "Who", null, { timeout: 5000 });
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(() => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue().includes("Koperasi Rebind"), null, {
      timeout: 5000,
    });

    // The dashboard there: no "Use demo partner"; a pasted token signs in and goes live.
    await page.goto(`${evil}/dashboard`);
    await page.waitForSelector("#token");
    expect(await page.locator("#demo").isHidden()).toBe(true);
    await page.fill("#token", partnerToken);
    await page.click("#connect");
    await page.waitForSelector(`tr[data-loan-id="${loan.loan.id}"]`);
    await page.waitForSelector('#conn[data-state="live"]');
    expect(await page.locator("#who").textContent()).toContain("Koperasi Rebind");
    await page.click("#signout");

    // The same browser at 127.0.0.1: the playground is prefilled, "Use demo partner" signs in.
    await page.goto(`http://127.0.0.1:${port}/playground`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror");
    expect(await headersEditor(page)).toMatch(/"Authorization": "Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+"/);
    await page.goto(`http://127.0.0.1:${port}/dashboard`);
    await page.waitForSelector("#demo:not([hidden])");
    await page.click("#demo");
    await page.waitForSelector('#conn[data-state="live"]');
    expect(await page.locator("#who").textContent()).not.toBe("not connected");
    expect(await page.locator("#error").isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
