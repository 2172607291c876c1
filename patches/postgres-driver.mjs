#!/usr/bin/env node
/**
 * Run on `npm install` / `npm ci` (package.json "postinstall"): repairs two defects of the
 * postgres.js driver (npm `postgres`, 3.4.9 = latest at the time) that a PostgreSQL outage
 * under load triggers (found by test/faults/postgres-outage.test.ts):
 *
 * 1. `nextWrite()` runs from a `setImmediate` after `closed()` has set `socket = null` and
 *    throws `TypeError: Cannot read properties of null (reading 'write')` outside any promise:
 *    an uncaught exception that kills the gateway process. Now the pending queries are
 *    rejected with CONNECTION_CLOSED instead.
 * 2. `closed()` and `terminate()` cancel the scheduled flush without resetting `nextWriteTimer`
 *    (nor the buffered `chunk`), so that connection never schedules a write again: after a
 *    reconnect its start-up message is never sent and it times out for ever. Now both are reset.
 *
 * Upstream: porsager/postgres issues 1066, 1154, 1208 (not fixed in a release yet). Idempotent;
 * a driver whose code no longer has these lines is left alone with a note.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = join(root, "node_modules", "postgres");
const MARK = "/* julo-gateway patch */";

const edits = [
  {
    what: "nextWrite on a closed socket",
    from: "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    to:
      "  function nextWrite(fn) {\n" +
      `    if (!socket) { ${MARK}\n` +
      "      chunk = nextWriteTimer = null\n" +
      "      error(Errors.connection('CONNECTION_CLOSED', options, socket))\n" +
      "      return false\n" +
      "    }\n" +
      "    const x = socket.write(chunk, fn)",
  },
  {
    what: "terminate() leaves the flush timer set",
    from: "    clearImmediate(nextWriteTimer)\n    if (socket) {",
    to: `    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${MARK}\n    if (socket) {`,
  },
  {
    what: "closed() leaves the flush timer set",
    from: "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    to: `    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${MARK}\n    socket.removeListener('data', data)`,
  },
];

if (!existsSync(pkgDir)) process.exit(0); // not installed (e.g. a production install without it)
const version = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
let patched = 0;
for (const build of ["src", "cjs/src", "cf/src"]) {
  const file = join(pkgDir, build, "connection.js");
  if (!existsSync(file)) continue;
  let text = readFileSync(file, "utf8");
  for (const e of edits) {
    if (text.includes(e.to)) continue; // already patched
    if (!text.includes(e.from)) {
      console.warn(`patches/postgres-driver: postgres ${version} ${build}/connection.js: "${e.what}" not found; check whether upstream fixed it`);
      continue;
    }
    text = text.replace(e.from, e.to);
    patched++;
  }
  writeFileSync(file, text);
}
if (patched) console.log(`patches/postgres-driver: patched postgres ${version} (${patched} edits)`);
