/** `faultline run`: every strategy combination x seed, then the table or JSON. */
import { measure, type RunMetrics } from '../metrics/index.js';
import { compare, renderJson, renderTable, type RunInfo } from '../report/index.js';
import { loadScenario, ScenarioError, type Scenario } from '../scenario/index.js';
import { formatNs } from '../report/index.js';
import { UsageError, type CliIo } from './io.js';
import {
  MAX_SEED, MAX_SEEDS, parseDurationOption, parseFaultList, parseForkList, parseInteger,
} from './options.js';
import { Progress } from './progress.js';

export interface RunOptions {
  strategy: string;
  fork: string;
  seeds?: string;
  seed?: string;
  json?: boolean;
  duration?: string;
}

export function load(pathOrName: string): Scenario {
  try {
    return loadScenario(pathOrName);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
}

export function runCommand(scenarioArg: string, opts: RunOptions, io: CliIo, version: string): void {
  const faults = parseFaultList(opts.strategy);
  const forks = parseForkList(opts.fork);
  const nSeeds = opts.seeds === undefined ? 1 : parseInteger('--seeds', opts.seeds, 1, MAX_SEEDS);
  const scenario = load(scenarioArg);
  const first = opts.seed === undefined ? scenario.seed : parseInteger('--seed', opts.seed, 0, MAX_SEED);
  if (first + nSeeds - 1 > MAX_SEED) {
    throw new UsageError(`--seed/--seeds: seeds ${first}..${first + nSeeds - 1} go past ${MAX_SEED}`);
  }
  if (opts.duration !== undefined) {
    const d = parseDurationOption(opts.duration);
    if (d <= scenario.warmup) {
      throw new UsageError(`--duration: ${formatNs(d)} leaves nothing after the scenario's warm-up (${formatNs(scenario.warmup)})`);
    }
    scenario.duration = d;
  }
  const total = faults.length * forks.length * nSeeds;
  const progress = new Progress(io, total);
  const runs: RunMetrics[] = [];
  for (const fork of forks) {
    for (const fault of faults) {
      for (let seed = first; seed < first + nSeeds; seed++) {
        runs.push(measure({ scenario, fault, fork, seed }));
        progress.tick();
      }
    }
  }
  progress.end();
  const cmp = compare(runs);
  const info: RunInfo = {
    name: scenario.name, source: scenario.source, seed: first, seeds: nSeeds,
    duration: scenario.duration, warmup: scenario.warmup,
  };
  io.stdout.write(opts.json === true ? renderJson(cmp, info, version) : renderTable(cmp, info));
}
