/**
 * Abuse limits of every operation, the same on HTTP and over WebSocket. In the order they apply:
 *
 * 1. before validation (`precheck` in graphql-execution.ts, `prepareWsOperation` for graphql-ws): the
 *    text's length (`maxLength`), parsing stopped after `maxTokens` tokens (graphql's own limit:
 *    GRAPHQL_PARSE_FAILED), then aliases and repeated fields (`maxAliases`). Validation's
 *    field-merging check is quadratic in repeated fields (1 000 × `me { role }` is over a second
 *    of CPU), so this has to come first — Apollo's hooks before validation cannot refuse a
 *    request (an error thrown there is a 500), hence the separate pre-check;
 * 2. the resolved operation, before execution (`checkOperation`: the Apollo plugin's
 *    didResolveOperation, or graphql-ws' onSubscribe): length and aliases again (a document
 *    from the APQ cache skipped step 1), trusted documents (PERSISTED_QUERY_NOT_ALLOWED, HTTP
 *    403, unless ADMIN), depth and cost (complexity.ts), introspection (ADMIN or development
 *    only: FORBIDDEN, HTTP 403), and the per-IP rate limit of login and registerCustomer
 *    (rate-limit.ts: RATE_LIMITED, HTTP 429).
 *
 * QUERY_TOO_COMPLEX is HTTP 400 (200 when the response is the legacy application/json, like
 * every GraphQL request error: statusForMediaType in errors.ts). Nothing executes before every
 * check passed. The 1 MB body cap is in http-routes.ts.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  getOperationAST,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  validate,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { Viewer } from "../auth/viewer.js";
import { checkComplexity, DEFAULT_LIMITS, type ComplexityLimits } from "./complexity.js";
import type { Context } from "../graphql/context.js";
import { DomainError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import {
  APQ_PREFIX,
  resolveTrustedDocument,
  sha256Hex,
  type DatabaseKeyValueCache,
  type RequestDocumentRef,
  type TrustedDocuments,
} from "./persisted.js";
import type { AuthRateLimiter } from "./rate-limit.js";
import { operationResolutionFailure } from "./ws-operations.js";

export interface QueryLimits extends ComplexityLimits {
  /** Characters of the document text. */
  maxLength: number;
  /** Lexical tokens of the document (graphql's `parse(…, { maxTokens })`). */
  maxTokens: number;
  /** Aliased fields plus fields repeated in the same selection set. */
  maxAliases: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { ...DEFAULT_LIMITS, maxLength: 50_000, maxTokens: 5_000, maxAliases: 30 };

const tooComplex = (message: string, extra: Record<string, unknown>) =>
  new DomainError("QUERY_TOO_COMPLEX", message, { ...extra, http: { status: 400 } });

/**
 * Aliased fields (`a: loan(…) b: loan(…)`), and fields asked for again under the same response
 * key in one selection set (`id id id`), in the whole document (fragments included).
 */
export function countAliases(document: DocumentNode): number {
  const known = aliasCounts.get(document);
  if (known !== undefined) return known;
  let n = 0;
  visit(document, {
    SelectionSet(set) {
      const keys = new Set<string>();
      for (const sel of set.selections) {
        if (sel.kind !== Kind.FIELD) continue;
        const key = sel.alias?.value ?? sel.name.value;
        if (sel.alias || keys.has(key)) n++;
        keys.add(key);
      }
    },
  });
  aliasCounts.set(document, n);
  return n;
}

// Apollo hands out the same DocumentNode for a query text it has seen (its document store):
// per-document answers are worked out once.
const aliasCounts = new WeakMap<DocumentNode, number>();
const introspecting = new WeakMap<DocumentNode, boolean>();

/** True when the document asks for `__schema` or `__type` anywhere (fragments too); `__typename` is fine. */
export function introspects(schema: GraphQLSchema, document: DocumentNode): boolean {
  let yes = introspecting.get(document);
  if (yes === undefined) {
    yes = validate(schema, document, [NoSchemaIntrospectionCustomRule]).length > 0;
    introspecting.set(document, yes);
  }
  return yes;
}

export interface OperationGuardOptions {
  schema: GraphQLSchema;
  limits?: Partial<QueryLimits>;
  /** Introspection for everyone; otherwise ADMIN only. */
  development: boolean;
  rateLimiter?: AuthRateLimiter;
  trusted?: TrustedDocuments;
  /**
   * The APQ cache (the one Apollo uses): looked up over WebSocket, and registered into by the
   * guard on both transports (with the caller, for the per-client cap; persisted.ts).
   */
  apqCache?: DatabaseKeyValueCache;
  apqTtlSeconds?: number;
  logger?: Logger;
}

