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
import { atTokenExpiry, tokenExpired, tokenKey, viewerFromAuthorization } from "../auth/tokens.js";
import type { Viewer } from "../auth/viewer.js";
import type { Database } from "../db/client.js";
import { setCursorSecret } from "../shared/connections.js";
import { CompiledReadFastPath, plainRequest, singleResultContentType } from "./compiler/fast-path.js";
import { CompiledReads } from "./compiler/plugin.js";
import { createContext, type CompiledSlot, type AppServices, type Clock, type Context } from "../graphql/context.js";
import { formatError, setUnexpectedErrorReporter, statusForMediaType } from "./errors.js";
import { unauthenticated } from "../shared/errors.js";
import { OperationGuard, type QueryLimits } from "./limits.js";
import type { Logger } from "../shared/logger.js";
import {
  DatabaseKeyValueCache,
  DEFAULT_APQ_MAX_ENTRIES,
  DEFAULT_APQ_REGISTRATIONS_PER_HOUR,
  rewriteTrustedRequest,
  type TrustedDocuments,
} from "./persisted.js";
import { AuthRateLimiter, clientIpOf, DatabaseRateLimitStore, MemoryRateLimitStore } from "./rate-limit.js";
import { buildGatewaySchema } from "./schema.js";
import { checkInputText, inputTextPlugin } from "./input-text.js";
import { checkResolvedSubscribe, closeExpiredSocket, formatSubscriptionResult } from "./ws-operations.js";
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
  /**
   * Answer plain compilable POST reads before Apollo (compiler/fast-path.ts; default true with
   * compileReads). false = every compiled read goes through Apollo's pipeline and its plugin.
   */
  compiledFastPath?: boolean;
  /** Optional extra HTTP routes (e.g. the playground's static files); return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Abuse limits of every operation (limits.ts); unset ones keep DEFAULT_QUERY_LIMITS. */
  limits?: Partial<QueryLimits>;
  /**
   * Per-client-IP limit on login and registerCustomer (rate-limit.ts): calls per window
   * (default 30 a minute; 0 = off). `store` defaults to the database with PostgreSQL, memory on PGlite.
   */
  authRateLimit?: { perWindow: number; windowMs?: number; now?: () => number; store?: "memory" | "database" };
  /** Reverse proxies whose X-Forwarded-For is trusted for the client IP (default 0). */
  trustProxyHops?: number;
  /** HTTP execution deadline (default 30 s; ADMIN: 10 min). */
  requestTimeoutMs?: number;
  adminRequestTimeoutMs?: number;
  /**
   * Automatic persisted queries (default on, entries kept 7 days); false turns them off.
   * `registrationsPerHour`: new entries per client IP per window (default 100 an hour; ADMIN and
   * PARTNER exempt; 0 = no per-client cap); `maxEntries`: rows kept in all (default 5,000, the
   * oldest evicted). `windowMs`/`now`: for tests. The counters use the auth rate limit's store.
   */
  persistedQueries?: false | { ttlSeconds?: number; registrationsPerHour?: number; maxEntries?: number; windowMs?: number; now?: () => number };
  /** Trusted-documents mode: non-ADMIN callers may run only these documents. */
  trustedDocuments?: TrustedDocuments;
}

