/** `faultline run`: every strategy combination x seed, then the table or JSON. */
import type { MeasureSpec } from '../metrics/index.js';
import { compare, renderJson, renderLkml, renderTable, type RunInfo } from '../report/index.js';
import { loadScenario, ScenarioError, type Scenario } from '../scenario/index.js';
import { formatNs, shareablePath } from '../report/index.js';
import { applyProfile, loadProfile, ProfileError } from '../calibrate/profile.js';
import { UsageError, type CliIo } from './io.js';
import {
  MAX_SEED, MAX_SEEDS, parseDurationOption, seedRangeMessage, parseFaultList, parseForkList, parseInteger,
} from './options.js';
import { parseFormat, type OutputOptions } from './output-options.js';
import { executeRuns, parseRunOutputs, writeRunReport } from './run-outputs.js';
import { AUTO_MIN_RUNS, prestartWorkers } from '../sweep/pool.js';
import { jobsFor } from './output-options.js';

/** jobsFor's warning is printed once, by executeRuns. */
const quiet = { stderr: { write: () => true } };

export interface RunOptions extends OutputOptions {
  strategy: string;
  fork: string;
  seeds?: string;
  seed?: string;
  json?: boolean;
  duration?: string;
  costs?: string;
}

/** `--costs PROFILE`: the profile's costs and swap-in law replace the scenario's (src/calibrate/profile.ts). */
export function withCostsOption(scenario: Scenario, costs: string | undefined): Scenario {
  if (costs === undefined) return scenario;
  try {
    return applyProfile(scenario, loadProfile(costs));
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(`--costs: ${e.message}`);
    throw e;
  }
}

/** The source shown in reports: the scenario's path, and the cost profile when one applies. */
export function sourceLabel(scenario: Scenario): string {
  const src = shareablePath(scenario.source);
  return scenario.cost_profile === undefined ? src : `${src}, costs ${scenario.cost_profile}`;
}

export function load(pathOrName: string): Scenario {
  try {
    return loadScenario(pathOrName);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
}

export async function runCommand(scenarioArg: string, opts: RunOptions, io: CliIo, version: string): Promise<void> {
  const format = parseFormat(opts);
  const outputs = parseRunOutputs(opts);
  const faults = parseFaultList(opts.strategy);
  const forks = parseForkList(opts.fork);
  const nSeeds = opts.seeds === undefined ? 1 : parseInteger('--seeds', opts.seeds, 1, MAX_SEEDS);
  const runs = forks.length * faults.length * nSeeds;
  // Workers start loading now, while this thread loads the scenario (pool.ts).
  if (outputs.trace === null && runs >= AUTO_MIN_RUNS) prestartWorkers(jobsFor(outputs.jobs, runs, quiet) - 1);
  const scenario = withCostsOption(load(scenarioArg), opts.costs);
  const first = opts.seed === undefined ? scenario.seed : parseInteger('--seed', opts.seed, 0, MAX_SEED);
  if (first + nSeeds - 1 > MAX_SEED) {
    throw new UsageError(seedRangeMessage(opts.seed === undefined ? `the scenario's seed ${first} (${scenario.source})` : `--seed ${first}`, first, nSeeds));
  }
  if (opts.duration !== undefined) {
    const d = parseDurationOption(opts.duration);
    if (d <= scenario.warmup) {
      throw new UsageError(`--duration: ${formatNs(d)} leaves nothing after the scenario's warm-up (${formatNs(scenario.warmup)})`);
    }
    scenario.duration = d;
  }
  const specs: MeasureSpec[] = [];
  for (const fork of forks) {
    for (const fault of faults) {
      for (let seed = first; seed < first + nSeeds; seed++) specs.push({ scenario, fault, fork, seed });
    }
  }
  const cmp = compare(await executeRuns(specs, scenario, outputs, io));
  const info: RunInfo = {
    name: scenario.name, source: sourceLabel(scenario), seed: first, seeds: nSeeds,
    duration: scenario.duration, warmup: scenario.warmup,
  };
  if (outputs.report !== null) writeRunReport(outputs.report, cmp, info, scenario, version, io);
  io.stdout.write(format === 'json' ? renderJson(cmp, info, version) : format === 'lkml' ? renderLkml(cmp, info) : renderTable(cmp, info));
}
