/**
 * Experiments: one per question or claim of the LKML thread
 * (../shared/seed/lkml-thread-mmap-lock-retry-v2.txt), each rerunnable with
 * `faultline experiment NAME` and documented in docs/experiments.md.
 *
 * An experiment names a built-in scenario, optionally derives variants from it
 * in code (sweep points, a stressed setting), runs every variant x fault
 * strategy x fork strategy x seed, and tabulates chosen figures: one table row
 * per configuration, one column per figure. Its `headline` states the
 * direction and rough size of the result; the tests check it.
 */
import type { RunMetrics } from '../metrics/index.js';
import type { Scenario } from '../scenario/types.js';
import type { SimObserver } from '../sim/observer.js';

/** One configuration's scenario: the built-in itself, or one derived from it in code. */
export interface Variant {
  /** Short label shown in the table ('' when the experiment has one variant). */
  label: string;
  scenario: Scenario;
  /** The scenario the variant was derived from, when an observer needs it (e.g. the original thread classes). */
  base?: Scenario;
}

/** An observer for figures the standard metrics do not have. */
export interface ExtraObserver extends SimObserver {
  /** Per-run figures (named `x.<name>`) and raw samples (pooled over seeds by `samples` rows). */
  collect(): { figures: Record<string, number>; samples: Record<string, number[]> };
}

/** One simulation run of a configuration. */
export interface RunResult {
  seed: number;
  metrics: RunMetrics;
  /** Every figure of the run: flattened RunMetrics (src/report/flatten.ts) and `x.*` extras. */
  figures: Map<string, number>;
  samples: Record<string, number[]>;
}

/** All seeds of one configuration (variant x fault strategy x fork strategy). */
export interface Cell {
  variant: string;
  fault: string;
  fork: string;
  runs: RunResult[];
}

export type Unit = 'ns' | 'count' | 'share';

/**
 * A table column. `figure` rows take one number per run and show the median
 * over seeds (with the spread), or their sum (`agg: 'sum'`); `samples` rows
 * pool raw samples over seeds and show one statistic of the pooled set.
 */
export type Column =
  | { label: string; unit: Unit; figure: string | ((r: RunResult) => number | undefined); agg?: 'median' | 'sum' }
  | { label: string; unit: Unit; samples: string; stat: 'count' | 'mean' | 'p50' | 'p90' | 'p99' | 'max' };

export interface TableSpec {
  title: string;
  columns: Column[];
}

export interface ExperimentResult {
  experiment: Experiment;
  /** First seed and number of seeds per configuration. */
  seed: number;
  seeds: number;
  cells: Cell[];
}

export interface Headline {
  /** One or two sentences with the numbers, e.g. "hold-io: fork waited 12 ms ... mainline: 0". */
  text: string;
  /** Does the documented conclusion (direction and rough size) hold for this result? */
  holds: boolean;
}

export interface Experiment {
  /** CLI name, e.g. `writer-io`. */
  name: string;
  /** Number: 1-10 from issue 3, 11-12 from issue 12. */
  number: number;
  title: string;
  /** The question, in a line. */
  question: string;
  /** Who asked, and when (the mail), e.g. "Matthew Wilcox, 2026-05-01". */
  source: string;
  /** Built-in scenario name (scenarios/NAME.yaml). */
  scenario: string;
  /** Variants derived from the loaded scenario (default: the scenario as is). */
  variants?(base: Scenario): Variant[];
  faults: string[];
  forks: string[];
  /** Default number of seeds, and the first seed. */
  seeds: number;
  seed: number;
  /** The tables to print: each a title and its columns (keep each narrow enough for a mail). */
  tables: TableSpec[];
  /** Extra observers for one run (fresh per run). */
  extras?(sc: Scenario, variant: Variant): ExtraObserver[];
  /** Restrict the configurations run (default: every variant x fault x fork). */
  include?(variant: string, fault: string, fork: string): boolean;
  /** Notes printed under the table (what the columns mean, what was changed). */
  notes: string[];
  headline(r: ExperimentResult): Headline;
}
