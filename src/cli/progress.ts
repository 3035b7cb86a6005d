/**
 * Progress on stderr: on a terminal a bar redrawn in place (done/total, rate, ETA, failures,
 * live workers, then the latest progress of a few running tasks in the columns left); otherwise
 * a plain line every few seconds (and a `mpms: progress: …` line while tasks report progress);
 * or nothing (--quiet). Other messages
 * go through {@link Progress.log} so they never tear the bar.
 */
import type { TextStream } from "./host.ts";

export interface ProgressSnapshot {
  /** Lines answered: in this run plus those skipped because the output already had them. */
  done: number;
  /** Lines to answer in all; undefined while unknown (stdin, or still counting). */
  total: number | undefined;
  /** Lines answered in this run (the rate counts only these). */
  thisRun: number;
  failed: number;
  /** Workers alive now. */
  workers: number;
  /** The latest progress of running tasks, already short (see LiveProgress.text); "" for none. */
  live?: (max: number) => string;
}

export type ProgressMode = "bar" | "plain" | "off";

const BAR_INTERVAL = 200;
export const PLAIN_INTERVAL = 5_000;
/** The rate is measured over about this long. */
const RATE_SPAN = 5_000;

/** h:mm:ss or m:ss */
export function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function rateText(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "?/s";
  return perSecond >= 100 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}

/** Tasks per second over the last few seconds. */
export class RateMeter {
  readonly #samples: [number, number][] = [];

  /** Add a sample (time in ms, count so far) and return the rate. */
  sample(at: number, count: number): number {
    this.#samples.push([at, count]);
    while (this.#samples.length > 2 && at - (this.#samples[1] as [number, number])[0] >= RATE_SPAN) {
      this.#samples.shift();
    }
    const [t0, c0] = this.#samples[0] as [number, number];
    return at > t0 ? ((count - c0) * 1000) / (at - t0) : Number.NaN;
  }
}

function parts(s: ProgressSnapshot, rate: number): { eta: string; tail: string } {
  const left = s.total === undefined ? undefined : Math.max(0, s.total - s.done);
  const eta = left === undefined ? "?" : left === 0 ? "0:00" : rate > 0 ? clock((left / rate) * 1000) : "?";
  const tail = `${rateText(rate)}  ETA ${eta}  failed ${s.failed}  workers ${s.workers}`;
  return { eta, tail };
}

/** The terminal bar, fitted to `width` columns, then running tasks' progress in the room left. */
export function barLine(s: ProgressSnapshot, rate: number, width: number): string {
  const head = countBar(s, rate, width);
  const room = width - 1 - head.length - 2;
  const live = room >= MIN_LIVE_CHARS && s.live ? s.live(room) : "";
  return live === "" ? head : `${head}  ${live}`;
}

/** Below this many free columns the bar shows no task progress. */
const MIN_LIVE_CHARS = 16;

function countBar(s: ProgressSnapshot, rate: number, width: number): string {
  const { tail } = parts(s, rate);
  const count = s.total === undefined ? `${s.done}/?` : `${s.done}/${s.total}`;
  const percent = s.total ? ` ${String(Math.floor((100 * s.done) / s.total)).padStart(3)}%` : "";
  const text = `${count}${percent}  ${tail}`;
  const room = width - text.length - 4;
  if (room < 10 || s.total === undefined) return `mpms ${text}`.slice(0, Math.max(0, width - 1));
  const cells = Math.min(room, 40);
  const filled = s.total === 0 ? cells : Math.min(cells, Math.floor((cells * s.done) / s.total));
  const bar = "=".repeat(filled) + (filled < cells ? ">" : "") + " ".repeat(Math.max(0, cells - filled - 1));
  return `[${bar}] ${text}`.slice(0, Math.max(0, width - 1));
}

/** With plainLine, when running tasks reported progress: their latest values. */
export function plainLiveLine(s: ProgressSnapshot): string | undefined {
  const live = s.live ? s.live(PLAIN_LIVE_CHARS) : "";
  return live === "" ? undefined : `mpms: progress: ${live}`;
}

const PLAIN_LIVE_CHARS = 200;

/** The line printed every few seconds when stderr is not a terminal. */
export function plainLine(s: ProgressSnapshot, rate: number): string {
  const { eta } = parts(s, rate);
  const count = s.total === undefined ? `${s.done} done` : `${s.done}/${s.total} done`;
  return `mpms: ${count}, ${rateText(rate)}, ETA ${eta}, ${s.failed} failed, ${s.workers} workers`;
}

const CLEAR_LINE = "\r\x1b[2K";

export class Progress {
  readonly #stream: TextStream;
  readonly #mode: ProgressMode;
  readonly #snapshot: () => ProgressSnapshot;
  readonly #interval: number;
  readonly #rate = new RateMeter();
  #lastRate = Number.NaN;
  #timer: ReturnType<typeof setInterval> | undefined;
  #drawn = false;

  constructor(
    stream: TextStream,
    mode: ProgressMode,
    snapshot: () => ProgressSnapshot,
    plainInterval = PLAIN_INTERVAL,
  ) {
    this.#stream = stream;
    this.#mode = mode;
    this.#snapshot = snapshot;
    this.#interval = mode === "bar" ? BAR_INTERVAL : plainInterval;
  }

  start(): void {
    if (this.#mode === "off" || this.#timer !== undefined) return;
    this.#rate.sample(performance.now(), this.#snapshot().thisRun);
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    if (this.#mode === "bar") this.#tick();
  }

  #tick(): void {
    const s = this.#snapshot();
    const rate = this.#rate.sample(performance.now(), s.thisRun);
    this.#lastRate = rate;
    if (this.#mode === "bar") {
      this.#stream.write(CLEAR_LINE + barLine(s, rate, this.#stream.columns()));
      this.#drawn = true;
    } else {
      const live = plainLiveLine(s);
      this.#stream.write(`${plainLine(s, rate)}\n${live === undefined ? "" : `${live}\n`}`);
    }
  }

  /** Print a message line (always, even when progress is off), keeping the bar below it. */
  log(message: string): void {
    if (this.#drawn) this.#stream.write(CLEAR_LINE);
    this.#stream.write(`${message}\n`);
    if (this.#drawn) this.#stream.write(barLine(this.#snapshot(), this.#lastRate, this.#stream.columns()));
  }

  /** Stop updating; a bar is drawn one last time and left on its own line. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#mode === "bar") {
      this.#tick();
      this.#stream.write("\n");
      this.#drawn = false;
    }
  }
}
