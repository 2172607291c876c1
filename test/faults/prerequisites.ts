/**
 * The fault suites need a private PostgreSQL cluster (test/support/private-pg.ts): the PostgreSQL
 * 15 server binaries (PG_BIN, default /usr/lib/postgresql/15/bin) and, as root, the `postgres`
 * OS user. Without them the suites cannot run. Outside CI they are skipped with a message; under
 * `CI=true` that is not allowed to pass silently (a green CI must mean the faults ran): a test
 * named after the missing prerequisite fails with the reason and the fix. `.ci/run` installs
 * them first (`.ci/faults-prerequisites`).
 */
import { describe, it } from "vitest";
import { privatePgAvailable } from "../support/private-pg.js";

/** `CI` set to anything but "", "0" or "false" (GitHub Actions, GitLab and `.ci/run` set `CI=true`). */
export function inCi(): boolean {
  const v = (process.env.CI ?? "").trim().toLowerCase();
  return v !== "" && v !== "0" && v !== "false";
}

/**
 * Call at the top of a fault test file, before its suites: true when the private cluster cannot
 * be made here and the suites must be skipped. Outside CI that skip is announced on the console.
 * Under CI it is not allowed to pass silently: a test named after the missing prerequisite is
 * registered and fails with the reason and the fix, so `npm run test:faults` exits non-zero.
 */
export function skipWithoutPrivatePg(suite: string): boolean {
  const why = privatePgAvailable();
  if (!why) return false;
  const fix = "install the PostgreSQL 15 server (Debian: `apt-get install postgresql-15`, which also creates the `postgres` user; `.ci/faults-prerequisites` does it) or set PG_BIN";
  if (inCi()) {
    describe(`${suite}: prerequisites (CI=true: a missing prerequisite fails, it does not skip)`, () => {
      it("a private PostgreSQL cluster can be started", () => {
        throw new Error(`fault suite "${suite}" cannot run under CI=true: ${why}. Fix: ${fix}.`);
      });
    });
  } else {
    console.warn(`faults: "${suite}" SKIPPED: ${why}. To run it: ${fix}. (Under CI=true this is a failure.)`);
  }
  return true;
}
