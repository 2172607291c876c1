import { describe, expect, it } from "vitest";
import { formatError, setUnexpectedErrorReporter } from "./errors.js";

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
