/**
 * The edge of the one errors module: domain errors (src/shared/errors.ts) carry a code;
 * `formatError` maps them to `extensions.code` and masks everything unexpected (no SQL, stack or
 * driver text leaves), and the HTTP status follows the response's media type.
 */
import { isConnectionError } from "../db/pg-errors.js";
import { DomainError, InputValueError, type ErrorCode } from "../shared/errors.js";
import { BREAK, GraphQLError, Kind, parse, visit, type ArgumentNode, type ASTNode, type GraphQLFormattedError, type ObjectFieldNode } from "graphql";

const PASS_THROUGH = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "CONFLICT",
  "INVALID_STATE",
  "IDEMPOTENCY_CONFLICT",
  "QUERY_TOO_COMPLEX",
  "RATE_LIMITED",
  "PERSISTED_QUERY_NOT_ALLOWED",
  "REQUEST_TIMEOUT",
  "NOT_IMPLEMENTED",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
]);

/**
 * GraphQL request errors about the document or its variables, raised before anything executes:
 * the document does not parse (or is over the token limit), does not validate, or breaks one of
 * our additional validation rules (limits.ts: length, aliases, depth, cost; the GraphQL-over-HTTP
 * spec names depth and complexity limits as such rules); the operation cannot be determined; the
 * variables cannot be coerced (or hold a NUL, input-text.ts). Refusals of the caller (401, 403,
 * 429), of the transport (413, 415, 405, 406, subscriptions over HTTP, batches, malformed bodies:
 * BAD_REQUEST) and persisted-document misses are not among them.
 */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "QUERY_TOO_COMPLEX",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_USER_INPUT",
]);

/**
 * The HTTP status of an error response, by the media type it is served with (GraphQL over HTTP,
 * "Status Codes"). With `application/graphql-response+json` a request error is 400, as Apollo and
 * limits.ts give it. With the legacy `application/json` (asked for explicitly, by `*` / `*` or by
 * sending no Accept header) the spec says a well-formed request SHOULD get 200 whatever GraphQL
 * request error it raised, since a 4xx/5xx `application/json` body could come from any proxy on
 * the way: a 400 whose body is a GraphQL response with no `data` and only the request errors above
 * becomes 200. Every other status, and every other 400 (malformed bodies, batches, subscriptions
 * over HTTP, persisted-query errors), is kept.
 */
export function statusForMediaType(status: number, contentType: string | undefined, body: string): number {
  if (status !== 400) return status;
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (media !== "application/json") return status;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return status;
  }
  if (!parsed || typeof parsed !== "object" || "data" in parsed) return status;
  const errors = (parsed as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return status;
  const requestErrors = errors.every((e) => REQUEST_ERROR_CODES.has((e as { extensions?: { code?: unknown } } | null)?.extensions?.code as string));
  return requestErrors ? 200 : status;
}

/** Apollo's own refusals of a request that carry no code (APQ): answered as BAD_REQUEST. */
const APOLLO_BAD_REQUESTS = new Set(["provided sha does not match query", "Unsupported persisted query version"]);

type Reporter = (error: unknown) => void;
let reportUnexpected: Reporter = () => {};
let reportUnavailable: Reporter = () => {};

/** The gateways' reporters, newest last: the newest one still open is the one used. */
const reporters: { unexpected: Reporter; unavailable: Reporter }[] = [];

/**
 * Where unexpected errors are logged (the process's gateway sets it). Returns a function that
 * removes this gateway's reporters: the newest gateway still open then reports (a second gateway
 * in the same process, as in tests, hands back to the first when it closes, in whatever order
 * several close).
 */
export function setUnexpectedErrorReporter(fn: Reporter, unavailable: Reporter = fn): () => void {
  const entry = { unexpected: fn, unavailable };
  reporters.push(entry);
  const use = () => {
    const top = reporters[reporters.length - 1];
    reportUnexpected = top?.unexpected ?? (() => {});
    reportUnavailable = top?.unavailable ?? (() => {});
  };
  use();
  return () => {
    const i = reporters.indexOf(entry);
    if (i >= 0) reporters.splice(i, 1);
    use();
  };
}

