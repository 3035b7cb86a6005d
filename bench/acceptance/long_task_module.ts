/** Task module of long_task.ts: spins the CPU for `ms` milliseconds without yielding. */
export default function spinFor(ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a synchronous CPU task: the worker's event loop does not run until it returns
  }
  return ms;
}
