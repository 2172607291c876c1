/**
 * Generated files are checked: the committed schema.graphql is what the code emits, and it
 * breaks nothing in the API contract (../shared/contract/schema.graphql, when present).
 */
import { existsSync, readFileSync } from "node:fs";
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

  it.skipIf(!hasContract)("breaks nothing in ../shared/contract/schema.graphql", () => {
    const contract = buildSchema(readFileSync(contractPath, "utf8"));
    const ours = buildSchema(readFileSync(committedPath, "utf8"));
    const breaking = findBreakingChanges(contract, ours);
    expect(breaking.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });
});
