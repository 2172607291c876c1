// bench/profile-summary.mjs — summarise a V8 .cpuprofile (node --cpu-prof): top functions by
// self time, and self time grouped by package / area.   node bench/profile-summary.mjs <file> [top=30]
import { readFileSync } from "node:fs";

const [file, topArg, skipArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs <file.cpuprofile> [top]");
  process.exit(2);
}
const TOP = Number(topArg ?? 30);
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map(); // node id -> microseconds
const dts = prof.timeDeltas;
const SKIP_US = Number(skipArg ?? 0) * 1000;
let at = 0;
for (let i = 0; i < prof.samples.length; i++) {
  at += dts[i] ?? 0;
  const dt = dts[i + 1] ?? 0; // time until the next sample is charged to this sample
  if (at < SKIP_US) continue;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
}
let total = 0;
for (const v of self.values()) total += v;

function area(url, name) {
  if (!url) return name === "(garbage collector)" ? "GC" : name === "(idle)" ? "idle" : name === "(program)" ? "(program: native/V8)" : `(${name || "native"})`;
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const s = url.match(/\/src\/(.*)$/);
  if (s) return `src/${s[1].split("/").slice(0, 2).join("/")}`;
  return url;
}
const fnSelf = new Map(), areaSelf = new Map();
for (const [id, us] of self) {
  const n = byId.get(id), cf = n.callFrame;
  const where = cf.url ? `${cf.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/src\//, "src/")}:${cf.lineNumber + 1}` : "";
  const key = `${cf.functionName || "(anonymous)"}  ${where}`;
  fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
  const a = area(cf.url, cf.functionName);
  areaSelf.set(a, (areaSelf.get(a) ?? 0) + us);
}
const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + " %";
const busy = total - (areaSelf.get("idle") ?? 0);
console.log(`profile: ${file}${SKIP_US ? ` (first ${SKIP_US / 1000} ms skipped)` : ""}`);
console.log(`sampled ${(total / 1e6).toFixed(1)} s, idle ${(100 * (areaSelf.get("idle") ?? 0) / total).toFixed(1)} % (percentages below are of all samples; of busy time: x ${(total / busy).toFixed(2)})`);
console.log("\nself time by area:");
for (const [a, us] of [...areaSelf].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`  ${pct(us)}  ${a}`);
console.log(`\ntop ${TOP} functions by self time:`);
for (const [k, us] of [...fnSelf].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`  ${pct(us)}  ${k}`);
