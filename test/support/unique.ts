/**
 * Unique digits for test fixtures (NIK, phone, e-mail, codes, idempotency keys).
 *
 * Each test worker has a database of its own (test/support/world.ts), so uniqueness within the
 * process is what the unique constraints need. Random digits are not enough for that: a worker
 * makes thousands of customers with the same date of birth, and with 10^5 random NIK serials the
 * birthday bound made a duplicate NIK likely in a long run (it failed CI once). A counter cannot
 * repeat: it starts at a random point (processes that share a database, like a benchmark and its
 * seeding, start far apart) and counts up; it lives on `globalThis` so a module loaded twice
 * still shares it.
 */
import { randomInt } from "node:crypto";

const SPACE = 100_000_000;
const g = globalThis as { __gatewayFixtureSeq?: number };

/** Eight digits, never the same twice in this process (until 10^8 calls). */
export function uniqueDigits(): string {
  g.__gatewayFixtureSeq = ((g.__gatewayFixtureSeq ?? randomInt(SPACE)) + 1) % SPACE;
  return String(g.__gatewayFixtureSeq).padStart(8, "0");
}
