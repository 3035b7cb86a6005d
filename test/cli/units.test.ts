/**
 * The pure parts of `mpms run`, in process: argument parsing, the line reader, the resume index,
 * the writer's reorder buffer, backpressure of the read loop, percentiles, progress and summary.
 */
import { describe, expect, it } from "vitest";
import type { Pool } from "../../mod.ts";
import { PoolUnavailableError, WorkerCrashedError } from "../../mod.ts";
import { parseAdmin, parseArgs, parseDuration, parseMemory, UsageError } from "../../src/cli/args.ts";
import { Feeder, isRetryable } from "../../src/cli/feed.ts";
import type { InputSource, OutputSink } from "../../src/cli/host.ts";
import { countLines, readLines } from "../../src/cli/lines.ts";
import { barLine, clock, plainLine } from "../../src/cli/progress.ts";
import { answeredLine, LineSet, readAnswered } from "../../src/cli/resume.ts";
import { flagMessage, poolName } from "../../src/cli/run.ts";
import { formatSummary } from "../../src/cli/summary.ts";
import { Tally } from "../../src/cli/tally.ts";
import { Timings } from "../../src/cli/timings.ts";
import { Window } from "../../src/cli/window.ts";
import { OutcomeWriter } from "../../src/cli/writer.ts";

