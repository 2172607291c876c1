/**
 * Extra gateways with their own options (limits, production mode, rate limit, trusted
 * documents) on the worker's database, logging into the world's log lines.
 */
import { startGateway, type Gateway, type GatewayOptions } from "../../src/server/http.js";
import { createLogger } from "../../src/shared/logger.js";
import WebSocket from "ws";
import { wsClient } from "./ws.js";
import { TEST_JWT_SECRET, world, type GqlResult } from "./world.js";

export interface ExtraGateway {
  gateway: Gateway;
  /** http://…/graphql */
  url: string;
  wsUrl: string;
  /** POST a raw JSON body (anything: persisted-query extensions, documentId). */
  post(body: unknown, token?: string | null, headers?: Record<string, string>): Promise<GqlResult & { headers: Headers }>;
  gql(query: string, variables?: Record<string, unknown>, token?: string | null, headers?: Record<string, string>): Promise<GqlResult & { headers: Headers }>;
  close(): Promise<void>;
}

export async function startExtraGateway(overrides: Partial<GatewayOptions> = {}): Promise<ExtraGateway> {
  const w = await world();
  const gateway = await startGateway({
    database: w.database,
    jwtSecret: TEST_JWT_SECRET,
    clock: w.clock,
    logger: createLogger("debug", (line) => {
      w.logs.push(line);
      if (w.logs.length > 5000) w.logs.splice(0, 1000);
    }),
    host: "127.0.0.1",
    port: 0,
    development: true,
    authRateLimit: { perWindow: 1_000_000 },
    ...overrides,
  });
  const url = `${gateway.url}/graphql`;
  const post: ExtraGateway["post"] = async (body, token, headers = {}) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: { data?: unknown; errors?: GqlResult["errors"] } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { errors: [{ message: text }] };
    }
    return { status: res.status, headers: res.headers, data: parsed.data as GqlResult["data"], errors: parsed.errors };
  };
  return {
    gateway,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    post,
    gql: (query, variables, token, headers) => post({ query, variables }, token, headers),
    close: () => gateway.close(),
  };
}

export interface WsOutcome {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
  /** The socket closed instead (code), e.g. 4500 for a server-side crash. */
  closed?: number;
}

/**
 * One operation over graphql-ws (any payload: query, extensions, documentId): its first result
 * or its errors. Subscriptions are stopped after the first event.
 */
export async function wsOnce(
  wsUrl: string,
  payload: Record<string, unknown>,
  token?: string | null,
  timeoutMs = 5000,
  /** Headers of the upgrade request (e.g. X-Forwarded-For). */
  headers?: Record<string, string>,
): Promise<WsOutcome> {
  const client = wsClient(
    wsUrl,
    token,
    headers
      ? {
          webSocketImpl: class extends WebSocket {
            constructor(url: string, protocols?: string | string[]) {
              super(url, protocols, { headers });
            }
          },
        }
      : {},
  );
  try {
    return await new Promise<WsOutcome>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer over WebSocket")), timeoutMs);
      const done = (o: WsOutcome) => {
        clearTimeout(timer);
        resolve(o);
      };
      client.on("closed", (e) => done({ closed: (e as { code?: number }).code }));
      client.subscribe(payload as never, {
        next: (msg) => done({ data: msg.data as WsOutcome["data"], errors: msg.errors as WsOutcome["errors"] }),
        error: (err) => done(Array.isArray(err) ? { errors: err as WsOutcome["errors"] } : { closed: (err as { code?: number }).code }),
        complete: () => done({}),
      });
    });
  } finally {
    await client.dispose();
  }
}

/**
 * A second gateway on the worker's database that answers every read with the resolvers
 * (`compileReads: false`): the reference the compiled-read parity tests compare bodies with.
 */
export async function startResolverOnlyGateway(): Promise<Gateway> {
  const w = await world();
  return startGateway({
    database: w.database,
    jwtSecret: TEST_JWT_SECRET,
    clock: w.clock,
    logger: createLogger("silent"),
    host: "127.0.0.1",
    port: 0,
    development: true,
    compileReads: false,
  });
}
