/**
 * The NATS messages of the event relay (relay.ts, nats-transport.ts): `{v, prev, rows}`, JSON,
 * ids as decimal strings (bigint), times as ISO strings. `rows` are every committed status event
 * in (prev, last row's id], in id order; a heartbeat has no rows and `prev` = last published.
 */
import type { StatusEventRow } from "../db/schema.js";

const WIRE_VERSION = 1;

interface WireRow {
  id: string;
  entityType: string;
  entityId: string;
  customerId: string;
  partnerId: string | null;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  actor: string;
  at: string;
}

interface WireBatch {
  v: number;
  prev: string;
  rows: WireRow[];
}

export function encodeBatch(prev: bigint, rows: StatusEventRow[]): string {
  const batch: WireBatch = {
    v: WIRE_VERSION,
    prev: prev.toString(),
    rows: rows.map((r) => ({
      id: r.id.toString(),
      entityType: r.entityType,
      entityId: r.entityId,
      customerId: r.customerId,
      partnerId: r.partnerId,
      fromStatus: r.fromStatus,
      toStatus: r.toStatus,
      reason: r.reason,
      actor: r.actor,
      at: r.at.toISOString(),
    })),
  };
  return JSON.stringify(batch);
}

const DIGITS = /^[0-9]{1,19}$/;

/** A batch from the wire, or undefined when it is not one of ours (then it is ignored). */
export function decodeBatch(text: string): { prev: bigint; rows: StatusEventRow[] } | undefined {
  let b: WireBatch;
  try {
    b = JSON.parse(text) as WireBatch;
  } catch {
    return undefined;
  }
  if (!b || b.v !== WIRE_VERSION || typeof b.prev !== "string" || !DIGITS.test(b.prev) || !Array.isArray(b.rows)) return undefined;
  const rows: StatusEventRow[] = [];
  let last = BigInt(b.prev);
  for (const r of b.rows) {
    if (!r || typeof r.id !== "string" || !DIGITS.test(r.id)) return undefined;
    const id = BigInt(r.id);
    if (id <= last) return undefined; // not in id order: not a batch the relay made
    last = id;
    rows.push({
      id,
      entityType: r.entityType,
      entityId: r.entityId,
      customerId: r.customerId,
      partnerId: r.partnerId ?? null,
      fromStatus: r.fromStatus ?? null,
      toStatus: r.toStatus,
      reason: r.reason ?? null,
      actor: r.actor,
      at: new Date(r.at),
    });
  }
  return { prev: BigInt(b.prev), rows };
}

