/**
 * GraphQL Codegen for the customer app: the client preset over the gateway's schema.graphql
 * (the one `npm run emit-schema` writes), typed documents from src/documents.ts, and
 * persisted-documents.json ({"<sha256>": "<document>"}), the manifest TRUSTED_DOCUMENTS takes.
 *
 * Regenerate with `npm run codegen:example` (test/customer-app.test.ts checks the committed
 * output is what this config generates).
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        // sha256 of each printed document, written to src/gql/persisted-documents.json and put
        // on each document as `__meta__.hash` (the client sends it as `documentId`).
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
        // The documents select fields directly (no fragments to unmask).
        fragmentMasking: false,
      },
      config: {
        // ESM with explicit extensions: the same files typecheck under NodeNext (the tests) and
        // Bundler resolution (the page).
        importExtension: ".js",
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { Money: "string", Date: "string", DateTime: "string" },
        strictScalars: true,
        // Only the types the documents use (not every schema type): a schema change elsewhere
        // leaves the generated files as they are.
        onlyOperationTypes: true,
      },
    },
  },
};

export default config;
