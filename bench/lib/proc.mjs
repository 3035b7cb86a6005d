/**
 * Watching a child's process group from outside (Linux /proc): peak resident memory of the
 * whole group (host + its worker processes), and the members left behind after the host exits.
 */
import { readdirSync, readFileSync } from "node:fs";

const PAGE = 4096;

/** Pids whose process group is `pgid` (non-zombies). */
export function groupMembers(pgid) {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && Number(fields[2]) === pgid) out.push(Number(entry));
  }
  return out;
}

function rssBytes(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
  } catch {
    return 0;
  }
}

/**
 * Sample the group's summed RSS every `everyMs`; membership is refreshed every 10th sample
 * (a /proc scan is the costly part). Returns stop() -> peak bytes.
 */
export function sampleGroupRss(pgid, everyMs = 10) {
  let members = [pgid];
  let peak = 0;
  let n = 0;
  const timer = setInterval(() => {
    if (n++ % 10 === 0) members = groupMembers(pgid);
    let sum = 0;
    for (const pid of members) sum += rssBytes(pid);
    if (sum > peak) peak = sum;
  }, everyMs);
  return () => {
    clearInterval(timer);
    return peak;
  };
}
