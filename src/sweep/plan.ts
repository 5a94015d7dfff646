/**
 * A sweep's runs, numbered: for each point of the parameter grid (the last
 * parameter varying fastest), each fork strategy, each fault strategy, each
 * seed. The number (run index) is a run's identity in results files, shards
 * and merges; the sweep id is a hash of everything that decides the results.
 */
import { createHash } from 'node:crypto';
import type { Scenario } from '../scenario/types.js';
import { scenarioAt } from './apply.js';
import { SweepError, type ParamSpec } from './grammar.js';

/** Version of the results-file format (the header's `faultline_sweep`). */
export const SWEEP_FORMAT = 1;

export interface SweepPlan {
  /** 16 hex digits; the same for the same scenario content, parameters, strategies, seeds and faultline version. */
  id: string;
  version: string;
  base: Scenario;
  params: ParamSpec[];
  /** Grid points, each a value per parameter. */
  points: number[][];
  faults: string[];
  forks: string[];
  firstSeed: number;
  seeds: number;
  total: number;
}

export interface PlannedRun {
  index: number;
  point: number[];
  fault: string;
  fork: string;
  seed: number;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

function grid(params: readonly ParamSpec[]): number[][] {
  let out: number[][] = [[]];
  for (const p of params) out = out.flatMap((prefix) => p.values.map((v) => [...prefix, v]));
  return out;
}

/** Stable JSON (sorted keys) for hashing. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function planSweep(a: {
  base: Scenario; params: ParamSpec[]; faults: string[]; forks: string[]; firstSeed: number; seeds: number; version: string;
}): SweepPlan {
  const points = grid(a.params);
  // Every point must be a valid scenario: check them all before running anything.
  for (const p of points) scenarioAt(a.base, a.params, p);
  const { source: _source, ...content } = a.base;
  const id = createHash('sha256').update(canonical({
    format: SWEEP_FORMAT, version: a.version, scenario: content,
    params: a.params.map((p) => ({ path: p.path, values: p.values, kind: p.kind })),
    faults: a.faults, forks: a.forks, firstSeed: a.firstSeed, seeds: a.seeds,
  })).digest('hex').slice(0, 16);
  const total = points.length * a.forks.length * a.faults.length * a.seeds;
  if (total > 10_000_000) throw new SweepError(`the sweep has ${total} runs; split it (at most 10,000,000)`);
  return { id, version: a.version, base: a.base, params: a.params, points, faults: a.faults, forks: a.forks, firstSeed: a.firstSeed, seeds: a.seeds, total };
}

export function plannedRun(plan: SweepPlan, index: number): PlannedRun {
  const n = plan.seeds, nf = plan.faults.length, nk = plan.forks.length;
  const s = index % n;
  const f = Math.floor(index / n) % nf;
  const k = Math.floor(index / (n * nf)) % nk;
  const p = Math.floor(index / (n * nf * nk));
  return { index, point: plan.points[p]!, fault: plan.faults[f]!, fork: plan.forks[k]!, seed: plan.firstSeed + s };
}

/** Does run `index` belong to `shard` (round robin, so every shard gets every parameter value)? */
export function inShard(index: number, shard: Shard | null): boolean {
  return shard === null || index % shard.count === shard.index - 1;
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(text: string): Shard {
  const m = /^\s*([0-9]+)\s*\/\s*([0-9]+)\s*$/.exec(text);
  if (m === null) throw new SweepError(`--shard: expected I/N (e.g. 3/8: the third of 8 slices, 1-based), got '${text}'`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new SweepError(`--shard: ${index}/${count} is out of range (1 <= I <= N)`);
  return { index, count };
}
