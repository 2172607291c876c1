/**
 * The admin playground (/playground) and the partner dashboard (/dashboard), served from the
 * project's own files: the pages from public/, the browser libraries straight from node_modules
 * through a fixed allow-list (nothing else on disk is reachable, no request leaves the host).
 *
 * Development only: the playground page carries a short-lived ADMIN token for its headers
 * editor, and /dashboard/demo-token hands out a PARTNER token for the first partner. With
 * `development: false` (NODE_ENV=production) neither exists. Even in development they are
 * handed out only to a request from this machine that names this machine (`localRequest`):
 * anything else gets the pages without a token (paste one) and a 404 for the demo token.
 */
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIPv4 } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { mintToken, tokenKey } from "../auth/tokens.js";
import type { Database } from "../db/client.js";
import { listPartners } from "../features/partners/partners.repo.js";
import type { Logger } from "../shared/logger.js";

export interface StaticRoutesOptions {
  development: boolean;
  jwtSecret: string;
  database: Database;
  logger: Logger;
}

export type StaticRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** Lifetime of the ADMIN token put into the development playground's headers editor. */
export const PLAYGROUND_TOKEN_TTL = "1h";

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const HTML = "text/html; charset=utf-8";

type Asset = { from: "public"; file: string; type: string } | { from: "package"; pkg: string; file: string; type: string };

/** Every file the pages load: URL path → file. Nothing outside this list is served. */
const ASSETS: Record<string, Asset> = {
  "/assets/vendor/react.production.min.js": { from: "package", pkg: "react", file: "umd/react.production.min.js", type: JS },
  "/assets/vendor/react-dom.production.min.js": { from: "package", pkg: "react-dom", file: "umd/react-dom.production.min.js", type: JS },
  "/assets/vendor/graphiql.min.js": { from: "package", pkg: "graphiql", file: "graphiql.min.js", type: JS },
  "/assets/vendor/graphiql.min.css": { from: "package", pkg: "graphiql", file: "graphiql.min.css", type: CSS },
  "/assets/vendor/graphql-ws.min.js": { from: "package", pkg: "graphql-ws", file: "umd/graphql-ws.min.js", type: JS },
  // The dashboard's charts: Chart.js's UMD build (window.Chart), that one file only.
  "/assets/vendor/chart.umd.min.js": { from: "package", pkg: "chart.js", file: "dist/chart.umd.min.js", type: JS },
  "/assets/playground/playground.js": { from: "public", file: "playground/playground.js", type: JS },
  "/assets/playground/examples.js": { from: "public", file: "playground/examples.js", type: JS },
  "/assets/playground/playground.css": { from: "public", file: "playground/playground.css", type: CSS },
  "/assets/dashboard/dashboard.js": { from: "public", file: "dashboard/dashboard.js", type: JS },
  "/assets/dashboard/dashboard.css": { from: "public", file: "dashboard/dashboard.css", type: CSS },
};

const PAGES: Record<string, string> = {
  "/playground": "playground/index.html",
  "/playground/": "playground/index.html",
  "/dashboard": "dashboard/index.html",
  "/dashboard/": "dashboard/index.html",
};

const DEMO_TOKEN_PATH = "/dashboard/demo-token";

/**
 * The pages may load scripts and styles from this host only and talk only to it ('self' covers
 * ws:// and wss:// to the same host): a browser refuses anything else even if a library tried.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * A loopback peer address as Node reports `socket.remoteAddress`: 127.0.0.0/8, ::1, or an
 * IPv4-mapped ::ffff:127.x.x.x (a server listening on "::" sees IPv4 peers that way).
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  if (a === "::1") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice("::ffff:".length) : a;
  return isIPv4(v4) && v4.startsWith("127.");
}

/**
 * A Host header naming this machine by a loopback name: `localhost`, a dotted 127.x.x.x or
 * `[::1]`, each with an optional port. Nothing else, not even `*.localhost` (not every resolver
 * keeps those on this machine) or `0.0.0.0`: a page whose origin is any other name (DNS
 * rebinding points a name of the attacker's at 127.0.0.1) sends that name here.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(localhost|\[::1\]|[0-9.]+)(?::\d{1,5})?$/i.exec(host);
  if (!m) return false;
  const name = m[1]!.toLowerCase();
  return name === "localhost" || name === "[::1]" || (isIPv4(name) && name.startsWith("127."));
}

/** Headers a proxy adds: a request carrying any of them came through one. */
const PROXY_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host"];

/**
 * May this request be handed a development token? Only when the TCP peer itself is loopback,
 * the Host header is a loopback name (a DNS-rebound page sends its own name), the request
 * target is a path (not an absolute URL naming another host) and no proxy header is present.
 * Forwarding headers never make a caller local, whatever TRUST_PROXY_HOPS says; their mere
 * presence makes it not local: a reverse proxy on this machine (whose requests come from
 * 127.0.0.1, often with `Host: 127.0.0.1:<port>`) is passing on someone else's.
 */
export function localRequest(req: Pick<IncomingMessage, "headers" | "socket" | "url">): boolean {
  return (
    isLoopbackAddress(req.socket.remoteAddress) &&
    isLoopbackHost(req.headers.host) &&
    (req.url ?? "").startsWith("/") &&
    !PROXY_HEADERS.some((h) => req.headers[h] !== undefined)
  );
}

