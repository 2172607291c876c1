/**
 * GraphQL over WebSocket (graphql-ws) on the HTTP server's port and /graphql path: the upgrade,
 * the token checked at connection and at its expiry, the per-operation checks (the same limits as
 * HTTP, ws-operations.ts, input-text.ts), shared subscription execution and error formatting.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { GraphQLSchema } from "graphql";
import { CloseCode, handleProtocols, makeServer } from "graphql-ws";
import { WebSocketServer, type WebSocket } from "ws";
import { atTokenExpiry, tokenExpired, viewerFromAuthorization, type TokenKey } from "../auth/tokens.js";
import type { Viewer } from "../auth/viewer.js";
import { SharedSubscriptionExecution } from "../events/shared-execution.js";
import { createContext, type AppServices } from "../graphql/context.js";
import { unauthenticated } from "../shared/errors.js";
import { formatError } from "./errors.js";
import { MAX_BODY_BYTES } from "./http-routes.js";
import { checkInputText } from "./input-text.js";
import type { ShutdownGate } from "./lifecycle.js";
import type { OperationGuard } from "./limits.js";
import type { GatewayMetrics } from "./metrics.js";
import { clientIpOf } from "./rate-limit.js";
import { checkResolvedSubscribe, closeExpiredSocket, formatSubscriptionResult } from "./ws-operations.js";

export interface WebSocketOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  app: AppServices;
  tokens: TokenKey;
  guard: OperationGuard;
  /** Once closing, upgrades are refused. */
  gate: ShutdownGate;
  trustProxyHops?: number;
  /** A ping frame every N ms; a peer that stops answering is dropped (default 12 s). */
  keepAliveMs?: number;
  /** Counts the operations refused by a limit (metrics.ts). */
  metrics?: GatewayMetrics;
}

export interface GraphQLWebSocket {
  /** Subscription event executions actually run (one per event and distinct subscription). */
  executions(): number;
  /** Closes every socket (1001) and disposes of the graphql-ws server. */
  close(): Promise<void>;
}

/** Sockets pinged per turn of the event loop by the keep-alive sweep. */
const PING_SLICE = 256;

/** What graphql-ws keeps of a socket beyond its own state (ctx.extra). */
interface SocketExtra {
  socket: WebSocket;
  clientIp: string;
  viewer?: Viewer;
  cancelExpiry?: () => void;
}

/** graphql-ws's view of a socket, with methods on the prototype (no closures per socket). */
class GraphQLWsSocket {
  constructor(private readonly ws: WebSocket) {}
  get protocol(): string {
    return this.ws.protocol;
  }
  send(data: string): Promise<void> {
    const ws = this.ws;
    return new Promise((resolve, reject) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      ws.send(data, (err) => (err ? reject(err) : resolve()));
    });
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
  onMessage(cb: (data: string) => Promise<void>): void {
    const ws = this.ws;
    ws.on("message", (data) => {
      cb(String(data)).catch((err: unknown) => {
        console.error("Internal error occurred during message handling.", err);
        ws.close(CloseCode.InternalServerError, "Internal server error");
      });
    });
  }
}

function onSocketError(this: WebSocket, err: Error): void {
  console.error("Internal error emitted on a WebSocket socket.", err);
  this.close(CloseCode.InternalServerError, "Internal server error");
}

export function attachWebSocket(o: WebSocketOptions): GraphQLWebSocket {
  const { schema, app, tokens, guard, gate } = o;
  // No compression (ws's server default, said here because per-socket zlib state is ~300 KiB).
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES, perMessageDeflate: false, handleProtocols });
  o.httpServer.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/graphql" || gate.closing) {
      socket.destroy();
      return;
    }
    // Of the request, only the client's address is kept (for the rate limits).
    const clientIp = clientIpOf(req, o.trustProxyHops);
    wss.handleUpgrade(req, socket, head, (ws) => opened(ws, clientIp));
  });
  const sharedExecution = new SharedSubscriptionExecution();
  const wsServer = makeServer<Record<string, unknown>, SocketExtra>(
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
          viewer = await viewerFromAuthorization(tokens, auth);
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
        createContext(app, ctx.extra.viewer ?? { role: "ANONYMOUS" }, randomUUID(), ctx.extra.clientIp),
      // Every operation first checks the token has not expired since the connection (nothing runs,
      // not even the rate limit's count); then the same limits as HTTP (and graphql's validation)
      // before anything runs (limits.ts), then variables coerced with their codes and the input
      // checks (ws-operations.ts, input-text.ts); and the token once more just before it runs.
      onSubscribe: async (ctx, _id, payload) => {
        const viewer = ctx.extra.viewer ?? { role: "ANONYMOUS" as const };
        if (tokenExpired(viewer)) return [unauthenticated("Token expired")];
        const prepared = await guard.prepareWsOperation(payload, viewer, ctx.extra.clientIp);
        if (Array.isArray(prepared)) {
          const first = prepared[0];
          if (first) o.metrics?.refusal(first.extensions.code as string | undefined, first.message, first.extensions);
          return prepared;
        }
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
  });

  function opened(ws: WebSocket, clientIp: string): void {
    ws.once("error", onSocketError);
    ws.on("pong", onPong);
    const closed = wsServer.opened(new GraphQLWsSocket(ws), { socket: ws, clientIp });
    ws.once("close", (code, reason) => {
      awaitingPong.delete(ws);
      void closed(code, String(reason));
    });
  }

  // Keep-alive: one sweep for every socket.
  const keepAliveMs = o.keepAliveMs ?? 12_000;
  const awaitingPong = new WeakSet<WebSocket>();
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this);
  }
  const sweep = keepAliveMs > 0 && Number.isFinite(keepAliveMs) ? setInterval(() => void pingAll(), keepAliveMs) : undefined;
  /** In slices, yielding to I/O between them: 10,000 pings at once would hold up event delivery. */
  async function pingAll(): Promise<void> {
    let n = 0;
    for (const ws of [...wss.clients]) {
      if (ws.readyState !== ws.OPEN) continue;
      if (awaitingPong.has(ws)) {
        ws.terminate(); // did not answer the previous ping
        continue;
      }
      awaitingPong.add(ws);
      ws.ping();
      if (++n % PING_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  sweep?.unref();
  return {
    executions: () => sharedExecution.executions,
    async close() {
      if (sweep) clearInterval(sweep);
      for (const client of wss.clients) client.close(1001, "Server shutting down");
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
