/**
 * The seam between `mpms run` (runtime-agnostic, in src/cli) and the process it runs in: files,
 * stdin/stdout/stderr, the working directory, exit. bin/io.ts implements it for Deno, Bun and
 * Node; tests of the pure parts need none of it.
 */
import type { Pool } from "../pool.ts";
import type { Shutdown } from "../shutdown.ts";

/** Where outcome lines go. Writes are taken at once (a file is written synchronously). */
export interface OutputSink {
  /** Write `text`; resolves when the sink can take more (stdout backpressure). */
  write(text: string): void | Promise<void>;
  /** Write `text` now, even while exiting (best effort for a pipe). */
  writeSync(text: string): void;
  /** Resolves once everything written has been handed to the OS. */
  flush(): Promise<void>;
}

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
  /** `path` null writes to stdout. With `append`, a file that lacks a final newline gets one first. */
  openOutput(path: string | null, append: boolean): OutputSink;
  /** Serve the admin endpoint for `pool`. */
  startAdmin(request: AdminRequest): Promise<AdminHandle>;
  /** Flush stdout and stderr (bounded), then end the process. */
  exit(code: number): Promise<void>;
}
