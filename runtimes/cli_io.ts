/**
 * The CLI host for Deno, Bun and Node (see src/cli/host.ts): node:fs and node:process, which all
 * three provide. Output files are written synchronously, so an outcome handed to the file is in
 * the OS even if the process is forced to exit right after; flush() fsyncs them.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CliHost, FileIdentity, InputSource, OutputSink, TextStream } from "../src/cli/host.ts";
import { startAdmin } from "./cli_admin.ts";
import { processHost } from "./signals.ts";

function textStream(stream: NodeJS.WriteStream): TextStream {
  return {
    write(text: string) {
      try {
        stream.write(text);
      } catch {
        // a closed stderr: nothing can be reported any more
      }
    },
    get isTTY() {
      return stream.isTTY === true;
    },
    columns() {
      const n = stream.columns;
      return typeof n === "number" && n > 0 ? n : 80;
    },
  };
}

function readable(path: string | null): InputSource {
  if (path === null) {
    return {
      chunks: process.stdin as AsyncIterable<Uint8Array>,
      close() {
        process.stdin.destroy();
      },
    };
  }
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  return {
    chunks: stream as AsyncIterable<Uint8Array>,
    close() {
      stream.destroy();
    },
  };
}

/** True if the file is not empty and its last byte is not a newline. */
function lacksFinalNewline(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = new Uint8Array(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** fsync `fd` if it is a regular file (a pipe or a terminal has nothing to sync). */
function syncIfFile(fd: number): void {
  if (fstatSync(fd).isFile()) fsyncSync(fd);
}

function fileSink(path: string, append: boolean): OutputSink {
  const needsNewline = append && lacksFinalNewline(path);
  const fd = openSync(path, append ? "a" : "w");
  const encoder = new TextEncoder();
  // a write that fails (ENOSPC, EIO) throws: the writer stops the run
  const write = (text: string): void => {
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
  };
  // the cut-off last line of a killed run stays on its own line (resume ignores it)
  if (needsNewline) write("\n");
  return {
    write,
    writeSync: write,
    flush: async () => syncIfFile(fd),
  };
}

function stdoutSink(onError: (error: unknown) => void): OutputSink {
  const out = process.stdout;
  let failure: unknown;
  /** Writers waiting for "drain": woken by the failure too, which onError reports. */
  const waiting = new Set<() => void>();
  out.on("error", (error: NodeJS.ErrnoException) => {
    // EPIPE: the reader went away (`| head`). The run stops, closes the pool and reports.
    if (failure !== undefined) return;
    failure = error;
    for (const wake of waiting) wake();
    waiting.clear();
    onError(error);
  });
  return {
    write(text: string) {
      if (failure !== undefined) throw failure;
      if (out.write(text)) return;
      return new Promise<void>((resolve) => {
        const wake = (): void => {
          waiting.delete(wake);
          out.off("drain", wake);
          resolve();
        };
        waiting.add(wake);
        out.once("drain", wake);
      });
    },
    writeSync(text: string) {
      if (failure === undefined) out.write(text);
    },
    async flush() {
      await processHost.flush();
      if (failure !== undefined) throw failure;
      // `> results.ndjson`: the outcomes are on the disk before the exit says so
      try {
        syncIfFile(1);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // no fd 1 to stat or sync on this runtime: nothing more can be done for stdout
        if (code !== "EBADF" && code !== "EINVAL" && code !== "ENOTSUP") throw error;
      }
    },
  };
}

function identityOf(stats: Stats): FileIdentity {
  return stats.isFile() ? `${stats.dev}:${stats.ino}` : undefined;
}

function fileIdentity(target: string): FileIdentity {
  try {
    if (target === "stdin") return identityOf(fstatSync(0));
    if (target === "stdout") return identityOf(fstatSync(1));
    return identityOf(statSync(target));
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A scheme such as file:, http:, data: (but not a Windows drive letter). */
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]+:/;

export function cliHost(): CliHost {
  // a closed stderr (`2>&-`, a gone reader) must not end the run with an unhandled "error"
  process.stderr.on("error", () => {});
  return {
    stdout: textStream(process.stdout),
    stderr: textStream(process.stderr),
    env: (name) => processHost.env(name),
    resolveModule(specifier) {
      if (URL_LIKE.test(specifier)) return new URL(specifier);
      return pathToFileURL(resolve(process.cwd(), specifier));
    },
    moduleExists(url) {
      return url.protocol !== "file:" || isFile(fileURLToPath(url));
    },
    openInput(path) {
      if (path !== null && !existsSync(path)) return null;
      return readable(path);
    },
    isFile,
    fileIdentity,
    readTextFile: (path) => readFileSync(path, "utf8"),
    unsetEnv(name) {
      try {
        delete process.env[name];
      } catch {
        // Deno without --allow-env: the variable could not be read either
      }
    },
    openOutput(path, append, onError) {
      return path === null ? stdoutSink(onError) : fileSink(path, append);
    },
    startAdmin,
    async exit(code) {
      await processHost.flush();
      processHost.exit(code);
    },
  };
}
