/**
 * The CLI host for Deno, Bun and Node (see src/cli/host.ts): node:fs and node:process, which all
 * three provide. Output files are written synchronously, so an outcome handed to the file is in
 * the OS even if the process is forced to exit right after.
 */
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { processHost } from "../runtimes/signals.ts";
import type { CliHost, InputSource, OutputSink, TextStream } from "../src/cli/host.ts";
import { startAdmin } from "./admin.ts";

function textStream(stream: NodeJS.WriteStream): TextStream {
  return {
    write(text: string) {
      stream.write(text);
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

function fileSink(path: string, append: boolean): OutputSink {
  const needsNewline = append && lacksFinalNewline(path);
  const fd = openSync(path, append ? "a" : "w");
  const write = (text: string): void => {
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
  };
  // the cut-off last line of a killed run stays on its own line (resume ignores it)
  if (needsNewline) write("\n");
  return { write, writeSync: write, flush: () => Promise.resolve() };
}

function stdoutSink(): OutputSink {
  const out = process.stdout;
  out.on("error", (error: NodeJS.ErrnoException) => {
    // the reader went away (EPIPE: `| head`): nothing more can be delivered
    process.stderr.write(`mpms: cannot write to stdout: ${error.code ?? error.message}\n`);
    processHost.exit(1);
  });
  return {
    write(text: string) {
      if (out.write(text)) return;
      return new Promise<void>((resolve) => out.once("drain", () => resolve()));
    },
    writeSync(text: string) {
      out.write(text);
    },
    flush: () => processHost.flush(),
  };
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
    openOutput(path, append) {
      return path === null ? stdoutSink() : fileSink(path, append);
    },
    startAdmin,
    async exit(code) {
      await processHost.flush();
      processHost.exit(code);
    },
  };
}
