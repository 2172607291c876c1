/**
 * The ledger audit (src/audit/ledger-audit.ts, `npm run audit`): it passes on rows made by the
 * factories and by the real lifecycle through HTTP (register → submit → approve → accept →
 * disburse → pay), and each corruption — made inside a transaction that is rolled back — is
 * reported by exactly the checks it breaks, naming the corrupted row.
 *
 * The worker's database is shared with other test files (some make deliberately odd rows), so
 * the "passes" assertions are scoped to this file's customers; the unscoped audit is only
 * checked for its shape.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { and, asc, eq, sql } from "drizzle-orm";
import { TransactionRollbackError } from "drizzle-orm/errors";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_CHECKS, auditLedger, type AuditReport } from "../src/audit/ledger-audit.js";
import type { Tx } from "../src/db/client.js";
import { customers, loanApplications, loans, paymentAllocations, payments, statusChanges } from "../src/db/schema.js";
import { makeApplication, makeCustomer, makeLoan, makeTransaction } from "./support/factories.js";
import { registration } from "./support/registration.js";
import { adminToken, gql, usingPostgres, world, type GqlResult } from "./support/world.js";

const root = fileURLToPath(new URL("..", import.meta.url));

afterEach(async () => (await world()).clock.set(null));

function ok<T = any>(r: GqlResult<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

/** Jakarta 09:00 on that date. */
const at9 = (date: string) => `${date}T02:00:00.000Z`;

interface Lifecycle {
  customerId: string;
  applicationId: string;
  loanId: string;
}

/** Register → submit → approve → accept → disburse (2026-01-10, 3,000,000 over 3 months) → pay. */
async function lifecycle(admin: string, payAmount: string): Promise<Lifecycle> {
  const w = await world();
  w.clock.set(at9("2026-01-10"));
  const reg = ok(await gql(`mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token customer { id } } }`, { input: registration() }))
    .registerCustomer;
  const app = ok(
    await gql(
      `mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { id status } }`,
      { input: { productCode: "MTL", requestedAmount: "3000000", tenorMonths: 3, purpose: "Modal usaha" } },
      reg.token,
    ),
  ).submitApplication;
  expect(app.status).toBe("SUBMITTED");
  ok(await gql(`mutation($id: ID!) { approveApplication(input: { applicationId: $id }) { status } }`, { id: app.id }, admin));
  const loan = ok(await gql(`mutation($id: ID!) { acceptOffer(applicationId: $id) { id } }`, { id: app.id }, reg.token)).acceptOffer;
  const disbursed = ok(await gql(`mutation($id: ID!) { disburseLoan(input: { loanId: $id }) { status totalDue } }`, { id: loan.id }, admin)).disburseLoan;
  expect(disbursed).toEqual({ status: "CURRENT", totalDue: "3364000" });
  const paidAt = at9("2026-02-10");
  w.clock.set(paidAt);
  ok(
    await gql(
      `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { replayed } }`,
      { input: { loanId: loan.id, amount: payAmount, idempotencyKey: `audit-${loan.id}`, paidAt } },
      admin,
    ),
  );
  return { customerId: reg.customer.id, applicationId: app.id, loanId: loan.id };
}

let partial: Lifecycle; // installment 1 paid, installment 2 partly: CURRENT
let paidOff: Lifecycle; // everything + 10,000 to the wallet: PAID_OFF
const mine: string[] = [];

beforeAll(async () => {
  const admin = await adminToken();
  partial = await lifecycle(admin, "1624000");
  paidOff = await lifecycle(admin, "3374000");
  (await world()).clock.set(null);
  // Factory rows that are consistent by construction.
  const a = await makeCustomer();
  const l = await makeLoan({ customer: a });
  await makeTransaction(l, 500_000n);
  const b = await makeCustomer();
  await makeApplication({ customer: b, status: "DENIED" });
  const c = await makeCustomer();
  await makeLoan({ customer: c, status: "INACTIVE" });
  const d = await makeCustomer();
  await makeLoan({ customer: d, status: "LATE_5DPD", daysPastDue: 5 });
  await makeApplication({ customer: d, status: "SUBMITTED" });
  mine.push(partial.customerId, paidOff.customerId, a.id, b.id, c.id, d.id);
}, 60_000);

const failing = (r: AuditReport) => r.checks.filter((c) => c.violations > 0).map((c) => c.name).sort();
const check = (r: AuditReport, name: string) => r.checks.find((c) => c.name === name)!;

class Rollback extends Error {}

/** Corrupt inside a transaction, audit it there, roll it back. */
async function auditCorrupted(corrupt: (tx: Tx) => Promise<void>): Promise<AuditReport> {
  const { db } = (await world()).database;
  let report: AuditReport | undefined;
  try {
    await db.transaction(async (tx) => {
      await corrupt(tx);
      report = await auditLedger(tx, { customerIds: mine });
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback) && !(err instanceof TransactionRollbackError)) throw err;
  }
  return report!;
}

async function installments(tx: Tx, loanId: string) {
  return tx.select().from(payments).where(eq(payments.loanId, loanId)).orderBy(asc(payments.installmentNumber));
}

