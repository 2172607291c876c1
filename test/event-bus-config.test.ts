/** EVENT_BUS and NATS_URL (config.ts): defaults, accepted values, clear errors. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration of the event transport", () => {
  const base = { NODE_ENV: "test" };

  it("defaults to LISTEN/NOTIFY and the local NATS; takes nats and a list of nats:// URLs", () => {
    expect(loadConfig(base)).toMatchObject({ eventBus: "postgres", natsUrl: "nats://127.0.0.1:4222" });
    expect(loadConfig({ ...base, EVENT_BUS: "nats", NATS_URL: "nats://10.0.0.5:4222, nats://10.0.0.6" })).toMatchObject({
      eventBus: "nats",
      natsUrl: "nats://10.0.0.5:4222,nats://10.0.0.6",
    });
    expect(loadConfig({ ...base, EVENT_BUS: "NATS" }).eventBus).toBe("nats");
  });

  it("refuses anything else with a message naming the variable", () => {
    expect(() => loadConfig({ ...base, EVENT_BUS: "kafka" })).toThrow(new ConfigError('EVENT_BUS must be postgres or nats, got "kafka"'));
    for (const url of ["127.0.0.1:4222", "http://127.0.0.1:4222", "nats://", "nats://host:4222/path", "nats://a:1,,nats://b:2"]) {
      expect(() => loadConfig({ ...base, NATS_URL: url }), url).toThrow(/^NATS_URL must be one or more comma-separated nats:\/\/host:port URLs/);
    }
  });
});
