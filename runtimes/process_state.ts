/**
 * Whether a child process is stopped, from Linux's /proc (state `T`: SIGSTOP, SIGTSTP; `t`:
 * stopped by a debugger). A busy worker that misses its beats is either running a long
 * synchronous task (leave it) or not running at all (kill it): this tells the two apart.
 */
import { readFileSync } from "node:fs";

/** False where it cannot tell: no /proc (macOS, Windows), or no permission to read it (Deno). */
export function processStopped(pid: number | null): boolean {
  if (pid === null || process.platform !== "linux") return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return false; // gone (its exit report follows) or not readable
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ")".
  const state = stat.charAt(stat.lastIndexOf(")") + 2);
  return state === "T" || state === "t";
}
