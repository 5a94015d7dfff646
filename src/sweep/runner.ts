/**
 * Running a sweep (or one shard of it) into its results file, resumably.
 * See results.ts for the file's guarantees.
 */
import type { MeasureSpec } from '../metrics/index.js';
import type { Scenario } from '../scenario/types.js';
import { scenarioAt } from './apply.js';
import { SweepError } from './grammar.js';
import { inShard, plannedRun, type PlannedRun, type Shard, type SweepPlan } from './plan.js';
import { runAll, type PoolStats } from './pool.js';
import { RunProgress, type ProgressIo } from './progress.js';
import { headerOf, lineText, readResults, resultsExist, ResultsWriter, writeSorted } from './results.js';

export interface SweepRunOptions {
  plan: SweepPlan;
  out: string;
  resume: boolean;
  shard: Shard | null;
  jobs: number;
  io: ProgressIo;
  signal?: AbortSignal;
  /** How many runs each thread ran (pool.ts). */
  onStats?: (stats: PoolStats) => void;
}

export interface SweepOutcome {
  /** Runs of this file (the shard's, or all) and how many are done. */
  planned: number;
  done: number;
  /** Runs found in the file on resume. */
  resumed: number;
  /** A torn last line was dropped on resume. */
  tornLine: boolean;
  /** The file holds every run of its shard and was rewritten in run order. */
  complete: boolean;
  interrupted: boolean;
  headerText: string;
  lines: Map<number, string>;
}

export async function runSweep(o: SweepRunOptions): Promise<SweepOutcome> {
  const { plan, out } = o;
  const headerText = JSON.stringify(headerOf(plan));
  const mine: number[] = [];
  for (let i = 0; i < plan.total; i++) if (inShard(i, o.shard)) mine.push(i);
  let lines = new Map<number, string>();
  let writer: ResultsWriter;
  let tornLine = false;
  if (resultsExist(out)) {
    if (!o.resume) throw new SweepError(`${out} exists: add --resume to continue that sweep, or remove it / choose another --out`);
    const f = readResults(out);
    if (f.header.sweep !== plan.id) {
      throw new SweepError(`${out} holds sweep ${f.header.sweep}, not this one (${plan.id}): the scenario, parameters, strategies, seeds or faultline version differ`);
    }
    for (const k of f.lines.keys()) {
      if (!inShard(k, o.shard)) throw new SweepError(`${out} has run ${k}, which is not in shard ${o.shard!.index}/${o.shard!.count}: resume a shard with the same --shard`);
    }
    lines = f.lines;
    tornLine = f.torn;
    writer = new ResultsWriter(out, headerText, { intactBytes: f.intactBytes });
  } else {
    writer = new ResultsWriter(out, headerText, null);
  }
  const resumed = lines.size;
  const todo: PlannedRun[] = mine.filter((i) => !lines.has(i)).map((i) => plannedRun(plan, i));
  const scenarios = new Map<string, Scenario>();
  const specs: MeasureSpec[] = todo.map((r) => {
    const key = JSON.stringify(r.point);
    let sc = scenarios.get(key);
    if (sc === undefined) scenarios.set(key, sc = scenarioAt(plan.base, plan.params, r.point));
    return { scenario: sc, fault: r.fault, fork: r.fork, seed: r.seed };
  });
  const progress = new RunProgress(o.io, mine.length, resumed);
  try {
    await runAll(specs, {
      jobs: o.jobs,
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      ...(o.onStats !== undefined ? { onStats: o.onStats } : {}),
      onResult: (i, m) => {
        const r = todo[i]!;
        const line = lineText(plan.id, r, m);
        writer.append(line);
        lines.set(r.index, line);
        progress.tick(specs[i]!.scenario.duration);
      },
    });
  } finally {
    writer.close();
    progress.end();
  }
  const complete = mine.every((i) => lines.has(i));
  if (complete) writeSorted(out, headerText, lines);
  return {
    planned: mine.length, done: mine.filter((i) => lines.has(i)).length, resumed, tornLine, complete,
    interrupted: o.signal?.aborted === true, headerText, lines,
  };
}
