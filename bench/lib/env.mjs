/** What the results were measured on: machine, runtime and library versions, commit, load. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

const ROOT = new URL("../../", import.meta.url);

export const BINARIES = {
  node: process.execPath,
  bun: new URL("node_modules/.bin/bun", ROOT).pathname,
  deno: new URL("node_modules/.bin/deno", ROOT).pathname,
};

function tryRun(file, args) {
  try {
    return execFileSync(file, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), "utf8")).version;
  } catch {
    return null;
  }
}

export function runtimeVersion(runtime) {
  if (runtime === "node") return process.versions.node;
  const out = tryRun(BINARIES[runtime], ["--version"]);
  return (
    out
      ?.split("\n")[0]
      .replace(/^deno /, "")
      .split(" ")[0] ?? null
  );
}

export function describeEnvironment(runtime) {
  const cpus = os.cpus();
  const dirty = tryRun("git", ["status", "--porcelain", "--", "src", "runtimes", "mod.ts"]);
  return {
    machine: {
      cpuModel: cpus[0]?.model ?? "unknown",
      cpus: cpus.length,
      memGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    runtime,
    runtimeVersion: runtimeVersion(runtime),
    driverNode: process.versions.node,
    mpms: {
      version: JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")).version,
      commit: tryRun("git", ["rev-parse", "--short", "HEAD"]),
      uncommittedSourceChanges: dirty === null ? null : dirty !== "",
    },
    peers: Object.fromEntries(["piscina", "tinypool", "workerpool", "poolifier"].map((n) => [n, packageVersion(n)])),
  };
}

export function loadAverage() {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}
