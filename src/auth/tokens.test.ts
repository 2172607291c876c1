import { afterEach, describe, expect, it, vi } from "vitest";
import { atTokenExpiry, mintToken, tokenExpired, tokenKey, viewerFromAuthorization } from "./tokens.js";

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

describe("token expiry on a long-lived connection", () => {
  afterEach(() => vi.useRealTimers());

  it("tokenExpired: from the second `exp` on, as the HTTP check; never without exp or anonymous", () => {
    const viewer = { role: "ADMIN" as const, sub: "dave", exp: 1_800_000_000 };
    expect(tokenExpired(viewer, 1_799_999_999_999)).toBe(false);
    expect(tokenExpired(viewer, 1_800_000_000_000)).toBe(true);
    expect(tokenExpired({ role: "ADMIN", sub: "dave" }, 9e15)).toBe(false);
    expect(tokenExpired({ role: "ANONYMOUS" }, 9e15)).toBe(false);
  });

  it("atTokenExpiry fires at exp, even for a token longer than setTimeout's 24.8-day maximum; cancel stops it", () => {
    vi.useFakeTimers({ now: new Date("2026-12-01T00:00:00Z") });
    const exp = Date.parse("2026-12-31T00:00:00Z") / 1000; // a "30d" token
    const fired: string[] = [];
    atTokenExpiry({ role: "ADMIN", sub: "erin", exp }, () => fired.push("long"));
    const cancel = atTokenExpiry({ role: "ADMIN", sub: "erin", exp }, () => fired.push("cancelled"));
    vi.advanceTimersByTime(25 * 86_400_000);
    expect(fired).toEqual([]);
    cancel();
    vi.advanceTimersByTime(5 * 86_400_000 - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["long"]);
    atTokenExpiry({ role: "ADMIN", sub: "erin", exp }, () => fired.push("already expired"));
    atTokenExpiry({ role: "ADMIN", sub: "erin" }, () => fired.push("no exp"));
    vi.advanceTimersByTime(365 * 86_400_000);
    expect(fired).toEqual(["long", "already expired"]);
  });
});
