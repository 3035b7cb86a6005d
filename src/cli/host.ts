/**
 * The seam between `mpms run` (runtime-agnostic, in src/cli) and the process it runs in: files,
 * stdin/stdout/stderr, the working directory, exit. runtimes/cli_io.ts implements it for Deno, Bun and
 * Node; tests of the pure parts need none of it.
 */
import type { MetricSource } from "../admin/options.ts";
import type { QueueSource } from "../admin/queues.ts";
import type { Pool } from "../pool/pool.ts";
import type { Shutdown } from "../shutdown/shutdown.ts";

/**
 * Where outcome lines go. Writes are taken at once (a file is written synchronously). A write
 * that fails throws (a file) or rejects (stdout); a failure found later (stdout's "error") goes
 * to the `onError` given to {@link CliHost.openOutput}.
 */
export interface OutputSink {
  /** Write `text`; resolves when the sink can take more (stdout backpressure). */
  write(text: string): void | Promise<void>;
  /** Write `text` now, even while exiting (best effort for a pipe). */
  writeSync(text: string): void;
  /**
   * Resolves once everything written has been handed to the OS and, for a file (also stdout
   * redirected to a file), is on the disk (fsync). Rejects when that fails.
   */
  flush(): Promise<void>;
}

/** Which file a path or a standard stream is: "dev:ino" of a regular file, else undefined. */
export type FileIdentity = string | undefined;

/** A terminal or a pipe/file for progress and messages. */
export interface TextStream {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Width of the terminal (80 when unknown). */
  columns(): number;
}

/** A readable input: bytes in chunks, read only as they are pulled. */
export interface InputSource {
  chunks: AsyncIterable<Uint8Array>;
  /** Stop reading and release the file or stdin. */
  close(): void;
}

/** What `--admin` starts: the endpoint's URL and a way to stop it. */
export interface AdminHandle {
  url: string;
  close(): Promise<void>;
}

export interface AdminRequest {
  /** The pool's name in the endpoint's URLs and metric labels. */
  name: string;
  pool: Pool;
  shutdown: Shutdown;
  hostname: string;
  port: number;
  token: string | undefined;
  /** More metric sources for /metrics (`mpms worker`: the queue's series). */
  metrics?: MetricSource[];
  /** Queues for /stats and the dashboard (`mpms worker`: its BullMQ queue). */
  queues?: QueueSource[];
}

export interface CliHost {
  stdout: TextStream;
  stderr: TextStream;
  /** Environment variable, or undefined when unset or not readable. */
  env(name: string): string | undefined;
  /** The task module argument as a URL (paths are relative to the working directory). */
  resolveModule(specifier: string): URL;
  /** True if `url` is a file: URL of an existing file, or a URL of another scheme. */
  moduleExists(url: URL): boolean;
  /** Null when the file does not exist. `path` null reads stdin. */
  openInput(path: string | null): InputSource | null;
  /** True if `path` exists and is a regular file. */
  isFile(path: string): boolean;
  /**
   * The identity of a regular file: `path` (following symlinks), or "stdin" / "stdout" (what
   * they are open on). Undefined for anything else or a missing file. Two names of one file (a
   * hard link, a symlink) have the same identity.
   */
  fileIdentity(target: string | "stdin" | "stdout"): FileIdentity;
  /** The text of a small file (such as --token-file). Throws with the OS's error. */
  readTextFile(path: string): string;
  /** Remove a variable from this process's environment (so workers do not inherit it). */
  unsetEnv(name: string): void;
  /**
   * `path` null writes to stdout. With `append`, a file that lacks a final newline gets one
   * first. `onError` hears of a write failure found after the write call returned (stdout).
   */
  openOutput(path: string | null, append: boolean, onError: (error: unknown) => void): OutputSink;
  /** Serve the admin endpoint for `pool`. */
  startAdmin(request: AdminRequest): Promise<AdminHandle>;
  /** Flush stdout and stderr (bounded), then end the process. */
  exit(code: number): Promise<void>;
}