const encoder = new TextEncoder();

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield encoder.encode(part);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe("parseArgs", () => {
  const run = (...argv: string[]) => {
    const command = parseArgs(["run", ...argv]);
    if (command.kind !== "run") throw new Error("expected run");
    return command.options;
  };

  it("reads every flag, in both --flag value and --flag=value forms", () => {
    const o = run(
      "task.js",
      "--input=in.ndjson",
      "--output",
      "out.ndjson",
      "--name",
      "resize",
      "--ordered",
      "--resume",
      "--quiet",
      "--retries",
      "2",
      "--workers=3",
      "--concurrency",
      "4",
      "--adapter",
      "process",
      "--timeout",
      "1.5s",
      "--max-tasks",
      "100",
      "--max-age",
      "2m",
      "--max-age-hard",
      "1h",
      "--max-memory",
      "1G",
      "--admin",
      ":9000",
      "--token",
      "t".repeat(20),
      "--max-line-bytes",
      "1M",
      "--restart-intensity",
      "Infinity",
      "--heartbeat",
      "30s",
    );
    expect(o).toEqual({
      module: "task.js",
      input: "in.ndjson",
      output: "out.ndjson",
      name: "resize",
      ordered: true,
      resume: true,
      quiet: true,
      retries: 2,
      workers: 3,
      concurrency: 4,
      adapter: "process",
      timeout: 1500,
      maxTasks: 100,
      maxAge: 120_000,
      maxAgeHard: 3_600_000,
      maxMemoryMb: 1024,
      admin: { hostname: "127.0.0.1", port: 9000 },
      token: "t".repeat(20),
      tokenFile: undefined,
      maxLineBytes: 1024 * 1024,
      restartIntensity: Number.POSITIVE_INFINITY,
      heartbeat: 30_000,
    });
  });

  it("--admin takes an optional HOST:PORT; a following module is not taken for it", () => {
    expect(run("--admin", "task.js").admin).toEqual({ hostname: "127.0.0.1", port: 0 });
    expect(run("--admin", "task.js").module).toBe("task.js");
    expect(run("task.js", "--admin").admin).toEqual({ hostname: "127.0.0.1", port: 0 });
    expect(run("task.js", "--admin", "0.0.0.0:8080").admin).toEqual({ hostname: "0.0.0.0", port: 8080 });
    expect(run("task.js", "--admin=9464").admin).toEqual({ hostname: "127.0.0.1", port: 9464 });
    expect(parseAdmin("[::1]:7000")).toEqual({ hostname: "::1", port: 7000 });
    expect(parseAdmin("localhost:1")).toEqual({ hostname: "localhost", port: 1 });
    expect(() => parseAdmin("host:99999")).toThrow("--admin port must be from 0 to 65535");
    expect(() => parseAdmin("host")).toThrow(UsageError);
  });

  it("'-' means stdin/stdout; the token can come from MPMS_ADMIN_TOKEN", () => {
    const o = run("task.js", "--input", "-", "--output", "-");
    expect([o.input, o.output]).toEqual([null, null]);
    const env = (name: string) => (name === "MPMS_ADMIN_TOKEN" ? "x".repeat(16) : undefined);
    const command = parseArgs(["run", "t.js", "--admin"], env);
    expect(command.kind === "run" && command.options.token).toBe("x".repeat(16));
  });

  it("rejects bad commands, flags and values with one line naming them", () => {
    const cases: [string[], string][] = [
      [[], "missing command"],
      [["go"], 'unknown command "go"'],
      [["--workers", "2"], "expected a command before --workers"],
      [["run"], "missing the task module"],
      [["run", "a.js", "b.js"], 'unexpected argument "b.js"'],
      [["run", "a.js", "--nope"], "unknown option --nope"],
      [["run", "a.js", "--workers"], "--workers needs a value"],
      [["run", "a.js", "--workers", "--ordered"], "--workers needs a value"],
      [["run", "a.js", "--workers", "1.5"], '--workers must be an integer from 1 to 1024, got "1.5"'],
      [["run", "a.js", "--workers", "2000"], "--workers must be an integer from 1 to 1024"],
      [["run", "a.js", "--retries", "-1"], '--retries must be an integer from 0 to 1000, got "-1"'],
      [["run", "a.js", "--ordered=yes"], '--ordered takes no value, got "yes"'],
      [["run", "a.js", "--ordered", "--ordered"], "--ordered is given twice"],
      [["run", "a.js", "--name", ""], "--name needs a non-empty value"],
      [
        ["run", "a.js", "--max-memory", "lots"],
        '--max-memory must be a size > 0 in MiB, or with a unit (512, 512M, 2G), got "lots"',
      ],
      [["run", "a.js", "--resume"], "--resume needs --output FILE"],
      [["run", "a.js", "--token", "abc"], "--token is only used with --admin"],
    ];
    for (const [argv, text] of cases) {
      expect(() => parseArgs(argv), argv.join(" ")).toThrow(UsageError);
      expect(() => parseArgs(argv), argv.join(" ")).toThrow(text);
    }
    expect(parseArgs(["run", "a.js", "--help"])).toEqual({ kind: "help" });
    expect(parseArgs(["-h"])).toEqual({ kind: "help" });
  });

  it("durations and sizes", () => {
    expect(parseDuration("--timeout", "250")).toBe(250);
    expect(parseDuration("--timeout", "250ms")).toBe(250);
    expect(parseDuration("--timeout", "0.5s")).toBe(500);
    expect(() => parseDuration("--timeout", "0")).toThrow("--timeout must be a duration > 0");
    expect(() => parseDuration("--timeout", "1d")).toThrow(UsageError);
    expect(parseMemory("--max-memory", "512")).toBe(512);
    expect(parseMemory("--max-memory", "512MiB")).toBe(512);
    expect(parseMemory("--max-memory", "1.5g")).toBe(1536);
    expect(() => parseMemory("--max-memory", "0")).toThrow(UsageError);
  });

  it("pool validation messages are told in flags; the pool name is the module's file name", () => {
    expect(flagMessage('mpms: option "maxAge" (5) must be below "maxAgeHard" (1)')).toBe(
      "--max-age (5) must be below --max-age-hard (1)",
    );
    expect(flagMessage('mpms: option "adapter" must be one of "thread", "process", got "x"')).toBe(
      '--adapter must be one of "thread", "process", got "x"',
    );
    expect(poolName("examples/thumbnail.ts")).toBe("thumbnail");
    expect(poolName("https://example.com/a b.js")).toBe("a_b");
    expect(poolName("./.ts")).toBe("tasks");
  });
});

