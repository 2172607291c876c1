import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printGatewaySchema } from "../server/schema.js";

const out = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
writeFileSync(out, printGatewaySchema());
console.log(`wrote ${out}`);
