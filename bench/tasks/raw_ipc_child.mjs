/**
 * Raw IPC floor, child side (node:child_process fork on Node, Bun.spawn ipc on Bun): one
 * process.send per reply. Exits with the parent's channel so no child outlives a killed run.
 */
import { tasks } from "./task.mjs";

const fn = tasks[process.argv[2] ?? "echo"];
process.on("message", (m) => process.send({ id: m.id, value: fn(m.input) }));
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
