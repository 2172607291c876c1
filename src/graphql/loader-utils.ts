/** Small factories so every relation is batched the same way (one statement per batch). */
import DataLoader from "dataloader";
import { isUuid } from "../shared/ids.js";

/** Rows by primary key: one `= any($1)` query per batch, results in key order, null if invisible. */
export function byIdLoader<R extends { id: string }>(
  fetch: (ids: string[]) => Promise<R[]>,
): DataLoader<string, R | null> {
  return new DataLoader<string, R | null>(
    async (keys) => {
      const valid = keys.filter(isUuid).map((k) => k.toLowerCase());
      const rows = valid.length ? await fetch([...new Set(valid)]) : [];
      const map = new Map(rows.map((r) => [r.id, r]));
      return keys.map((k) => (isUuid(k) ? (map.get(k.toLowerCase()) ?? null) : null));
    },
    { maxBatchSize: 1000 },
  );
}

/** Rows by a non-primary key (one per key, e.g. loan by application id). */
export function byKeyLoader<R>(
  fetch: (keys: string[]) => Promise<Map<string, R>>,
): DataLoader<string, R | null> {
  return new DataLoader<string, R | null>(
    async (keys) => {
      const valid = [...new Set(keys.filter(isUuid).map((k) => k.toLowerCase()))];
      const map = valid.length ? await fetch(valid) : new Map<string, R>();
      return keys.map((k) => (isUuid(k) ? (map.get(k.toLowerCase()) ?? null) : null));
    },
    { maxBatchSize: 1000 },
  );
}

/** Lists per parent key (one statement for all parents of a batch). */
export function groupLoader<R>(fetch: (keys: string[]) => Promise<Map<string, R[]>>): DataLoader<string, R[]> {
  return new DataLoader<string, R[]>(
    async (keys) => {
      const valid = [...new Set(keys.filter(isUuid).map((k) => k.toLowerCase()))];
      const map = valid.length ? await fetch(valid) : new Map<string, R[]>();
      return keys.map((k) => map.get(k.toLowerCase()) ?? []);
    },
    { maxBatchSize: 1000 },
  );
}

/** Counts per parent key. */
export function countLoader(fetch: (keys: string[]) => Promise<Map<string, number>>): DataLoader<string, number> {
  return new DataLoader<string, number>(
    async (keys) => {
      const valid = [...new Set(keys.filter(isUuid).map((k) => k.toLowerCase()))];
      const map = valid.length ? await fetch(valid) : new Map<string, number>();
      return keys.map((k) => map.get(k.toLowerCase()) ?? 0);
    },
    { maxBatchSize: 1000 },
  );
}

/** One loader per distinct argument set (e.g. `first`/`after`/`status` of a nested connection). */
export function perArgs<A, L>(make: (args: A) => L): (args: A) => L {
  const cache = new Map<string, L>();
  return (args: A) => {
    const key = JSON.stringify(args, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    let l = cache.get(key);
    if (!l) cache.set(key, (l = make(args)));
    return l;
  };
}
