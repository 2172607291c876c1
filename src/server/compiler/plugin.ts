/**
 * Apollo plugin: after parsing, validation and every `didResolveOperation` check (cost, depth,
 * introspection, …) have passed, answer a compilable read with its one SQL statement instead of
 * running the resolvers. The JSON text PostgreSQL built is written to the HTTP response as it is
 * (http.ts), so Node never parses or re-serialises it.
 */
import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import type { Context } from "../context.js";
import type { Logger } from "../logger.js";
import { compileRequest, parameterValues } from "./compile.js";
import { FALLBACK_SENTINEL } from "./spec.js";

/** Where the plugin leaves the response body for http.ts (present on HTTP requests only). */
export interface CompiledSlot {
  body?: string;
}

export function compiledReadsPlugin(logger: Logger): ApolloServerPlugin<Context> {
  const failedStatements = new WeakSet<object>();
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ contextValue, document, operation, request, schema }) {
          const slot = contextValue.compiled;
          if (!slot || !operation) return null;
          const req = compileRequest(schema, document, operation, request.variables, contextValue.viewer);
          if (!req || failedStatements.has(req.statement)) return null;
          let json: string | null;
          try {
            json = await contextValue.app.database.textQuery(req.statement.text, parameterValues(req));
          } catch (err) {
            // The resolvers answer instead (a database outage then fails there, with their
            // errors). A statement PostgreSQL rejects as such is not tried again.
            const code = String((err as { code?: unknown }).code ?? "");
            if (/^(42|22|0A)/.test(code)) {
              failedStatements.add(req.statement);
              logger.warn("compiled read rejected by the database; the resolvers answer it from now on", { error: err });
            }
            return null;
          }
          // Something only the resolvers can answer properly (a null non-null relation, a value
          // outside its enum): they produce the error GraphQL prescribes. The sentinel cannot
          // occur inside a JSON string (its quote would be escaped).
          if (json === null || json.includes(FALLBACK_SENTINEL)) return null;
          slot.body = `{"data":${json}}\n`;
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: "single", singleResult: { data: null } } };
        },
      };
    },
  };
}
