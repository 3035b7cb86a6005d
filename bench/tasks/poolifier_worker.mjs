/** Task module in poolifier's format (FixedThreadPool). */
import { ThreadWorker } from "poolifier";
import { tasks } from "./task.mjs";

export default new ThreadWorker(tasks);