/** Walks up from this module (src/server or dist/server) to the first folder holding `rel`. */
function findUp(rel: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function resolveAsset(asset: Asset, publicDir: string | undefined): string | undefined {
  if (asset.from === "public") return publicDir ? join(publicDir, asset.file) : undefined;
  // Like Node's own lookup (nearest node_modules upwards), without the package's "exports" map.
  const pkgJson = findUp(join("node_modules", asset.pkg, "package.json"));
  return pkgJson ? join(dirname(pkgJson), asset.file) : undefined;
}

interface Cached {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip?: Buffer;
  etag: string;
}

/** The JSON for a <script type="application/json"> data block (never closes the element). */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

export function staticRoutes(opts: StaticRoutesOptions): StaticRoutes {
  const publicIndex = findUp(join("public", "playground", "index.html"));
  const publicDir = publicIndex ? dirname(dirname(publicIndex)) : undefined;
  if (!publicDir) opts.logger.warn("public/ not found: /playground and /dashboard are unavailable");
  const key = tokenKey(opts.jwtSecret);
  const cache = new Map<string, Cached>();
  const resolved = new Map<Asset, string | undefined>();

  /** Reads a file once and again only when it changed on disk (edit and reload in development). */
  async function load(path: string): Promise<Cached | undefined> {
    let st;
    try {
      st = await fs.stat(path);
    } catch {
      return undefined;
    }
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = await fs.readFile(path);
    const entry: Cached = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      body,
      etag: `"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`,
    };
    cache.set(path, entry);
    return entry;
  }

  function commonHeaders(res: ServerResponse): void {
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
  }

  async function serveAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): Promise<void> {
    if (!resolved.has(asset)) resolved.set(asset, resolveAsset(asset, publicDir));
    const path = resolved.get(asset);
    const file = path ? await load(path) : undefined;
    if (!file) {
      opts.logger.error("static file missing", { path: path ?? `${asset.from}:${asset.file}` });
      sendText(res, 404, "Not found");
      return;
    }
    commonHeaders(res);
    res.setHeader("content-type", asset.type);
    // Revalidate every time (cheap: 304 by ETag); files change with `npm ci` or an edit.
    res.setHeader("cache-control", "no-cache");
    res.setHeader("etag", file.etag);
    res.setHeader("vary", "accept-encoding");
    if (req.headers["if-none-match"] === file.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    let body = file.body;
    if (body.length > 1024 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      file.gzip ??= gzipSync(file.body);
      body = file.gzip;
      res.setHeader("content-encoding", "gzip");
    }
    res.setHeader("content-length", body.length);
    res.statusCode = 200;
    res.end(req.method === "HEAD" ? undefined : body);
  }

  async function servePage(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
    const loaded = publicDir ? await load(join(publicDir, file)) : undefined;
    if (!loaded) {
      sendText(res, 404, "Not found");
      return;
    }
    const config: Record<string, unknown> = { development: opts.development };
    // Development, and asked from this machine by a loopback name only (localRequest); never in production.
    if (opts.development && localRequest(req)) {
      if (file.startsWith("playground/")) {
        // A short-lived ADMIN token for the headers editor.
        const token = await mintToken(key, { role: "ADMIN", sub: "playground", expiresIn: PLAYGROUND_TOKEN_TTL });
        config.headers = { Authorization: `Bearer ${token}` };
      } else {
        // The dashboard's "Use demo partner" button: /dashboard/demo-token answers this caller.
        config.demoToken = true;
      }
    }
    const html = loaded.body.toString("utf8").replace("__PAGE_CONFIG__", () => jsonForScript(config));
    const body = Buffer.from(html, "utf8");
    commonHeaders(res);
    res.setHeader("content-type", HTML);
    res.setHeader("content-security-policy", CSP);
    res.setHeader("x-frame-options", "DENY");
    // The development page may hold a token: never stored by the browser or a proxy.
    res.setHeader("cache-control", "no-store");
    res.setHeader("content-length", body.length);
    res.statusCode = 200;
    res.end(req.method === "HEAD" ? undefined : body);
  }

  /**
   * Development only, and for a local request only: a PARTNER token (1 h) for the first partner,
   * so the dashboard shows data.
   */
  async function serveDemoToken(res: ServerResponse): Promise<void> {
    const [partner] = await listPartners(opts.database.db, { role: "ADMIN", sub: "dashboard" });
    commonHeaders(res);
    res.setHeader("cache-control", "no-store");
    if (!partner) {
      sendJson(res, 404, { error: "No partner yet: create one (createPartner) or seed the demo portfolio." });
      return;
    }
    const token = await mintToken(key, { role: "PARTNER", sub: partner.id, expiresIn: "1h" });
    sendJson(res, 200, { token, partner: { id: partner.id, code: partner.code, name: partner.name } });
  }

  return async (req, res, url) => {
    const path = url.pathname;
    const asset = ASSETS[path];
    const page = PAGES[path];
    // Anywhere else (production, another machine, a name other than localhost) it does not exist: 404.
    const demo = opts.development && path === DEMO_TOKEN_PATH && localRequest(req);
    if (!asset && !page && !demo) return false;
    const method = (req.method ?? "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      sendText(res, 405, "Method not allowed");
      return true;
    }
    if (asset) await serveAsset(req, res, asset);
    else if (page) await servePage(req, res, page);
    else await serveDemoToken(res);
    return true;
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
