import { and, eq, notInArray, sql } from "drizzle-orm";
import { applicationScope, customerScope, visible } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { anyId, countPerParent, countRows, pagePerParent, pageRows, statusIn } from "../../db/queries.js";
import {
  customers,
  loanApplications,
  loans,
  statusChanges,
  type ApplicationRow,
  type CustomerRow,
  type StatusChangeRow,
} from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { isUuid } from "../../shared/ids.js";
import { filterConds, readByIds, readColumns } from "../../graphql/read-model.js";
import { applicationRead } from "./application.read.js";
import { statusChangeRead } from "./status-change.read.js";

export interface ApplicationFilterInput {
  status?: string[] | null;
  partnerId?: string | null;
  customerId?: string | null;
}

/** The filter's conditions, as declared in the read model (the compiler uses the same). */
const applicationFilterConds = (f: ApplicationFilterInput | null | undefined) => filterConds(applicationRead, f);

export async function applicationsByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<ApplicationRow[]> {
  return readByIds(db, applicationRead, viewer, ids);
}

export async function listApplications(db: DbOrTx, viewer: Viewer, f: ApplicationFilterInput | null | undefined, args: PageArgs) {
  return pageRows(db, loanApplications, [visible(applicationScope, viewer), ...applicationFilterConds(f)], args, readColumns(applicationRead, viewer.role));
}

export async function countApplications(db: DbOrTx, viewer: Viewer, f: ApplicationFilterInput | null | undefined) {
  return countRows(db, loanApplications, [visible(applicationScope, viewer), ...applicationFilterConds(f)]);
}

export type ApplicationParent = "customerId" | "partnerId";

export async function applicationsPerParent(
  db: DbOrTx,
  viewer: Viewer,
  parent: ApplicationParent,
  parentIds: string[],
  status: string[] | null | undefined,
  args: PageArgs,
) {
  return pagePerParent(db, loanApplications, loanApplications[parent], parentIds, [visible(applicationScope, viewer), ...applicationFilterConds({ status })], args, readColumns(applicationRead, viewer.role));
}

export async function countApplicationsPerParent(
  db: DbOrTx,
  viewer: Viewer,
  parent: ApplicationParent,
  parentIds: string[],
  status: string[] | null | undefined,
) {
  return countPerParent(db, loanApplications, loanApplications[parent], parentIds, [visible(applicationScope, viewer), ...applicationFilterConds({ status })]);
}

/** Status history of applications or loans (the caller has already checked visibility). */
export async function statusHistoryByEntityIds(db: DbOrTx, ids: string[]): Promise<Map<string, StatusChangeRow[]>> {
  const rows = await db.select().from(statusChanges).where(anyId(statusChanges.entityId, ids)).orderBy(statusChangeRead.listOrder());
  const out = new Map<string, StatusChangeRow[]>();
  for (const r of rows) {
    let list = out.get(r.entityId);
    if (!list) out.set(r.entityId, (list = []));
    list.push(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations (application.commands.ts). Every function takes the caller's transaction.

/**
 * The application row locked `for update`, if the viewer may see it (else undefined: it does not
 * exist for the viewer). A non-uuid id matches nothing.
 */
export async function lockApplication(tx: DbOrTx, viewer: Viewer, id: string): Promise<ApplicationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx
    .select()
    .from(loanApplications)
    .where(and(eq(loanApplications.id, id.toLowerCase()), visible(applicationScope, viewer)))
    .for("update");
  return row;
}

/**
 * The customer row locked `for update`, if the viewer may see it. Serialises submissions for one
 * customer: the open-application check and the insert run while the lock is held.
 */
export async function lockCustomer(tx: DbOrTx, viewer: Viewer, id: string): Promise<CustomerRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx
    .select()
    .from(customers)
    .where(and(eq(customers.id, id.toLowerCase()), visible(customerScope, viewer)))
    .for("update");
  return row;
}

/**
 * What blocks a new application of the customer: an application in one of `openStatuses`
 * ("application"), else a loan not in one of `closedLoanStatuses` ("loan"), else null.
 */
export async function openApplicationOrLoan(
  tx: DbOrTx,
  customerId: string,
  openStatuses: readonly string[],
  closedLoanStatuses: readonly string[],
): Promise<"application" | "loan" | null> {
  const [app] = await tx
    .select({ id: loanApplications.id })
    .from(loanApplications)
    .where(and(eq(loanApplications.customerId, customerId), statusIn(loanApplications.status, openStatuses)))
    .limit(1);
  if (app) return "application";
  const [loan] = await tx
    .select({ id: loans.id })
    .from(loans)
    .where(and(eq(loans.customerId, customerId), notInArray(loans.status, [...closedLoanStatuses])))
    .limit(1);
  return loan ? "loan" : null;
}

export async function insertApplication(tx: DbOrTx, values: typeof loanApplications.$inferInsert): Promise<ApplicationRow> {
  const [row] = await tx.insert(loanApplications).values(values).returning();
  return row!;
}

export async function updateApplication(
  tx: DbOrTx,
  id: string,
  set: Partial<Omit<typeof loanApplications.$inferInsert, "id" | "customerId" | "createdAt">>,
): Promise<ApplicationRow> {
  const [row] = await tx.update(loanApplications).set(set).where(eq(loanApplications.id, id)).returning();
  return row!;
}

export interface ExpiringOffer {
  id: string;
  status: string;
  customerId: string;
  partnerId: string | null;
}

/** OFFER_MADE applications whose offer expires before `before`, locked `for update` in id order. */
export async function lockExpiringOffers(tx: DbOrTx, before: Date): Promise<ExpiringOffer[]> {
  return tx
    .select({
      id: loanApplications.id,
      status: loanApplications.status,
      customerId: loanApplications.customerId,
      partnerId: loanApplications.partnerId,
    })
    .from(loanApplications)
    .where(and(eq(loanApplications.status, "OFFER_MADE"), sql`${loanApplications.offerExpiresAt} < ${before.toISOString()}::timestamptz`))
    .orderBy(loanApplications.id)
    .for("update");
}

export async function setApplicationsStatus(tx: DbOrTx, ids: readonly string[], status: string, now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.update(loanApplications).set({ status, updatedAt: now }).where(anyId(loanApplications.id, ids));
}
