import { and, eq, or, sql } from "drizzle-orm";
import { customerScope, visible } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import type { DbOrTx } from "../../db/client.js";
import { countPerParent, countRows, pagePerParent, pageRows } from "../../db/queries.js";
import { customers, loginAttempts, type CustomerRow } from "../../db/schema.js";
import type { PageArgs } from "../../shared/connections.js";
import { filterConds, readByIds, readColumns } from "../../graphql/read-model.js";
import { customerRead } from "./customer.read.js";

export interface CustomerFilterInput {
  partnerId?: string | null;
  search?: string | null;
}

/** The filter's conditions, as declared in the read model (the compiler uses the same). */
const customerFilterConds = (filter: CustomerFilterInput | null | undefined) => filterConds(customerRead, filter);

export async function customersByIds(db: DbOrTx, viewer: Viewer, ids: string[]): Promise<CustomerRow[]> {
  return readByIds(db, customerRead, viewer, ids);
}

export async function listCustomers(
  db: DbOrTx,
  viewer: Viewer,
  filter: CustomerFilterInput | null | undefined,
  args: PageArgs,
): Promise<CustomerRow[]> {
  return pageRows(db, customers, [visible(customerScope, viewer), ...customerFilterConds(filter)], args, readColumns(customerRead, viewer.role));
}

export async function countCustomers(db: DbOrTx, viewer: Viewer, filter: CustomerFilterInput | null | undefined) {
  return countRows(db, customers, [visible(customerScope, viewer), ...customerFilterConds(filter)]);
}

export async function customersPerPartner(db: DbOrTx, viewer: Viewer, partnerIds: string[], args: PageArgs) {
  return pagePerParent(db, customers, customers.partnerId, partnerIds, [visible(customerScope, viewer)], args, readColumns(customerRead, viewer.role));
}

export async function countCustomersPerPartner(db: DbOrTx, viewer: Viewer, partnerIds: string[]) {
  return countPerParent(db, customers, customers.partnerId, partnerIds, [visible(customerScope, viewer)]);
}

// ---- registration and login -------------------------------------------------------------------
// Identity uniqueness is global (not scoped to the viewer): these serve the write path only.

/** Existing customers holding any of these identity values (at most one per field). */
export async function customersWithIdentity(
  db: DbOrTx,
  v: { nik: string; phone: string; email: string },
): Promise<Pick<CustomerRow, "nik" | "phone" | "email">[]> {
  return db
    .select({ nik: customers.nik, phone: customers.phone, email: customers.email })
    .from(customers)
    .where(or(eq(customers.nik, v.nik), eq(customers.phone, v.phone), eq(customers.email, v.email)))
    .limit(3);
}

export async function insertCustomer(db: DbOrTx, values: typeof customers.$inferInsert): Promise<CustomerRow> {
  const [row] = await db.insert(customers).values(values).returning();
  return row!;
}

/** The customer with this (normalised) phone, regardless of viewer: login only. */
export async function customerByPhone(db: DbOrTx, phone: string): Promise<CustomerRow | undefined> {
  const [row] = await db.select().from(customers).where(eq(customers.phone, phone));
  return row;
}

export interface LoginAttemptState {
  failedCount: number;
  lockedUntil: Date | null;
}

export async function loginAttemptState(db: DbOrTx, phone: string): Promise<LoginAttemptState | undefined> {
  const [row] = await db
    .select({ failedCount: loginAttempts.failedCount, lockedUntil: loginAttempts.lockedUntil })
    .from(loginAttempts)
    .where(eq(loginAttempts.phone, phone));
  return row;
}

/**
 * Count one wrong PIN for `phone` in one atomic upsert, so concurrent wrong attempts are all
 * counted. After an expired lock the count starts again at 1; reaching `maxFailures` sets
 * `lockedUntil`; an attempt counted while a lock is active leaves the lock as it is (its count
 * then exceeds `maxFailures`, which tells the caller the phone was already locked).
 * Returns the row as it is after the statement.
 */
export async function recordFailedLogin(
  db: DbOrTx,
  phone: string,
  now: Date,
  maxFailures: number,
  lockUntil: Date,
): Promise<LoginAttemptState> {
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const lockTs = sql`${lockUntil.toISOString()}::timestamptz`;
  const active = sql`(${loginAttempts.lockedUntil} is not null and ${loginAttempts.lockedUntil} > ${nowTs})`;
  const expired = sql`(${loginAttempts.lockedUntil} is not null and ${loginAttempts.lockedUntil} <= ${nowTs})`;
  const nextCount = sql`(case when ${expired} then 1 else ${loginAttempts.failedCount} + 1 end)`;
  const [row] = await db
    .insert(loginAttempts)
    .values({ phone, failedCount: 1, lockedUntil: maxFailures <= 1 ? lockUntil : null, updatedAt: now })
    .onConflictDoUpdate({
      target: loginAttempts.phone,
      set: {
        failedCount: nextCount,
        lockedUntil: sql`case when ${active} then ${loginAttempts.lockedUntil} when ${nextCount} >= ${maxFailures} then ${lockTs} else null end`,
        updatedAt: now,
      },
    })
    .returning({ failedCount: loginAttempts.failedCount, lockedUntil: loginAttempts.lockedUntil });
  return row!;
}

/**
 * After a correct PIN: forget the failures of `phone` unless it is locked at `now`. Returns the
 * active lock's end when it is locked (the login must then be refused), else null.
 */
export async function clearFailedLogins(db: DbOrTx, phone: string, now: Date): Promise<Date | null> {
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const deleted = await db
    .delete(loginAttempts)
    .where(and(eq(loginAttempts.phone, phone), sql`(${loginAttempts.lockedUntil} is null or ${loginAttempts.lockedUntil} <= ${nowTs})`))
    .returning({ phone: loginAttempts.phone });
  if (deleted.length > 0) return null;
  const state = await loginAttemptState(db, phone);
  return state?.lockedUntil && state.lockedUntil > now ? state.lockedUntil : null;
}
