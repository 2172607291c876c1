import { describe, expect, it } from "vitest";
import { formatError, setUnexpectedErrorReporter, statusForMediaType } from "./errors.js";

/** Which reporter an unexpected error reaches now. */
function reported(): string[] {
  const seen: string[] = [];
  const err = new Error("boom");
  (globalThis as { __seen?: string[] }).__seen = seen;
  formatError({ message: "boom" }, err);
  return seen;
}

describe("the unexpected-error reporter of several gateways in one process", () => {
  it("is the newest one still open, whatever order they close in", () => {
    const to = (name: string) => () => (globalThis as { __seen?: string[] }).__seen!.push(name);
    const closeA = setUnexpectedErrorReporter(to("A"));
    const closeB = setUnexpectedErrorReporter(to("B"));
    const closeC = setUnexpectedErrorReporter(to("C"));
    expect(reported()).toEqual(["C"]);
    closeB(); // out of order: C still reports
    expect(reported()).toEqual(["C"]);
    closeC(); // back to A, not to the closed B
    expect(reported()).toEqual(["A"]);
    const closeD = setUnexpectedErrorReporter(to("D"));
    closeA();
    expect(reported()).toEqual(["D"]);
    closeD();
    closeD(); // twice is harmless
    expect(reported()).toEqual([]);
  });
});

describe("statusForMediaType (GraphQL over HTTP status by response media type)", () => {
  const body = (...codes: string[]) => JSON.stringify({ errors: codes.map((code) => ({ message: "x", extensions: { code } })) });
  const JSON_CT = "application/json; charset=utf-8";
  const GRAPHQL_CT = "application/graphql-response+json; charset=utf-8";

  it("is 200 for a request error served as application/json, 400 as application/graphql-response+json", () => {
    for (const code of ["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX", "OPERATION_RESOLUTION_FAILURE", "BAD_USER_INPUT"]) {
      expect(statusForMediaType(400, JSON_CT, body(code)), code).toBe(200);
      expect(statusForMediaType(400, "Application/JSON", body(code)), code).toBe(200);
      expect(statusForMediaType(400, GRAPHQL_CT, body(code)), code).toBe(400);
    }
    expect(statusForMediaType(400, JSON_CT, body("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_VALIDATION_FAILED"))).toBe(200);
  });

  it("keeps every other 400, and every other status", () => {
    expect(statusForMediaType(400, JSON_CT, body("BAD_REQUEST"))).toBe(400);
    expect(statusForMediaType(400, JSON_CT, body("PERSISTED_QUERY_NOT_FOUND"))).toBe(400);
    expect(statusForMediaType(400, JSON_CT, body("GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST"))).toBe(400);
    expect(statusForMediaType(400, JSON_CT, JSON.stringify({ errors: [{ message: "no code" }] }))).toBe(400);
    expect(statusForMediaType(400, JSON_CT, JSON.stringify({ data: null, errors: [{ message: "x", extensions: { code: "BAD_USER_INPUT" } }] }))).toBe(400);
    expect(statusForMediaType(400, JSON_CT, JSON.stringify({ errors: [] }))).toBe(400);
    expect(statusForMediaType(400, JSON_CT, "not json")).toBe(400);
    expect(statusForMediaType(400, undefined, body("GRAPHQL_PARSE_FAILED"))).toBe(400);
    for (const status of [401, 403, 413, 429, 500, 504]) expect(statusForMediaType(status, JSON_CT, body("GRAPHQL_PARSE_FAILED"))).toBe(status);
  });
});