describe("ledger audit", () => {
  it("passes on this file's lifecycle and factory rows", async () => {
    const { db } = (await world()).database;
    // The lifecycle really did what the corruptions below rely on.
    const [wallet] = await db.select({ w: customers.walletBalance }).from(customers).where(eq(customers.id, paidOff.customerId));
    expect(wallet!.w).toBe(10_000n);
    const [pl] = await db.select({ s: loans.status }).from(loans).where(eq(loans.id, paidOff.loanId));
    expect(pl!.s).toBe("PAID_OFF");

    const report = await auditLedger(db, { customerIds: mine });
    expect(failing(report), JSON.stringify(report.checks.filter((c) => c.violations > 0))).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(AUDIT_CHECKS.map((c) => c.name));
  });

  it("an unscoped audit of the whole database completes and returns the report shape", async () => {
    const report = await auditLedger((await world()).database.db);
    expect(typeof report.ok).toBe("boolean");
    expect(report.checks.map((c) => c.name)).toEqual(AUDIT_CHECKS.map((c) => c.name));
    for (const c of report.checks) {
      expect(c.description.length).toBeGreaterThan(10);
      expect(Number.isInteger(c.violations) && c.violations >= 0).toBe(true);
      expect(c.examples.length).toBeLessThanOrEqual(Math.min(5, c.violations));
      if (c.violations > 0) expect(c.examples.length).toBeGreaterThan(0);
    }
    expect(report.ok).toBe(report.checks.every((c) => c.violations === 0));
  });

  it("an empty scope audits nothing", async () => {
    const report = await auditLedger((await world()).database.db, { customerIds: [] });
    expect(report.ok).toBe(true);
  });

  it("an allocation amount changed: the transaction no longer balances and the installment disagrees with its allocations", async () => {
    let txId = "";
    let paymentId = "";
    const report = await auditCorrupted(async (tx) => {
      const [inst1] = await installments(tx, partial.loanId);
      const [alloc] = await tx.select().from(paymentAllocations).where(eq(paymentAllocations.paymentId, inst1!.id));
      txId = alloc!.transactionId;
      paymentId = inst1!.id;
      await tx.update(paymentAllocations).set({ principal: alloc!.principal - 1n }).where(eq(paymentAllocations.id, alloc!.id));
    });
    expect(failing(report)).toEqual(["installment_paid_matches_allocations", "transaction_amount_balanced"]);
    expect(check(report, "transaction_amount_balanced")).toMatchObject({ violations: 1 });
    expect(check(report, "transaction_amount_balanced").examples[0]).toContain(txId);
    expect(check(report, "installment_paid_matches_allocations")).toMatchObject({ violations: 1 });
    expect(check(report, "installment_paid_matches_allocations").examples[0]).toContain(paymentId);
    expect(report.ok).toBe(false);
  });

  it("an installment's paidPrincipal changed (paidAmount kept equal to the sum): it disagrees with its allocations", async () => {
    let paymentId = "";
    const report = await auditCorrupted(async (tx) => {
      const inst2 = (await installments(tx, partial.loanId))[1]!;
      expect(inst2.paidPrincipal).toBe(500_000n);
      paymentId = inst2.id;
      await tx
        .update(payments)
        .set({ paidPrincipal: inst2.paidPrincipal - 1000n, paidAmount: inst2.paidAmount - 1000n })
        .where(eq(payments.id, inst2.id));
    });
    expect(failing(report)).toEqual(["installment_paid_matches_allocations"]);
    const c = check(report, "installment_paid_matches_allocations");
    expect(c.violations).toBe(1);
    expect(c.examples).toEqual([`${paymentId}: paid 499000/0/0 but allocated 500000/0/0`]);
  });

  it("a fully paid installment that loses money is no longer paid, and its PAID_OFF loan has something outstanding", async () => {
    const report = await auditCorrupted(async (tx) => {
      const inst3 = (await installments(tx, paidOff.loanId))[2]!;
      await tx.update(payments).set({ paidInterest: inst3.paidInterest - 1n, paidAmount: inst3.paidAmount - 1n }).where(eq(payments.id, inst3.id));
    });
    expect(failing(report)).toEqual(["installment_paid_matches_allocations", "installment_paid_status", "loan_outstanding_matches_status"]);
    expect(check(report, "loan_outstanding_matches_status").examples).toEqual([`${paidOff.loanId}: PAID_OFF with outstanding 1`]);
  });

  it("a wallet balance changed: the wallet check names the customer", async () => {
    const report = await auditCorrupted(async (tx) => {
      await tx.update(customers).set({ walletBalance: sql`${customers.walletBalance} + 1` }).where(eq(customers.id, paidOff.customerId));
    });
    expect(failing(report)).toEqual(["wallet_balance_matches_credits"]);
    expect(check(report, "wallet_balance_matches_credits").examples).toEqual([`${paidOff.customerId}: walletBalance 10001 <> credited 10000`]);
  });

  it("a loan status changed without history: the latest history no longer matches", async () => {
    const report = await auditCorrupted(async (tx) => {
      await tx.update(loans).set({ status: "LATE_5DPD" }).where(eq(loans.id, partial.loanId));
    });
    expect(failing(report)).toEqual(["status_history_latest_matches"]);
    expect(check(report, "status_history_latest_matches").examples).toEqual([`loan ${partial.loanId}: status LATE_5DPD (231) but latest history 220`]);
  });

  it("a history row removed from the middle breaks the chain", async () => {
    const report = await auditCorrupted(async (tx) => {
      const rows = await tx
        .select()
        .from(statusChanges)
        .where(and(eq(statusChanges.entityType, "APPLICATION"), eq(statusChanges.entityId, partial.applicationId)))
        .orderBy(asc(statusChanges.id));
      expect(rows.map((r) => r.toCode)).toEqual([110, 140, 141, 180]);
      await tx.delete(statusChanges).where(eq(statusChanges.id, rows[1]!.id));
    });
    expect(failing(report)).toEqual(["status_history_chain"]);
    const c = check(report, "status_history_chain");
    expect(c.violations).toBe(1);
    expect(c.examples[0]).toMatch(new RegExp(`^application ${partial.applicationId}: history row \\d+ from 140 but previous row ended at 110$`));
  });

  it("a disbursed loan's application left at OFFER_ACCEPTED is inconsistent", async () => {
    const report = await auditCorrupted(async (tx) => {
      await tx.update(loanApplications).set({ status: "OFFER_ACCEPTED" }).where(eq(loanApplications.id, paidOff.applicationId));
    });
    expect(failing(report)).toEqual(["loan_application_status", "status_history_latest_matches"]);
    expect(check(report, "loan_application_status").examples).toEqual([
      `${paidOff.loanId}: loan PAID_OFF but application ${paidOff.applicationId} OFFER_ACCEPTED`,
    ]);
  });

  it("a late fee that breaks the interest + late fees ≤ principal cap", async () => {
    const report = await auditCorrupted(async (tx) => {
      const inst2 = (await installments(tx, partial.loanId))[1]!;
      await tx.update(payments).set({ lateFeeDue: 3_000_000n }).where(eq(payments.id, inst2.id));
    });
    expect(failing(report)).toEqual(["late_fees_and_interest_within_principal"]);
  });

  it("installments on an INACTIVE loan, and a disbursed loan missing one", async () => {
    const report = await auditCorrupted(async (tx) => {
      const inst3 = (await installments(tx, partial.loanId))[2]!;
      const [inactive] = await tx
        .select({ id: loans.id })
        .from(loans)
        .where(and(eq(loans.status, "INACTIVE"), sql`${loans.customerId} = any(${`{${mine.join(",")}}`}::uuid[])`));
      await tx.update(payments).set({ loanId: inactive!.id }).where(eq(payments.id, inst3.id));
    });
    expect(failing(report)).toEqual(["loan_schedule_matches_principal", "undisbursed_loan_has_no_installments"]);
  });
});

