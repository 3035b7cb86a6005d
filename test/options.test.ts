/** Options are validated at construction: TypeError/RangeError naming the option and the value. */
import { describe, expect, it } from "vitest";
import { Pool } from "../mod.ts";
import { fixture } from "./helpers.ts";

const module = fixture("tasks.ts");

/** Values whose String() throws: the error message must still be built. */
function nullProtoCycle(): unknown {
  const o = Object.create(null) as Record<string, unknown>;
  o.self = o;
  return o;
}
function revokedProxy(): unknown {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe("option validation", () => {
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ["workers: 0", { workers: 0 }, RangeError, /"workers".*got 0/],
    ["workers: 1.5", { workers: 1.5 }, RangeError, /"workers".*got 1.5/],
    ["workers: '2'", { workers: "2" }, TypeError, /"workers".*got "2"/],
    ["concurrency: -1", { concurrency: -1 }, RangeError, /"concurrency"/],
    ["queueSize: NaN", { queueSize: Number.NaN }, TypeError, /"queueSize"/],
    ["adapter: 'nope'", { adapter: "nope" }, RangeError, /"adapter".*"nope"/],
    ["adapter: 42", { adapter: 42 }, TypeError, /"adapter"/],
    ["collector: 1", { collector: 1 }, TypeError, /"collector"/],
    ["workers: a null-prototype cycle", { workers: nullProtoCycle() }, TypeError, /"workers".*unprintable/],
    ["workers: a revoked proxy", { workers: revokedProxy() }, TypeError, /"workers".*unprintable/],
    ["maxAge >= maxAgeHard", { maxAge: 2000, maxAgeHard: 1000 }, RangeError, /"maxAge".*"maxAgeHard"/],
    ["minAge >= maxAge", { minAge: 5000, maxAge: 1000 }, RangeError, /"minAge".*"maxAge"/],
    ["heartbeat interval >= timeout", { heartbeat: { interval: 50, timeout: 10 } }, RangeError, /heartbeat/],
    ["backoff initial > max", { restart: { backoff: { initial: 10, max: 1 } } }, RangeError, /backoff/],
    ["gracefulDie.errors: 'x'", { gracefulDie: { errors: "x" } }, TypeError, /gracefulDie.errors/],
    ["unknown option", { wrokers: 2 }, TypeError, /unknown option "wrokers"/],
    ["taskTimeout: 0", { taskTimeout: 0 }, RangeError, /"taskTimeout"/],
    // setTimeout fires a longer delay at once: it would retire every worker immediately
    ["maxAge: 3e9", { maxAge: 3e9 }, RangeError, /"maxAge".*<= 2147483647/],
    ["killGrace: 2**31", { killGrace: 2 ** 31 }, RangeError, /"killGrace"/],
  ];
  it.each(cases)("%s", (_label, extra, type, message) => {
    expect(() => new Pool({ module, ...extra } as never)).toThrow(type);
    expect(() => new Pool({ module, ...extra } as never)).toThrow(message);
  });

  it("module must be a URL or an absolute path", () => {
    expect(() => new Pool({ module: 42 } as never)).toThrow(TypeError);
    expect(() => new Pool({ module: "relative/path.ts" })).toThrow(RangeError);
    expect(new Pool({ module: module.pathname }).state).toBe("idle");
  });

  it("per-task options are checked too", async () => {
    const pool = new Pool({ module, workers: 1 });
    await expect(pool.submit(1, { timeout: -5 })).rejects.toThrow(RangeError);
    await expect(pool.submit(1, { name: 7 as never })).rejects.toThrow(TypeError);
    expect(pool.stats().submitted).toBe(0);
    await pool.close();
  });
});
