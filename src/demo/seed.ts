/**
 * Demo and benchmark portfolios, made through the same commands the API runs (never raw
 * inserts): partners register customers, customers apply, an admin approves, the customer
 * accepts, the admin disburses (back-dated), payments arrive on (or after) their due dates,
 * the daily update makes the rest late, and some late loans are written off.
 *
 * Each customer's story runs on its own clock (set to the time of each step), so rows carry
 * realistic back-dated timestamps and histories. Deterministic for a given seed number.
 *
 * It ends with ANALYZE: a bulk load leaves the planner without statistics (autovacuum may be
 * off, and runs late anyway), and its estimates for nested reads are then off by orders of
 * magnitude (bench/README.md, "Planner statistics").
 */
import { count, sql } from "drizzle-orm";
import { hashPin } from "../auth/pin-hash.js";
import type { Viewer } from "../auth/viewer.js";
import { customers } from "../db/schema.js";
import {
  acceptOffer,
  approveApplication,
  cancelApplication,
  declineOffer,
  submitApplication,
} from "../features/applications/application.commands.js";
import { registerCustomer } from "../features/customers/customer.commands.js";
import { disburseLoan, failDisbursement, runDailyUpdate, writeOffLoan } from "../features/loans/loan.commands.js";
import { createPartner } from "../features/partners/partner.commands.js";
import { recordPayment } from "../features/payments/payment.commands.js";
import { paymentsByLoanIds } from "../features/payments/payments.repo.js";
import { createContext, type AppServices, type Clock, type Context } from "../graphql/context.js";
import { addDays, addMonths, daysBetween, jakartaDate, startOfJakartaDay } from "../shared/dates.js";
import { firstDueDate } from "../features/loans/schedule.js";

/** A disbursement date whose installment `n` (1-based) is `dpd` days past due on `today`. */
function loanDateWithDpd(today: string, n: number, dpd: number): string {
  let loanDate = addDays(today, -(dpd + n * 30 + 5));
  let best = loanDate;
  let bestGap = Infinity;
  for (let k = 0; k < 90; k++) {
    const gap = daysBetween(addMonths(firstDueDate(loanDate), n - 1), today) - dpd;
    if (Math.abs(gap) < bestGap) [best, bestGap] = [loanDate, Math.abs(gap)];
    if (gap === 0) break;
    loanDate = addDays(loanDate, gap > 0 ? 1 : -1);
  }
  return best;
}

