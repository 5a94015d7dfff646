/** One simulation run measured and traced at once (the trace observer never changes the run). */
import { MetricsCollector, type MeasureSpec, type RunMetrics } from '../metrics/index.js';
import { MultiObserver } from '../sim/observer.js';
import { simulate } from '../sim/workload.js';
import { faultStrategy, forkStrategy } from '../strategies/index.js';
import { TraceRecorder } from './recorder.js';
import type { RunTrace, TraceOptions, TraceProcess } from './types.js';

/** pid of the k-th traced run (0-based); thread ids are pid + 1 + task id. */
export function tracePid(k: number): number {
  return 100_000 * (k + 1);
}

/** Process name of a run: `android-app mainline/fork-lock-all seed 1`. */
export function traceProcessName(scenario: string, spec: { fault: string; fork: string; seed: number }): string {
  return `${scenario} ${spec.fault}/${spec.fork} seed ${spec.seed}`;
}

/** Simulate like `measure(spec)` and also record a trace of the run as process `proc`. */
export function measureTraced(spec: MeasureSpec, proc: TraceProcess, opts: TraceOptions): { metrics: RunMetrics; trace: RunTrace } {
  const collector = new MetricsCollector(spec.scenario, { fault: spec.fault, fork: spec.fork, seed: spec.seed });
  const recorder = new TraceRecorder(proc, opts);
  simulate({
    scenario: spec.scenario,
    fault: faultStrategy(spec.fault),
    fork: forkStrategy(spec.fork),
    seed: spec.seed,
    observer: new MultiObserver([collector, recorder]),
  });
  return { metrics: collector.result(), trace: recorder.result() };
}
