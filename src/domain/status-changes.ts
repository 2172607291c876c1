/**
 * Status changes: ONE builder for the change a command records when an application or a loan
 * moves, and the two rows it becomes (the permanent history `status_changes`, with status codes,
 * and the outbox `status_events` the subscriptions publish). events/outbox.ts writes them.
 */
import { statusCode, type StatusEntity, type StatusOf } from "./statuses.js";

interface StatusChangeOf<E extends StatusEntity> {
  entityType: E;
  entityId: string;
  customerId: string;
  partnerId: string | null;
  /** null: the entity was created. */
  from: StatusOf<E> | null;
  to: StatusOf<E>;
  reason?: string | null;
  actor: string;
  at: Date;
}
export type StatusChangeInput = StatusChangeOf<"APPLICATION"> | StatusChangeOf<"LOAN">;

/** The application or loan that moved: its id and whom its events are for. */
export interface StatusOwner {
  id: string;
  customerId: string;
  partnerId: string | null;
}

/** Who moved it, when, and why. */
export interface ChangeNote {
  actor: string;
  at: Date;
  reason?: string | null;
}

/** The change of `entity` (an application or a loan) from `from` (null: created) to `to`. */
export function statusChange<E extends StatusEntity>(
  entityType: E,
  entity: StatusOwner,
  from: StatusOf<E> | null,
  to: StatusOf<E>,
  note: ChangeNote,
): StatusChangeInput {
  return {
    entityType,
    entityId: entity.id,
    customerId: entity.customerId,
    partnerId: entity.partnerId,
    from,
    to,
    reason: note.reason ?? null,
    actor: note.actor,
    at: note.at,
  } as StatusChangeInput;
}

/** The history row of a change (statuses as codes). */
export function historyRow({ entityType, entityId, from, to, reason, actor, at }: StatusChangeInput) {
  const fromCode = from === null ? null : statusCode(entityType, from);
  return { entityType, entityId, fromCode, toCode: statusCode(entityType, to), reason: reason ?? null, actor, at };
}

/** The outbox row of a change (statuses by name, with the customer and partner it is for). */
export function eventRow({ from, to, reason, ...rest }: StatusChangeInput) {
  return { ...rest, fromStatus: from, toStatus: to, reason: reason ?? null };
}
