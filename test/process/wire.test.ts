/**
 * The process channels' wire format (runtimes/wire/): binary and typed values keep their type and
 * bytes both ways, a value that cannot be carried fails its task naming the path, and what task
 * code itself writes to the channel is told apart from mpms's frames.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SerializationError, WorkerCrashedError } from "../../mod.ts";
import { decodeFrame, ENVELOPE, envelopeBatch, MARK, WIRE_VERSION } from "../../runtimes/wire/frame.ts";
import { fixture, processAdapters, usePools } from "../helpers.ts";

type Channel = { workerId: number; kind: string; received: string };

const pattern = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
};

/** One of each binary kind, with bytes that differ from zero and an odd offset where a view allows it. */
function binaryValues(): Record<string, unknown> {
  const backing = pattern(64).buffer;
  return {
    Int8Array: new Int8Array([-128, -1, 0, 1, 127]),
    Uint8Array: pattern(33),
    Uint8ClampedArray: new Uint8ClampedArray([0, 128, 255]),
    Int16Array: new Int16Array([-32768, -1, 32767]),
    Uint16Array: new Uint16Array([0, 1, 65535]),
    Int32Array: new Int32Array([-(2 ** 31), 7, 2 ** 31 - 1]),
    Uint32Array: new Uint32Array([0, 2 ** 32 - 1]),
    Float32Array: new Float32Array([1.5, Number.NaN, -0, Number.POSITIVE_INFINITY]),
    Float64Array: new Float64Array([Math.PI, -0, Number.NEGATIVE_INFINITY]),
    BigInt64Array: new BigInt64Array([-(2n ** 63n), 42n]),
    BigUint64Array: new BigUint64Array([2n ** 64n - 1n]),
    ArrayBuffer: pattern(17).buffer,
    DataView: new DataView(backing, 8, 16),
    subarray: pattern(40).subarray(5, 13),
    nested: { list: [1, pattern(3), { deep: new Uint16Array([9]) }], when: new Date(0) },
  };
}

function expectSameBinary(got: unknown, sent: unknown): void {
  if (ArrayBuffer.isView(sent)) {
    expect(got?.constructor).toBe(sent.constructor);
    const view = got as ArrayBufferView;
    expect(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).toEqual(
      new Uint8Array(sent.buffer, sent.byteOffset, sent.byteLength),
    );
    return;
  }
  if (sent instanceof ArrayBuffer) {
    expect(got).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(got as ArrayBuffer)).toEqual(new Uint8Array(sent));
    return;
  }
  expect(got).toEqual(sent);
}

describe("wire format 2 frames", () => {
  it("the envelope key and the mark need no escaping in JSON (one string that does slows Bun's JSON.stringify 5x)", () => {
    expect(JSON.stringify(ENVELOPE)).toBe(`"${ENVELOPE}"`);
    expect(ENVELOPE).toMatch(/^[\x20-\x7e]+$/);
    expect(WIRE_VERSION).toBe(2);
    expect(MARK).toBe("\u001empms:2\u001f");
  });

  it("a typed value survives an envelope through JSON, and a version-1 frame is refused naming both versions", () => {
    const batch = [
      {
        t: "ok",
        id: 1,
        value: { big: 2n ** 64n + 1n, bytes: pattern(9), view: new DataView(pattern(8).buffer, 2, 4) },
      },
    ];
    const decoded = decodeFrame(JSON.parse(JSON.stringify(envelopeBatch(batch))));
    expect(decoded.kind).toBe("batch");
    const value = (decoded as { batch: [{ value: Record<string, unknown> }] }).batch[0].value;
    expect(value.big).toBe(2n ** 64n + 1n);
    expectSameBinary(value.bytes, pattern(9));
    expectSameBinary(value.view, new DataView(pattern(8).buffer, 2, 4));
    const old = decodeFrame(`\u001empms:1\u001f[]`);
    expect(old).toEqual({ kind: "invalid", problem: expect.stringMatching(/wire format "1".*speaks 2/) });
  });
});

