/** Running an experiment: every configuration and seed, with its extra observers. */
import { MetricsCollector } from '../metrics/index.js';
import { flatten, median } from '../report/index.js';
import { loadScenario } from '../scenario/index.js';
import { MultiObserver, simulate } from '../sim/index.js';
import { faultStrategy, forkStrategy } from '../strategies/index.js';
import type { Cell, Experiment, ExperimentResult, RunResult, Variant } from './types.js';

export interface RunExperimentOptions {
  /** Seeds per configuration (default: the experiment's). */
  seeds?: number;
  /** First seed (default: the experiment's). */
  seed?: number;
  /** Called after each run (progress). */
  tick?: () => void;
  /** Run only these configurations (tests); the table then shows only them. */
  only?: (variant: string, fault: string, fork: string) => boolean;
}

/** The configurations an experiment runs, in table order. */
export function configurations(exp: Experiment, variants: readonly Variant[]): Array<{ variant: Variant; fault: string; fork: string }> {
  const out: Array<{ variant: Variant; fault: string; fork: string }> = [];
  for (const variant of variants) {
    for (const fork of exp.forks) {
      for (const fault of exp.faults) {
        if (exp.include === undefined || exp.include(variant.label, fault, fork)) out.push({ variant, fault, fork });
      }
    }
  }
  return out;
}

export function experimentVariants(exp: Experiment): Variant[] {
  const base = loadScenario(exp.scenario);
  return exp.variants === undefined ? [{ label: '', scenario: base }] : exp.variants(base);
}

/** Number of simulation runs `runExperiment` will do. */
export function countRuns(exp: Experiment, seeds = exp.seeds): number {
  return configurations(exp, experimentVariants(exp)).length * seeds;
}

/** One run: the standard metrics plus the experiment's extra figures. */
export function runOnce(exp: Experiment, variant: Variant, fault: string, fork: string, seed: number): RunResult {
  const sc = variant.scenario;
  const collector = new MetricsCollector(sc, { fault, fork, seed });
  const extras = exp.extras?.(sc, variant) ?? [];
  simulate({
    scenario: sc,
    fault: faultStrategy(fault),
    fork: forkStrategy(fork),
    seed,
    observer: extras.length === 0 ? collector : new MultiObserver([collector, ...extras]),
  });
  const metrics = collector.result();
  const figures = flatten(metrics);
  const samples: Record<string, number[]> = {};
  for (const x of extras) {
    const c = x.collect();
    for (const [k, v] of Object.entries(c.figures)) figures.set(`x.${k}`, v);
    for (const [k, v] of Object.entries(c.samples)) samples[k] = (samples[k] ?? []).concat(v);
  }
  return { seed, metrics, figures, samples };
}

export function runExperiment(exp: Experiment, opts: RunExperimentOptions = {}): ExperimentResult {
  const seeds = opts.seeds ?? exp.seeds;
  const first = opts.seed ?? exp.seed;
  const cells: Cell[] = [];
  for (const { variant, fault, fork } of configurations(exp, experimentVariants(exp))) {
    if (opts.only !== undefined && !opts.only(variant.label, fault, fork)) continue;
    const runs: RunResult[] = [];
    for (let seed = first; seed < first + seeds; seed++) {
      runs.push(runOnce(exp, variant, fault, fork, seed));
      opts.tick?.();
    }
    cells.push({ variant: variant.label, fault, fork, runs });
  }
  return { experiment: exp, seed: first, seeds, cells };
}

// ---------------------------------------------------------------------------
// Helpers for headlines and tests.

/** The cell of a configuration; throws when it was not run. */
export function cellOf(r: ExperimentResult, fault: string, opts: { fork?: string; variant?: string } = {}): Cell {
  const c = r.cells.find((x) => x.fault === fault && (opts.fork === undefined || x.fork === opts.fork) &&
    (opts.variant === undefined || x.variant === opts.variant));
  if (c === undefined) throw new Error(`experiment ${r.experiment.name}: no configuration ${fault} ${opts.fork ?? ''} ${opts.variant ?? ''}`);
  return c;
}

/** Median over seeds of a figure (0 when no seed has it). */
export function med(c: Cell, figure: string): number {
  const v = c.runs.map((r) => r.figures.get(figure)).filter((x): x is number => x !== undefined);
  return v.length === 0 ? 0 : median(v);
}

/** Sum over seeds of a figure. */
export function total(c: Cell, figure: string): number {
  return c.runs.reduce((s, r) => s + (r.figures.get(figure) ?? 0), 0);
}

/** Samples of one name pooled over seeds. */
export function pooled(c: Cell, name: string): number[] {
  return c.runs.flatMap((r) => r.samples[name] ?? []);
}

/** Exact percentile (nearest rank) of samples; 0 when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