describe("readLines / countLines", () => {
  it("splits across chunks, handles CRLF and a last line without newline, counts blank lines but skips them", async () => {
    const lines = await collect(readLines(chunks('{"a":', "1}\r\n\n  \n2\n", "é", "\n3")));
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 4, text: "2" },
      { line: 5, text: "é" },
      { line: 6, text: "3" },
    ]);
    expect(await countLines(chunks('{"a":', "1}\r\n\n  \n2\n", "é", "\n3"))).toBe(4);
    expect(await countLines(chunks("1\n2\n"))).toBe(2);
    expect(await collect(readLines(chunks("")))).toEqual([]);
  });

  it("decodes a multi-byte character split between chunks", async () => {
    const bytes = encoder.encode('"ü"\n');
    async function* split(): AsyncGenerator<Uint8Array> {
      yield bytes.slice(0, 2);
      yield bytes.slice(2);
    }
    expect(await collect(readLines(split()))).toEqual([{ line: 1, text: '"ü"' }]);
  });

  it("a line over maxBytes (across chunks too) yields tooLong without its text; CRLF does not count", async () => {
    const lines = await collect(readLines(chunks("12345\n", "123", "456", "7\n", "1234\r\n", "x", "yyyyyy"), 5));
    expect(lines).toEqual([
      { line: 1, text: "12345" },
      { line: 2, text: "", tooLong: 7 },
      { line: 3, text: "1234" },
      { line: 4, text: "", tooLong: 7 },
    ]);
    expect(await collect(readLines(chunks("123456\r\n12\r\n"), 5))).toEqual([
      { line: 1, text: "", tooLong: 6 },
      { line: 2, text: "12" },
    ]);
  });
});

