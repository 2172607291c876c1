/**
 * Compiled reads before Apollo. Apollo's request pipeline costs more than a point read itself
 * (request and context objects, a sha256 of the text, content negotiation, a dozen awaited hooks);
 * the frontend and the dashboards send the same few plain reads all day. For a POST whose body is
 * just `{ query, variables?, operationName? }`, this runs exactly the checks Apollo's pipeline runs
 * for a query (graphql's parse with the token limit, `validate` with the specified rules as Apollo
 * does with our options, operation resolution, every check of limits.ts and input-text.ts, the
 * viewer from the token) and then the compiled statement (plugin.ts).
 *
 * It only ever answers the happy path. Anything else (a parse or validation error, a refused
 * check, a bad token, a mutation, variables the compiler does not take, the fallback sentinel, a
 * database error) returns null and the request goes through Apollo as before, which then gives
 * the error or the resolvers' answer. Nothing here writes (the rate limit of limits.ts concerns
 * login and registerCustomer only, which are mutations).
 */
import { getOperationAST, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import Negotiator from "negotiator";
import type { Viewer } from "../../auth/viewer.js";
import { checkInputText } from "../input-text.js";
import type { OperationGuard } from "../limits.js";
import { withSpan } from "../../shared/tracing.js";
import { sha256Hex } from "../persisted.js";
import type { CompiledReads, RESOLVERS_MUST_ANSWER } from "./plugin.js";

/** The parts of a request body the fast path takes. */
export interface FastPathRequest {
  source: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  /** Set by `answer`: the name of the operation it ran (metrics.ts labels it). */
  resolvedName?: string;
}

/**
 * The request if its body is a plain `{ query, variables?, operationName? }` with the types
 * GraphQL over HTTP prescribes; undefined for anything else (persisted queries, extensions,
 * `null` members, unknown members), which Apollo handles.
 */
export function fastPathRequestOf(body: unknown): FastPathRequest | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  for (const k in b) if (k !== "query" && k !== "variables" && k !== "operationName") return undefined;
  const { query, variables, operationName } = b;
  if (typeof query !== "string") return undefined;
  if (operationName !== undefined && typeof operationName !== "string") return undefined;
  if (variables !== undefined && (variables === null || typeof variables !== "object" || Array.isArray(variables))) return undefined;
  return { source: query, operationName, variables: variables as Record<string, unknown> | undefined, resolvedName: undefined };
}

const APPLICATION_JSON = "application/json; charset=utf-8";
const GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8";
const CALLBACK_JSON = "application/json; callbackSpec=1.0; charset=utf-8";

/**
 * The content type Apollo gives a single result for this Accept header (its
 * `chooseContentTypeForSingleResultResponse`, with the same negotiator and media types), or
 * undefined where Apollo would answer otherwise (406, or the subscription callback protocol).
 */
export function singleResultContentType(accept: string | undefined): string | undefined {
  if (!accept) return APPLICATION_JSON;
  let chosen = negotiated.get(accept);
  if (chosen === undefined) {
    const preferred = new Negotiator({ headers: { accept } }).mediaType([APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, CALLBACK_JSON]);
    chosen = preferred === APPLICATION_JSON || preferred === GRAPHQL_RESPONSE_JSON ? preferred : "";
    if (negotiated.size >= 100) negotiated.clear();
    if (accept.length <= 256) negotiated.set(accept, chosen);
  }
  return chosen || undefined;
}

/** Accept headers seen (clients send the same one or two): the content type chosen, "" for none. */
const negotiated = new Map<string, string>();

interface Prepared {
  document: DocumentNode;
  hash?: string;
}

/** Query texts kept parsed and validated (the same few come again and again). */
const MAX_DOCUMENTS = 500;
const MAX_SOURCE = 8192;

export class CompiledReadFastPath {
  /** Parsed and valid documents by text; null for a text that does not parse or validate. */
  private readonly documents = new Map<string, Prepared | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly guard: OperationGuard,
    private readonly reads: CompiledReads,
  ) {}

  private prepared(source: string): Prepared | null {
    const known = this.documents.get(source);
    if (known !== undefined) return known;
    if (source.length > MAX_SOURCE) return null;
    let p: Prepared | null = null;
    try {
      const document = withSpan("graphql.parse", {}, () => parse(source, this.guard.parseOptions));
      if (withSpan("graphql.validate", {}, () => validate(this.schema, document)).length === 0) p = { document };
    } catch {
      p = null;
    }
    if (this.documents.size >= MAX_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(source, p);
    return p;
  }

  /**
   * The response body, or null when Apollo must handle the request (see the module comment), or
   * RESOLVERS_MUST_ANSWER. `readAfter`: with read replicas, the request's X-Read-After (db/replicas.ts).
   */
  async answer(req: FastPathRequest, viewer: Viewer, clientIp: string, readAfter?: bigint): Promise<string | null | typeof RESOLVERS_MUST_ANSWER> {
    if (viewer.role === "ANONYMOUS") return null; // never compiled (compile.ts)
    const p = this.prepared(req.source);
    if (!p) return null;
    const operation: OperationDefinitionNode | null | undefined = getOperationAST(p.document, req.operationName);
    if (!operation || operation.operation !== "query") return null;
    req.resolvedName = operation.name?.value;
    try {
      await this.guard.checkOperation({
        source: req.source,
        hash: (p.hash ??= sha256Hex(req.source)),
        document: p.document,
        operation,
        variables: req.variables,
        viewer,
        clientIp,
      });
      checkInputText(p.document, operation, req.variables);
    } catch {
      return null; // Apollo runs the same check and answers with its error
    }
    return withSpan("graphql.execute", {}, () =>
      this.reads.answer(this.schema, p.document, operation, req.variables, viewer, undefined, readAfter),
    );
  }
}
