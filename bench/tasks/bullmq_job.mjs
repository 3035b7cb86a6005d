// The same job for every subject of bench/bullmq.mjs: echo, or spin `ms` of CPU. With `dir`, a
// marker file per execution (to count double executions).
import { writeFileSync } from "node:fs";

export function runJob(data) {
  if (data.ms > 0) {
    const until = performance.now() + data.ms;
    while (performance.now() < until) {
      // busy
    }
  }
  if (data.dir) writeFileSync(`${data.dir}/${data.id}.${process.pid}.${Math.random().toString(36).slice(2)}`, "");
  return data.echo ?? null;
}

// mpms task (default export gets the input) and BullMQ sandboxed processor (gets the job)
export default function task(input) {
  return runJob(input);
}