describe("resume index", () => {
  it("LineSet grows and counts", () => {
    const set = new LineSet();
    for (const n of [1, 2, 2, 9_999_999, 64]) set.add(n);
    expect(set.size).toBe(4);
    expect([1, 2, 3, 64, 9_999_999, 10_000_000].map((n) => set.has(n))).toEqual([true, true, false, true, true, false]);
  });

  it("LineSet keeps line numbers past 2^32 apart from low ones, up to 2^53 - 1, in little memory", () => {
    const set = new LineSet();
    for (const n of [2 ** 32 + 1, 2 ** 35 + 2, Number.MAX_SAFE_INTEGER]) set.add(n);
    set.add(0);
    set.add(1.5);
    set.add(2 ** 53);
    expect(set.size).toBe(3);
    expect([1, 2, 2 ** 32 + 1, 2 ** 35 + 2, Number.MAX_SAFE_INTEGER, 2 ** 32].map((n) => set.has(n))).toEqual([
      false,
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it("takes complete outcome lines only", async () => {
    expect(answeredLine('{"line":3,"status":"ok","value":{"a":1}}')).toBe(3);
    expect(answeredLine('{"line":3,"status":"ok","value":{"a":1}')).toBeUndefined(); // cut off
    expect(answeredLine('{"status":"ok","line":4}')).toBe(4);
    expect(answeredLine('{"line":"4","status":"ok"}')).toBeUndefined();
    expect(answeredLine("[1]")).toBeUndefined();
    const set = await readAnswered(chunks('{"line":1,"status":"ok","value":1}\n{"line":2,"status":"error","er'));
    expect([set.has(1), set.has(2), set.size]).toEqual([true, false, 1]);
  });
});

function memorySink(): OutputSink & { text: string } {
  const sink = {
    text: "",
    write(t: string) {
      sink.text += t;
    },
    writeSync(t: string) {
      sink.text += t;
    },
    flush: () => Promise.resolve(),
  };
  return sink;
}

describe("OutcomeWriter", () => {
  it("ordered: holds outcomes until the earlier ones are written; a dropped one leaves no gap", async () => {
    const sink = memorySink();
    let released = 0;
    const writer = new OutcomeWriter(sink, true, () => released++);
    writer.put(2, "c");
    writer.put(1, null);
    expect([writer.waiting, released]).toEqual([2, 0]);
    writer.put(0, "a");
    expect([writer.waiting, released, writer.written]).toEqual([0, 3, 2]);
    writer.put(3, "d");
    await writer.flush();
    expect(sink.text).toBe("a\nc\nd\n");
  });

  it("unordered: writes as outcomes come; flushNow writes held outcomes synchronously", () => {
    const sink = memorySink();
    const unordered = new OutcomeWriter(sink, false, () => {});
    unordered.put(5, "x");
    unordered.put(1, "y");
    unordered.flushNow();
    expect(sink.text).toBe("x\ny\n");
    const held = memorySink();
    const ordered = new OutcomeWriter(held, true, () => {});
    ordered.put(2, "late");
    ordered.put(1, "mid");
    ordered.flushNow();
    expect(held.text).toBe("mid\nlate\n");
  });
});

describe("the read loop", () => {
  function source(total: number): InputSource & { pulled: () => number } {
    let pulled = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      for (let i = 1; i <= total; i++) {
        pulled++;
        yield encoder.encode(`${i}\n`);
      }
    }
    const chunks = generate();
    return { chunks, close: () => void chunks.return(undefined), pulled: () => pulled };
  }

  function feeder(pool: Partial<Pool>, input: InputSource, windowSize: number, ordered: boolean) {
    const window = new Window(windowSize);
    const sink = memorySink();
    const tally = new Tally();
    const writer = new OutcomeWriter(sink, ordered, () => window.release());
    const f = new Feeder({
      pool: pool as Pool,
      source: input,
      window,
      writer,
      tally,
      answered: undefined,
      name: undefined,
      retries: 1,
      onPoolFailed: () => {},
    });
    return { f, window, sink, tally, writer };
  }

  it("reads no further than the window while tasks are running (the input is never read ahead)", async () => {
    const input = source(100_000);
    const { f, window } = feeder({ submit: () => new Promise(() => {}) }, input, 8, false);
    const done = f.run();
    for (let i = 0; i < 20; i++) await tick();
    expect(window.used).toBe(8);
    expect(input.pulled()).toBeLessThanOrEqual(9);
    f.stop();
    await done;
    expect(input.pulled()).toBeLessThanOrEqual(9);
  });

  it("ordered: one slow early task holds the reading at the window, then everything flows in order", async () => {
    const input = source(50);
    let release: (() => void) | undefined;
    const submit = (n: unknown): Promise<unknown> =>
      n === 1 ? new Promise((resolve) => (release = () => resolve(n))) : Promise.resolve(n);
    const { f, sink, writer } = feeder({ submit: submit as Pool["submit"] }, input, 4, true);
    const done = f.run();
    for (let i = 0; i < 20; i++) await tick();
    expect(writer.waiting).toBe(3);
    expect(input.pulled()).toBeLessThanOrEqual(5);
    release?.();
    await done;
    await writer.flush();
    const lines = sink.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).line);
    expect(lines).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("stop() ends a read loop that waits for the output to take more (a stuck stdout)", async () => {
    let pulled = 0;
    async function* slowly(): AsyncGenerator<Uint8Array> {
      for (let i = 1; i <= 100; i++) {
        await new Promise((r) => setTimeout(r, 1)); // like a stream: data arrives on later turns
        pulled++;
        yield encoder.encode(`${i}\n`);
      }
    }
    const chunks = slowly();
    const input: InputSource = { chunks, close: () => void chunks.return(undefined) };
    const window = new Window(8);
    const stuck: OutputSink = {
      write: () => new Promise(() => {}),
      writeSync: () => {},
      flush: () => Promise.resolve(),
    };
    const writer = new OutcomeWriter(stuck, false, () => window.release());
    const f = new Feeder({
      pool: { submit: (n: unknown) => Promise.resolve(n) } as unknown as Pool,
      source: input,
      window,
      writer,
      tally: new Tally(),
      answered: undefined,
      name: undefined,
      retries: 0,
      onPoolFailed: () => {},
    });
    let ended = false;
    const done = f.run().then(() => (ended = true));
    // 20 turns of a 1 ms timer, like the input's: unheld, the loop would have pulled about 20
    // lines by then, however fast or slow the machine (a fixed 20 ms gives a slow one few turns)
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
    expect(ended).toBe(false);
    expect(pulled).toBeLessThan(5); // held by the output, not by the window
    f.stop();
    await done;
    expect(window.used).toBe(0);
  });

  it("retries only worker failures, once per allowed retry", async () => {
    const input = source(1);
    let calls = 0;
    const submit = (): Promise<unknown> => {
      calls++;
      return calls === 1
        ? Promise.reject(new WorkerCrashedError({ workerId: 1, exitCode: 1, signal: null, reason: "exit" }))
        : Promise.resolve("fine");
    };
    const { f, sink, tally, writer } = feeder({ submit: submit as Pool["submit"] }, input, 4, false);
    await f.run();
    await writer.flush();
    expect(calls).toBe(2);
    expect(tally.retries).toBe(1);
    expect(JSON.parse(sink.text)).toEqual({ line: 1, status: "ok", value: "fine", attempts: 2 });
    expect(isRetryable(new RangeError("x"))).toBe(false);
  });
});

describe("a failed pool", () => {
  it("stops the reading; the lines it could not run are left out of the output", async () => {
    let pulled = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      for (let i = 1; i <= 1000; i++) {
        pulled++;
        yield encoder.encode(`${i}\n`);
      }
    }
    const chunks = generate();
    const window = new Window(4);
    const sink = memorySink();
    const writer = new OutcomeWriter(sink, false, () => window.release());
    const failures: unknown[] = [];
    const submit = (n: unknown): Promise<unknown> =>
      n === 1 ? Promise.resolve(1) : Promise.reject(new PoolUnavailableError("gave up"));
    const f = new Feeder({
      pool: { submit } as unknown as Pool,
      source: { chunks, close: () => void chunks.return(undefined) },
      window,
      writer,
      tally: new Tally(),
      answered: undefined,
      name: undefined,
      retries: 3,
      onPoolFailed: (error) => failures.push(error),
    });
    await f.run();
    await window.idle();
    await writer.flush();
    expect(sink.text).toBe('{"line":1,"status":"ok","value":1}\n');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(f.stopped).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

describe("numbers on screen", () => {
  it("percentiles are within 1% of the exact ones", () => {
    const t = new Timings();
    for (let i = 1; i <= 1000; i++) t.record(i);
    expect(t.quantile(0.5)).toBeCloseTo(500, -1);
    expect(Math.abs(t.quantile(0.99) - 990) / 990).toBeLessThan(0.01);
    expect(t.max).toBe(1000);
    expect(new Timings().quantile(0.5)).toBeNaN();
  });

  it("bar and plain progress lines", () => {
    const s = { done: 50, total: 200, thisRun: 50, failed: 2, workers: 4 };
    const bar = barLine(s, 10, 100);
    expect(bar).toMatch(/^\[=+> +\] 50\/200 {2}25% {2}10\.0\/s {2}ETA 0:15 {2}failed 2 {2}workers 4$/);
    expect(bar.length).toBeLessThan(100);
    expect(barLine({ ...s, total: undefined }, 10, 100)).toBe("mpms 50/?  10.0/s  ETA ?  failed 2  workers 4");
    expect(plainLine(s, 250)).toBe("mpms: 50/200 done, 250/s, ETA 0:01, 2 failed, 4 workers");
    expect(clock(3_725_000)).toBe("1:02:05");
  });

  it("summary lines", () => {
    const tally = new Tally();
    tally.ok = 8;
    tally.fail("RangeError");
    tally.fail("WorkerCrashedError");
    tally.invalid = 1;
    tally.skipped = 5;
    tally.retries = 3;
    tally.unfinished = 2;
    for (let i = 0; i < 13; i++) tally.timings.record(10);
    const lines = formatSummary({
      tally,
      wallMs: 2_000,
      stats: { workersStarted: 3, retirements: { close: 2, crash: 1 } },
      interrupted: "SIGINT",
      output: "out.ndjson",
    });
    expect(lines).toEqual([
      "mpms: 11 lines in 2.0 s (5.5/s): 8 ok, 2 failed (RangeError 1, WorkerCrashedError 1), 1 not JSON; 5 skipped (already in the output)",
      "mpms: task time p50 10.0 ms, p95 10.0 ms, p99 10.0 ms, max 10.0 ms (13 runs, 3 of them retries)",
      "mpms: workers 3 started; exits by reason: close 2, crash 1",
      "mpms: interrupted (SIGINT); 2 tasks were not finished and are not in the output; continue with --resume --output out.ndjson",
    ]);
    const done = formatSummary({ tally, wallMs: 1, stats: null, interrupted: null, output: "out.ndjson" });
    expect(done.slice(2)).toEqual(["mpms: outcomes in out.ndjson"]);
  });
});
