/** The final summary on stderr: counts by status, wall time, throughput, task-time percentiles, workers. */
import type { PoolStats } from "../pool/stats.ts";
import { rateText } from "./progress.ts";
import type { Tally } from "./tally.ts";

export interface SummaryInput {
  tally: Tally;
  wallMs: number;
  /** Null when the pool never started. */
  stats: Pick<PoolStats, "workersStarted" | "retirements"> | null;
  /** What stopped the run early, if something did: a signal, or "the pool failed". */
  interrupted: string | null;
  /** The output file, for the hint to resume. */
  output: string | null;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "-";
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

function seconds(value: number): string {
  return value >= 100_000 ? `${Math.round(value / 1000)} s` : `${(value / 1000).toFixed(1)} s`;
}

function byCount(map: Iterable<[string, number]>): string {
  return [...map]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
}

/** Lines of the summary (without "\n"). */
export function formatSummary(input: SummaryInput): string[] {
  const { tally, wallMs, stats } = input;
  const lines: string[] = [];
  const rate = wallMs > 0 ? (tally.answered * 1000) / wallMs : Number.NaN;
  const failed = tally.failed > 0 ? `${tally.failed} failed (${byCount(tally.errors)})` : "0 failed";
  let head = `mpms: ${tally.answered} lines in ${seconds(wallMs)} (${rateText(rate)}): ${tally.ok} ok, ${failed}`;
  const notJson = tally.invalid - tally.tooLong;
  if (notJson > 0) head += `, ${notJson} not JSON`;
  if (tally.tooLong > 0) head += `, ${tally.tooLong} over --max-line-bytes`;
  if (tally.skipped > 0) head += `; ${tally.skipped} skipped (already in the output)`;
  lines.push(head);
  const t = tally.timings;
  if (t.count > 0) {
    lines.push(
      `mpms: task time p50 ${ms(t.quantile(0.5))}, p95 ${ms(t.quantile(0.95))}, p99 ${ms(t.quantile(0.99))}, ` +
        `max ${ms(t.max)} (${t.count} runs${tally.retries > 0 ? `, ${tally.retries} of them retries` : ""})`,
    );
  }
  if (stats) {
    const retired = byCount(Object.entries(stats.retirements) as [string, number][]);
    lines.push(`mpms: workers ${stats.workersStarted} started${retired ? `; exits by reason: ${retired}` : ""}`);
  }
  if (input.output !== null && input.interrupted === null) lines.push(`mpms: outcomes in ${input.output}`);
  if (input.interrupted !== null) {
    const unfinished =
      tally.unfinished > 0 ? `; ${tally.unfinished} tasks were not finished and are not in the output` : "";
    const hint = input.output !== null ? `; continue with --resume --output ${input.output}` : "";
    lines.push(`mpms: interrupted (${input.interrupted})${unfinished}${hint}`);
  }
  return lines;
}
