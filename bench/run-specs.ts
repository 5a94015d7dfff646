/**
 * The runs of a `faultline run SCENARIO --strategy S --seeds N` as measure()
 * specs, for the bench scripts that time runs thread by thread
 * (bench/warmup.ts, bench/pool-threads.ts), and their common options.
 */
import { type MeasureSpec } from '../src/metrics/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { parseFaultList } from '../src/cli/options.js';

/** `--strategy` (default all) and `--seeds` (default 16), as `faultline run` takes them. */
export const RUN_SPEC_OPTIONS = {
  strategy: { type: 'string', default: 'all' },
  seeds: { type: 'string', default: '16' },
} as const;

/** Every fault strategy of `strategy` × seeds scenario.seed … scenario.seed + seeds − 1, with fork-lock-all. */
export function buildSpecs(name: string, strategy: string, seeds: number): MeasureSpec[] {
  const scenario = loadScenario(name);
  const specs: MeasureSpec[] = [];
  for (const fault of parseFaultList(strategy)) {
    for (let seed = scenario.seed; seed < scenario.seed + seeds; seed++) specs.push({ scenario, fault, fork: 'fork-lock-all', seed });
  }
  return specs;
}
