/** Process checks for the process-adapter tests (Linux /proc). */
import { readFileSync } from "node:fs";

/** True while `pid` runs; a zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** Parent pid of `pid`, or null if it is gone. */
export function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/** SIGKILL each pid still alive (cleanup after a failed test); never throws. */
export function killLeftovers(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** Process group of `pid`, or null if it is gone. */
export function groupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return null;
  }
}
