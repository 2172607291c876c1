/**
 * HTTP (Apollo on plain node:http) and WebSocket (graphql-ws) on one port and path.
 * Routes: /graphql (POST, GET, WS upgrade), /healthz, /readyz, /playground and /dashboard (static.ts).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { tokenKey, viewerFromAuthorization } from "../auth/tokens.js";
import type { Database } from "../db/client.js";
import { setCursorSecret } from "../shared/connections.js";
import { checkComplexity, complexityPlugin } from "./complexity.js";
import { compiledReadsPlugin, type CompiledSlot } from "./compiler/plugin.js";
import { createContext, type AppServices, type Clock, type Context } from "./context.js";
import { DomainError, formatError, setUnexpectedErrorReporter } from "./errors.js";
import type { Logger } from "./logger.js";
import { buildGatewaySchema } from "./schema.js";
import { checkInputText, inputTextPlugin } from "./input-text.js";
import { checkSubscribeMessage, formatSubscriptionResult } from "./ws-operations.js";
import { GraphQLError } from "graphql";
import { staticRoutes } from "./static.js";
import { EventBus } from "../events/bus.js";
import { SharedSubscriptionExecution } from "../events/shared-execution.js";

export const MAX_BODY_BYTES = 1_000_000;

export interface GatewayOptions {
  database: Database;
  jwtSecret: string;
  clock: Clock;
  logger: Logger;
  host: string;
  port: number;
  /** Introspection for everyone (development); otherwise ADMIN only. */
  development: boolean;
  /** WebSocket keep-alive: a ping frame every N ms; a peer that stops answering is dropped. */
  wsKeepAliveMs?: number;
  /** Status events are kept at least this many days (minimum 7). */
  eventRetentionDays?: number;
  /** Answer compilable reads with one SQL statement each (default true; false = resolvers only). */
  compileReads?: boolean;
  /** Optional extra HTTP routes (e.g. the playground's static files); return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface Gateway {
  url: string;
  port: number;
  httpServer: Server;
  app: AppServices;
  /** Subscription event executions actually run (one per event and distinct subscription). */
  subscriptionExecutions(): number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { database, logger } = opts;
  const schema = buildGatewaySchema();
  const key = tokenKey(opts.jwtSecret);
  const events = new EventBus({ database, logger, clock: opts.clock });
  await events.start();
  const app: AppServices = {
    database,
    clock: opts.clock,
    jwtSecret: opts.jwtSecret,
    afterEventsCommitted: () => events.wake(),
    events,
  };
  const retentionDays = opts.eventRetentionDays ?? 7;
  const prune = () =>
    events.prune(retentionDays).then(
      (n) => n > 0 && logger.info("pruned status events", { deleted: n, retentionDays }),
      (err) => logger.warn("status event pruning failed", { error: err }),
    );
  void prune();
  const pruneTimer = setInterval(prune, 3_600_000);
  pruneTimer.unref();
  setUnexpectedErrorReporter(
    (err) => logger.error("unexpected error", { error: err }),
    (err) => logger.warn("database unavailable", { error: err }),
  );
  setCursorSecret(opts.jwtSecret);

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM: Apollo's own handler would stop it behind our back and re-kill.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      complexityPlugin(),
      inputTextPlugin(),
      ...(opts.compileReads === false ? [] : [compiledReadsPlugin(logger)]),
      {
        async requestDidStart({ contextValue }) {
          return {
            async didResolveOperation({ document, operation }) {
              // Subscriptions run over graphql-ws only: over HTTP the root field would resolve to null.
              if (operation?.operation === "subscription") {
                throw new GraphQLError("Subscriptions are served over WebSocket (graphql-ws) on this path, not over HTTP", {
                  extensions: { code: "BAD_REQUEST", http: { status: 400 } },
                });
              }
              // Introspection: open in development, ADMIN only in production.
              if (opts.development || contextValue.viewer.role === "ADMIN") return;
              const introspects = document.definitions.some(
                (d) =>
                  d.kind === "OperationDefinition" &&
                  d.selectionSet.selections.some((s) => s.kind === "Field" && (s.name.value === "__schema" || s.name.value === "__type")),
              );
              if (introspects) throw new DomainError("FORBIDDEN", "Introspection is available to ADMIN only", { http: { status: 403 } });
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const statics = staticRoutes({ development: opts.development, jwtSecret: opts.jwtSecret, database, logger });

  let shuttingDown = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = (typeof req.headers["x-request-id"] === "string" && /^[\w-]{1,64}$/.test(req.headers["x-request-id"]) ? req.headers["x-request-id"] : randomUUID());
    res.setHeader("x-request-id", requestId);
    const method = (req.method ?? "GET").toUpperCase();
    if (method !== "POST" && method !== "GET") {
      res.setHeader("allow", "GET, POST");
      sendJson(res, 405, errorBody("BAD_REQUEST", "Use GET or POST"));
      return;
    }
    let body: unknown = undefined;
    if (method === "POST") {
      const text = await readBody(req);
      const ct = String(req.headers["content-type"] ?? "");
      if (!ct.includes("application/json")) throw new HttpError(415, "Content-Type must be application/json");
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch {
        throw new HttpError(400, "Malformed JSON body");
      }
      if (Array.isArray(body)) throw new HttpError(400, "Batched operations are not supported");
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method, headers, search: url.search, body };
    const started = Date.now();
    const compiled: CompiledSlot = {};
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => {
        const viewer = await viewerFromAuthorization(key, req.headers.authorization);
        const ctx = createContext(app, viewer, requestId);
        ctx.compiled = compiled;
        return ctx;
      },
    });
    for (const [k, v] of result.headers) res.setHeader(k, v);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === "complete") {
      // A compiled read: the body PostgreSQL built, as it is.
      res.end(compiled.body ?? result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
    logger.debug("graphql", { requestId, status: res.statusCode, ms: Date.now() - started });
  }

  const httpServer = createServer(async (req, res) => {
    inFlight++;
    try {
      if (shuttingDown) res.setHeader("connection", "close");
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/graphql") {
        if (shuttingDown) {
          sendJson(res, 503, errorBody("SERVICE_UNAVAILABLE", "Server is shutting down"));
          return;
        }
        await handleGraphQL(req, res, url);
      } else if (url.pathname === "/healthz") {
        sendJson(res, 200, { status: "ok" });
      } else if (url.pathname === "/readyz") {
        try {
          if (shuttingDown) throw new Error("shutting down");
          await Promise.race([
            database.ping(),
            new Promise((_r, rej) => setTimeout(() => rej(new Error("timeout")), 2000).unref()),
          ]);
          sendJson(res, 200, { status: "ready", database: database.kind });
        } catch {
          sendJson(res, 503, { status: "unavailable" });
        }
      } else if (await statics(req, res, url)) {
        // playground, dashboard and their files
      } else if (opts.extraRoutes && (await opts.extraRoutes(req, res))) {
        // handled
      } else {
        sendJson(res, 404, { error: "Not found" });
      }
    } catch (err) {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendJson(res, err.status, errorBody(err.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", err.message));
      } else {
        logger.error("request failed", { error: err });
        if (!res.headersSent) sendJson(res, 500, errorBody("INTERNAL_SERVER_ERROR", "Internal server error"));
        else res.end();
      }
    } finally {
      inFlight--;
      if (shuttingDown && inFlight === 0) drained?.();
    }
  });
  httpServer.requestTimeout = 30_000;
  httpServer.headersTimeout = 15_000;
  httpServer.keepAliveTimeout = 5_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  httpServer.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/graphql" || shuttingDown) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  const sharedExecution = new SharedSubscriptionExecution();
  const wsServer = useServer<Record<string, unknown>, { viewer?: Awaited<ReturnType<typeof viewerFromAuthorization>> }>(
    {
      schema,
      // Each event is executed once per (document, variables, viewer) and shared by its subscribers.
      subscribe: sharedExecution.subscribe,
      onConnect: async (ctx) => {
        const auth = ctx.connectionParams?.authorization;
        // A present but non-string authorization is a bad credential, not an anonymous caller.
        if (auth !== undefined && auth !== null && typeof auth !== "string") return false;
        try {
          ctx.extra.viewer = await viewerFromAuthorization(key, auth);
          return true;
        } catch {
          return false; // closes with 4403 Forbidden
        }
      },
      context: (ctx) => createContext(app, ctx.extra.viewer ?? { role: "ANONYMOUS" }, randomUUID()),
      // Parse, validation and variable errors with their codes, and the same cost/depth limits and
      // input checks as HTTP, before anything runs.
      onSubscribe: (_ctx, _id, payload) =>
        checkSubscribeMessage(schema, payload, (document, operation, variables) => {
          checkComplexity(schema, document, operation, variables);
          checkInputText(document, operation, variables);
        }),
      onNext: (_ctx, _id, _payload, _args, result) => formatSubscriptionResult(result),
      onError: (_ctx, _id, _payload, errors) => {
        return errors.map((e) => {
          const f = formatError(e.toJSON(), e);
          return Object.assign(e, { message: f.message, extensions: f.extensions });
        });
      },
    },
    wss,
    opts.wsKeepAliveMs ?? 12_000,
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${opts.host}:${port}`;

  return {
    url,
    port,
    httpServer,
    app,
    subscriptionExecutions: () => sharedExecution.executions,
    async close() {
      shuttingDown = true;
      // Stop accepting; let in-flight requests finish; close subscriptions cleanly.
      const closed = new Promise<void>((r) => httpServer.close(() => r()));
      for (const client of wss.clients) client.close(1001, "Server shutting down");
      await wsServer.dispose();
      logger.debug("shutdown: websocket closed");
      clearInterval(pruneTimer);
      await events.close();
      logger.debug("shutdown: event bus closed");
      if (inFlight > 0) await new Promise<void>((r) => (drained = r));
      logger.debug("shutdown: in-flight requests done");
      httpServer.closeIdleConnections();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
      httpServer.closeAllConnections();
      logger.debug("shutdown: http closed");
      await apollo.stop();
      logger.debug("shutdown: apollo stopped");
    },
  };
}
