/** env, cwd and execArgv reach process workers. */
import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { fixture, processAdapters, runtime, usePools } from "../helpers.ts";

describe.each(processAdapters)("child options on the %s adapter", (adapter) => {
  const make = usePools();

  it("env is added to the host's environment; cwd and execArgv apply", async () => {
    const cwd = realpathSync(tmpdir());
    process.env.MPMS_HOST_VALUE = "from-the-host";
    const pool = make<unknown, unknown>({
      module: fixture("process/tasks.ts"),
      adapter,
      workers: 1,
      env: { MPMS_TEST_VALUE: "from-the-pool" },
      cwd,
      execArgv: [runtime === "deno" ? "--v8-flags=--expose-gc" : "--expose-gc"],
      // Deno children read env and cwd only with permission
      ...(runtime === "deno" ? { permissions: ["--allow-read", "--allow-env=MPMS_TEST_VALUE,MPMS_HOST_VALUE"] } : {}),
    });
    try {
      expect(await pool.submit(null, { name: "startedWith" })).toEqual({
        cwd,
        value: "from-the-pool",
        inherited: "from-the-host",
        gc: "function",
      });
    } finally {
      delete process.env.MPMS_HOST_VALUE;
    }
    await pool.close();
  });
});
