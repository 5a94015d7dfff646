/**
 * Inputs for the HTML report tests: the `tiny` scenario with hostile text in
 * every field a scenario file (or code) can set, run for real.
 */
import { measure, type RunMetrics } from '../src/metrics/index.js';
import { compare, type Comparison, type RunInfo } from '../src/report/index.js';
import type { RunReportInput } from '../src/report/html/index.js';
import { loadScenario, type Scenario } from '../src/scenario/index.js';

export const EVIL_NAME = '<script>alert("name")</script>';
export const EVIL_DESCRIPTION = '</script><img src=x onerror=alert(2)> & "quotes"';
export const EVIL_THREAD = '<b>ui</b><script>alert(3)</script>';

export function evilScenario(durationNs = 60_000_000): Scenario {
  const sc = loadScenario('tiny');
  sc.name = EVIL_NAME;
  sc.description = EVIL_DESCRIPTION;
  sc.duration = durationNs;
  const ui = sc.threads.find((t) => t.name === 'ui')!;
  ui.name = EVIL_THREAD;
  return sc;
}

export function reportInput(sc: Scenario, faults = ['mainline', 'hold-io'], seeds = 2): RunReportInput & { runs: RunMetrics[]; cmp: Comparison } {
  const runs: RunMetrics[] = [];
  for (const fault of faults) for (let s = 1; s <= seeds; s++) runs.push(measure({ scenario: sc, fault, fork: 'fork-lock-all', seed: s }));
  const cmp = compare(runs);
  const info: RunInfo = { name: sc.name, source: sc.source, seed: 1, seeds, duration: sc.duration, warmup: sc.warmup };
  return { kind: 'run', info, version: 'test', description: sc.description, comparison: cmp, runs, cmp };
}
