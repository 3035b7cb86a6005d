/**
 * File checks of `mpms run` made before anything is opened for writing: the output must not be
 * the input (by any name: the same path, a hard link, a symlink, or stdin/stdout redirected from
 * or to it), and the admin token can come from a file instead of the command line, where `ps`
 * shows it.
 */
import { type RunOptions, UsageError } from "./args.ts";
import type { CliHost } from "./host.ts";

/** The errno-style code of an I/O error (ENOSPC, EPIPE...), else its message. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  return error instanceof Error ? error.message : String(error);
}

function described(path: string | null, stream: "stdin" | "stdout"): string {
  return path === null ? stream : JSON.stringify(path);
}

/**
 * Throws {@link UsageError} when the output is the input file: writing would empty it (or, when
 * appending, feed the run its own outcomes).
 */
export function checkNotInput(options: Pick<RunOptions, "input" | "output">, host: CliHost): void {
  const input = host.fileIdentity(options.input ?? "stdin");
  if (input === undefined) return;
  const output = host.fileIdentity(options.output ?? "stdout");
  if (input !== output) return;
  const inName = described(options.input, "stdin");
  const outName = described(options.output, "stdout");
  throw new UsageError(
    `the output ${outName} is the input ${inName} (the same file): writing would destroy the input; choose another --output`,
  );
}

/**
 * The token in `path`, without one trailing newline ("\n" or "\r\n"). Throws
 * {@link UsageError} (never showing the file's content) when it cannot be read or is empty.
 */
export function readTokenFile(path: string, host: CliHost): string {
  let text: string;
  try {
    text = host.readTextFile(path);
  } catch (error) {
    throw new UsageError(`cannot read --token-file ${JSON.stringify(path)}: ${errorCode(error)}`);
  }
  const token = text.replace(/\r?\n$/, "");
  if (token === "") throw new UsageError(`--token-file ${JSON.stringify(path)} is empty`);
  return token;
}