export interface OperationCheck {
  source: string;
  /** sha256 (hex) of `source`. */
  hash: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown> | undefined;
  viewer: Viewer;
  clientIp: string;
}

/** The GraphQL-over-WebSocket subscribe payload (graphql-ws), with the persisted-document fields. */
export interface WsPayload extends RequestDocumentRef {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
}

/** Recent query texts that passed the pre-check (the same queries come again and again): not parsed twice. */
const PASSED_TEXTS = 1000;
const PASSED_TEXT_MAX = 4096;

export class OperationGuard {
  readonly limits: QueryLimits;
  private readonly passed = new Set<string>();
  /**
   * graphql-ws documents that parsed and validated, by text: 10,000 subscribers sending the same
   * subscription share one AST (an AST per subscription was several KiB of every idle subscriber).
   * Parsing, the document checks and validation depend on the text alone; checkOperation (the
   * viewer's) still runs for every operation. Documents are never mutated after parsing.
   */
  private readonly wsDocuments = new Map<string, DocumentNode>();

  constructor(private readonly opts: OperationGuardOptions) {
    this.limits = { ...DEFAULT_QUERY_LIMITS, ...opts.limits };
  }

  get parseOptions() {
    return { maxTokens: this.limits.maxTokens };
  }

  /** Length of the text. */
  checkSource(source: string): void {
    if (source.length > this.limits.maxLength) {
      throw tooComplex(`Query is ${source.length} characters long; the limit is ${this.limits.maxLength}`, {
        length: source.length,
        maxLength: this.limits.maxLength,
      });
    }
  }

  /**
   * Step 1 for a request's text, before Apollo parses and validates it: the refusal, or
   * undefined (a syntax error is left to Apollo, which reports it with its location).
   */
  precheck(source: string): DomainError | undefined {
    if (this.passed.has(source)) return undefined;
    try {
      this.checkSource(source);
      let document: DocumentNode;
      try {
        document = parse(source, { ...this.parseOptions, noLocation: true });
      } catch {
        return undefined;
      }
      this.checkDocument(document);
      if (source.length <= PASSED_TEXT_MAX) {
        if (this.passed.size >= PASSED_TEXTS) this.passed.delete(this.passed.values().next().value!);
        this.passed.add(source);
      }
      return undefined;
    } catch (err) {
      if (err instanceof DomainError) return err;
      throw err;
    }
  }

  /** Trusted-documents mode: a non-ADMIN caller's document must be in the manifest. */
  checkTrusted(hash: string, viewer: Viewer): void {
    const trusted = this.opts.trusted;
    if (trusted && viewer.role !== "ADMIN" && !trusted.has(hash)) {
      throw new DomainError("PERSISTED_QUERY_NOT_ALLOWED", "Only the trusted (persisted) documents of this API may be run", {
        http: { status: 403 },
      });
    }
  }

  /** Aliases and repeated fields of a parsed document. */
  checkDocument(document: DocumentNode): void {
    const aliases = countAliases(document);
    if (aliases > this.limits.maxAliases) {
      throw tooComplex(`Query has ${aliases} aliased or repeated fields; the limit is ${this.limits.maxAliases}`, {
        aliases,
        maxAliases: this.limits.maxAliases,
      });
    }
  }

  /** Step 2, valid and resolved, before execution; the rate limit (a write) comes last. */
  async checkOperation(c: OperationCheck): Promise<void> {
    this.checkSource(c.source);
    this.checkDocument(c.document);
    this.checkTrusted(c.hash, c.viewer);
    checkComplexity(this.opts.schema, c.document, c.operation, c.variables, this.limits);
    if (!this.opts.development && c.viewer.role !== "ADMIN" && introspects(this.opts.schema, c.document)) {
      throw new DomainError("FORBIDDEN", "Introspection is available to ADMIN only", { http: { status: 403 } });
    }
    await this.opts.rateLimiter?.check(c.viewer, c.clientIp, c.document, c.operation);
  }

  /** The HTTP side of step 2 (Apollo answers an error thrown here with its http status). */
  plugin(): ApolloServerPlugin<Context> {
    const guard = this;
    return {
      async requestDidStart() {
        let register: { hash: string; source: string } | undefined;
        return {
          async didResolveOperation({ source, queryHash, document, operation, request, contextValue, metrics }) {
            if (!operation) return;
            await guard.checkOperation({
              source,
              hash: queryHash,
              document,
              operation,
              variables: request.variables,
              viewer: contextValue.viewer,
              clientIp: contextValue.clientIp ?? "unknown",
            });
            if (metrics.persistedQueryRegister && guard.opts.apqCache) {
              // An APQ registration: made below (once every check passed), with the caller known,
              // instead of by Apollo, which would store it for anyone without a cap.
              metrics.persistedQueryRegister = false;
              register = { hash: queryHash, source };
            }
          },
          async responseForOperation({ contextValue }) {
            if (register) await guard.registerApq(register.hash, register.source, contextValue.viewer, contextValue.clientIp ?? "unknown");
            return null;
          },
        };
      },
    };
  }

