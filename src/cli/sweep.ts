/**
 * `faultline sweep` and `faultline merge` (docs/visualize.md, "Sweeps"):
 * parameter sweeps in worker threads, written run by run to a JSON Lines
 * file that `--resume` continues and `--shard`/`merge` split and join.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdirs } from '../report/mkdirs.js';
import { dirname } from 'node:path';
import { writeReport } from '../report/html/index.js';
import { defaultSweepFigures } from '../report/html/data.js';
import { formatNs, shareablePath } from '../report/index.js';
import {
  mergeResults, parseParam, parseShard, planSweep, renderSweepSummary, runSweep, sweepCombos, sweepParams, sweepRuns,
  SweepError, writeSorted, type SweepHeader,
} from '../sweep/index.js';
import type { SweepRun } from '../report/html/data.js';
import { UsageError, type CliIo } from './io.js';
import { jobsFor, parseJobs, poolStatsReporter } from './output-options.js';
import { MAX_SEED, MAX_SEEDS, parseDurationOption, seedRangeMessage, parseFaultList, parseForkList, parseInteger } from './options.js';
import { load } from './run.js';
import { prestartWorkers } from '../sweep/pool.js';

/** jobsFor's warning is printed once, below. */
const quiet = { stderr: { write: () => true } };
import { ExitCode } from './exit-codes.js';

