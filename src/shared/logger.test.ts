import { describe, expect, it } from "vitest";
import { childLogger, createLogger } from "./logger.js";

function capture(level: Parameters<typeof createLogger>[0] = "debug") {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (l) => lines.push(l)) };
}

describe("logger (pino)", () => {
  it("writes one JSON object a line with the level's name, an ISO time and the message", () => {
    const { lines, logger } = capture("info");
    logger.debug("hidden");
    logger.info("hello", { n: 1 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: "info", msg: "hello", n: 1 });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });

  it("redacts secrets by key (pino paths and at any depth) and by pattern inside strings", () => {
    const { lines, logger } = capture();
    logger.warn("login Bearer abc.def.ghi for 3201234567890123", {
      pin: "123456",
      nik: "3201234567890123",
      headers: { authorization: "Bearer x" },
      deep: { a: { b: { token: "t0k3n-secret" } } },
      error: new Error("Failed query: insert into customers params: 3201234567890123,scrypt$abc"),
    });
    const text = lines.join("\n");
    for (const secret of ["123456", "3201234567890123", "Bearer x", "t0k3n-secret", "scrypt$", "abc.def.ghi"]) expect(text).not.toContain(secret);
    expect(text).toContain("params: [redacted]");
  });

  it("has child loggers whose lines carry the bindings (one per request: its id and operation)", () => {
    const { lines, logger } = capture();
    const child = childLogger(logger, { requestId: "r-1", operation: "RecordPayment" });
    child.debug("graphql", { status: 200 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: "r-1", operation: "RecordPayment", status: 200, msg: "graphql" });
    expect(logger.child).toBeTypeOf("function");
  });
});
