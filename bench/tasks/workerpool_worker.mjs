/** Task module in workerpool's format (threads and processes). */
import workerpool from "workerpool";
import { tasks } from "./task.mjs";

workerpool.worker(tasks);
