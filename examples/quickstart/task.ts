// A task module: the default export runs for each task; other exports are callable by name.
import type { TaskContext } from "../../mod.ts";

export default async function slugify(title: string, ctx: TaskContext): Promise<string> {
  if (ctx.signal.aborted) throw ctx.signal.reason;
  await new Promise((resolve) => setTimeout(resolve, 5)); // some async I/O
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
