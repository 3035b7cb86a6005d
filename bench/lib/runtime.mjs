/** Runtime detection and /proc readers shared by the driver and the child (Linux only). */
import { readFileSync } from "node:fs";

/** "deno" | "bun" | "node": Deno and Bun also report process.versions.node, so test them first. */
export function currentRuntime() {
  if (globalThis.Deno !== undefined) return "deno";
  if (globalThis.Bun !== undefined) return "bun";
  return "node";
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM ...), or null. */
export function procStatusKb(pid, field) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) : null;
}
