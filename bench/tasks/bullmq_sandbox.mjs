// BullMQ sandboxed processor for bench/bullmq.mjs: the same job as the mpms task.
import { runJob } from "./bullmq_job.mjs";

export default async function processor(job) {
  return runJob(job.data);
}
