/**
 * npm run audit -- [--json] [--customer ID]...
 * Checks every ledger and status-history invariant (src/audit/ledger-audit.ts) on DATABASE_URL
 * (or the embedded database) and prints a readable report, or JSON with --json. Read-only.
 * Exit codes: 0 no violations, 1 violations found, 2 bad arguments or configuration,
 * 3 the audit could not run (e.g. database unreachable).
 */
import { parseArgs } from "node:util";
import { auditLedger, type AuditReport } from "../audit/ledger-audit.js";
import { configOrExit, openConfiguredDatabase } from "./common.js";
import { isUuid } from "../shared/ids.js";

const USAGE = "usage: npm run audit -- [--json] [--customer ID]...   (default: the whole database)";

function fail(msg: string, code = 2): never {
  console.error(`audit: ${msg}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

interface Args {
  json: boolean;
  customerIds?: string[];
}

function parseCommandLine(argv: string[]): Args {
  let values: { json?: boolean; customer?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean" },
        customer: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const bad = values.customer?.find((id) => !isUuid(id));
  if (bad !== undefined) fail(`--customer must be a customer id (uuid), got "${bad}"`);
  return { json: !!values.json, customerIds: values.customer };
}

export function formatReport(report: AuditReport, ms: number): string {
  const lines: string[] = [];
  const width = Math.max(...report.checks.map((c) => c.name.length));
  for (const c of report.checks) {
    const mark = c.violations === 0 ? "ok  " : "FAIL";
    lines.push(`${mark} ${c.name.padEnd(width)}  ${c.violations === 0 ? "" : `${c.violations} violation${c.violations === 1 ? "" : "s"}`}`.trimEnd());
    if (c.violations > 0) {
      lines.push(`       ${c.description}`);
      for (const e of c.examples) lines.push(`       - ${e}`);
      if (c.violations > c.examples.length) lines.push(`       … and ${c.violations - c.examples.length} more`);
    }
  }
  const failed = report.checks.filter((c) => c.violations > 0).length;
  lines.push("");
  lines.push(
    report.ok
      ? `Ledger audit passed: ${report.checks.length} checks, no violations (${ms} ms).`
      : `Ledger audit FAILED: ${failed} of ${report.checks.length} checks have violations (${ms} ms).`,
  );
  return lines.join("\n");
}

async function run() {
  const args = parseCommandLine(process.argv.slice(2));
  const database = await openConfiguredDatabase(configOrExit("audit"));
  let report: AuditReport;
  const started = Date.now();
  try {
    report = await auditLedger(database.db, { customerIds: args.customerIds });
  } finally {
    await database.close();
  }
  const ms = Date.now() - started;
  process.stdout.write((args.json ? JSON.stringify({ ...report, ms }, null, 2) : formatReport(report, ms)) + "\n");
  process.exitCode = report.ok ? 0 : 1;
}

run().catch((err) => fail(`failed: ${err instanceof Error ? err.message : String(err)}`, 3));