function findInputValueError(err: unknown): InputValueError | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur instanceof InputValueError) return cur;
    cur = (cur as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/** The last name of a coercion path like `input.items[2].amount` → `amount`. */
function lastName(path: string): string | undefined {
  const names = path.split(".").map((p) => p.replace(/\[\d+\]/g, "")).filter(Boolean);
  return names[names.length - 1];
}

/**
 * The input field a value-coercion error is about, for `extensions.field`. A variable's error
 * names its path in the message (`Variable "$input" got invalid value … at "input.amount"`); an
 * inline literal's error points at the value node, whose argument or input field is found in the
 * operation text.
 */
export function inputFieldOf(error: unknown, message: string): string | undefined {
  const NAME = "([_A-Za-z][_0-9A-Za-z]*)";
  const at = new RegExp(`^Variable "\\$${NAME}" got invalid value [\\s\\S]*? at "([^"]+)"; `).exec(message);
  if (at) {
    const name = lastName(at[2]!);
    // A list variable's item (`at "s[0]"`) is about the argument or input field it is passed to.
    if (name !== at[1]) return name;
    return namedAt(error, (node) => node.value.kind === Kind.VARIABLE && node.value.name.value === at[1]) ?? name;
  }
  const variable = new RegExp(`^Variable "\\$${NAME}" (?:got invalid value|of required type|of non-null type)`).exec(message);
  if (variable) {
    const inner = new RegExp(`; Field "${NAME}" (?:of required type|is not defined)`).exec(message);
    if (inner) return inner[1];
    // Name the argument or input field the variable is passed to, else the variable itself.
    return namedAt(error, (node) => node.value.kind === Kind.VARIABLE && node.value.name.value === variable[1]) ?? variable[1];
  }
  const start = error instanceof GraphQLError ? error.nodes?.[0]?.loc?.start : undefined;
  return start === undefined ? undefined : namedAt(error, (node) => node.value.loc?.start === start);
}

/** The name of the first argument or input object field of the operation whose value matches. */
function namedAt(error: unknown, match: (node: ArgumentNode | ObjectFieldNode) => boolean): string | undefined {
  if (!(error instanceof GraphQLError) || !error.source) return undefined;
  let found: string | undefined;
  try {
    visit(parse(error.source), {
      enter(node: ASTNode) {
        if ((node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) && match(node)) {
          found = node.name.value;
          return BREAK;
        }
        return undefined;
      },
    });
  } catch {
    return undefined;
  }
  return found;
}

/** Apollo `formatError`: keep known codes, turn scalar errors into BAD_USER_INPUT, mask the rest. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const inputErr = findInputValueError(error);
  let code = formatted.extensions?.code as string | undefined;
  if ((!code || code === "INTERNAL_SERVER_ERROR") && APOLLO_BAD_REQUESTS.has(formatted.message)) {
    code = "BAD_REQUEST";
    formatted = { ...formatted, extensions: { ...formatted.extensions, code } };
  }
  if (inputErr) {
    const field = inputErr.field ?? inputFieldOf(error, formatted.message);
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: "BAD_USER_INPUT", ...(field ? { field } : {}) },
    };
  }
  if (code && PASS_THROUGH.has(code)) {
    // Drop anything Apollo adds in development (stacktrace) and internal http hints.
    const { stacktrace: _s, http: _h, exception: _e, ...ext } = formatted.extensions ?? {};
    if (code === "BAD_USER_INPUT" && ext.field === undefined) {
      // Apollo's own variable-coercion errors (e.g. a String for an Int): name the field too.
      const field = inputFieldOf(error, formatted.message);
      if (field) ext.field = field;
    }
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: ext };
  }
  if (isConnectionError(error)) {
    // The database is unreachable (down, restarting, out of connections): a temporary state the
    // client can retry (with the same idempotencyKey for payments). No driver text leaves.
    reportUnavailable(error);
    return {
      message: "Service temporarily unavailable; please retry",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: "SERVICE_UNAVAILABLE" },
    };
  }
  reportUnexpected(error);
  return {
    message: "Internal server error",
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}
