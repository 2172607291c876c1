/**
 * Generated files are checked: the committed schema.graphql is what the code emits, and it
 * breaks nothing in the API contract (../shared/contract/schema.graphql merged with every
 * extension beside it, e.g. corrections.graphql, when present).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, findBreakingChanges } from "graphql";
import { describe, expect, it } from "vitest";
import { printGatewaySchema } from "../src/server/schema.js";

const committedPath = fileURLToPath(new URL("../schema.graphql", import.meta.url));
/** The contract lives beside the project (/work/main/../shared/contract); a user's own clone has none. */
const contractPath = fileURLToPath(new URL("../../shared/contract/schema.graphql", import.meta.url));
const hasContract = existsSync(contractPath);

if (!hasContract) {
  console.warn(`[schema.test] contract not found at ${contractPath}: the contract compatibility check is skipped.`);
}

describe("schema.graphql", () => {
  it("equals what the code emits (run `npm run emit-schema` after changing GraphQL types)", () => {
    const committed = readFileSync(committedPath, "utf8");
    const emitted = printGatewaySchema();
    expect(emitted, "schema.graphql is out of date: run `npm run emit-schema`").toBe(committed);
  });

  it.skipIf(!hasContract)("breaks nothing in ../shared/contract/schema.graphql and its extensions", () => {
    const dir = dirname(contractPath);
    const extensions = readdirSync(dir).filter((f) => f.endsWith(".graphql") && f !== "schema.graphql").sort();
    expect(extensions, "the corrections extension (RULES §12) is part of the contract").toContain("corrections.graphql");
    const merged = [contractPath, ...extensions.map((f) => join(dir, f))].map((f) => readFileSync(f, "utf8")).join("\n");
    const contract = buildSchema(merged);
    const ours = buildSchema(readFileSync(committedPath, "utf8"));
    const breaking = findBreakingChanges(contract, ours);
    expect(breaking.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });
});
