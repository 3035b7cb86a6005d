/** The help text of `mpms` (--help) and the short usage shown with a usage error. */

export const SHORT_USAGE: string = [
  "usage: mpms run <task-module> [--input FILE] [--output FILE] [options]",
  "Run 'mpms --help' for every option.",
].join("\n");

export const HELP: string = `mpms run: run a task module over JSON lines in a supervised worker pool.

Usage:
  mpms run <task-module> [options]
  mpms --help

<task-module> is a path relative to the working directory, or a URL. Its default export (or the
export named by --name) is called once per input line with the parsed value; what it returns
(or a promise of it) is the line's value.

Input and output:
  --input FILE        read one JSON value per line from FILE (default: stdin; "-" is stdin).
                      Blank lines are skipped; line numbers count every line, from 1.
  --output FILE       write one JSON line per task to FILE (default: stdout; "-" is stdout):
                        {"line":N,"status":"ok","value":...}
                        {"line":N,"status":"error","error":{"name":...,"message":...,"code":...}}
                      "attempts":K is added when --retries ran the task K > 1 times. A line
                      that is not JSON gets an error with code "ERR_MPMS_INPUT".
  --name EXPORT       call this named export instead of the default export
  --ordered           write outcomes in input order (default: as tasks finish). At most the
                      in-flight window of finished outcomes waits for a slow earlier one.
  --resume            skip the lines already answered in --output and append to it, so an
                      interrupted run continues with nothing lost and nothing done twice
  --max-line-bytes SIZE
                      an input line longer than this is an error outcome (code
                      ERR_MPMS_INPUT), not read into memory; the run goes on (default 64M)
  The output may not be the input (same file by any name: refused, exit 2). It is created or
  emptied only once the workers started; it is fsync'ed before the summary.

Pool:
  --workers N         number of workers (default: the number of CPUs)
  --concurrency N     tasks running at once inside one worker (default 1)
  --adapter NAME      thread (default), process, bun (on Bun), deno (on Deno)
  --timeout DURATION  task timeout: the task's signal fires, and after a grace of 2 s the
                      worker is killed and the task fails with TaskTimeoutError
  --max-tasks N       retire a worker after N tasks
  --max-age DURATION  retire a worker this long after it started (after its running tasks)
  --max-age-hard DURATION
                      kill a worker this long after it started; its tasks fail with
                      WorkerRetiredError
  --max-memory SIZE   retire a worker above this memory (RSS of a process, heap of a thread)
  --retries N         run a task again, at most N times, when its worker crashed, timed out
                      or was killed (WorkerCrashedError, TaskTimeoutError, WorkerRetiredError);
                      after that it is reported failed (default 0)
  --restart-intensity N
                      the pool fails after more than N worker failures (failed starts,
                      crashes while idle; not a task's own crash) within 60 s (Infinity:
                      never). Default: the run gives up only on a crash loop, max(10,
                      2 x workers) failures in a row with no task completing in between, so
                      poison inputs (with --retries) do not end a long run
  --heartbeat DURATION
                      kill an idle worker that sends no heartbeat for this long (default 10s);
                      a task that blocks its worker's event loop is left to finish
  --max-blocked DURATION
                      also kill a worker whose task blocks its event loop longer (default never)
  --no-heartbeat      no heartbeats: a hung worker is then found only by --timeout
  DURATION is milliseconds or has a unit: 500, 30s, 2m, 1h. SIZE is MiB or has a unit: 512, 512M, 2G.

Admin endpoint:
  --admin [HOST:PORT] serve the admin endpoint (health, metrics, dashboard) and print its URL;
                      default 127.0.0.1 and a free port; PORT alone or :PORT binds 127.0.0.1
  --token-file PATH   read the token for the admin endpoint's mutating routes from PATH (one
                      trailing newline is dropped); preferred: unlike --token, ps cannot show it
  --token TOKEN       the token itself (default: the environment variable MPMS_ADMIN_TOKEN,
                      which is then removed from the environment the workers inherit)

Progress and exit:
  --quiet             no progress and no summary on stderr (errors are still shown)
  On a terminal, stderr shows a live bar (done/total, rate, ETA, failures, live workers);
  otherwise, or when the outcomes go to the same terminal, a plain progress line every 5 s
  (MPMS_PROGRESS_INTERVAL=ms changes it). A summary
  follows: counts by status, wall time, throughput, p50/p95/p99 task time, worker starts and
  exits by reason.
  Ctrl+C or SIGTERM stops reading input, lets the tasks in flight finish, writes every finished
  outcome, prints the summary and exits with 130; a second Ctrl+C (100 ms or more later) forces
  the end at once (unfinished tasks are not written; --resume runs them). MPMS_SHUTDOWN_TIMEOUT
  (default 30s) bounds the graceful part.

Exit codes:
  0  every task ok
  1  some tasks failed (or some lines are not JSON or too long, the pool could not keep workers
     running, or the output could not be written: "mpms: cannot write FILE: CODE")
  2  usage: a bad flag or value, a missing task module or input file, a module that fails to load,
     the output is the input
  130 interrupted
  141 stdout was closed by its reader (EPIPE, as in "| head"): the run stopped, the pool closed

Examples:
  npx mpms run ./hash.js --input jobs.ndjson --output results.ndjson --workers 4
  cat jobs.ndjson | bunx mpms run ./hash.ts --ordered > results.ndjson
  deno run -A bin/mpms.ts run ./hash.ts --input jobs.ndjson --output out.ndjson --resume
`;
