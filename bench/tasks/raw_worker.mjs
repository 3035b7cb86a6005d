/** Raw worker_threads floor, worker side: one postMessage per reply, no library. */
import { parentPort, workerData } from "node:worker_threads";
import { tasks } from "./task.mjs";

const fn = tasks[workerData.task];
parentPort.on("message", (m) => parentPort.postMessage({ id: m.id, value: fn(m.input) }));
parentPort.postMessage({ ready: true });
