import { afterEach, describe, expect, it, vi } from "vitest";
import { mintToken, tokenKey, viewerFromAuthorization } from "./tokens.js";

const key = tokenKey("unit-test-secret-0123456789");

describe("verified tokens are remembered until they expire", () => {
  afterEach(() => vi.useRealTimers());

  it("the same token gives the same viewer again without a new verification", async () => {
    const t = await mintToken(key, { role: "ADMIN", sub: "alice" });
    const a = await viewerFromAuthorization(key, `Bearer ${t}`);
    const b = await viewerFromAuthorization(key, `Bearer ${t}`);
    expect(a).toEqual({ role: "ADMIN", sub: "alice", exp: undefined });
    expect(b).toBe(a);
  });

  it("a remembered token is refused once it has expired", async () => {
    vi.useFakeTimers({ now: new Date("2026-12-01T00:00:00Z"), toFake: ["Date"] });
    const t = await mintToken(key, { role: "ADMIN", sub: "bob", expiresIn: 60 });
    await expect(viewerFromAuthorization(key, `Bearer ${t}`)).resolves.toMatchObject({ sub: "bob" });
    vi.setSystemTime(new Date("2026-12-01T00:00:59Z"));
    await expect(viewerFromAuthorization(key, `Bearer ${t}`)).resolves.toMatchObject({ sub: "bob" });
    vi.setSystemTime(new Date("2026-12-01T00:01:00Z"));
    await expect(viewerFromAuthorization(key, `Bearer ${t}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });

  it("another key does not accept a token remembered for the first", async () => {
    const t = await mintToken(key, { role: "ADMIN", sub: "carol" });
    await viewerFromAuthorization(key, `Bearer ${t}`);
    await expect(viewerFromAuthorization(tokenKey("another-secret-0123456789"), `Bearer ${t}`)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
  });
});
