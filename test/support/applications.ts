/** Helpers for the application-lifecycle tests (test/applications-*.test.ts). */
import { asc, eq } from "drizzle-orm";
import { expect } from "vitest";
import { loanApplications, loans, statusEvents, type CustomerRow } from "../../src/db/schema.js";
import { adminToken, gql, tokenFor, world, type GqlResult } from "./world.js";

export const APP_FIELDS = `id status statusCode requestedAmount tenorMonths purpose createdAt updatedAt
  customer { id } partner { id } product { code }
  creditScore { grade maxAmount maxTenorMonths monthlyInterestRateBps reasons }
  offer { amount tenorMonths monthlyInterestRateBps originationFee disbursedAmount installmentAmount firstDueDate expiresAt }
  loan { id status statusCode }
  statusHistory { fromCode toCode reason actor at }`;

export const LOAN_FIELDS = `id status statusCode principal originationFee disbursedAmount monthlyInterestRateBps tenorMonths
  disbursedAt createdAt customer { id } partner { id } product { code }
  application { id status statusCode }
  statusHistory { fromCode toCode reason actor at }`;

export const SUBMIT = `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { ${APP_FIELDS} } }`;
export const APPROVE = `mutation($input: ApproveApplicationInput!) { approveApplication(input: $input) { ${APP_FIELDS} } }`;
export const REJECT = `mutation($input: RejectApplicationInput!) { rejectApplication(input: $input) { ${APP_FIELDS} } }`;
export const CANCEL = `mutation($id: ID!, $reason: String) { cancelApplication(applicationId: $id, reason: $reason) { ${APP_FIELDS} } }`;
export const ACCEPT = `mutation($id: ID!) { acceptOffer(applicationId: $id) { ${LOAN_FIELDS} } }`;
export const DECLINE = `mutation($id: ID!) { declineOffer(applicationId: $id) { ${APP_FIELDS} } }`;
export const READ = `query($id: ID!) { application(id: $id) { ${APP_FIELDS} } }`;

export interface SubmitVars {
  customerId?: string | null;
  productCode?: string;
  requestedAmount?: string | number;
  tenorMonths?: number;
  purpose?: string;
}

export function submitInput(v: SubmitVars = {}) {
  return {
    productCode: "MTL",
    requestedAmount: "3000000",
    tenorMonths: 3,
    purpose: "Modal usaha warung",
    ...v,
  };
}

export const customerToken = (c: CustomerRow) => tokenFor("CUSTOMER", c.id);

export function ok<T = Record<string, any>>(r: GqlResult<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

export function expectError(r: GqlResult, code: string, extra: Record<string, unknown> = {}) {
  expect(r.errors?.[0]?.extensions, JSON.stringify(r.errors)).toMatchObject({ code, ...extra });
  expect(r.data ?? null).toBeNull();
}

/** Submits as the customer itself; returns the application. */
export async function submitAs(customer: CustomerRow, v: SubmitVars = {}) {
  return ok(await gql(SUBMIT, { input: submitInput(v) }, await customerToken(customer))).submitApplication;
}

/** Submits (as the customer) and approves (as ADMIN); returns the application with its offer. */
export async function offerFor(customer: CustomerRow, v: SubmitVars = {}, approve: Record<string, unknown> = {}) {
  const app = await submitAs(customer, v);
  expect(app.status).toBe("SUBMITTED");
  return ok(await gql(APPROVE, { input: { applicationId: app.id, ...approve } }, await adminToken())).approveApplication;
}

export async function readApplication(id: string) {
  return ok(await gql(READ, { id }, await adminToken())).application;
}

export async function dbApplication(id: string) {
  const db = (await world()).database.db;
  const [row] = await db.select().from(loanApplications).where(eq(loanApplications.id, id));
  return row;
}

export async function dbApplicationsOf(customerId: string) {
  const db = (await world()).database.db;
  return db.select().from(loanApplications).where(eq(loanApplications.customerId, customerId));
}

export async function dbLoansOfApplication(applicationId: string) {
  const db = (await world()).database.db;
  return db.select().from(loans).where(eq(loans.applicationId, applicationId));
}

export async function eventsOf(entityId: string) {
  const db = (await world()).database.db;
  return db.select().from(statusEvents).where(eq(statusEvents.entityId, entityId)).orderBy(asc(statusEvents.id));
}

/**
 * The status_events rows of an entity agree with its statusHistory (same moves, reasons, actors,
 * in order), mapped through `codes` (status name → code).
 */
export async function expectEventsMatchHistory(
  entityId: string,
  history: { fromCode: number | null; toCode: number; reason: string | null; actor: string }[],
  codes: Record<string, number>,
) {
  const events = await eventsOf(entityId);
  expect(
    events.map((e) => ({
      fromCode: e.fromStatus === null ? null : codes[e.fromStatus],
      toCode: codes[e.toStatus],
      reason: e.reason,
      actor: e.actor,
    })),
  ).toEqual(history.map((h) => ({ fromCode: h.fromCode, toCode: h.toCode, reason: h.reason, actor: h.actor })));
}
