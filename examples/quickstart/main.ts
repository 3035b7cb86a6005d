// Quick start: `deno run -A examples/quickstart/main.ts`, `bun examples/quickstart/main.ts`,
// or on Node 20 `node --import tsx examples/quickstart/main.ts` (Node needs tsx for TypeScript).
import { Pool, TaskError } from "../../mod.ts";

const pool = new Pool<string, string>({
  module: new URL("./task.ts", import.meta.url),
  workers: 2,
  concurrency: 4, // four async tasks at once in each worker
});
await pool.start();

console.log(await pool.submit("Hello, Deno, Bun and Node!")); // "hello-deno-bun-and-node"
console.log(await pool.submit("one two three", { name: "wordCount" })); // 3

for await (const slug of pool.map(["A b", "C d", "E f"], { ordered: true })) console.log(slug);

try {
  await pool.submit(42 as unknown as string); // title.toLowerCase is not a function
} catch (error) {
  console.log(error instanceof TaskError, (error as Error).name); // true TypeError
}

const { completed, failed } = pool.stats();
console.log(JSON.stringify({ completed, failed })); // {"completed":5,"failed":1}
await pool.close();
