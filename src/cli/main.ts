/** `mpms <command>`: parse the arguments, run, and map failures to exit codes. */
import { parseArgs, UsageError } from "./args.ts";
import type { CliHost } from "./host.ts";
import { EXIT, runCommand } from "./run.ts";
import { HELP, SHORT_USAGE } from "./usage.ts";

/**
 * Run `mpms` with `argv` (the arguments after the program name). Resolves with the exit code, or
 * null when an interruption ends the process itself (exit code 130).
 */
export async function main(argv: readonly string[], host: CliHost): Promise<number | null> {
  try {
    // the BullMQ commands live in their own modules, loaded only when asked for
    if (argv[0] === "worker") {
      return await (await import("./worker_command.ts")).workerCommand(argv.slice(1), host);
    }
    if (argv[0] === "enqueue") {
      return await (await import("./enqueue_command.ts")).enqueueCommand(argv.slice(1), host);
    }
    const command = parseArgs(argv, (name) => host.env(name));
    // Read (if needed) above: workers and the tasks' own subprocesses must not inherit the secret.
    host.unsetEnv("MPMS_ADMIN_TOKEN");
    if (command.kind === "help") {
      host.stdout.write(HELP);
      return EXIT.ok;
    }
    return await runCommand(command.options, host);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // one line: a runtime's multi-line syntax error report would bury the usage
    const line = error.message.split("\n", 1)[0]?.trim();
    host.stderr.write(`mpms: ${line}\n${SHORT_USAGE}\n`);
    return EXIT.usage;
  }
}