describe("npm run audit", () => {
  function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile("npx", ["tsx", "src/cli/audit.ts", ...args], { cwd: root, timeout: 90_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      });
    });
  }

  it("bad arguments exit 2 with the usage", async () => {
    const r = await runCli(["--customer", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--customer must be a customer id (uuid), got "nope"');
    expect(r.stderr).toContain("usage: npm run audit");
    const unknown = await runCli(["--frobnicate"]);
    expect(unknown.code).toBe(2);
  }, 60_000);

  describe.runIf(usingPostgres())("on the worker's PostgreSQL database", () => {
    let dir: string;
    afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

    it("exits 0 for consistent customers and 1 (naming the row) once a wallet is wrong", async () => {
      dir = mkdtempSync(join(tmpdir(), "audit-cli-"));
      const env = { DATABASE_URL: (await world()).databaseUrl!, DATA_DIR: dir, NODE_ENV: "test", JWT_SECRET: "x".repeat(32) };
      const good = await runCli(["--json", ...mine.flatMap((id) => ["--customer", id])], env);
      expect(good.code, good.stderr).toBe(0);
      const parsed = JSON.parse(good.stdout);
      expect(parsed.ok).toBe(true);
      expect(parsed.checks).toHaveLength(AUDIT_CHECKS.length);

      const victim = await makeCustomer({ walletBalance: 7n });
      const bad = await runCli(["--customer", victim.id], env);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain("FAIL wallet_balance_matches_credits");
      expect(bad.stdout).toContain(`${victim.id}: walletBalance 7 <> credited 0`);
      expect(bad.stdout).toContain("Ledger audit FAILED: 1 of");
    }, 90_000);
  });

  it("on an empty embedded database it passes (exit 0) and prints a readable report", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "audit-pglite-"));
    try {
      const r = await runCli([], { DATA_DIR: dataDir, NODE_ENV: "test", DATABASE_URL: "" });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("ok   transaction_amount_balanced");
      expect(r.stdout).toMatch(/Ledger audit passed: \d+ checks, no violations/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
