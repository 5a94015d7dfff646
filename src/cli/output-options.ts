/**
 * Options of `faultline run` (and `sweep`) for output and parallelism:
 * --format, --trace, --trace-window, --trace-max-events, --report, --jobs.
 * Every failure is a one-line UsageError.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { DurationError, parseDuration } from '../scenario/index.js';
import { DEFAULT_TRACE_MAX_EVENTS, type TraceWindow } from '../trace/index.js';
import { defaultJobs, type PoolStats } from '../sweep/pool.js';
import { appliedV8Tuning } from '../sweep/v8-flags.js';
import { UsageError } from './io.js';
import { parseInteger } from './options.js';

export type OutputFormat = 'text' | 'lkml' | 'json';

export interface OutputOptions {
  format?: string;
  json?: boolean;
  trace?: string;
  traceWindow?: string;
  traceMaxEvents?: string;
  report?: string;
  jobs?: string;
}

/** Add the output and parallelism options to `run`. */
export function addRunOutputOptions(cmd: Command): Command {
  return cmd
    .option('--format <f>', 'text (default), lkml (fits 72 columns, for mail) or json (same as --json)')
    .option('--trace <file>', 'also write a Perfetto trace (Chrome JSON) of every run, one process per run')
    .option('--trace-window <range>', 'trace only simulated time FROM..TO or FROM+LENGTH (e.g. 2s..2.5s, 2s+100ms)')
    .option('--trace-max-events <n>', `cap on trace events, shared evenly by the runs; a run that reaches its share stops being traced (default ${DEFAULT_TRACE_MAX_EVENTS})`)
    .option('--report <dir>', 'also write an offline HTML report (plots, comparison table) to DIR/index.html')
    .option('--jobs <n>', 'threads that run simulations, this one included (default: the idle cores; 1 = no workers)');
}

export function parseFormat(opts: OutputOptions): OutputFormat {
  const f = opts.format?.trim();
  if (f !== undefined && f !== 'text' && f !== 'lkml' && f !== 'json') {
    throw new UsageError(`--format: expected text, lkml or json, got '${opts.format}'`);
  }
  if (opts.json === true && f !== undefined && f !== 'json') throw new UsageError(`--json and --format ${f} contradict each other`);
  return opts.json === true ? 'json' : f ?? 'text';
}

function duration(option: string, v: string): number {
  const s = v.trim();
  try {
    return parseDuration(/^[0-9]+$/.test(s) ? Number(s) : s);
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(`${option}: ${e.message}`);
    throw e;
  }
}

/** `FROM..TO`, `FROM..`, `..TO` or `FROM+LENGTH`, each a duration (`2s`, `150ms`, or ns). */
export function parseTraceWindow(value: string): TraceWindow {
  const v = value.trim();
  const plus = v.indexOf('+');
  let from: number, to: number;
  if (plus > 0) {
    from = duration('--trace-window', v.slice(0, plus));
    to = from + duration('--trace-window', v.slice(plus + 1));
  } else {
    const m = /^(.*?)\.\.(.*)$/.exec(v);
    if (m === null) throw new UsageError(`--trace-window: expected FROM..TO or FROM+LENGTH (e.g. 2s..2.5s), got '${value}'`);
    from = m[1]!.trim() === '' ? 0 : duration('--trace-window', m[1]!);
    to = m[2]!.trim() === '' ? Infinity : duration('--trace-window', m[2]!);
  }
  if (!(to > from)) throw new UsageError(`--trace-window: the window '${value}' is empty (TO must be after FROM)`);
  return { from, to };
}

export function parseTraceMaxEvents(value: string | undefined): number {
  return value === undefined ? DEFAULT_TRACE_MAX_EVENTS : parseInteger('--trace-max-events', value, 1000, 1e9);
}

/**
 * Threads for `runs` runs: --jobs (or the idle cores, defaultJobs), never more than the runs.
 * Above the core count a warning says why that is slower, not faster: each
 * worker holds a model and competes for the same cores and caches.
 */
export function jobsFor(
  requested: number | undefined,
  runs: number,
  io: { stderr: { write(s: string): unknown } },
  fallback: (cores: number) => number = defaultJobs,
): number {
  const cores = availableParallelism();
  if (requested !== undefined && requested > cores) {
    io.stderr.write(`faultline: --jobs ${requested} is above this machine's ${cores} core${cores === 1 ? '' : 's'}: extra workers compete for the same CPUs and memory (use at most ${cores})\n`);
  }
  return Math.max(1, Math.min(requested ?? fallback(cores), runs));
}

/**
 * With FAULTLINE_POOL_STATS=1 in the environment, one stderr line at the end
 * of the runs: how many runs each thread ran (this thread first). A
 * diagnostic for benchmarks and tests that must know the workers worked.
 * A second line gives the V8 flags faultline set (src/sweep/v8-flags.ts).
 */
export function poolStatsReporter(io: { stderr: { write(s: string): unknown } }): ((s: PoolStats) => void) | undefined {
  if (process.env['FAULTLINE_POOL_STATS'] !== '1') return undefined;
  return (s) => {
    io.stderr.write(`faultline: pool: runs per thread ${JSON.stringify(s.runs)}\n`);
    const t = appliedV8Tuning();
    if (t !== null) io.stderr.write(`faultline: v8 flags ${JSON.stringify(t.flags)}, worker limits ${JSON.stringify(t.workerLimits ?? null)}\n`);
  };
}

export function parseJobs(value: string | undefined, max: number): number | undefined {
  return value === undefined ? undefined : parseInteger('--jobs', value, 1, max);
}
