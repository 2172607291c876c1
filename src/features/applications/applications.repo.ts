import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { applicationScope } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { anyId, countPerParent, countRows, pagePerParent, pageRows, statusIn } from "../../db/queries.js";
import { loanApplications, statusChanges, type ApplicationRow, type StatusChangeRow } from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { isUuid } from "../../shared/ids.js";

export interface ApplicationFilterInput {
  status?: string[] | null;
  partnerId?: string | null;
  customerId?: string | null;
}

function idEq(col: typeof loanApplications.partnerId | typeof loanApplications.customerId, id: string): SQL {
  return isUuid(id) ? eq(col, id.toLowerCase()) : sql`false`;
}

export function applicationFilterConds(f: ApplicationFilterInput | null | undefined): (SQL | undefined)[] {
  if (!f) return [];
  return [
    statusIn(loanApplications.status, f.status),
    f.partnerId != null ? idEq(loanApplications.partnerId, f.partnerId) : undefined,
    f.customerId != null ? idEq(loanApplications.customerId, f.customerId) : undefined,
  ];
}

export async function applicationsByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<ApplicationRow[]> {
  return db.select().from(loanApplications).where(and(anyId(loanApplications.id, ids), applicationScope(viewer)));
}

export async function listApplications(db: DbOrTx, viewer: Viewer, f: ApplicationFilterInput | null | undefined, args: PageArgs) {
  return pageRows(db, loanApplications, [applicationScope(viewer), ...applicationFilterConds(f)], args);
}

export async function countApplications(db: DbOrTx, viewer: Viewer, f: ApplicationFilterInput | null | undefined) {
  return countRows(db, loanApplications, [applicationScope(viewer), ...applicationFilterConds(f)]);
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
  return pagePerParent(db, loanApplications, loanApplications[parent], parentIds, [applicationScope(viewer), statusIn(loanApplications.status, status)], args);
}

export async function countApplicationsPerParent(
  db: DbOrTx,
  viewer: Viewer,
  parent: ApplicationParent,
  parentIds: string[],
  status: string[] | null | undefined,
) {
  return countPerParent(db, loanApplications, loanApplications[parent], parentIds, [applicationScope(viewer), statusIn(loanApplications.status, status)]);
}

/** Status history of applications or loans (the caller has already checked visibility). */
export async function statusHistoryByEntityIds(db: DbOrTx, ids: string[]): Promise<Map<string, StatusChangeRow[]>> {
  const rows = await db.select().from(statusChanges).where(anyId(statusChanges.entityId, ids)).orderBy(asc(statusChanges.id));
  const out = new Map<string, StatusChangeRow[]>();
  for (const r of rows) {
    let list = out.get(r.entityId);
    if (!list) out.set(r.entityId, (list = []));
    list.push(r);
  }
  return out;
}
