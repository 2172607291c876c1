/** graphql-ws client helpers for subscription tests. */
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { subscriptionGateway } from "./world.js";

export interface Collected<T = any> {
  events: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves when at least `n` events arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

export function wsClient(url: string, token?: string | null, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    ...extra,
  });
}

/** The WebSocket URL of the gateway under test (the world's, or the transport's: world.ts subscriptionGateway). */
export async function gatewayWsUrl(): Promise<string> {
  return `${(await subscriptionGateway()).url.replace(/^http/, "ws")}/graphql`;
}

/** Subscribe and collect every `next` payload's data (or errors). */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  const out: Collected<T> = {
    events: [],
    errors: [],
    completed: false,
    waitFor: () => Promise.resolve([]),
    stop: () => {},
  };
  let wake: (() => void) | undefined;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.errors) out.errors.push(...msg.errors);
        if (msg.data) out.events.push(msg.data as T);
        wake?.();
      },
      error: (err) => {
        out.errors.push(err);
        wake?.();
      },
      complete: () => {
        out.completed = true;
        wake?.();
      },
    },
  );
  out.stop = dispose;
  out.waitFor = async (n, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (out.events.length < n) {
      if (out.errors.length) throw new Error(`subscription error: ${JSON.stringify(out.errors)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} events, got ${out.events.length}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, Math.min(left, 100));
      });
    }
    return out.events;
  };
  return out;
}

/** Wait until the server has registered a subscription (the subscribe message is processed). */
export async function settle(ms = 150): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Wait until the gateway has registered at least `n` live subscriptions (no race with a commit). */
export async function subscribed(n: number, timeoutMs = 10_000): Promise<void> {
  const bus = (await subscriptionGateway()).app.events;
  const deadline = Date.now() + timeoutMs;
  while (bus.subscriberCount < n) {
    if (Date.now() > deadline) throw new Error(`only ${bus.subscriberCount} of ${n} subscriptions registered`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait until every subscription of earlier tests is gone on the server side. */
export async function noSubscribers(timeoutMs = 10_000): Promise<void> {
  const bus = (await subscriptionGateway()).app.events;
  const deadline = Date.now() + timeoutMs;
  while (bus.subscriberCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