  /**
   * Registers an APQ entry for the caller (persisted.ts: renewed if known; a new one within the
   * client's cap and the table's). Never fails the operation: over the cap, or if the write
   * fails, the query runs unstored and the client sends its text again next time.
   */
  async registerApq(hash: string, query: string, viewer: Viewer, clientIp: string): Promise<void> {
    const cache = this.opts.apqCache;
    if (!cache) return;
    try {
      const outcome = await cache.register(APQ_PREFIX + hash, query, { ttl: this.opts.apqTtlSeconds ?? null }, { viewer, clientIp });
      if (outcome === "over-client-cap") this.opts.logger?.debug("persisted query not stored: client over its registration cap", { role: viewer.role });
    } catch (err) {
      this.opts.logger?.warn("persisted query registration failed", { error: err });
    }
  }

  /**
   * The WebSocket side (graphql-ws onSubscribe): resolves a persisted document (trusted
   * manifest, or APQ against the same cache as HTTP), then every check above plus graphql's
   * validation. Returns the document to execute, or the errors to send.
   */
  async prepareWsOperation(
    payload: WsPayload,
    viewer: Viewer,
    clientIp: string,
  ): Promise<{ document: DocumentNode; operation: OperationDefinitionNode } | GraphQLError[]> {
    try {
      let query = payload.query;
      let register: string | undefined;
      const resolved = resolveTrustedDocument(this.opts.trusted, payload);
      if (resolved.kind === "unknown-document-id") {
        throw coded("PERSISTED_QUERY_NOT_FOUND", "No trusted document has this documentId");
      } else if (resolved.kind === "resolved") {
        query = resolved.query;
      } else if (payload.extensions && (payload.extensions as Record<string, unknown>).persistedQuery) {
        const pq = (payload.extensions as { persistedQuery: { version?: unknown; sha256Hash?: unknown } }).persistedQuery;
        const cache = this.opts.apqCache;
        if (!cache) throw coded("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported");
        if (pq.version !== 1 || typeof pq.sha256Hash !== "string") throw badRequest("Unsupported persisted query version");
        if (!query) {
          const hit = await cache.get(APQ_PREFIX + pq.sha256Hash);
          if (!hit) throw coded("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound");
          query = hit;
        } else if (sha256Hex(query) !== pq.sha256Hash) {
          throw badRequest("provided sha does not match query");
        } else {
          register = pq.sha256Hash;
        }
      }
      this.checkSource(query);
      let document = query.length <= PASSED_TEXT_MAX ? this.wsDocuments.get(query) : undefined;
      if (document) {
        // most recently used last
        this.wsDocuments.delete(query);
        this.wsDocuments.set(query, document);
      } else {
        try {
          document = parse(query, this.parseOptions);
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        this.checkDocument(document);
        const invalid = validate(this.opts.schema, document);
        if (invalid.length) {
          // Keeping the original error and source: a literal a scalar refused is BAD_USER_INPUT with
          // its field once formatted (errors.ts), as over HTTP.
          return invalid.map(
            (e) =>
              new GraphQLError(e.message, {
                nodes: e.nodes,
                source: e.source,
                positions: e.positions,
                originalError: e.originalError,
                extensions: { ...e.extensions, code: "GRAPHQL_VALIDATION_FAILED" },
              }),
          );
        }
        if (query.length <= PASSED_TEXT_MAX) {
          if (this.wsDocuments.size >= PASSED_TEXTS) this.wsDocuments.delete(this.wsDocuments.keys().next().value!);
          this.wsDocuments.set(query, document);
        }
      }
      const operation = getOperationAST(document, payload.operationName ?? undefined);
      if (!operation) return [operationResolutionFailure(payload.operationName)];
      await this.checkOperation({
        source: query,
        hash: sha256Hex(query),
        document,
        operation,
        variables: payload.variables ?? undefined,
        viewer,
        clientIp,
      });
      if (register) await this.registerApq(register, query, viewer, clientIp);
      return { document, operation };
    } catch (err) {
      if (err instanceof GraphQLError && typeof err.extensions.code === "string") {
        const { http: _h, ...extensions } = err.extensions;
        return [new GraphQLError(err.message, { extensions })];
      }
      throw err;
    }
  }
}

const coded = (code: string, message: string) => new GraphQLError(message, { extensions: { code } });
const badRequest = (message: string) => coded("BAD_REQUEST", message);
