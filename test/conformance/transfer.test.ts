/**
 * Moving instead of copying: `submit(x, { transfer })` moves the listed buffers to thread and
 * Web Workers (the host's copy is detached) and copies on process adapters; `transfer(value,
 * list)` moves a result back. A moved task that is handed back unstarted (work stealing) comes
 * back with its buffers and runs elsewhere.
 */
import { describe, expect, it } from "vitest";
import { SerializationError } from "../../mod.ts";
import { adapters, caught, childPermissions, fixture, usePools, waitFor } from "../helpers.ts";

const module = fixture("transfer.ts");
const moves = (adapter: string) => adapter === "thread" || adapter === "web";

function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return bytes;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 997) sum = (sum + (bytes[i] as number)) & 0xffff;
  return sum;
}

describe.each(adapters)("transfer on the %s adapter", (adapter) => {
  const make = usePools();
  const base = { module, adapter, ...childPermissions(adapter) };

  it("moves a listed input buffer (threads) or copies it (processes); the task sees the same bytes", async () => {
    const pool = make<unknown, { isBytes: boolean; length: number; sum: number }>({ ...base, workers: 1 });
    const bytes = pattern(1 << 20);
    const sum = checksum(bytes);
    const result = await pool.submit({ bytes }, { transfer: [bytes.buffer as ArrayBuffer] });
    expect(result).toMatchObject({ isBytes: true, length: 1 << 20, sum });
    // moved: the host's buffer is detached; copied: it is intact
    expect(bytes.byteLength).toBe(moves(adapter) ? 0 : 1 << 20);
  });

  it("a result returned with transfer() arrives whole", async () => {
    const pool = make<number, Uint8Array>({ ...base, workers: 1 });
    const result = await pool.submit(100_000, { name: "makeMoved" });
    expect(result).toBeInstanceOf(Uint8Array);
    expect([result.length, checksum(result)]).toEqual([100_000, checksum(pattern(100_000))]);
  });

  it("a moved task taken back from a busy worker runs on another with its bytes", async () => {
    const pool = make<unknown, unknown>({ ...base, workers: 1, concurrency: 1, prefetch: 1 });
    await pool.start();
    const blocking = pool.submit(3_000, { name: "hold" });
    await waitFor(() => pool.stats().workers[0]?.started === 1, 10_000, "the holding task to start");
    const bytes = pattern(1 << 16);
    const sum = checksum(bytes);
    const moved = pool.submit({ bytes }, { transfer: [bytes.buffer as ArrayBuffer] }) as Promise<{
      sum: number;
      workerId: number;
    }>;
    await waitFor(() => pool.stats().running === 2, 10_000, "the moved task to be prefetched");
    const busyWorker = pool.stats().workers[0]?.id;
    pool.resize(2); // an idle worker: the prefetched task is taken back and runs there
    const result = await moved;
    expect(result.sum).toBe(sum);
    expect(result.workerId).not.toBe(busyWorker);
    expect(await blocking).toBe(3_000);
    expect(pool.stats()).toMatchObject({ completed: 2, failed: 0 });
  });

  it("an input buffer moved already is refused at submit (postMessage would drop the task)", async () => {
    const pool = make<unknown, unknown>({ ...base, workers: 1 });
    const bytes = pattern(64);
    await pool.submit({ bytes }, { transfer: [bytes.buffer as ArrayBuffer] });
    if (!moves(adapter)) return; // copied: the buffer is still here, and can be sent again
    const err = await pool.submit({ bytes }, { transfer: [bytes.buffer as ArrayBuffer] }).catch(caught);
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).toContain("moved away already");
  });

  it("a result whose transfer list holds a buffer moved already fails clearly", async () => {
    const pool = make<unknown, unknown>({ ...base, workers: 1 });
    const err = await pool.submit(null, { name: "movedTwice" }).catch(caught);
    expect(err).toBeInstanceOf(SerializationError);
    expect(await pool.submit("after", { name: "echo" })).toBe("after");
  });

  it("refuses what cannot be moved, naming the item", async () => {
    const pool = make<unknown, unknown>({ ...base, workers: 1 });
    const view = new Uint8Array(4);
    const err = await pool.submit({ view }, { transfer: [view as unknown as ArrayBuffer] }).catch(caught);
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).toContain('"transfer[0]"');
    const shared = new SharedArrayBuffer(8);
    const err2 = await pool.submit({ shared }, { transfer: [shared as unknown as ArrayBuffer] }).catch(caught);
    expect(String(err2)).toContain('"transfer[0]"');
    expect(await pool.submit("still fine", { name: "echo" })).toBe("still fine");
  });
});
