/**
 * Text inputs PostgreSQL cannot store: a `text` value may not contain U+0000. Without this check
 * a NUL in any string argument (a search, a name, a product code…) reached the database and came
 * back as INTERNAL_SERVER_ERROR; it is the client's input, so it is BAD_USER_INPUT naming the
 * argument or input field, refused before anything runs (HTTP and WebSocket alike).
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { BREAK, Kind, visit, type ASTNode, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { badInput } from "../shared/errors.js";

const NUL = "\u0000";

/** The name of the argument or input field a variable is passed to, if any. */
function argumentOfVariable(document: DocumentNode, variable: string): string | undefined {
  let found: string | undefined;
  visit(document, {
    enter(node: ASTNode) {
      if ((node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) && node.value.kind === Kind.VARIABLE && node.value.name.value === variable) {
        found = node.name.value;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The key of the innermost object holding a string with a NUL, or "" for the value itself. */
function nulIn(value: unknown, key: string, depth = 0): string | undefined {
  if (typeof value === "string") return value.includes(NUL) ? key : undefined;
  if (depth > 32 || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const k = nulIn(v, key, depth + 1);
      if (k !== undefined) return k;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.includes(NUL)) return k;
    const found = nulIn(v, k, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Documents already looked at: the argument holding a NUL literal, or null (most: none). */
const literalChecked = new WeakMap<DocumentNode, string | null>();

/** The argument or input field of the first string literal with a NUL ("query" at the top), once per document. */
function nulLiteralOf(document: DocumentNode): string | undefined {
  const known = literalChecked.get(document);
  if (known !== undefined) return known ?? undefined;
  let literal: string | undefined;
  const names: string[] = [];
  visit(document, {
    enter(node: ASTNode) {
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) names.push(node.name.value);
      if (node.kind === Kind.STRING && node.value.includes(NUL)) {
        literal = names[names.length - 1] ?? "query";
        return BREAK;
      }
      return undefined;
    },
    leave(node: ASTNode) {
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) names.pop();
      return undefined;
    },
  });
  literalChecked.set(document, literal ?? null);
  return literal;
}

/** Throws BAD_USER_INPUT (HTTP 400) when a string literal or variable of the request holds a NUL. */
export function checkInputText(document: DocumentNode, _operation: OperationDefinitionNode | undefined, variables: Record<string, unknown> | undefined): void {
  const refuse = (field: string) => {
    const err = badInput(field, `${field} must not contain the NUL character (U+0000)`);
    err.extensions.http = { status: 400 };
    return err;
  };
  const literal = nulLiteralOf(document);
  if (literal !== undefined) throw refuse(literal);
  for (const [name, value] of Object.entries(variables ?? {})) {
    const key = nulIn(value, "");
    if (key !== undefined) throw refuse(key || (argumentOfVariable(document, name) ?? name));
  }
}

/** Apollo plugin: the check above on every resolved operation, before execution. */
export function inputTextPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          checkInputText(document, operation ?? undefined, request.variables);
        },
      };
    },
  };
}
