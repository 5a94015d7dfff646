/**
 * The runs of `faultline run` and what they write besides the table: the
 * Perfetto trace (--trace) and the HTML report (--report). Runs go to worker
 * threads when that helps (sweep/pool.ts); traced runs run here, one after
 * the other, since the trace needs the model's state as it runs.
 */
import { mkdirs } from '../report/mkdirs.js';
import { dirname } from 'node:path';
import type { MeasureSpec, RunMetrics } from '../metrics/index.js';
import { formatNs, type Comparison, type RunInfo } from '../report/index.js';
import { writeReport } from '../report/html/index.js';
import type { Scenario } from '../scenario/index.js';
import { runAll } from '../sweep/pool.js';
import { RunProgress } from '../sweep/progress.js';
import { measureTraced, tracePid, traceProcessName, writeTraceFile, type RunTrace, type TraceWindow } from '../trace/index.js';
import type { CliIo } from './io.js';
import { jobsFor, parseJobs, poolStatsReporter, parseTraceMaxEvents, parseTraceWindow, type OutputOptions } from './output-options.js';

export interface RunOutputs {
  trace: { file: string; window: TraceWindow; maxEvents: number } | null;
  report: string | null;
  jobs: number | undefined;
}

/** Validate the output options before anything runs. */
export function parseRunOutputs(opts: OutputOptions): RunOutputs {
  const window = opts.traceWindow === undefined ? { from: 0, to: Infinity } : parseTraceWindow(opts.traceWindow);
  const maxEvents = parseTraceMaxEvents(opts.traceMaxEvents);
  return {
    trace: opts.trace === undefined ? null : { file: opts.trace, window, maxEvents },
    report: opts.report ?? null,
    jobs: parseJobs(opts.jobs, 1024),
  };
}

function megabytes(b: number): string {
  return `${(b / 1e6).toFixed(1)} MB`;
}

/** Run every spec (in spec order); trace them if asked. */
export async function executeRuns(specs: readonly MeasureSpec[], scenario: Scenario, out: RunOutputs, io: CliIo): Promise<RunMetrics[]> {
  const progress = new RunProgress(io, specs.length);
  if (out.trace === null) {
    try {
      const onStats = poolStatsReporter(io);
      const runs = await runAll(specs, {
        jobs: jobsFor(out.jobs, specs.length, io), onResult: () => progress.tick(scenario.duration), ...(onStats !== undefined ? { onStats } : {}),
      });
      progress.end();
      return runs;
    } catch (e) {
      // A run that cannot end names its scenario file (exit 2, src/cli/main.ts).
      if (e instanceof Error && e.name === 'SimLimitError') e.message = `${scenario.source}: ${e.message}`;
      throw e;
    }
  }
  const t = out.trace;
  const perRun = Math.max(1, Math.floor(t.maxEvents / specs.length));
  const runs: RunMetrics[] = [];
  const traces: RunTrace[] = [];
  specs.forEach((spec, k) => {
    const proc = { pid: tracePid(k), name: traceProcessName(scenario.name, spec) };
    const r = measureTraced(spec, proc, { window: t.window, maxEvents: perRun });
    runs.push(r.metrics);
    traces.push(r.trace);
    progress.tick(scenario.duration);
  });
  progress.end();
  mkdirs(dirname(t.file));
  const st = writeTraceFile(t.file, traces);
  for (const tr of traces) {
    if (tr.cappedAt === null) continue;
    io.stderr.write(`faultline: trace of '${tr.process.name}' stops at ${formatNs(tr.cappedAt)} simulated: it reached ${perRun} events `
      + `(--trace-max-events ${t.maxEvents}${specs.length > 1 ? ` shared by ${specs.length} runs` : ''}); `
      + 'trace a shorter span with --trace-window FROM..TO, fewer strategies or seeds, or raise --trace-max-events\n');
  }
  const win = t.window.from > 0 || Number.isFinite(t.window.to) ? `, window ${formatNs(t.window.from)}..${Number.isFinite(t.window.to) ? formatNs(t.window.to) : 'end'}` : '';
  io.stderr.write(`faultline: wrote ${t.file}: ${st.events} events, ${megabytes(st.bytes)}, ${specs.length} run${specs.length === 1 ? '' : 's'} (one Perfetto process each)${win}; open it at ui.perfetto.dev\n`);
  return runs;
}

/** Write the HTML report of a `run`. */
export function writeRunReport(dir: string, cmp: Comparison, info: RunInfo, scenario: Scenario, version: string, io: CliIo): void {
  const r = writeReport(dir, { kind: 'run', info, version, description: scenario.description, comparison: cmp });
  io.stderr.write(`faultline: wrote ${r.path} (${megabytes(r.bytes)}, opens offline)\n`);
}
