/**
 * HTTP routing: the node:http server of the gateway and its route table (/graphql, /healthz,
 * /readyz, the pages of static.ts, the caller's extra routes, 404), the 1 MB body cap and the JSON
 * answer of a request that failed. What /graphql does is graphql-execution.ts; the WebSocket
 * upgrade is websocket.ts; the shutdown state the routes consult is lifecycle.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "../db/client.js";
import type { Logger } from "../shared/logger.js";
import type { TokenKey } from "../auth/tokens.js";
import type { TransportHealth } from "../events/transport.js";
import type { ShutdownGate } from "./lifecycle.js";
import { mayScrape, sendScrape, type GatewayMetrics } from "./metrics.js";
import { tracedRequest } from "./tracing.js";

export const MAX_BODY_BYTES = 1_000_000;

/** A request refused before GraphQL: answered with this status and a BAD_REQUEST / PAYLOAD_TOO_LARGE body. */
export class HttpError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, "Request body too large"));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, "Request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = "application/json; charset=utf-8"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** What the route table dispatches to. */
export interface HttpRoutes {
  /** /graphql over HTTP (graphql-execution.ts). */
  graphql: Route;
  /** The playground, the dashboard and their files (static.ts); true when handled. */
  statics: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** The caller's extra routes (GatewayOptions.extraRoutes); true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** /readyz pings it (the primary), and lists its read replicas' states. */
  database: Pick<Database, "ping" | "kind" | "replicas">;
  /** /readyz reports the event transport's state (a degraded bus is still ready: see nats-transport.ts). */
  events?: { health(): TransportHealth };
  /** Counts requests in flight; once closing, /graphql answers 503 and /readyz "unavailable". */
  gate: ShutdownGate;
  logger: Logger;
  /** Counts requests by route and status; serves /metrics when `metricsRoute` is set (metrics.ts). */
  metrics?: GatewayMetrics;
  metricsRoute?: { tokens: TokenKey };
  /** Verifies an ADMIN token for /readyz's details (the replicas' addresses, the event bus). */
  tokens: TokenKey;
}

/** The HTTP server with the gateway's routes and timeouts (not yet listening). */
export function createHttpServer(routes: HttpRoutes): Server {
  const { gate, database, logger } = routes;
  const { metrics, metricsRoute } = routes;
  // Each request in a trace span continuing the caller's traceparent (tracing.ts; off: no span).
  const httpServer = createServer((req, res) => tracedRequest(req, res, () => serve(req, res)));
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    gate.requestStarted();
    // The route label of the request's metrics: a fixed set of values.
    let route = "other";
    try {
      if (gate.closing) res.setHeader("connection", "close");
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/graphql") {
        route = "/graphql";
        if (gate.closing) {
          sendJson(res, 503, errorBody("SERVICE_UNAVAILABLE", "Server is shutting down"));
          return;
        }
        await routes.graphql(req, res, url);
      } else if (url.pathname === "/healthz") {
        route = "/healthz";
        sendJson(res, 200, { status: "ok" });
      } else if (url.pathname === "/metrics" && metrics && metricsRoute) {
        route = "/metrics";
        if (await mayScrape(req, metricsRoute.tokens)) await sendScrape(metrics, req, res);
        else sendJson(res, 403, errorBody("FORBIDDEN", "Metrics are available to ADMIN tokens and to this machine only"));
      } else if (url.pathname === "/readyz") {
        route = "/readyz";
        try {
          if (gate.closing) throw new Error("shutting down");
          await Promise.race([
            database.ping(),
            new Promise((_r, rej) => setTimeout(() => rej(new Error("timeout")), 2000).unref()),
          ]);
          // Replicas out of rotation and a degraded event bus only degrade: reads go to the primary,
          // events come from a table poll. The details (replicas' host:port/database, the bus) say
          // how the deployment is built: only for this machine (a balancer's health check, an
          // operator) or an ADMIN token, like /metrics; anyone else gets the status.
          const details = await mayScrape(req, routes.tokens);
          const replicas = details ? database.replicas?.status() : undefined;
          sendJson(res, 200, {
            status: "ready",
            database: database.kind,
            ...(replicas ? { replicas } : {}),
            ...(details && routes.events ? { eventBus: routes.events.health() } : {}),
          });
        } catch {
          const replicas = (await mayScrape(req, routes.tokens)) ? database.replicas?.status() : undefined;
          sendJson(res, 503, replicas ? { status: "unavailable", replicas } : { status: "unavailable" });
        }
      } else if (await routes.statics(req, res, url)) {
        route = "static"; // playground, dashboard and their files
      } else if (routes.extraRoutes && (await routes.extraRoutes(req, res))) {
        route = "extra";
      } else {
        sendJson(res, 404, { error: "Not found" });
      }
    } catch (err) {
      if (err instanceof HttpError) {
        const code = err.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST";
        metrics?.refusal(code, err.message);
        if (!res.headersSent) sendJson(res, err.status, errorBody(code, err.message));
      } else {
        logger.error("request failed", { error: err });
        if (!res.headersSent) sendJson(res, 500, errorBody("INTERNAL_SERVER_ERROR", "Internal server error"));
        else res.end();
      }
    } finally {
      gate.requestEnded();
      metrics?.httpRequest(route, res.statusCode);
    }
  };
  httpServer.requestTimeout = 30_000;
  httpServer.headersTimeout = 15_000;
  httpServer.keepAliveTimeout = 5_000;
  return httpServer;
}

/** Listens on host:port (0 = any free port); the port and base URL it got. */
export async function listen(httpServer: Server, port: number, host: string): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => resolve());
  });
  const bound = (httpServer.address() as AddressInfo).port;
  return { port: bound, url: `http://${host}:${bound}` };
}
