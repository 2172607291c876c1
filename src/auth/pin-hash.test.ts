import { describe, expect, it } from "vitest";
import { hashPin, PIN_SCRYPT, spendPinHashTime, verifyPin } from "./pin-hash.js";

describe("pin hash", () => {
  it("stores scrypt$N$r$p$salt$hash with a 16-byte salt and never the PIN", async () => {
    const h = await hashPin("123456");
    const parts = h.split("$");
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(["scrypt", String(PIN_SCRYPT.N), String(PIN_SCRYPT.r), String(PIN_SCRYPT.p)]);
    expect(PIN_SCRYPT.N).toBeGreaterThanOrEqual(16384);
    expect(Buffer.from(parts[4]!, "base64")).toHaveLength(16);
    expect(Buffer.from(parts[5]!, "base64").length).toBeGreaterThanOrEqual(32);
    expect(h).not.toContain("123456");
  });

  it("salts: the same PIN hashes differently each time, and both verify", async () => {
    const [a, b] = await Promise.all([hashPin("654321"), hashPin("654321")]);
    expect(a).not.toBe(b);
    expect(await verifyPin("654321", a)).toBe(true);
    expect(await verifyPin("654321", b)).toBe(true);
  });

  it("rejects a wrong PIN", async () => {
    const h = await hashPin("000000");
    expect(await verifyPin("000001", h)).toBe(false);
    expect(await verifyPin("", h)).toBe(false);
    expect(await verifyPin("0000000", h)).toBe(false);
  });

  it("verifies hashes made with other (stored) parameters", async () => {
    const h = await hashPin("112233", { N: 1024, r: 8, p: 2 });
    expect(h.startsWith("scrypt$1024$8$2$")).toBe(true);
    expect(await verifyPin("112233", h)).toBe(true);
    expect(await verifyPin("112234", h)).toBe(false);
  });

  it("treats malformed stored values as no match (no throw)", async () => {
    for (const bad of ["", "not-a-real-hash", "scrypt$16384$8$1$$", "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "bcrypt$x$y$z$a$b", "scrypt$99999999$8$1$AAAA$AAAA"]) {
      expect(await verifyPin("123456", bad)).toBe(false);
    }
  });

  it("spends hash time for unknown accounts without throwing", async () => {
    await expect(spendPinHashTime("123456")).resolves.toBeUndefined();
  });
});
