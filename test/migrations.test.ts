import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("drizzle migrations", () => {
  it("drizzle/ is current with src/db/schema.ts (run `npm run generate` when this fails)", () => {
    mkdirSync(join(root, ".test-data"), { recursive: true });
    const dir = mkdtempSync(join(root, ".test-data", "drizzle-check-"));
    try {
      cpSync(join(root, "drizzle"), dir, { recursive: true });
      const before = readdirSync(dir).sort();
      // drizzle-kit resolves --out relative to the working directory.
      const res = spawnSync(
        join(root, "node_modules/.bin/drizzle-kit"),
        ["generate", "--dialect", "postgresql", "--schema", "src/db/schema.ts", "--out", relative(root, dir)],
        { cwd: root, encoding: "utf8", timeout: 60_000 },
      );
      const out = `${res.stdout}\n${res.stderr}`;
      expect(res.status, out).toBe(0);
      expect(readdirSync(dir).sort(), out).toEqual(before);
      expect(out).toMatch(/No schema changes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
