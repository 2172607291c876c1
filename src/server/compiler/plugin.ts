/**
 * Running a compiled read (compile.ts) and the Apollo plugin that does it inside Apollo's request
 * pipeline: after parsing, validation and every `didResolveOperation` check (cost, depth,
 * introspection, …) have passed, a compilable read is answered with its one SQL statement instead
 * of running the resolvers. The JSON text PostgreSQL built is written to the HTTP response as it is
 * (graphql-execution.ts), so Node never parses or re-serialises it. fast-path.ts runs the same reads before
 * Apollo for the plain requests that make up most of the traffic.
 */
import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from "graphql";
import type { Viewer } from "../../auth/viewer.js";
import type { Database, Db } from "../../db/client.js";
import type { ReadTarget } from "../../db/replicas.js";
import { actorOf } from "../../auth/viewer.js";
import type { CompiledSlot, Context } from "../../graphql/context.js";
import type { Logger } from "../../shared/logger.js";
import { compileRequest, FALLBACK_SENTINEL, parameterValues } from "./compile.js";


/**
 * The compiled statement ran and its data holds something only the resolvers answer properly (the
 * sentinel): they answer this request, and nothing runs the statement a second time for it.
 */
export const RESOLVERS_MUST_ANSWER = Symbol("resolvers must answer");

/** Compiled reads of one gateway: runs them, and remembers the statements PostgreSQL rejected. */
export class CompiledReads {
  private readonly failedStatements = new WeakSet<object>();
  /** Requests answered by a compiled statement (by the fast path or the plugin). */
  answered = 0;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  /**
   * The HTTP response body of a compiled read, or null when the resolvers must answer: the
   * operation is not compilable, PostgreSQL refused the statement, or the data holds something
   * only the resolvers can answer properly (the sentinel: RESOLVERS_MUST_ANSWER).
   */
  async answer(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | undefined,
    viewer: Viewer,
    target?: ReadTarget<Db>,
    readAfter?: bigint,
  ): Promise<string | null | typeof RESOLVERS_MUST_ANSWER> {
    const req = compileRequest(schema, document, operation, variables, viewer);
    if (!req || this.failedStatements.has(req.statement)) return null;
    let json: string | null;
    // With read replicas: the target chosen for the operation (the plugin's), or one chosen now
    // (the fast path; compiled reads are never anonymous: compile.ts).
    const on = target ?? this.database.replicas?.forReader(actorOf(viewer), readAfter) ?? this.database;
    try {
      json = await on.textQuery(req.statement.text, parameterValues(req), req.statement.prepare);
    } catch (err) {
      // The resolvers answer instead (a database outage then fails there, with their
      // errors). A statement PostgreSQL rejects as such is not tried again.
      const code = String((err as { code?: unknown }).code ?? "");
      if (/^(42|22|0A)/.test(code)) {
        this.failedStatements.add(req.statement);
        this.logger.warn("compiled read rejected by the database; the resolvers answer it from now on", { error: err });
      }
      return null;
    }
    // Something only the resolvers can answer properly (a null non-null relation, a value
    // outside its enum): they produce the error GraphQL prescribes. The sentinel cannot
    // occur inside a JSON string (its quote would be escaped).
    if (json === null) return null;
    if (json.includes(FALLBACK_SENTINEL)) return RESOLVERS_MUST_ANSWER;
    this.answered++;
    return `{"data":${json}}\n`;
  }

  /** The Apollo plugin (last in the list: every check of the other plugins has passed). */
  plugin(): ApolloServerPlugin<Context> {
    const reads = this;
    return {
      async requestDidStart() {
        return {
          async responseForOperation({ contextValue, document, operation, request, schema }) {
            const slot = contextValue.compiled;
            // The fast path already ran this read and found the sentinel: straight to the resolvers.
            if (!slot || !operation || slot.resolversOnly) return null;
            const body = await reads.answer(schema, document, operation, request.variables, contextValue.viewer, contextValue.read);
            if (body === null || body === RESOLVERS_MUST_ANSWER) return null;
            slot.body = body;
            return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: "single", singleResult: { data: null } } };
          },
        };
      },
    };
  }
}
