/**
 * The postgres.js repairs of patches/postgres-driver.mjs (applied on npm install) are in place:
 * driven with fake sockets (the driver's `socket` option), no database needed.
 */
import { EventEmitter } from "node:events";
import postgres from "postgres";
import { describe, expect, it } from "vitest";

interface FakeSocket extends EventEmitter {
  readyState: string;
  written: number;
  setKeepAlive(): void;
  write(b: Buffer): boolean;
  destroy(): void;
  end(): void;
}

function fakeSocket(): FakeSocket {
  const s = new EventEmitter() as FakeSocket;
  s.readyState = "open";
  s.written = 0;
  s.setKeepAlive = () => {};
  s.write = (b) => ((s.written += b.length), true);
  s.destroy = () => void (s.readyState = "closed");
  s.end = () => void (s.readyState = "closed");
  return s;
}

describe("postgres.js driver patch", () => {
  it("a connection whose socket closed while a write was queued writes again after reconnecting", async () => {
    const sockets: FakeSocket[] = [];
    const sql = postgres({
      host: "driver-patch.invalid",
      max: 1,
      connect_timeout: 1,
      backoff: () => 0.05,
      onnotice: () => {},
      // Undocumented in the types, supported by the driver: a socket factory.
      socket: () => {
        const s = fakeSocket();
        sockets.push(s);
        // The first socket dies before the driver's deferred flush of its start-up message.
        if (sockets.length === 1) setImmediate(() => s.emit("close", false));
        return s;
      },
    } as unknown as Parameters<typeof postgres>[0]);
    void sql`select 1`.catch(() => {});
    const deadline = Date.now() + 3000;
    while (!(sockets.length >= 2 && sockets[1]!.written > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await sql.end({ timeout: 0 }).catch(() => {});
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    // Unpatched, nextWriteTimer stays set and the second start-up message is never sent.
    expect(sockets[1]!.written).toBeGreaterThan(0);
  });

  it("the patch is applied to every build of the driver", async () => {
    const { readFileSync, existsSync } = await import("node:fs");
    const { fileURLToPath } = await import("node:url");
    const dir = fileURLToPath(new URL("../node_modules/postgres/", import.meta.url));
    for (const build of ["src", "cjs/src", "cf/src"]) {
      const file = `${dir}${build}/connection.js`;
      if (!existsSync(file)) continue;
      expect(readFileSync(file, "utf8").match(/julo-gateway patch/g)?.length, file).toBe(3);
    }
  });
});
