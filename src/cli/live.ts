/**
 * The latest progress of running tasks, for the view of `mpms run`. A report only replaces the
 * task's entry in a Map (no formatting, no drawing): a task that reports a million times costs a
 * million Map writes, and the view prints at most {@link LIVE_SHOWN} values per redraw. Entries
 * are at most the in-flight window (one per running line) and leave when their task settles.
 */
import { show } from "../util/validate.ts";

/** Running tasks whose latest progress the view shows. */
export const LIVE_SHOWN = 3;
/** Characters of one printed progress value. */
export const VALUE_CHARS = 40;

interface Entry {
  value: unknown;
  /** The printed value, made at the first redraw after the report (undefined: not yet). */
  text: string | undefined;
}

/** A value as one short terminal-safe line: control characters become "?", long text ends in "…". */
export function brief(value: unknown, max: number = VALUE_CHARS): string {
  // a long string is cut before it is quoted, so that a 100 MB string is not copied per redraw
  const raw = typeof value === "string" && value.length > max ? show(value.slice(0, max)) : show(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is replaced
  const safe = raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
  if (safe.length <= max) return safe;
  let cut = safe.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1); // never half a surrogate pair
  return `${cut}…`;
}

export class LiveProgress {
  /** By input line; insertion order is the order tasks first reported, so the view is stable. */
  readonly #latest = new Map<number, Entry>();

  /** Running tasks that reported progress. */
  get size(): number {
    return this.#latest.size;
  }

  /** The task of input line `line` reported `value` (the pool's `onProgress`). */
  report(line: number, value: unknown): void {
    const entry = this.#latest.get(line);
    if (entry === undefined) this.#latest.set(line, { value, text: undefined });
    else {
      entry.value = value;
      entry.text = undefined;
    }
  }

  /** The task of `line` settled: its progress leaves the view. */
  end(line: number): void {
    this.#latest.delete(line);
  }

  /**
   * `line 3 {"step":2}; line 7 "half"; +4 more`: the first {@link LIVE_SHOWN} reporting tasks,
   * or "" when none reports. `max` bounds the whole text (characters).
   */
  text(max = Number.POSITIVE_INFINITY): string {
    if (this.#latest.size === 0) return "";
    const parts: string[] = [];
    for (const [line, entry] of this.#latest) {
      if (parts.length === LIVE_SHOWN) break;
      entry.text ??= brief(entry.value);
      parts.push(`line ${line} ${entry.text}`);
    }
    const more = this.#latest.size - parts.length;
    if (more > 0) parts.push(`+${more} more`);
    const all = parts.join("; ");
    return all.length <= max ? all : max < 2 ? "" : `${all.slice(0, max - 1)}…`;
  }
}
