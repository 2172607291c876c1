/**
 * Subscription fan-out without per-subscriber work: graphql-js would execute the subscription's
 * selection (and load its nested loan or application) once per subscriber per event. Here the
 * event stream is mapped like graphql-js's own `subscribe` does, but each event is executed once
 * per distinct (event, document, variables, viewer) and the result is shared by every subscriber
 * with the same key: subscribers with the same viewer claims see exactly the same rows, so the
 * result is the same. Scoping and token expiry stay per subscriber (they live in the event bus).
 */
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  print,
  type ExecutionArgs,
  type ExecutionResult,
} from "graphql";
import { tracingEnabled, withSpan } from "../shared/tracing.js";

/** What a subscription delivery span says: the operation and the event's id. */
function deliveryAttributes(args: ExecutionArgs, payload: unknown): Record<string, string> {
  const id = (payload as { id?: unknown } | null)?.id;
  const name = getOperationAST(args.document, args.operationName)?.name?.value;
  return {
    "graphql.operation.type": "subscription",
    ...(name ? { "graphql.operation.name": name } : {}),
    ...(typeof id === "bigint" ? { "gateway.event.id": id.toString() } : {}),
  };
}

/** Results are kept this long after an event was first executed (late subscribers of a burst). */
const KEEP_MS = 30_000;
const MAX_ENTRIES = 20_000;

interface Entry {
  result: Promise<ExecutionResult>;
  at: number;
}

export class SharedSubscriptionExecution {
  private readonly results = new Map<string, Entry>();
  private lastSweep = 0;
  /** Executions actually run (for tests and the fan-out benchmark). */
  executions = 0;

  /** graphql-ws `subscribe`: the source stream of graphql-js, each event executed once per key. */
  subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream as ExecutionResult;
    const ctx = args.contextValue as { viewer?: unknown } | undefined;
    const groupKey = `${printed(args.document)}\u0000${args.operationName ?? ""}\u0000${stableJson(args.variableValues ?? {})}\u0000${stableJson(ctx?.viewer ?? null)}`;
    // A trace span per event delivered to this subscriber (tracing off: none).
    return mapAsyncIterator(stream as AsyncIterableIterator<unknown>, (payload) =>
      tracingEnabled()
        ? withSpan("subscription.delivery", deliveryAttributes(args, payload), () => this.run(groupKey, args, payload))
        : this.run(groupKey, args, payload),
    );
  };

  private run(groupKey: string, args: ExecutionArgs, payload: unknown): Promise<ExecutionResult> {
    const id = (payload as { id?: unknown } | null)?.id;
    if (typeof id !== "bigint") return Promise.resolve(execute({ ...args, rootValue: payload }));
    const key = `${id}\u0000${groupKey}`;
    const now = Date.now();
    const hit = this.results.get(key);
    if (hit) return hit.result;
    this.sweep(now);
    this.executions++;
    const result = Promise.resolve(execute({ ...args, rootValue: payload }));
    this.results.set(key, { result, at: now });
    return result;
  }

  private sweep(now: number): void {
    if (this.results.size < MAX_ENTRIES && now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [k, e] of this.results) {
      if (now - e.at > KEEP_MS || this.results.size > MAX_ENTRIES) this.results.delete(k);
      else break; // insertion order = age order
    }
  }
}

/** print() of a document, once per document (documents are shared by their text: limits.ts). */
const prints = new WeakMap<ExecutionArgs["document"], string>();
function printed(document: ExecutionArgs["document"]): string {
  let p = prints.get(document);
  if (p === undefined) prints.set(document, (p = print(document)));
  return p;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof (x as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === "function";
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
}

/** graphql-js's mapAsyncIterator (v16), so errors and return() behave exactly as before. */
function mapAsyncIterator<T, U>(iterator: AsyncIterableIterator<T>, callback: (value: T) => Promise<U>): AsyncIterableIterator<U> {
  async function mapResult(result: IteratorResult<T>): Promise<IteratorResult<U>> {
    if (result.done) return result;
    try {
      return { value: await callback(result.value), done: false };
    } catch (error) {
      if (typeof iterator.return === "function") {
        try {
          await iterator.return();
        } catch {
          /* ignore */
        }
      }
      throw error;
    }
  }
  return {
    async next() {
      return mapResult(await iterator.next());
    },
    async return() {
      return typeof iterator.return === "function" ? mapResult(await iterator.return()) : { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      if (typeof iterator.throw === "function") return mapResult(await iterator.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
