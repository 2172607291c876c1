// bench/lib/daily-update-limit-report.mjs <out> — results.json + summary.md of
// bench/daily-update-limit.sh from its rounds.json: per round installments evaluated per second
// by the code path and by the set-based SQL, the ratio (code / SQL), median and spread, and
// whether both left the same end state.
import fs from "node:fs";
import path from "node:path";

const out = process.argv[2];
const { as_of, rounds } = JSON.parse(fs.readFileSync(path.join(out, "rounds.json"), "utf8"));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (xs) => ({ median: Number(median(xs).toFixed(3)), min: Math.min(...xs), max: Math.max(...xs) });
const ratios = rounds.map((r) => Number((r.app_per_s / r.sql_per_s).toFixed(3)));
const res = {
  as_of,
  data: process.env.R_DATA,
  machine: JSON.parse(process.env.R_MACHINE || "{}"),
  installments_evaluated: rounds[0]?.installments_evaluated,
  counts: rounds[0]?.counts,
  app_installments_per_s: stat(rounds.map((r) => r.app_per_s)),
  sql_installments_per_s: stat(rounds.map((r) => r.sql_per_s)),
  ratio_app_over_sql: stat(ratios),
  same_end_state_every_round: rounds.every((r) => r.same_end_state),
  rounds,
};
res.goal = { ratio_at_least: 0.5, reached: res.ratio_app_over_sql.median >= 0.5 };
res.pass = res.same_end_state_every_round && rounds.length > 0;
fs.writeFileSync(path.join(out, "results.json"), JSON.stringify(res, null, 2) + "\n");
const rows = rounds
  .map((r, k) => `| ${r.round} | ${r.app_ms} | ${r.sql_ms} | ${r.app_per_s} | ${r.sql_per_s} | ${ratios[k]} | ${r.same_end_state ? "same" : "DIFFERENT: " + r.differs.join(", ")} |`)
  .join("\n");
fs.writeFileSync(
  path.join(out, "summary.md"),
  `# Daily update: code path vs one set-based SQL statement, as of ${as_of}

${res.installments_evaluated} installments of open loans evaluated per run; each run wrote ${JSON.stringify(res.counts)}.
Each round on two fresh copies of the same database (CREATE DATABASE … TEMPLATE).

| round | code ms | SQL ms | code inst/s | SQL inst/s | code / SQL | end state |
|---:|---:|---:|---:|---:|---:|---|
${rows}

Code / SQL: median **${res.ratio_app_over_sql.median}** (min ${res.ratio_app_over_sql.min}, max ${res.ratio_app_over_sql.max}); goal ≥ 0.5: ${res.goal.reached ? "reached" : "NOT reached"}.
End state (installments, loans, applications, history, outbox, run record) the same in every round: ${res.same_end_state_every_round ? "yes" : "NO"}. **${res.pass ? "PASS" : "CHECK FAILED"}**

Data: ${res.data}.
`,
);
process.exitCode = res.pass ? 0 : 1;