describe.each(processAdapters)("wire format of the %s adapter", (adapter) => {
  const make = usePools();
  const module = fixture("process/channel_tasks.ts");

  it("binary and typed values keep their type and bytes, as input and as result", async () => {
    const pool = make({ module, adapter, workers: 1 });
    await pool.start();
    const values = binaryValues();
    const echoed = (await pool.submit(values)) as Record<string, unknown>;
    for (const [kind, sent] of Object.entries(values)) {
      if (kind === "nested") continue;
      expectSameBinary(echoed[kind], sent);
    }
    const nested = echoed.nested as { list: [number, Uint8Array, { deep: Uint16Array }]; when: Date };
    expectSameBinary(nested.list[1], pattern(3));
    expectSameBinary(nested.list[2].deep, new Uint16Array([9]));
    expect(nested.when).toEqual(new Date(0));
    // a result made in the worker: 1 MiB of bytes
    const big = await pool.submit(1 << 20, { name: "makeBytes" });
    expectSameBinary(big, pattern(1 << 20));
    await pool.close();
  });

  it("every view arrives on an ArrayBuffer holding only its own bytes, small or large", async () => {
    const pool = make({ module, adapter, workers: 1 });
    await pool.start();
    // 3 bytes: Buffer's pool on the way (a slice of a shared 8 KiB buffer), 1 MiB: a buffer of its own
    for (const length of [3, 5000, 1 << 20]) {
      const sent = {
        bytes: pattern(length),
        words: new Uint16Array(pattern(length * 2).buffer),
        raw: pattern(length).buffer,
      };
      const echoed = (await pool.submit(sent)) as typeof sent;
      for (const view of [echoed.bytes, echoed.words]) {
        expect(view.byteOffset).toBe(0);
        expect(view.buffer.byteLength).toBe(view.byteLength);
      }
      expectSameBinary(echoed.bytes, sent.bytes);
      expectSameBinary(echoed.words, sent.words);
      expectSameBinary(echoed.raw, sent.raw);
      const made = (await pool.submit(length, { name: "makeBytes" })) as Uint8Array;
      expect(made.buffer.byteLength).toBe(length);
      expectSameBinary(made, pattern(length));
    }
    await pool.close();
  });

  it("a value that cannot be carried fails its own task, naming its path", async () => {
    const pool = make({ module, adapter, workers: 1 });
    await pool.start();
    const input = { items: [0, 1, 2, { cb: function cb() {} }] };
    await expect(pool.submit(input)).rejects.toThrow(SerializationError);
    await expect(pool.submit(input)).rejects.toThrow(/input\.items\[3\]\.cb is a function/);
    await expect(pool.submit(null, { name: "unsendable" })).rejects.toThrow(/result\.items\[3\]\.cb is a function/);
    expect(await pool.submit("still serving")).toBe("still serving");
    expect(pool.stats().workersStarted).toBe(1);
    await pool.close();
  });

  const ipc = adapter === "process" || adapter === "bun";
  it.runIf(ipc)("a task's own process.send is foreign: ignored, reported, never a result", async () => {
    const pool = make({ module, adapter, workers: 1 });
    const events: Channel[] = [];
    pool.addEventListener("channel", (e) => events.push(e.detail));
    await pool.start();
    for (const what of ["ready", "ok", "batchText"] as const) {
      expect(await pool.submit(what, { name: "send" })).toBe(`sent ${what}`);
    }
    expect(await pool.submit(1)).toBe(1);
    expect(events.map((e) => e.kind)).toEqual(["foreign", "foreign", "foreign"]);
    expect(events[0]?.received).toBe('"ready"');
    expect(pool.stats().workersStarted).toBe(1);
    await pool.close();
  });

  it.runIf(ipc)("a forged mpms frame that does not decode kills only that worker (reason channel)", async () => {
    const pool = make({ module, adapter, workers: 2 });
    const events: Channel[] = [];
    pool.addEventListener("channel", (e) => events.push(e.detail));
    await pool.start();
    for (const what of ["forged", "oldVersion", "envelopeOld", "envelopeNotBatch"] as const) {
      const outcome = await pool.submit(what, { name: "send" }).then(
        () => new Error("expected a crash"),
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(WorkerCrashedError);
      expect((outcome as WorkerCrashedError).reason).toBe("channel");
      const all = await Promise.all([1, 2, 3, 4].map((n) => pool.submit(n)));
      expect(all).toEqual([1, 2, 3, 4]);
    }
    expect(events.map((e) => e.kind)).toEqual(["invalid", "invalid", "invalid", "invalid"]);
    expect(events[1]?.received).toMatch(/wire format "0".*speaks 2/);
    expect(events[2]?.received).toMatch(/wire format 0 .*speaks 2/);
    expect(events[3]?.received).toMatch(/not a batch/);
    await pool.close();
  });

  it.runIf(adapter === "deno")(
    "a frame printed on stdout by a task is the task's output, not the channel's",
    async () => {
      const pool = make({ module, adapter, workers: 1 });
      const events: Channel[] = [];
      pool.addEventListener("channel", (e) => events.push((e as unknown as { detail: Channel }).detail));
      await pool.start();
      expect(await pool.submit(null, { name: "garbageLine" })).toBe("printed");
      expect(events).toEqual([]);
      expect(pool.stats().workersStarted).toBe(1);
      await pool.close();
    },
  );

  // The tap (preloaded) lets a task write to the channel socket itself.
  const tap = { execArgv: ["--preload", fileURLToPath(fixture("process/channel_tap.ts"))] };
  it.runIf(adapter === "deno").each([
    ["a frame that does not decode", `\u001empms:2\u001f[{"t":\n`, /undecodable mpms frame/],
    ["text that is not an mpms frame", "hello\n", /not an mpms frame: "hello"/],
    ["an empty line", "\n", /not an mpms frame: ""/],
  ])("%s on the deno channel socket kills the worker (reason channel)", async (_what, text, received) => {
    const pool = make({ module, adapter, workers: 1, ...tap });
    const events: Channel[] = [];
    pool.addEventListener("channel", (e) => events.push(e.detail));
    await pool.start();
    const outcome = await pool.submit(text, { name: "writeToChannel" }).then(
      () => new Error("expected a crash"),
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(WorkerCrashedError);
    expect((outcome as WorkerCrashedError).reason).toBe("channel");
    expect(events.map((e) => e.kind)).toEqual(["invalid"]);
    expect(events[0]?.received).toMatch(received);
    expect(await Promise.all([1, 2, 3].map((n) => pool.submit(n)))).toEqual([1, 2, 3]);
    await pool.close();
  });
});