export interface SeedOptions {
  customers: number;
  partners?: number;
  /** PRNG seed: the same number gives the same portfolio. */
  seed?: number;
  /** Customers processed at once (PostgreSQL benefits; PGlite serialises anyway). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  partners: number;
  customers: number;
  applications: number;
  loans: number;
  payments: number;
  skipped: number;
}

const FIRST = ["Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hendra", "Indah", "Joko", "Kartika", "Lestari", "Made", "Nur", "Putri", "Rizky", "Sari", "Teguh", "Wahyu", "Yusuf", "Ayu", "Bayu", "Dian", "Fajar", "Intan", "Maya", "Rina", "Siti", "Wulan", "Yanti"];
const LAST = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Nugroho", "Susanto", "Pratiwi", "Siregar", "Nasution", "Harahap", "Gunawan", "Setiawan", "Kusuma", "Wibowo", "Rahman", "Hakim", "Lubis", "Halim", "Tanjung", "Putra"];
const CITIES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Palembang", "Denpasar", "Yogyakarta", "Malang"];
const PURPOSES = ["Modal usaha", "Biaya sekolah", "Renovasi rumah", "Biaya kesehatan", "Pembelian gawai", "Kebutuhan sehari-hari"];
const DEMO_PIN = "123456";

/** mulberry32: small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

class StepClock implements Clock {
  constructor(private t: Date) {}
  now(): Date {
    return new Date(this.t);
  }
  set(t: Date): void {
    this.t = t;
  }
}

/** What happens to one customer, chosen by weight. */
type Story =
  | "submitted"
  | "denied"
  | "offer"
  | "declined"
  | "expired"
  | "cancelled"
  | "inactive"
  | "loanCancelled"
  | "disbursalFailed"
  | "current"
  | "late"
  | "veryLate"
  | "writtenOff"
  | "paidOff";

const STORIES: [Story, number][] = [
  ["submitted", 4],
  ["denied", 5],
  ["offer", 3],
  ["declined", 2],
  ["expired", 3],
  ["cancelled", 2],
  ["inactive", 3],
  ["loanCancelled", 2],
  ["disbursalFailed", 2],
  ["current", 30],
  ["late", 12],
  ["veryLate", 6],
  ["writtenOff", 4],
  ["paidOff", 22],
];
const STORY_TOTAL = STORIES.reduce((s, [, w]) => s + w, 0);

function pickStory(r: ReturnType<typeof prng>): Story {
  let x = r.next() * STORY_TOTAL;
  for (const [s, w] of STORIES) {
    if ((x -= w) < 0) return s;
  }
  return "current";
}

export async function seedPortfolio(base: AppServices, opts: SeedOptions): Promise<SeedResult> {
  const r = prng(opts.seed ?? 20261128);
  const now = base.clock.now();
  const today = jakartaDate(now);
  const pinHash = await hashPin(DEMO_PIN);
  const result: SeedResult = { partners: 0, customers: 0, applications: 0, loans: 0, payments: 0, skipped: 0 };
  const [existing] = await base.database.db.select({ n: count() }).from(customers);
  const offset = Number(existing?.n ?? 0);

  const contextAt = (viewer: Viewer, clock: StepClock): Context =>
    createContext({ ...base, clock, hashPin: async () => pinHash }, viewer, "seed");
  const admin: Viewer = { role: "ADMIN", sub: "seed" };

  // Partners (lenders' referral partners).
  const partnerIds: string[] = [];
  const nPartners = opts.partners ?? Math.max(2, Math.min(20, Math.round(opts.customers / 1000) + 3));
  const setupClock = new StepClock(new Date(now.getTime() - 400 * 86_400_000));
  for (let i = 0; i < nPartners; i++) {
    const suffix = `${(offset + i).toString(36).toUpperCase()}${r.int(100, 999)}`;
    const p = await createPartner(contextAt(admin, setupClock), {
      code: `MITRA-${suffix}`.slice(0, 20),
      name: `Mitra ${CITIES[i % CITIES.length]} ${suffix}`,
    });
    partnerIds.push(p.id);
    result.partners++;
  }

  const loansToWriteOff: string[] = [];
  let lateSeq = 0;
  const one = async (i: number) => {
    const n = offset + i + 1;
    const story = pickStory(r);
    const clock = new StepClock(now);
    // Registered 20–400 days ago (stories that need history go further back).
    const needsHistory = ["late", "veryLate", "writtenOff", "paidOff", "current"].includes(story);
    // Late stories are placed so that their first missed installment is `targetDpd` days past
    // due today: together they cover every LATE_* status.
    const stl = r.next() < 0.25;
    const tenor = stl ? 1 : r.int(3, 6);
    const late = story === "late" || story === "veryLate" || story === "writtenOff";
    const missed = late ? r.int(1, tenor) : tenor + 1; // first installment left unpaid
    const targetDpd =
      story === "writtenOff" ? r.int(95, 115) : story === "veryLate" ? [135, 165, 220][lateSeq++ % 3]! : [2, 15, 45, 75, 105][lateSeq++ % 5]!;
    const loanDate = late ? loanDateWithDpd(today, missed, targetDpd) : undefined;
    const ageDays = loanDate
      ? daysBetween(loanDate, today) + 3
      : story === "paidOff"
        ? r.int(120, 360)
        : needsHistory
          ? r.int(40, 200)
          : r.int(1, 30);
    // An open offer must still be inside its 72 hours: that story starts a few hours ago.
    let t =
      story === "offer"
        ? new Date(now.getTime() - r.int(4, 30) * 3_600_000)
        : new Date(startOfJakartaDay(addDays(today, -ageDays)).getTime() + r.int(2, 14) * 3_600_000);
    const step = (hours: number) => {
      t = new Date(Math.min(t.getTime() + hours * 3_600_000, now.getTime()));
      clock.set(t);
      return t;
    };
    clock.set(t);
    const partnerId = r.next() < 0.7 ? r.pick(partnerIds) : null;
    const registrar: Viewer = partnerId ? { role: "PARTNER", partnerId, sub: partnerId } : { role: "ANONYMOUS" };
    // Identity consistent with the rules: NIK encodes the date of birth (women: day + 40).
    const age = story === "denied" && r.next() < 0.3 ? r.int(17, 20) : r.int(23, 55);
    const dobYear = Number(jakartaDate(t).slice(0, 4)) - age - 1;
    const dobMonth = r.int(1, 12);
    const dobDay = r.int(1, 28);
    const female = r.next() < 0.5;
    const dob = `${dobYear}-${String(dobMonth).padStart(2, "0")}-${String(dobDay).padStart(2, "0")}`;
    const nik =
      `31${String(71 + (n % 5)).padStart(2, "0")}${String(Math.floor(n / 10000) % 100).padStart(2, "0")}` +
      `${String(dobDay + (female ? 40 : 0)).padStart(2, "0")}${String(dobMonth).padStart(2, "0")}${String(dobYear % 100).padStart(2, "0")}` +
      `${String(n % 10000).padStart(4, "0")}`;
    const income = story === "denied" ? BigInt(r.int(20, 29) * 100_000) : BigInt(r.int(50, 200) * 100_000);
    let reg;
    try {
      reg = await registerCustomer(contextAt(registrar, clock), {
        fullName: `${r.pick(FIRST)} ${r.pick(LAST)}`,
        nik,
        phone: `+628${String(1_000_000_000 + n).slice(-10)}`,
        email: `demo${n}@example.id`,
        dateOfBirth: dob,
        monthlyIncome: income,
        pin: DEMO_PIN,
      });
    } catch {
      result.skipped++;
      return;
    }
    result.customers++;
    const customer: Viewer = { role: "CUSTOMER", customerId: reg.customer.id, sub: reg.customer.id };
    const applicant = partnerId && r.next() < 0.5 ? registrar : customer;
    step(r.int(1, 20));
    const application = await submitApplication(contextAt(applicant, clock), {
      customerId: reg.customer.id,
      productCode: stl ? "STL" : "MTL",
      requestedAmount: stl ? BigInt(r.int(5, 10) * 100_000) : BigInt(r.int(20, 80) * 100_000),
      tenorMonths: tenor,
      purpose: r.pick(PURPOSES),
    });
    result.applications++;
    if (application.status === "DENIED" || story === "submitted" || story === "denied") return;
    step(r.int(1, 12));
    const approved = await approveApplication(contextAt(admin, clock), { applicationId: application.id, note: "verified" });
    if (story === "offer" || story === "expired") return; // the daily update expires the old ones
    step(r.int(1, 12));
    if (story === "declined") {
      await declineOffer(contextAt(customer, clock), approved.id);
      return;
    }
    if (story === "cancelled") {
      await cancelApplication(contextAt(customer, clock), approved.id, "changed my mind");
      return;
    }
    const loan = await acceptOffer(contextAt(customer, clock), approved.id);
    result.loans++;
    if (story === "inactive") return;
    if (story === "loanCancelled") {
      step(2);
      await cancelApplication(contextAt(customer, clock), approved.id, "no longer needed");
      return;
    }
    step(r.int(2, 10));
    if (story === "disbursalFailed") {
      await failDisbursement(contextAt(admin, clock), { loanId: loan.id, reason: "bank account rejected" });
      return;
    }
    if (r.next() < 0.1) {
      await failDisbursement(contextAt(admin, clock), { loanId: loan.id, reason: "bank timeout" });
      step(3);
    }
    if (loanDate) clock.set(new Date(startOfJakartaDay(loanDate).getTime() + 10 * 3_600_000));
    const disbursed = await disburseLoan(contextAt(admin, clock), { loanId: loan.id, disbursedAt: clock.now() });
    // Pay installments on (or around) their due dates, up to today.
    const schedule = (await paymentsByLoanIds(base.database.db, admin, [disbursed.id])).get(disbursed.id) ?? [];
    const missFrom = Math.min(missed, schedule.length + 1) - 1;
    for (const p of schedule) {
      if (p.installmentNumber - 1 >= missFrom) break;
      const lateDays = story === "paidOff" && r.next() < 0.2 ? r.int(1, 10) : r.int(-5, 0);
      const paidDate = addDays(p.dueDate, lateDays);
      if (paidDate > today) break;
      const paidAt = new Date(startOfJakartaDay(paidDate).getTime() + r.int(1, 12) * 3_600_000);
      if (paidAt > now) break;
      clock.set(paidAt);
      await recordPayment(contextAt(admin, clock), {
        loanId: disbursed.id,
        amount: p.principalDue + p.interestDue,
        idempotencyKey: `seed-${n}-${p.installmentNumber}`,
        paidAt,
        channel: r.pick(["VA_BCA", "VA_MANDIRI", "INDOMARET", "ALFAMART", "OVO"]),
      });
      result.payments++;
    }
    if (story === "writtenOff") loansToWriteOff.push(disbursed.id);
  };

  let done = 0;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= opts.customers) return;
      await one(i);
      done++;
      opts.onProgress?.(done, opts.customers);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  // Bring every loan and offer up to date, then write off the hopeless ones.
  const adminNow = contextAt(admin, new StepClock(now));
  await runDailyUpdate(adminNow, today);
  for (const id of loansToWriteOff) {
    try {
      await writeOffLoan(adminNow, id, "uncollectible after 90 days past due");
    } catch {
      // not yet 90 days past due: it stays late
    }
  }
  // Planner statistics for what was just loaded (the whole database: the seed writes to most
  // tables; a few seconds for 20,000 customers).
  await base.database.db.execute(sql`analyze`);
  return result;
}

/** True when the database has no customers yet (the demo is only made on an empty database). */
export async function isEmpty(app: AppServices): Promise<boolean> {
  const [row] = await app.database.db.select({ n: count() }).from(customers);
  return Number(row?.n ?? 0) === 0;
}
