/**
 * Writes the input of the thumbnail example: one JSON image job per line.
 *
 *   node --import tsx examples/make_images.ts [count=400] [file=.tmp/examples/images.ndjson] [outDir]
 *   bun examples/make_images.ts 1000 jobs.ndjson
 *   deno run -A examples/make_images.ts 1000 jobs.ndjson
 *
 * The file is written as a stream, so any count works without holding it in memory.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";

const SIZES: [number, number][] = [
  [320, 240],
  [640, 480],
  [800, 600],
];

const [countArg = "400", file = ".tmp/examples/images.ndjson", outDir = ".tmp/examples/thumbnails"] =
  process.argv.slice(2);
const count = Number(countArg);
if (!Number.isInteger(count) || count < 1) {
  process.stderr.write(`make_images: the count must be an integer >= 1, got ${JSON.stringify(countArg)}\n`);
  process.exit(2);
}

mkdirSync(dirname(file), { recursive: true });
const out = createWriteStream(file);
for (let id = 1; id <= count; id++) {
  const [width, height] = SIZES[(id * 7) % SIZES.length] as [number, number];
  const line = `${JSON.stringify({ id, width, height, seed: (id * 2_654_435_761) >>> 0, outDir })}\n`;
  if (!out.write(line)) await once(out, "drain");
}
out.end();
await once(out, "finish");
process.stderr.write(`make_images: ${count} image jobs in ${file}\n`);
