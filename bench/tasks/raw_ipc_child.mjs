/**
 * Raw IPC floor, child side (node:child_process fork on Node, Bun.spawn ipc on Bun): one
 * process.send per reply. Exits with the parent's channel so no child outlives a killed run.
 */
import { fromJsonInput } from "../lib/bytes.mjs";
import { tasks } from "./task.mjs";

const name = process.argv[2] ?? "echo";
const fn = tasks[name];
// "bytes" over JSON IPC: the parent sent the payload as base64 (what mpms's wire format does);
// with --advanced (structured clone IPC) it arrives as a Uint8Array.
const decode = name === "bytes" && process.argv[3] !== "--advanced";
process.on("message", (m) => process.send({ id: m.id, value: fn(decode ? fromJsonInput(m.input) : m.input) }));
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
