/**
 * Status changes: ONE builder for the change a command records when an application or a loan
 * moves, and the two rows it becomes (the permanent history `status_changes`, with status codes,
 * and the outbox `status_events` the subscriptions publish). events/outbox.ts writes them.
 */
import { statusCode, type ApplicationStatus, type LoanStatus, type StatusEntity, type StatusOf } from "./statuses.js";

export type StatusChangeInput =
  | {
      entityType: "APPLICATION";
      entityId: string;
      customerId: string;
      partnerId: string | null;
      from: ApplicationStatus | null;
      to: ApplicationStatus;
      reason?: string | null;
      actor: string;
      at: Date;
    }
  | {
      entityType: "LOAN";
      entityId: string;
      customerId: string;
      partnerId: string | null;
      from: LoanStatus | null;
      to: LoanStatus;
      reason?: string | null;
      actor: string;
      at: Date;
    };

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
export function historyRow(c: StatusChangeInput) {
  return {
    entityType: c.entityType,
    entityId: c.entityId,
    fromCode: c.from === null ? null : statusCode(c.entityType, c.from),
    toCode: statusCode(c.entityType, c.to),
    reason: c.reason ?? null,
    actor: c.actor,
    at: c.at,
  };
}

/** The outbox row of a change (statuses by name, with the customer and partner it is for). */
export function eventRow(c: StatusChangeInput) {
  return {
    entityType: c.entityType,
    entityId: c.entityId,
    customerId: c.customerId,
    partnerId: c.partnerId,
    fromStatus: c.from,
    toStatus: c.to,
    reason: c.reason ?? null,
    actor: c.actor,
    at: c.at,
  };
}