/** The command ends early or incomplete (Ctrl-C, a merge with runs missing): `main` prints the message and exits with `code`. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

export interface SweepOptions {
  param: string[];
  strategy: string;
  fork: string;
  seeds?: string;
  seed?: string;
  duration?: string;
  out: string;
  resume?: boolean;
  shard?: string;
  jobs?: string;
  report?: string;
  metric?: string;
}

export interface MergeOptions {
  out: string;
  force?: boolean;
  report?: string;
  metric?: string;
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(e.message);
    throw e;
  }
}

async function usageAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(e.message);
    throw e;
  }
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function addSweepCommands(p: Command, io: CliIo, version: string): void {
  p.command('sweep')
    .description('run SCENARIO over a grid of parameter values x strategies x seeds, in parallel, into a resumable results file')
    .argument('<scenario>', 'built-in scenario name or a .yaml/.json file')
    .option('--param <path=values>', 'a swept parameter, repeatable: e.g. io.read.median=50us..5ms~5, cpus=2,4,8 (grammar: docs/visualize.md)', collect, [])
    .option('--strategy <list>', "fault strategies, comma-separated; 'all' for every one", 'mainline')
    .option('--fork <list>', "fork strategies, comma-separated; 'all' for every one", 'fork-lock-all')
    .option('--seeds <n>', 'seeds per point and combination (default 1)')
    .option('--seed <s>', "first seed (default: the scenario's seed)")
    .option('--duration <d>', 'simulated duration, overriding the scenario')
    .requiredOption('--out <file>', 'results file (JSON Lines), written run by run')
    .option('--resume', 'continue an interrupted sweep in --out (skips the runs it has)')
    .option('--shard <i/n>', 'run only slice I of N (1-based) of the runs; join the shards with `faultline merge`')
    .option('--jobs <n>', 'threads that run simulations, this one included (default: the idle cores; 1 = no workers)')
    .option('--report <dir>', 'also write an HTML report with the sweep plots to DIR/index.html')
    .option('--metric <list>', 'figures to summarise and plot (flattened names, e.g. ops.all.fault.p99); default: fault p99 for all threads and per class, and fork p99')
    .action((scenario: string, opts: SweepOptions) => sweepCommand(scenario, opts, io, version));
  p.command('merge')
    .description('combine results files of one sweep (shards) into one, in run order')
    .argument('<files...>', 'results files written by `faultline sweep`')
    .requiredOption('--out <file>', 'merged results file')
    .option('--force', 'overwrite --out if it exists')
    .option('--report <dir>', 'also write the HTML report of the merged sweep')
    .option('--metric <list>', 'figures to summarise and plot')
    .action((files: string[], opts: MergeOptions) => mergeCommand(files, opts, io, version));
}

function figuresOf(metric: string | undefined, runs: readonly SweepRun[]): string[] {
  if (metric === undefined) return defaultSweepFigures(runs.map((r) => r.metrics));
  const list = metric.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new UsageError('--metric: empty list');
  return list;
}

function finish(header: SweepHeader, lines: ReadonlyMap<number, string>, metric: string | undefined, report: string | undefined, io: CliIo, version: string): void {
  const runs = sweepRuns(lines);
  const figures = figuresOf(metric, runs);
  if (report !== undefined) {
    const r = writeReport(report, {
      kind: 'sweep', version, sweepId: header.sweep, params: sweepParams(header), combos: sweepCombos(header), runs, total: header.runs, figures,
      info: { name: header.scenario, source: shareablePath(header.source), seed: header.seed, seeds: header.seeds, duration: header.duration, warmup: header.warmup },
    });
    io.stderr.write(`faultline: wrote ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB, opens offline)\n`);
  }
  io.stdout.write(renderSweepSummary(header, runs, figures));
}

export async function sweepCommand(scenarioArg: string, opts: SweepOptions, io: CliIo, version: string): Promise<void> {
  if (opts.param.length === 0) throw new UsageError('sweep: give at least one --param PATH=VALUES (e.g. --param io.read.median=50us..5ms~5)');
  const params = usage(() => opts.param.map(parseParam));
  const dup = params.find((p, i) => params.findIndex((q) => q.path === p.path) !== i);
  if (dup !== undefined) throw new UsageError(`--param ${dup.path} is given twice (give its values in one list)`);
  const faults = parseFaultList(opts.strategy);
  const forks = parseForkList(opts.fork);
  const seeds = opts.seeds === undefined ? 1 : parseInteger('--seeds', opts.seeds, 1, MAX_SEEDS);
  const shard = opts.shard === undefined ? null : usage(() => parseShard(opts.shard!));
  const requestedJobs = parseJobs(opts.jobs, 1024);
  // A sweep has many runs: workers start loading now, while this thread loads the scenario (pool.ts).
  prestartWorkers(jobsFor(requestedJobs, Number.MAX_SAFE_INTEGER, quiet) - 1);
  const base = load(scenarioArg);
  const firstSeed = opts.seed === undefined ? base.seed : parseInteger('--seed', opts.seed, 0, MAX_SEED);
  if (firstSeed + seeds - 1 > MAX_SEED) throw new UsageError(seedRangeMessage(opts.seed === undefined ? `the scenario's seed ${firstSeed} (${base.source})` : `--seed ${firstSeed}`, firstSeed, seeds));
  if (opts.duration !== undefined) {
    const d = parseDurationOption(opts.duration);
    if (d <= base.warmup) throw new UsageError(`--duration: ${formatNs(d)} leaves nothing after the scenario's warm-up (${formatNs(base.warmup)})`);
    base.duration = d;
  }
  const plan = usage(() => planSweep({ base, params, faults, forks, firstSeed, seeds, version }));
  const jobs = jobsFor(requestedJobs, plan.total, io);
  mkdirs(dirname(opts.out));
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outcome;
  try {
    const onStats = poolStatsReporter(io);
    outcome = await usageAsync(() => runSweep({
      plan, out: opts.out, resume: opts.resume === true, shard, jobs, io, signal: ac.signal, ...(onStats !== undefined ? { onStats } : {}),
    }));
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const what = shard === null ? 'runs' : `runs of shard ${shard.index}/${shard.count}`;
  if (outcome.tornLine) io.stderr.write(`faultline: ${opts.out}: dropped a torn last line (a run cut off by a crash); it runs again\n`);
  if (outcome.resumed > 0) io.stderr.write(`faultline: ${opts.out}: resumed with ${outcome.resumed} of ${outcome.planned} ${what} already done\n`);
  if (outcome.interrupted) {
    throw new ExitError(`interrupted: ${outcome.done} of ${outcome.planned} ${what} are in ${opts.out}; run the same command with --resume to continue`, 130);
  }
  if (shard !== null) {
    io.stderr.write(`faultline: ${opts.out}: shard ${shard.index}/${shard.count} done (${outcome.done} runs of ${plan.total}); join the shards with: faultline merge SHARD_FILES... --out FILE\n`);
  }
  finish(JSON.parse(outcome.headerText) as SweepHeader, outcome.lines, opts.metric, opts.report, io, version);
}

/**
 * `faultline merge`: refuses to overwrite --out without --force; when runs are
 * missing it still writes what it has (to look at) but exits 3, so a batch
 * system's `afterok` never takes an incomplete sweep for a finished one.
 */
export function mergeCommand(files: string[], opts: MergeOptions, io: CliIo, version: string): void {
  if (opts.force !== true && existsSync(opts.out)) {
    throw new UsageError(`merge: ${opts.out} exists: add --force to overwrite it, or choose another --out`);
  }
  const m = usage(() => mergeResults(files));
  for (const t of m.torn) io.stderr.write(`faultline: ${t}: dropped a torn last line\n`);
  mkdirs(dirname(opts.out));
  writeSorted(opts.out, m.headerText, m.lines);
  const missing = m.missing.length;
  io.stderr.write(`faultline: wrote ${opts.out}: ${m.lines.size} of ${m.header.runs} runs of sweep ${m.header.sweep}${missing > 0 ? `; ${missing} missing (e.g. run ${m.missing.slice(0, 5).join(', ')}): a shard is missing or unfinished` : ''}\n`);
  finish(m.header, m.lines, opts.metric, opts.report, io, version);
  if (missing > 0) {
    throw new ExitError(`merge incomplete: ${missing} of ${m.header.runs} runs are missing from ${opts.out} (exit ${ExitCode.INCOMPLETE}); merge again when every shard has finished`, ExitCode.INCOMPLETE);
  }
}
