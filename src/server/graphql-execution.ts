/**
 * GraphQL execution over HTTP (/graphql, POST and GET): the request's checks before GraphQL (method,
 * body, trusted documents, the guard's precheck), its deadline, the fast path for plain compilable
 * reads (compiler/fast-path.ts), and otherwise Apollo with its plugins, where the compiled-reads
 * plugin (compiler/plugin.ts) may answer instead of the resolvers. Which body is sent, the compiled
 * one or Apollo's, is decided on values (`ApolloRun`), never on the response text.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLResponse,
  type HTTPGraphQLRequest,
  type HTTPGraphQLResponse,
} from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { trace } from "@opentelemetry/api";
import { GraphQLError, type GraphQLSchema } from "graphql";
import { viewerFromAuthorization, type TokenKey } from "../auth/tokens.js";
import type { Viewer } from "../auth/viewer.js";
import { createContext, type AppServices, type CompiledSlot, type Context } from "../graphql/context.js";
import { childLogger, type Logger } from "../shared/logger.js";
import { CompiledReadFastPath, fastPathRequestOf, singleResultContentType, type FastPathRequest } from "./compiler/fast-path.js";
import { CompiledReads } from "./compiler/plugin.js";
import { formatError, statusForMediaType } from "./errors.js";
import { errorBody, HttpError, readBody, sendJson } from "./http-routes.js";
import { inputTextPlugin } from "./input-text.js";
import { READ_AFTER_HEADER, readRoutingPlugin } from "./read-routing.js";
import { readAfterOf } from "../db/replicas.js";
import type { OperationGuard } from "./limits.js";
import type { GatewayMetrics } from "./metrics.js";
import { rewriteTrustedRequest, type DatabaseKeyValueCache, type TrustedDocuments } from "./persisted.js";
import { clientIpOf } from "./rate-limit.js";
import { tracingEnabled, withSpan } from "../shared/tracing.js";
import { operationSpanName, tracingPlugin } from "./tracing.js";

/** On the operation span: how it was answered ("compiled-fast-path", "compiled" or "resolvers"). */
const EXECUTION_PATH = "graphql.execution.path";

export interface GraphQLExecutionOptions {
  schema: GraphQLSchema;
  app: AppServices;
  tokens: TokenKey;
  guard: OperationGuard;
  apq: { cache: DatabaseKeyValueCache; ttlSeconds: number } | undefined;
  logger: Logger;
  /** Introspection for everyone and "Did you mean …?" suggestions (development). */
  development: boolean;
  /** Compiled reads on (default); false = resolvers only. */
  compileReads?: boolean;
  /** The fast path before Apollo (default on with compiled reads). */
  compiledFastPath?: boolean;
  trustedDocuments?: TrustedDocuments;
  trustProxyHops?: number;
  /** HTTP execution deadline (default 30 s; ADMIN: 10 min). */
  requestTimeoutMs?: number;
  adminRequestTimeoutMs?: number;
  /** Times operations and counts refusals (metrics.ts). */
  metrics?: GatewayMetrics;
}

/**
 * One HTTP request's run through Apollo, as values. It is the request's CompiledSlot: the
 * compiled-reads plugin leaves the body PostgreSQL built in `body` when it answered the operation;
 * `finished` is the GraphQL response Apollo's pipeline ended with (recorded by `finishedResponses`).
 */
class ApolloRun implements CompiledSlot {
  body?: string;
  resolversOnly?: boolean;
  finished?: GraphQLResponse;

  /**
   * The compiled body, when it is the answer to send: the plugin answered this request, the
   * pipeline ended with that answer (a single result, no errors), and Apollo's HTTP response is
   * that result. Apollo passes the head of the pipeline's response on to its HTTP response
   * (runHttpQuery); an error it raises afterwards (406 for an Accept header it cannot serve, a
   * hook that threw) comes with a head of its own, and then Apollo's body is the answer.
   */
  compiledAnswer(result: HTTPGraphQLResponse): string | undefined {
    const { body, finished } = this;
    if (body === undefined || !finished) return undefined;
    if (finished.body?.kind !== "single" || finished.body.singleResult.errors !== undefined) return undefined;
    return result.headers === finished.http.headers ? body : undefined;
  }
}

