/**
 * Watching a benchmark process from outside (Linux /proc): peak resident memory of it plus its
 * worker processes, and the processes it left behind. Descendants are found by parent pid, not
 * process group, because a pool may start its workers detached (in their own group).
 */
import { readdirSync, readFileSync } from "node:fs";

const PAGE = 4096;

function rssBytes(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** Fields of /proc/<pid>/stat after "(comm)": [state, ppid, pgrp, ...], or null if gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Pids of the live descendants of `root` (worker processes and their children). */
export function descendants(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (entry.charCodeAt(0) > 57) continue;
    const f = statFields(entry);
    if (!f || f[0] === "Z") continue;
    const ppid = Number(f[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const out = [];
  const walk = (pid) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/**
 * CPU time (ms) of our worker processes: live descendants of `self`, plus children already
 * reaped (cutime/cstime of `self`). Kernel ticks, so 10 ms resolution.
 */
export function childrenCpuMs(self) {
  const TICK_MS = 10; // USER_HZ is 100 on Linux
  let ticks = 0;
  for (const pid of descendants(self)) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]); // utime, stime
  }
  const own = statFields(self);
  if (own) ticks += Number(own[13]) + Number(own[14]); // cutime, cstime
  return ticks * TICK_MS;
}

/** Start time of a process (ticks since boot): with the pid, identifies it across pid reuse. */
function startTime(pid) {
  return statFields(pid)?.[19] ?? null;
}

/**
 * Watch `root` and its descendants: summed RSS every `everyMs` (the descendant list is refreshed
 * every 10th sample: a /proc scan is the costly part). stop() returns the peak in bytes and the
 * descendants seen that are still alive (same pid and start time).
 */
export function watchTree(root, everyMs = 10) {
  const seen = new Map();
  let members = [root];
  let peak = 0;
  let n = 0;
  const refresh = () => {
    const found = descendants(root);
    for (const pid of found) if (!seen.has(pid)) seen.set(pid, startTime(pid));
    members = [root, ...found];
  };
  const timer = setInterval(() => {
    if (n++ % 10 === 0) refresh();
    let sum = 0;
    for (const pid of members) sum += rssBytes(pid);
    if (sum > peak) peak = sum;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const alive = [...seen].filter(([pid, start]) => start !== null && startTime(pid) === start).map(([pid]) => pid);
      return { peakBytes: peak, alive };
    },
    /** Descendants seen so far (to kill on a timeout). */
    seen: () => [...seen.keys()],
  };
}
