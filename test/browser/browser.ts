/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser download). Without a chromium binary the tests skip with a message saying so.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { Gateway } from "../../src/server/http.js";

/** CHROMIUM_PATH when set (and only it), else Debian's binary, else `chromium` on the PATH. */
function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean).flatMap((dir) => [join(dir, "chromium"), join(dir, "chromium-browser")]);
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser", ...onPath].find((p) => existsSync(p));
}

/** The chromium binary to drive, if this machine has one. */
export const CHROMIUM: string | undefined = findChromium();

export const SKIP_MESSAGE =
  "browser tests SKIPPED: no chromium binary found (CHROMIUM_PATH, /usr/bin/chromium, chromium on the PATH). " +
  "Install it with `apt-get install chromium` (CI does) or set CHROMIUM_PATH.";

if (!CHROMIUM) console.warn(SKIP_MESSAGE);

/** The title of a describe block: says when and why it is skipped. */
export function suiteTitle(name: string): string {
  return CHROMIUM ? name : `${name} — ${SKIP_MESSAGE}`;
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh, throw-away user-data-dir (and any extra switches). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), "gateway-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM!,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1440, height: 900 },
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every URL the page asks for (HTTP requests of the whole context, and WebSockets), so a test
 * can fail when any of them goes to a host other than the gateway's.
 */
export function recordRequests(context: BrowserContext, page: Page) {
  const urls: string[] = [];
  context.on("request", (r) => urls.push(r.url()));
  page.on("websocket", (ws) => urls.push(ws.url()));
  return {
    urls,
    /** URLs whose host differs from `host` (data: and about: are not requests to a host). */
    foreign(host: string): string[] {
      return urls.filter((u) => {
        const parsed = new URL(u);
        if (["data:", "about:", "blob:"].includes(parsed.protocol)) return false;
        return parsed.host !== host;
      });
    },
  };
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** With UPDATE_SCREENSHOTS=1, saves docs/screenshots/<name>.png. */
export async function maybeScreenshot(page: Page, name: string, viewport?: { width: number; height: number }): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== "1") return;
  const file = join(root, "docs", "screenshots", `${name}.png`);
  await mkdir(dirname(file), { recursive: true });
  if (viewport) await page.setViewportSize(viewport);
  await page.screenshot({ path: file });
}

/**
 * Waits until the worker's gateway holds more than `before` subscriptions (the page's
 * subscribe message was taken), then a little more for its live start point to be fixed.
 */
export async function waitForSubscription(gateway: Gateway, before: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (gateway.app.events.subscriberCount <= before) {
    if (Date.now() > deadline) throw new Error("the page's subscription did not reach the gateway in time");
    await new Promise((r) => setTimeout(r, 25));
  }
  await new Promise((r) => setTimeout(r, 150));
}
