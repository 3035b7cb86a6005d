/**
 * Example task module for `mpms run`: makes a thumbnail of a "photo". The photo is rendered from
 * a seed (so the example needs no image files), blurred and scaled down in plain TypeScript (the
 * CPU part), then hashed with WebCrypto and written to disk as a PPM file (the async I/O part).
 *
 *   node --import tsx examples/make_images.ts 400 .tmp/examples/images.ndjson
 *   npx mpms run examples/thumbnail.ts --input .tmp/examples/images.ndjson --output .tmp/examples/thumbnails.ndjson
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** One input line. */
export interface ImageJob {
  id: number;
  width: number;
  height: number;
  seed: number;
  /** Folder for the thumbnail, relative to the working directory. */
  outDir: string;
  /** Scale-down factor (default 4). */
  scale?: number;
}

/** What the task returns for each line. */
export interface Thumbnail {
  id: number;
  width: number;
  height: number;
  file: string;
  bytes: number;
  sha256: string;
  /** Mean brightness, 0-255. */
  luma: number;
}

/** A small fast PRNG (xorshift32), so the same seed gives the same photo. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** A photo-like RGB image: gradients, a few soft discs, and sensor noise. */
export function render(width: number, height: number, seed: number): Uint8Array<ArrayBuffer> {
  const next = random(seed);
  const discs = Array.from({ length: 6 }, () => ({
    x: next() * width,
    y: next() * height,
    r: (0.05 + next() * 0.25) * Math.min(width, height),
    color: [next() * 255, next() * 255, next() * 255],
  }));
  const out = new Uint8ClampedArray(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = (x / width) * 180;
      let g = (y / height) * 160;
      let b = 90 + 60 * Math.sin((x + y) / 40);
      for (const d of discs) {
        const dx = x - d.x;
        const dy = y - d.y;
        const squared = dx * dx + dy * dy;
        if (squared < d.r * d.r) {
          const w = 1 - Math.sqrt(squared) / d.r;
          r += (d.color[0] as number) * w;
          g += (d.color[1] as number) * w;
          b += (d.color[2] as number) * w;
        }
      }
      const noise = (next() - 0.5) * 24;
      const i = (y * width + x) * 3;
      out[i] = r + noise; // a clamped array: values below 0 become 0, above 255 become 255
      out[i + 1] = g + noise;
      out[i + 2] = b + noise;
    }
  }
  return new Uint8Array(out.buffer);
}

/** Box blur of radius `radius`, horizontal then vertical (running sums: O(pixels)). */
export function blur(src: Uint8Array, width: number, height: number, radius: number): Uint8Array<ArrayBuffer> {
  const tmp = new Uint8Array(src.length);
  const out = new Uint8Array(src.length);
  const span = radius * 2 + 1;
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++)
        sum += src[(y * width + Math.min(width - 1, Math.max(0, k))) * 3 + c] as number;
      for (let x = 0; x < width; x++) {
        tmp[(y * width + x) * 3 + c] = sum / span;
        const add = Math.min(width - 1, x + radius + 1);
        const drop = Math.max(0, x - radius);
        sum += (src[(y * width + add) * 3 + c] as number) - (src[(y * width + drop) * 3 + c] as number);
      }
    }
  }
  for (let x = 0; x < width; x++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++)
        sum += tmp[(Math.min(height - 1, Math.max(0, k)) * width + x) * 3 + c] as number;
      for (let y = 0; y < height; y++) {
        out[(y * width + x) * 3 + c] = sum / span;
        const add = Math.min(height - 1, y + radius + 1);
        const drop = Math.max(0, y - radius);
        sum += (tmp[(add * width + x) * 3 + c] as number) - (tmp[(drop * width + x) * 3 + c] as number);
      }
    }
  }
  return out;
}

/** Scale down by an integer factor, averaging each block. */
export function shrink(src: Uint8Array, width: number, height: number, factor: number): Uint8Array<ArrayBuffer> {
  const w = Math.floor(width / factor);
  const h = Math.floor(height / factor);
  const out = new Uint8Array(w * h * 3);
  const area = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          for (let dx = 0; dx < factor; dx++)
            sum += src[((y * factor + dy) * width + x * factor + dx) * 3 + c] as number;
        }
        out[(y * w + x) * 3 + c] = sum / area;
      }
    }
  }
  return out;
}

function check(job: ImageJob): void {
  for (const key of ["id", "width", "height", "seed"] as const) {
    if (!Number.isInteger(job?.[key]) || job[key] < 0) {
      throw new TypeError(`job.${key} must be a non-negative integer, got ${JSON.stringify(job?.[key])}`);
    }
  }
  if (job.width < 8 || job.height < 8 || job.width * job.height > 16_000_000) {
    throw new RangeError(`image size ${job.width}x${job.height} is out of range`);
  }
  if (typeof job.outDir !== "string" || job.outDir === "") throw new TypeError("job.outDir must be a folder name");
}

export default async function thumbnail(job: ImageJob): Promise<Thumbnail> {
  check(job);
  const factor = job.scale ?? 4;
  const photo = render(job.width, job.height, job.seed);
  const small = shrink(blur(photo, job.width, job.height, 2), job.width, job.height, factor);
  const width = Math.floor(job.width / factor);
  const height = Math.floor(job.height / factor);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", small));
  const header = new TextEncoder().encode(`P6\n${width} ${height}\n255\n`);
  const file = join(job.outDir, `${job.id}.ppm`);
  await mkdir(job.outDir, { recursive: true });
  const ppm = new Uint8Array(header.length + small.length);
  ppm.set(header);
  ppm.set(small, header.length);
  await writeFile(file, ppm);
  let luma = 0;
  for (let i = 0; i < small.length; i += 3) {
    luma += 0.2126 * (small[i] as number) + 0.7152 * (small[i + 1] as number) + 0.0722 * (small[i + 2] as number);
  }
  return {
    id: job.id,
    width,
    height,
    file,
    bytes: header.length + small.length,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
    luma: Math.round(luma / (width * height)),
  };
}
