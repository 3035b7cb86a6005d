/**
 * A Deno host for the sandbox test: a pool of web workers that may read only `project`, asked to
 * read a file inside it and one outside that the host itself reads. Prints one JSON line.
 * Usage: deno run -A [--unstable-worker-options] sandbox_host.ts <task module URL> <inside> <outside>
 */
import { Pool } from "../../mod.ts";

const Deno = (globalThis as unknown as { Deno: { args: string[]; readTextFile(path: string): Promise<string> } }).Deno;

const [module, inside, outside, project] = Deno.args as [string, string, string, string];
const out: Record<string, unknown> = { host: (await Deno.readTextFile(outside)).length > 0 };
const pool = new Pool<string, string>({
  module,
  adapter: "web",
  workers: 1,
  permissions: [`--allow-read=${project}`],
});
try {
  await pool.start();
  out.inside = await pool.submit(inside, { name: "read" });
  out.outside = await pool.submit(outside, { name: "read" }).catch((e: Error) => e.name);
} catch (err) {
  out.startError = String((err as Error).message);
}
await pool.close();
console.log(JSON.stringify(out));
