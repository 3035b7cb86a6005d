/**
 * A real shutdown run whose hooks fail with values that break naive formatting (objects without a
 * prototype, throwing toString() and getters, Symbols, revoked Proxies, circular causes): every
 * report field and log line is still built, the later phases run, and the process exits with the
 * code the exit-code function chose from the report.
 */
import { describe, expect, it } from "vitest";
import { fixtureRuntimes, useFixtures } from "./spawn.ts";

describe.each(fixtureRuntimes())("report values on %s", (rt) => {
  const start = useFixtures();

  it("hooks failing with odd values are reported, described, and the exit still happens", async () => {
    const f = start(rt, "odd_errors.ts");
    await f.line(/^ready$/);
    f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(5);
    expect(f.lines).toContain("later phase ran");
    expect(f.lines).toContain("emergency after the throwing one ran");
    const message = (hook: string): unknown => {
      const line = f.lines.find((l) => l.startsWith(`message drain/${hook} `));
      expect(line, f.output()).toBeDefined();
      const m = /^message \S+ (\w+) (.*)$/.exec(line as string);
      expect(m?.[1]).toBe("error");
      return JSON.parse(m?.[2] as string);
    };
    expect(message("null-proto")).toBe('{"code":"E_NULL"}');
    expect(message("bad-tostring")).toBe("[object Object]");
    expect(message("bad-getters")).toBe("[object Error]");
    expect(message("symbol")).toBe("Symbol(odd)");
    expect(message("revoked-thrown")).toBe("[object (unreadable)]");
    expect(message("revoked-returned")).toMatch(/^TypeError: ./); // the runtime's own wording follows
    expect(message("circular")).toBe("Error: first (cause: Error: second (cause: [circular]))");
    expect(f.lines).toContain('emergency revoked error "[object (unreadable)]"');
    expect(f.lines).toContain("emergency next ok undefined");
    const phase = (await f.line(/^mpms shutdown: phase drain error/)).input;
    expect(phase).toContain("symbol error");
    expect(phase).toContain("(Symbol(odd))");
    expect(phase).toContain("([object (unreadable)])");
    const summary = (await f.line(/^mpms shutdown: done with failures/)).input;
    expect(summary).toContain(
      "failed: drain/null-proto, drain/bad-tostring, drain/bad-getters, drain/symbol, drain/revoked-thrown, " +
        "drain/revoked-returned, drain/circular, emergency/revoked",
    );
    expect(summary).toContain("exit code 5");
  });
});
