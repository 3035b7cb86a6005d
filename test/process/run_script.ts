/** Start a TypeScript script with the runtime running the tests (Node through tsx). */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runtime } from "../helpers.ts";

function command(script: URL): { bin: string; args: string[] } {
  const path = fileURLToPath(script);
  if (runtime === "deno") {
    const bin = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
    return { bin, args: ["run", "-A", path] };
  }
  if (runtime === "bun") return { bin: process.execPath, args: [path] };
  return { bin: process.execPath, args: ["--import", import.meta.resolve("tsx"), path] };
}

/** Spawn `script` with `args`; stdout is piped, stderr inherited. */
export function runScript(script: URL, args: string[]): ChildProcess {
  const { bin, args: base } = command(script);
  return spawn(bin, [...base, ...args], { stdio: ["ignore", "pipe", "inherit"] });
}

/** Resolves with the first line the child prints (rejects if it exits or `timeout` passes first). */
export function firstLine(child: ChildProcess, timeout = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no output within ${timeout} ms`)), timeout);
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf("\n");
      if (end >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, end));
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the script exited (code ${code}, signal ${signal}) before printing`));
    });
  });
}

/** Resolves with everything the child prints on stdout, once it exits. */
export function allOutput(child: ChildProcess): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on("close", (code) => resolve({ stdout, code }));
  });
}
