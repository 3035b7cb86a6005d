/** TaskQueue on its own: priority levels, FIFO within a level, put-back, aborted tasks, drain. */
import { describe, expect, it } from "vitest";
import { Task, TaskState } from "../../src/pool/task.ts";
import { TaskQueue } from "../../src/pool/task_queue.ts";

let ids = 0;
function task(priority = 0): Task {
  const t = new Task(++ids, null, null, Number.POSITIVE_INFINITY, undefined, undefined, undefined, 0);
  t.priority = priority;
  return t;
}

function takeAll(queue: TaskQueue): number[] {
  const out: number[] = [];
  for (let t = queue.next(); t !== undefined; t = queue.next()) out.push(t.id);
  return out;
}

describe("TaskQueue", () => {
  it("takes the lowest priority number first, FIFO within a level", () => {
    const queue = new TaskQueue(100, () => {});
    const tasks = [5, 0, -3, 5, 19, -20, 0, -3].map(task);
    for (const t of tasks) queue.admit(t);
    expect(queue.count).toBe(8);
    const order = [];
    for (let t = queue.next(); t !== undefined; t = queue.next()) order.push(tasks.indexOf(t));
    expect(order).toEqual([5, 2, 7, 1, 6, 0, 3, 4]);
    expect(queue.count).toBe(0);
  });

  it("a task put back goes to the front of its own level, not before higher ones", () => {
    const queue = new TaskQueue(100, () => {});
    const [a, b, high] = [task(1), task(1), task(-1)] as [Task, Task, Task];
    queue.admit(a);
    queue.admit(b);
    expect(queue.next()).toBe(a);
    queue.admit(high);
    queue.putBack(a);
    expect([queue.next(), queue.next(), queue.next(), queue.next()]).toEqual([high, a, b, undefined]);
  });

  it("skips tasks aborted in the queue, also when a whole level is aborted", () => {
    const queue = new TaskQueue(100, () => {});
    const [gone1, gone2, kept] = [task(-5), task(-5), task(7)] as [Task, Task, Task];
    for (const t of [gone1, gone2, kept]) queue.admit(t);
    for (const t of [gone1, gone2]) {
      t.state = TaskState.Done;
      queue.removed(t);
    }
    expect(queue.count).toBe(1);
    expect(queue.next()).toBe(kept);
    expect(queue.next()).toBeUndefined();
    const later = task(-5);
    queue.admit(later);
    expect(queue.next()).toBe(later); // the aborted ones of that level are gone for good
  });

  it("drain returns the queued tasks in run order and empties every level", () => {
    const queue = new TaskQueue(100, () => {});
    const tasks = [3, -1, 0, -1].map(task);
    for (const t of tasks) queue.admit(t);
    expect(queue.drain().map((t) => tasks.indexOf(t))).toEqual([1, 3, 2, 0]);
    expect([queue.count, queue.next()]).toEqual([0, undefined]);
    expect(takeAll(queue)).toEqual([]);
  });

  it("counts room over all levels together (queueSize)", () => {
    const queue = new TaskQueue(2, () => {});
    queue.admit(task(-1));
    expect(queue.full).toBe(false);
    queue.admit(task(1));
    expect(queue.full).toBe(true);
  });
});
