/**
 * The writes to applications, in the caller's transaction: the application commands use them, and
 * so do other features' commands that move an application (a disbursement, the daily update's
 * offer expiry). Each returns the status change to record, so the caller records all of its
 * changes together in the order it chooses.
 */
import type { Tx } from "../../db/client.js";
import type { ApplicationRow } from "../../db/schema.js";
import { nextApplicationStatus } from "../../domain/lifecycle.js";
import { statusChange, type ChangeNote, type StatusChangeInput } from "../../domain/status-changes.js";
import type { ApplicationStatus } from "../../domain/statuses.js";
import { lockExpiringOffers, setApplicationsStatus, updateApplication } from "./applications.repo.js";

type ApplicationSet = Parameters<typeof updateApplication>[2];

/**
 * Sets the (locked) application's status to `to` (a move the caller took from the state machine)
 * with any other columns in `set`; nothing is written when neither changes. The change is null
 * when the status stays.
 */
export async function setApplicationStatus(
  tx: Tx,
  app: ApplicationRow,
  to: ApplicationStatus,
  note: ChangeNote,
  set: Omit<ApplicationSet, "status" | "updatedAt"> = {},
): Promise<{ application: ApplicationRow; change: StatusChangeInput | null }> {
  const from = app.status as ApplicationStatus;
  if (to === from && Object.keys(set).length === 0) return { application: app, change: null };
  const application = await updateApplication(tx, app.id, { ...set, status: to, updatedAt: note.at });
  return { application, change: to === from ? null : statusChange("APPLICATION", app, from, to, note) };
}

/**
 * OFFER_MADE → OFFER_EXPIRED for offers expiring before `cutoff`, locked in id order; their
 * status changes (already in id order).
 */
export async function expireOffers(tx: Tx, cutoff: Date, note: ChangeNote): Promise<StatusChangeInput[]> {
  const offers = await lockExpiringOffers(tx, cutoff);
  if (offers.length === 0) return [];
  const changes = offers.map((o) => {
    const from = o.status as ApplicationStatus;
    return statusChange("APPLICATION", o, from, nextApplicationStatus(from, "EXPIRE"), note);
  });
  await setApplicationsStatus(
    tx,
    offers.map((o) => o.id),
    "OFFER_EXPIRED",
    note.at,
  );
  return changes;
}
