/** Large messages, with multi-byte characters split across reads, cross every channel intact. */
import { describe, expect, it } from "vitest";
import { adapters, fixture, usePools } from "../helpers.ts";

describe.each(adapters)("large messages on the %s adapter", (adapter) => {
  const make = usePools();

  it("a 3 MB multi-byte string goes both ways, many times over, in order", async () => {
    const pool = make<unknown, unknown>({ module: fixture("process/tasks.ts"), adapter, workers: 2 });
    const big = "é€😀\n\u001e".repeat(300_000);
    const results = await Promise.all([0, 1, 2, 3].map((i) => pool.submit({ i, big })));
    for (const [i, r] of results.entries()) {
      expect((r as { i: number }).i).toBe(i);
      expect((r as { big: string }).big === big).toBe(true);
    }
    await pool.close();
  });
});
