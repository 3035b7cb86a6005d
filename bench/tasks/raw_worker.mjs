/**
 * Raw worker_threads floor, worker side: one postMessage per reply, no library. Task "moved":
 * the reply moves the bytes back in its transfer list (bench/lib/moved.mjs).
 */
import { parentPort, workerData } from "node:worker_threads";
import { touchMoved } from "../lib/moved.mjs";
import { tasks } from "./task.mjs";

if (workerData.task === "moved") {
  parentPort.on("message", (m) => {
    const value = touchMoved(m.input);
    parentPort.postMessage({ id: m.id, value }, [value.buffer]);
  });
} else {
  const fn = tasks[workerData.task];
  parentPort.on("message", (m) => parentPort.postMessage({ id: m.id, value: fn(m.input) }));
}
parentPort.postMessage({ ready: true });