export interface Gateway {
  url: string;
  port: number;
  httpServer: Server;
  app: AppServices;
  /** Subscription event executions actually run (one per event and distinct subscription). */
  subscriptionExecutions(): number;
  /** HTTP reads answered by a compiled statement: in all, and by the fast path before Apollo. */
  compiledReads(): { answered: number; fastPath: number };
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

function sendJson(res: ServerResponse, status: number, body: unknown, contentType = "application/json; charset=utf-8"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

/** The media type of a Content-Type header, lower-cased, without its parameters. */
function mediaTypeOf(contentType: string | undefined): string {
  const t = contentType ?? "";
  const semi = t.indexOf(";");
  return (semi < 0 ? t : t.slice(0, semi)).trim().toLowerCase();
}

/** The document text of a POST body or GET query string, if it carries one. */
function queryTextOf(body: unknown, search: string): string | undefined {
  const q = body && typeof body === "object" ? (body as { query?: unknown }).query : new URLSearchParams(search).get("query");
  return typeof q === "string" ? q : undefined;
}

/**
 * The HTTP execution deadline: `requestTimeoutMs` from the start, or `adminRequestTimeoutMs`
 * once the caller is known to be ADMIN (the daily update and large reads take longer).
 */
function executionDeadline(opts: GatewayOptions) {
  const normal = opts.requestTimeoutMs ?? 30_000;
  const admin = opts.adminRequestTimeoutMs ?? 600_000;
  const started = Date.now();
  let ms = normal;
  let timer: NodeJS.Timeout | undefined;
  let expire: (() => void) | undefined;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => expire?.(), Math.max(0, started + ms - Date.now()));
  };
  return {
    get ms() {
      return ms;
    },
    forViewer(role: string) {
      if (role === "ADMIN" && admin !== ms) {
        ms = admin;
        if (expire) arm();
      }
    },
    /** The result, or undefined when the deadline passed first. */
    async race<T>(work: Promise<T>): Promise<T | undefined> {
      const expired = new Promise<undefined>((resolve) => (expire = () => resolve(undefined)));
      arm();
      try {
        return await Promise.race([work, expired]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
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
  const rateStore = (opts.authRateLimit?.store ?? (database.kind === "postgres" ? "database" : "memory")) === "database"
    ? new DatabaseRateLimitStore(database)
    : new MemoryRateLimitStore();
  const apq = opts.persistedQueries || undefined;
  const apqCache =
    opts.persistedQueries === false
      ? undefined
      : new DatabaseKeyValueCache(database, {
          now: apq?.now,
          maxEntries: apq?.maxEntries ?? DEFAULT_APQ_MAX_ENTRIES,
          registrations: {
            perClientPerWindow: apq?.registrationsPerHour ?? DEFAULT_APQ_REGISTRATIONS_PER_HOUR,
            windowMs: apq?.windowMs ?? 3_600_000,
            store: rateStore,
          },
        });
  const apqTtlSeconds = apq?.ttlSeconds ?? 7 * 86_400;
  const rateLimiter = new AuthRateLimiter({ perWindow: 30, ...opts.authRateLimit, store: rateStore });
  const guard = new OperationGuard({
    schema,
    limits: opts.limits,
    development: opts.development,
    rateLimiter,
    trusted: opts.trustedDocuments,
    apqCache,
    apqTtlSeconds,
    logger,
  });
  const pruneLimits = () =>
    Promise.all([rateLimiter.prune(), apqCache?.prune()]).catch((err) => logger.warn("limits pruning failed", { error: err }));
  const pruneTimer = setInterval(() => void prune().then(pruneLimits), 3_600_000);
  pruneTimer.unref();
  const restoreErrorReporter = setUnexpectedErrorReporter(
    (err) => logger.error("unexpected error", { error: err }),
    (err) => logger.warn("database unavailable", { error: err }),
  );
  setCursorSecret(opts.jwtSecret);

  const compiledReads = opts.compileReads === false ? undefined : new CompiledReads(database, logger);
  const fastPath = compiledReads && opts.compiledFastPath !== false ? new CompiledReadFastPath(schema, guard, compiledReads) : undefined;

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    // Open here; limits.ts refuses __schema/__type to non-ADMIN callers in production.
    introspection: true,
    // No "Did you mean …?" field suggestions in production errors.
    hideSchemaDetailsFromClientErrors: !opts.development,
    parseOptions: guard.parseOptions,
    persistedQueries: apqCache ? { cache: apqCache, ttl: apqTtlSeconds } : false,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM: Apollo's own handler would stop it behind our back and re-kill.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      // Length, trusted documents, aliases, depth/cost, introspection, rate limit (limits.ts).
      guard.plugin(),
      inputTextPlugin(),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operation }) {
              // Subscriptions run over graphql-ws only: over HTTP the root field would resolve to null.
              if (operation?.operation === "subscription") {
                throw new GraphQLError("Subscriptions are served over WebSocket (graphql-ws) on this path, not over HTTP", {
                  extensions: { code: "BAD_REQUEST", http: { status: 400 } },
                });
              }
            },
          };
        },
      },
      // Last: answers compilable reads once every check above has passed (compiler/plugin.ts).
      ...(compiledReads ? [compiledReads.plugin()] : []),
    ],
  });
  await apollo.start();

  const statics = staticRoutes({ development: opts.development, jwtSecret: opts.jwtSecret, database, logger });

  let fastPathAnswered = 0;
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
    // Trusted documents named by hash (documentId, or an APQ hash) get their text from the manifest.
    const named = rewriteTrustedRequest(opts.trustedDocuments, method, body, url.search);
    if (!named) {
      sendJson(res, 400, errorBody("PERSISTED_QUERY_NOT_FOUND", "No trusted document has this documentId"));
      return;
    }
    const text = queryTextOf(named.body, named.search);
    const refused = text === undefined ? undefined : guard.precheck(text);
    if (refused) {
      // Served like Apollo's own request errors: in the media type the Accept header chose, with
      // 400 for application/graphql-response+json and 200 for the legacy application/json
      // (statusForMediaType in errors.ts); 400 application/json where Apollo would not answer.
      const { http: _h, ...extensions } = refused.extensions;
      const body = { errors: [{ message: refused.message, extensions }] };
      const contentType = singleResultContentType(req.headers.accept);
      const status = contentType ? statusForMediaType(400, contentType, JSON.stringify(body)) : 400;
      sendJson(res, status, body, contentType);
      return;
    }
    const started = Date.now();
    const clientIp = clientIpOf(req, opts.trustProxyHops);
    const deadline = executionDeadline(opts);
    const timedOut = (work: Promise<unknown>) => {
      // The operation goes on in the background (a mutation may still commit); the caller gets 504.
      work.catch(() => {});
      logger.warn("graphql request timed out", { requestId, ms: Date.now() - started });
      sendJson(res, 504, errorBody("REQUEST_TIMEOUT", `The request took longer than ${deadline.ms} ms`, { timeoutMs: deadline.ms }));
    };
    // A plain compilable read is answered before Apollo; anything else (and any doubt) goes on below.
    // (Only a body labelled exactly application/json: Apollo's CSRF check refuses e.g. a text/plain
    // that merely mentions it, and answers that itself.)
    const jsonBody = method === "POST" && mediaTypeOf(req.headers["content-type"]) === "application/json";
    const plain = fastPath && jsonBody ? plainRequest(named.body) : undefined;
    const contentType = plain && singleResultContentType(req.headers.accept);
    if (plain && contentType) {
      let viewer: Viewer | undefined;
      try {
        viewer = await viewerFromAuthorization(key, req.headers.authorization);
      } catch {
        viewer = undefined; // Apollo's context answers the bad credential
      }
      if (viewer) {
        deadline.forViewer(viewer.role);
        const work = fastPath!.answer(plain, viewer, clientIp);
        const answered = await deadline.race(work.then((body) => ({ body })));
        if (!answered) return timedOut(work);
        if (answered.body !== null) {
          fastPathAnswered++;
          res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(answered.body) });
          res.end(answered.body);
          logger.debug("graphql", { requestId, status: 200, ms: Date.now() - started, compiled: "fast" });
          return;
        }
      }
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method, headers, search: named.search, body: named.body };
    const compiled: CompiledSlot = {};
    const execution = apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => {
        const viewer = await viewerFromAuthorization(key, req.headers.authorization);
        deadline.forViewer(viewer.role);
        const ctx = createContext(app, viewer, requestId, clientIp);
        ctx.compiled = compiled;
        return ctx;
      },
    });
    const result = await deadline.race(execution);
    if (!result) return timedOut(execution);
    for (const [k, v] of result.headers) res.setHeader(k, v);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === "complete") {
      // A compiled read: the body PostgreSQL built, as it is; unless Apollo answered with an
      // error after the plugin ran (e.g. 406 for an Accept header it cannot serve).
      const body = compiled.body !== undefined && !result.body.string.includes('"errors"') ? compiled.body : result.body.string;
      // Apollo answers parse, validation and variable errors with 400 whatever the media type;
      // for application/json GraphQL over HTTP asks for 200 (errors.ts).
      res.statusCode = statusForMediaType(res.statusCode, result.headers.get("content-type"), body);
      res.setHeader("content-length", Buffer.byteLength(body));
      res.end(body);
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
  const wsServer = useServer<Record<string, unknown>, { viewer?: Viewer; cancelExpiry?: () => void }>(
    {
      schema,
      // Each event is executed once per (document, variables, viewer) and shared by its subscribers.
      subscribe: sharedExecution.subscribe,
      onConnect: async (ctx) => {
        const auth = ctx.connectionParams?.authorization;
        // A present but non-string authorization is a bad credential, not an anonymous caller.
        if (auth !== undefined && auth !== null && typeof auth !== "string") return false;
        let viewer: Viewer;
        try {
          viewer = await viewerFromAuthorization(key, auth);
        } catch {
          return false; // closes with 4403 Forbidden
        }
        if (tokenExpired(viewer)) return false;
        ctx.extra.viewer = viewer;
        // The token is checked once here, and the socket outlives it: at its exp the socket is
        // closed with 4403 (after its subscriptions have ended with UNAUTHENTICATED).
        ctx.extra.cancelExpiry = atTokenExpiry(viewer, () => closeExpiredSocket(ctx, ctx.extra.socket));
        return true;
      },
      onClose: (ctx) => ctx.extra.cancelExpiry?.(),
      context: (ctx) =>
        createContext(app, ctx.extra.viewer ?? { role: "ANONYMOUS" }, randomUUID(), clientIpOf(ctx.extra.request, opts.trustProxyHops)),
      // Every operation first checks the token has not expired since the connection (nothing runs,
      // not even the rate limit's count); then the same limits as HTTP (and graphql's validation)
      // before anything runs (limits.ts), then variables coerced with their codes and the input
      // checks (ws-operations.ts, input-text.ts); and the token once more just before it runs.
      onSubscribe: async (ctx, _id, payload) => {
        const viewer = ctx.extra.viewer ?? { role: "ANONYMOUS" as const };
        if (tokenExpired(viewer)) return [unauthenticated("Token expired")];
        const prepared = await guard.prepareWsOperation(payload, viewer, clientIpOf(ctx.extra.request, opts.trustProxyHops));
        if (Array.isArray(prepared)) return prepared;
        const refused = checkResolvedSubscribe(schema, prepared.document, prepared.operation, payload.variables ?? {}, checkInputText);
        if (refused) return refused;
        if (tokenExpired(viewer)) return [unauthenticated("Token expired")];
        return { schema, document: prepared.document, operationName: payload.operationName, variableValues: payload.variables };
      },
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
    compiledReads: () => ({ answered: compiledReads?.answered ?? 0, fastPath: fastPathAnswered }),
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
      restoreErrorReporter();
    },
  };
}
