/** Run one simulation and collect its figures. */
import type { Scenario } from '../scenario/types.js';
import { simulate } from '../sim/workload.js';
import { faultStrategy, forkStrategy } from '../strategies/index.js';
import { MetricsCollector } from './collector.js';
import type { RunMetrics } from './types.js';

export interface MeasureSpec {
  scenario: Scenario;
  /** Fault strategy spec (`mainline`, `retry-vma+uptodate-skip`, ...). */
  fault: string;
  fork: string;
  seed: number;
}

/** Simulate `spec.scenario` under one strategy combination and seed. Throws StrategyError on a bad spec. */
export function measure(spec: MeasureSpec): RunMetrics {
  const collector = new MetricsCollector(spec.scenario, { fault: spec.fault, fork: spec.fork, seed: spec.seed });
  simulate({
    scenario: spec.scenario,
    fault: faultStrategy(spec.fault),
    fork: forkStrategy(spec.fork),
    seed: spec.seed,
    observer: collector,
  });
  return collector.result();
}