/** Records on the request's ApolloRun the response Apollo's pipeline ended with. */
function finishedResponses(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (contextValue.compiled instanceof ApolloRun) contextValue.compiled.finished = response;
        },
      };
    },
  };
}

/** Subscriptions run over graphql-ws only: over HTTP the root field would resolve to null. */
function subscriptionsNotOverHttp(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === "subscription") {
            throw new GraphQLError("Subscriptions are served over WebSocket (graphql-ws) on this path, not over HTTP", {
              extensions: { code: "BAD_REQUEST", http: { status: 400 } },
            });
          }
        },
      };
    },
  };
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

/** The operation's name: the body's operationName, else the document's first named operation. */
function loggedOperationName(body: unknown, text: string | undefined): string | undefined {
  const given = body && typeof body === "object" ? (body as { operationName?: unknown }).operationName : undefined;
  if (typeof given === "string" && /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(given)) return given;
  return text ? /^\s*(?:#[^\n]*\n\s*)*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,99})/.exec(text)?.[1] : undefined;
}

/** The operationName a POST body or GET query string gives, if any (metrics.ts bounds it). */
function requestOperationName(body: unknown, search: string): string | undefined {
  const n = body && typeof body === "object" ? (body as { operationName?: unknown }).operationName : new URLSearchParams(search).get("operationName");
  return typeof n === "string" ? n : undefined;
}

/** The caller's X-Request-Id when it is a plain id, else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
}

/** A POST body: JSON, labelled so, and not a batch. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  const ct = String(req.headers["content-type"] ?? "");
  if (!ct.includes("application/json")) throw new HttpError(415, "Content-Type must be application/json");
  let body: unknown;
  try {
    body = text.length ? JSON.parse(text) : undefined;
  } catch {
    throw new HttpError(400, "Malformed JSON body");
  }
  if (Array.isArray(body)) throw new HttpError(400, "Batched operations are not supported");
  return body;
}

/**
 * The HTTP execution deadline: `requestTimeoutMs` from the start, or `adminRequestTimeoutMs`
 * once the caller is known to be ADMIN (the daily update and large reads take longer).
 */
function executionDeadline(opts: { requestTimeoutMs?: number; adminRequestTimeoutMs?: number }) {
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

/** One /graphql request past its checks: who asks, since when, until when. */
interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  requestId: string;
  /** The request's logger: its lines carry the request id and operation name (and trace ids). */
  log: Logger;
  operationName: string | undefined;
  started: number;
  clientIp: string;
  deadline: ReturnType<typeof executionDeadline>;
  /** The fast path ran the compiled read; its data needs the resolvers (Apollo's plugin skips it). */
  resolversOnly?: boolean;
}

export class GraphQLExecution {
  private fastPathAnswered = 0;

  private constructor(
    private readonly o: GraphQLExecutionOptions,
    private readonly apollo: ApolloServer<Context>,
    private readonly compiledReads: CompiledReads | undefined,
    private readonly fastPath: CompiledReadFastPath | undefined,
  ) {}

  /** Apollo with the gateway's plugins, started; the compiled reads and the fast path as configured. */
  static async start(o: GraphQLExecutionOptions): Promise<GraphQLExecution> {
    const { schema, guard } = o;
    const compiledReads = o.compileReads === false ? undefined : new CompiledReads(o.app.database, o.logger);
    const fastPath = compiledReads && o.compiledFastPath !== false ? new CompiledReadFastPath(schema, guard, compiledReads) : undefined;
    const apollo = new ApolloServer<Context>({
      schema,
      formatError,
      // Open here; limits.ts refuses __schema/__type to non-ADMIN callers in production.
      introspection: true,
      // No "Did you mean …?" field suggestions in production errors.
      hideSchemaDetailsFromClientErrors: !o.development,
      parseOptions: guard.parseOptions,
      persistedQueries: o.apq ? { cache: o.apq.cache, ttl: o.apq.ttlSeconds } : false,
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: false,
      // main.ts owns SIGTERM: Apollo's own handler would stop it behind our back and re-kill.
      stopOnTerminationSignals: false,
      csrfPrevention: true,
      plugins: [
        ...(o.metrics ? [o.metrics.plugin()] : []),
        ApolloServerPluginCacheControlDisabled(),
        ApolloServerPluginLandingPageDisabled(),
        // Length, trusted documents, aliases, depth/cost, introspection, rate limit (limits.ts).
        guard.plugin(),
        inputTextPlugin(),
        subscriptionsNotOverHttp(),
        finishedResponses(),
        // Read replicas: a query's reads on the target chosen for its caller (read-routing.ts).
        ...(o.app.database.replicas ? [readRoutingPlugin(o.app.database.replicas)] : []),
        // parse / validate / execute spans under the operation span (off: nothing).
        tracingPlugin(),
        // Last: answers compilable reads once every check above has passed (compiler/plugin.ts).
        ...(compiledReads ? [compiledReads.plugin()] : []),
      ],
    });
    await apollo.start();
    return new GraphQLExecution(o, apollo, compiledReads, fastPath);
  }

  /** HTTP reads answered by a compiled statement: in all, and by the fast path before Apollo. */
  counts(): { answered: number; fastPath: number } {
    return { answered: this.compiledReads?.answered ?? 0, fastPath: this.fastPathAnswered };
  }

  stop(): Promise<void> {
    return this.apollo.stop();
  }

  /** Answers one /graphql request. Refusals before GraphQL are thrown as HttpError (http-routes.ts answers them). */
  readonly handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const { o } = this;
    const requestId = requestIdOf(req);
    res.setHeader("x-request-id", requestId);
    const method = (req.method ?? "GET").toUpperCase();
    if (method !== "POST" && method !== "GET") {
      res.setHeader("allow", "GET, POST");
      sendJson(res, 405, errorBody("BAD_REQUEST", "Use GET or POST"));
      return;
    }
    const body = method === "POST" ? await readJsonBody(req) : undefined;
    // Trusted documents named by hash (documentId, or an APQ hash) get their text from the manifest.
    const resolved = rewriteTrustedRequest(o.trustedDocuments, method, body, url.search);
    if (!resolved) {
      sendJson(res, 400, errorBody("PERSISTED_QUERY_NOT_FOUND", "No trusted document has this documentId"));
      return;
    }
    const text = queryTextOf(resolved.body, resolved.search);
    const refused = text === undefined ? undefined : o.guard.precheck(text);
    if (refused) {
      const { code } = refused;
      o.metrics?.refusal(code, refused.message, refused.extensions);
      o.metrics?.operation(requestOperationName(resolved.body, resolved.search), "unknown", code, "none", 0);
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
    const operationName = loggedOperationName(resolved.body, text);
    const call: Call = {
      req,
      res,
      method,
      requestId,
      log: childLogger(o.logger, { requestId, ...(operationName ? { operation: operationName } : {}) }),
      operationName,
      started: Date.now(),
      clientIp: clientIpOf(req, o.trustProxyHops),
      deadline: executionDeadline(o),
    };
    // A plain compilable read is answered before Apollo; anything else (and any doubt) goes on below.
    // (Only a body labelled exactly application/json: Apollo's CSRF check refuses e.g. a text/plain
    // that merely mentions it, and answers that itself.)
    const jsonBody = method === "POST" && mediaTypeOf(req.headers["content-type"]) === "application/json";
    const fastPathRequest = this.fastPath && jsonBody ? fastPathRequestOf(resolved.body) : undefined;
    const contentType = fastPathRequest && singleResultContentType(req.headers.accept);
    const answer = async () => {
      if (fastPathRequest && contentType && (await this.answerBeforeApollo(call, fastPathRequest, contentType))) return;
      await this.answerWithApollo(call, resolved);
    };
    // The operation's trace span, active for everything it runs (tracing off: no span, no wrapper).
    if (!tracingEnabled()) return answer();
    const spanAttributes = operationName ? { "graphql.operation.name": operationName } : {};
    await withSpan(operationSpanName(undefined, operationName), spanAttributes, answer);
  };

  /** The caller gets 504; the operation goes on in the background (a mutation may still commit). */
  private timedOut(call: Call, work: Promise<unknown>): void {
    work.catch(() => {});
    this.o.metrics?.refusal("REQUEST_TIMEOUT", "");
    call.log.warn("graphql request timed out", { ms: Date.now() - call.started });
    const { ms } = call.deadline;
    sendJson(call.res, 504, errorBody("REQUEST_TIMEOUT", `The request took longer than ${ms} ms`, { timeoutMs: ms }));
  }

  /** The fast path (compiler/fast-path.ts): true when the request has been answered (or timed out). */
  private async answerBeforeApollo(call: Call, fastPathRequest: FastPathRequest, contentType: string): Promise<boolean> {
    const started = performance.now();
    let viewer: Viewer | undefined;
    try {
      viewer = await viewerFromAuthorization(this.o.tokens, call.req.headers.authorization);
    } catch {
      viewer = undefined; // Apollo's context answers the bad credential
    }
    if (!viewer) return false;
    call.deadline.forViewer(viewer.role);
    const readAfter = this.o.app.database.replicas ? readAfterOf(call.req.headers[READ_AFTER_HEADER]) : undefined;
    const work = this.fastPath!.answer(fastPathRequest, viewer, call.clientIp, readAfter);
    const answered = await call.deadline.race(work.then((body) => ({ body })));
    if (!answered) {
      this.timedOut(call, work);
      return true;
    }
    const body = answered.body;
    if (body === null) return false;
    if (typeof body !== "string") {
      // RESOLVERS_MUST_ANSWER: the resolvers answer, and Apollo's plugin does not run it again.
      call.resolversOnly = true;
      return false;
    }
    this.fastPathAnswered++;
    const span = trace.getActiveSpan();
    if (span) {
      span.setAttributes({ "graphql.operation.type": "query", [EXECUTION_PATH]: "compiled-fast-path" });
      span.updateName(operationSpanName("query", call.operationName));
    }
    call.res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
    call.res.end(body);
    this.o.metrics?.operation(fastPathRequest.resolvedName, "query", "OK", "compiled", (performance.now() - started) / 1000);
    call.log.debug("graphql", { status: 200, ms: Date.now() - call.started, compiled: "fast" });
    return true;
  }

  /** Apollo's pipeline; its answer, or the compiled body its plugin left for this request. */
  private async answerWithApollo(call: Call, resolved: { body: unknown; search: string }): Promise<void> {
    const { req, res, deadline } = call;
    const { app, tokens } = this.o;
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: call.method, headers, search: resolved.search, body: resolved.body };
    const run = new ApolloRun();
    run.resolversOnly = call.resolversOnly;
    const execution = this.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => {
        const viewer = await viewerFromAuthorization(tokens, req.headers.authorization);
        deadline.forViewer(viewer.role);
        const ctx = createContext(app, viewer, call.requestId, call.clientIp);
        ctx.compiled = run;
        if (app.database.replicas) ctx.readAfter = readAfterOf(req.headers[READ_AFTER_HEADER]);
        return ctx;
      },
    });
    const result = await deadline.race(execution);
    if (!result) return this.timedOut(call, execution);
    for (const [k, v] of result.headers) res.setHeader(k, v);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === "complete") {
      // A compiled read: the body PostgreSQL built, as it is; otherwise Apollo's.
      const compiled = run.compiledAnswer(result);
      const body = compiled ?? result.body.string;
      trace.getActiveSpan()?.setAttribute(EXECUTION_PATH, compiled === undefined ? "resolvers" : "compiled");
      // Apollo answers parse, validation and variable errors with 400 whatever the media type;
      // for application/json GraphQL over HTTP asks for 200 (errors.ts).
      res.statusCode = statusForMediaType(res.statusCode, result.headers.get("content-type"), body);
      res.setHeader("content-length", Buffer.byteLength(body));
      res.end(body);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
    call.log.debug("graphql", { status: res.statusCode, ms: Date.now() - call.started });
  }
}
