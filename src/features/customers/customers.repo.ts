import { and, eq, or, sql, type SQL } from "drizzle-orm";
import { customerScope } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { anyId, countPerParent, countRows, pagePerParent, pageRows } from "../../db/queries.js";
import { customers, type CustomerRow } from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { isUuid } from "../../shared/ids.js";

export interface CustomerFilterInput {
  partnerId?: string | null;
  search?: string | null;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Phone forms accepted at registration, normalised the same way for an exact match. */
function phoneCandidate(s: string): string | undefined {
  const digits = s.replace(/[\s-]/g, "");
  if (/^08\d{8,11}$/.test(digits)) return `+62${digits.slice(1)}`;
  if (/^628\d{8,11}$/.test(digits)) return `+${digits}`;
  if (/^\+628\d{8,11}$/.test(digits)) return digits;
  return undefined;
}

export function customerFilterConds(filter: CustomerFilterInput | null | undefined): SQL[] {
  const conds: SQL[] = [];
  if (!filter) return conds;
  if (filter.partnerId !== undefined && filter.partnerId !== null) {
    conds.push(isUuid(filter.partnerId) ? eq(customers.partnerId, filter.partnerId.toLowerCase()) : sql`false`);
  }
  const search = filter.search?.trim();
  if (search) {
    const parts: SQL[] = [sql`${customers.fullName} ilike ${"%" + likeEscape(search) + "%"}`];
    const phone = phoneCandidate(search);
    if (phone) parts.push(eq(customers.phone, phone));
    if (search.includes("@")) parts.push(eq(customers.email, search.toLowerCase()));
    if (/^\d{16}$/.test(search)) parts.push(eq(customers.nik, search));
    conds.push(or(...parts)!);
  }
  return conds;
}

export async function customersByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<CustomerRow[]> {
  return db.select().from(customers).where(and(anyId(customers.id, ids), customerScope(viewer)));
}

export async function listCustomers(
  db: DbOrTx,
  viewer: Viewer,
  filter: CustomerFilterInput | null | undefined,
  args: PageArgs,
): Promise<CustomerRow[]> {
  return pageRows(db, customers, [customerScope(viewer), ...customerFilterConds(filter)], args);
}

export async function countCustomers(db: DbOrTx, viewer: Viewer, filter: CustomerFilterInput | null | undefined) {
  return countRows(db, customers, [customerScope(viewer), ...customerFilterConds(filter)]);
}

export async function customersPerPartner(db: DbOrTx, viewer: Viewer, partnerIds: string[], args: PageArgs) {
  return pagePerParent(db, customers, customers.partnerId, partnerIds, [customerScope(viewer)], args);
}

export async function countCustomersPerPartner(db: DbOrTx, viewer: Viewer, partnerIds: string[]) {
  return countPerParent(db, customers, customers.partnerId, partnerIds, [customerScope(viewer)]);
}
