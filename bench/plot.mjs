// bench/plot.mjs — hand-written SVG (no dependencies) from a peer-bench results.tsv:
// req/s and p99 latency bars of our gateway vs PostGraphile vs the one-SQL limit server
// (and pgbench_pool, the database alone, when present), for the list and point operations.
// Repetitions are averaged.   node bench/plot.mjs <results.tsv> <out.svg>
import { readFileSync, writeFileSync } from "node:fs";

const [tsv, out] = process.argv.slice(2);
if (!tsv || !out) {
  console.error("usage: node bench/plot.mjs <results.tsv> <out.svg>");
  process.exit(2);
}
const [head, ...rows] = readFileSync(tsv, "utf8").trim().split("\n").map((l) => l.split("\t"));
const col = (name) => head.indexOf(name);
const TARGETS = [
  ["custom", "ours (gateway)", "#d9480f"],
  ["postgraphile", "PostGraphile", "#1c7ed6"],
  ["limit", "limit (1 SQL)", "#2b8a3e"],
  ["pgbench_pool", "pgbench -c10 (DB alone)", "#868e96"],
];
const OPS = ["list", "point"];
const agg = {};
for (const r of rows) {
  const key = `${r[col("op")]}|${r[col("target")]}`;
  const a = (agg[key] ??= { n: 0, rps: 0, p99: 0, p99n: 0 });
  const rps = Number(r[col("req_s")]), p99 = Number(r[col("p99_ms")]);
  if (Number.isFinite(rps)) { a.rps += rps; a.n++; }
  if (Number.isFinite(p99)) { a.p99 += p99; a.p99n++; }
}
const val = (op, t, m) => {
  const a = agg[`${op}|${t}`];
  if (!a) return undefined;
  return m === "rps" ? (a.n ? a.rps / a.n : undefined) : a.p99n ? a.p99 / a.p99n : undefined;
};
const targets = TARGETS.filter(([t]) => OPS.some((op) => val(op, t, "rps") !== undefined));

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const W = 460, H = 250, PAD = { l: 50, r: 15, t: 48, b: 30 };
function panel(x0, y0, op, m) {
  const vals = targets.map(([t, label, color]) => ({ t, label, color, v: val(op, t, m) }));
  const max = Math.max(...vals.map((v) => v.v ?? 0)) * 1.15 || 1;
  const ours = val(op, "custom", m), pgl = val(op, "postgraphile", m), lim = val(op, "limit", m);
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : "n/a");
  const title = `${op} — ${m === "rps" ? "requests/s (higher is better)" : "p99 latency ms (lower is better)"}`;
  const sub = `ours ÷ PostGraphile ${ratio(ours, pgl)} · ours ÷ limit ${ratio(ours, lim)}`;
  const pw = W - PAD.l - PAD.r, ph = H - PAD.t - PAD.b, bw = pw / vals.length;
  let s = `<g transform="translate(${x0},${y0})">`;
  s += `<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`;
  s += `<text x="${W / 2}" y="35" text-anchor="middle" font-size="12" fill="#495057">${esc(sub)}</text>`;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + ph - (ph * i) / 4;
    s += `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y}" y2="${y}" stroke="#e9ecef"/>`;
    s += `<text x="${PAD.l - 5}" y="${y + 4}" text-anchor="end" font-size="10" fill="#868e96">${fmt((max * i) / 4)}</text>`;
  }
  vals.forEach(({ label, color, v }, i) => {
    const x = PAD.l + i * bw + bw * 0.15, w = bw * 0.7;
    if (v !== undefined) {
      const h = (ph * v) / max, y = PAD.t + ph - h;
      s += `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${color}"/>`;
      s += `<text x="${x + w / 2}" y="${y - 4}" text-anchor="middle" font-size="11">${fmt(v)}</text>`;
    } else {
      s += `<text x="${x + w / 2}" y="${PAD.t + ph - 4}" text-anchor="middle" font-size="10" fill="#868e96">n/a</text>`;
    }
    s += `<text x="${x + w / 2}" y="${H - 12}" text-anchor="middle" font-size="10">${esc(label)}</text>`;
  });
  s += `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${PAD.t + ph}" y2="${PAD.t + ph}" stroke="#495057"/>`;
  return s + "</g>";
}
const env = (() => {
  try { return readFileSync(tsv.replace(/results\.tsv$/, "env.txt"), "utf8"); } catch { return ""; }
})();
const settings = (env.match(/^settings: (.*)$/m) || [])[1] ?? "";
const date = (env.match(/^date_utc: (.*)$/m) || [])[1] ?? "";
const TW = 2 * W, TH = 2 * H + 40;
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${TW}" height="${TH}" viewBox="0 0 ${TW} ${TH}" font-family="sans-serif" font-size="13">`;
svg += `<rect width="100%" height="100%" fill="white"/>`;
svg += panel(0, 0, "list", "rps") + panel(W, 0, "point", "rps") + panel(0, H, "list", "p99") + panel(W, H, "point", "p99");
svg += `<text x="10" y="${TH - 14}" font-size="11" fill="#495057">${esc(`peer-bench ${date} · ${settings} · same machine, same database, ratios are what compare across runs`)}</text>`;
svg += "</svg>\n";
writeFileSync(out, svg);
console.error(`wrote ${out}`);
