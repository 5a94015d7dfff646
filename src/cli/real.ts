/**
 * `faultline real SCENARIO`: translate the scenario, run it for real on this
 * host (load generator, FUSE delay filesystem, zram, memory cgroup, tracefs),
 * run the model's `mainline` prediction of the same workload, print both side
 * by side with the ratio. Needs root; every missing host feature is one line
 * on stderr and exit code 2 (docs/calibration.md).
 */
import type { RunInfo } from '../report/index.js';
import { formatNs } from '../report/index.js';
import {
  compareReal, IO_PATHS, isIoPath, probeHost, REAL_FORK_STRATEGY, renderRealJson, renderRealTable, runModelSide, runReal, scheduleSummary,
  translate, withDeviceReadLaw, type RealRun,
} from '../real/index.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { MAX_SEED, parseDurationOption, parseInteger } from './options.js';
import { load, sourceLabel, withCostsOption } from './run.js';
import { gatedRun, type RunGate } from '../calibrate/host-drift.js';

export interface RealOptions {
  seed?: string;
  runs?: string;
  modelSeeds?: string;
  duration?: string;
  json?: boolean;
  trace: boolean;
  cgroup: boolean;
  keep?: boolean;
  dryRun?: boolean;
  allowLoaded?: boolean;
  io?: string;
  costs?: string;
  /**
   * Programmatic only (`calibrate --validate`, src/calibrate/host-drift.ts): a
   * check run before each attempt of each real run; an attempt outside the
   * band is repeated while `retries` allow (host-drift.ts gatedRun).
   */
  gate?: RunGate;
}

export { REAL_FORK_STRATEGY };

export async function realCommand(scenarioArg: string, opts: RealOptions, io: CliIo, version: string): Promise<void> {
  // --costs: the model's side uses the profile (schedules do not depend on costs).
  const scenario = withCostsOption(load(scenarioArg), opts.costs);
  const runs = opts.runs === undefined ? 1 : parseInteger('--runs', opts.runs, 1, 100);
  const modelSeeds = opts.modelSeeds === undefined ? Math.max(runs, 3) : parseInteger('--model-seeds', opts.modelSeeds, 1, 1000);
  const first = opts.seed === undefined ? scenario.seed : parseInteger('--seed', opts.seed, 0, MAX_SEED);
  if (first + Math.max(runs, modelSeeds) - 1 > MAX_SEED) throw new UsageError(`--seed: seeds past ${MAX_SEED}`);
  if (opts.duration !== undefined) {
    const d = parseDurationOption(opts.duration);
    if (d <= scenario.warmup) throw new UsageError(`--duration: ${formatNs(d)} leaves nothing after the scenario's warm-up (${formatNs(scenario.warmup)})`);
    scenario.duration = d;
  }
  const ioPath = opts.io ?? 'fuse';
  if (!isIoPath(ioPath)) throw new UsageError(`--io: expected one of ${IO_PATHS.join(', ')}, got ${JSON.stringify(ioPath)}`);
  const host = probeHost();
  const log = (m: string) => io.stderr.write(`faultline real: ${m}\n`);

  if (opts.dryRun === true) {
    const tr = translate(scenario, { seed: first, hostCpus: host.cpus });
    const sum = scheduleSummary(tr);
    const doc = {
      scenario: tr.scenario, seed: tr.seed, cpus: tr.cpus, duration: tr.duration, warmup: tr.warmup,
      regions: tr.regions.length, files: tr.files, needs: tr.needs,
      threads: tr.threads.map((t) => ({ name: t.name, class: t.class, nice: t.nice, ops: t.ops.length })),
      ops: sum.ops, states: sum.states, substitutions: tr.substitutions, notes: tr.notes,
    };
    io.stdout.write(opts.json === true ? JSON.stringify(doc, null, 2) + '\n' : dryRunText(doc));
    return;
  }

  const real: RealRun[] = [];
  let translation = translate(scenario, { seed: first, hostCpus: host.cpus });
  for (let i = 0; i < runs; i++) {
    const tr = i === 0 ? translation : translate(scenario, { seed: first + i, hostCpus: host.cpus });
    if (i === 0) translation = tr;
    real.push(await gatedRun(i, opts.gate, async (a) => {
      log(`run ${i + 1}/${runs}${a > 0 ? ` (attempt ${a + 1})` : ''}: ${tr.threads.length} threads, ${tr.regions.length} regions, ${formatNs(tr.duration)}`);
      return runReal(tr, {
        trace: opts.trace, cgroup: opts.cgroup, keep: opts.keep === true, fork: REAL_FORK_STRATEGY, log, allowLoaded: opts.allowLoaded === true, io: ioPath,
      }, host);
    }, log));
  }
  // With a block-device read path the device's measured read law replaces io.read on the model's side (run 1's).
  const device = real[0]?.extras.device ?? null;
  const modelScenario = device === null ? translation.modelScenario : withDeviceReadLaw(translation.modelScenario, device.readLaw, device.io);
  const model = runModelSide(modelScenario, first, modelSeeds);
  const info: RunInfo = {
    name: scenario.name, source: sourceLabel(scenario), seed: first, seeds: modelSeeds,
    duration: scenario.duration, warmup: scenario.warmup,
  };
  const rc = compareReal(model.runs, real, info, translation, model.modes);
  io.stdout.write(opts.json === true ? renderRealJson(rc, version) : renderRealTable(rc));
}

function dryRunText(d: {
  scenario: string; seed: number; cpus: number; regions: number; files: Array<{ name: string; bytes: number }>;
  needs: { fuse: boolean; swap: boolean }; threads: Array<{ name: string; class: string; nice: number; ops: number }>;
  ops: Record<string, number>; states: Record<string, number>; substitutions: Record<string, number>; notes: string[];
}): string {
  const out = [
    `faultline real --dry-run: scenario ${d.scenario}, seed ${d.seed}, ${d.cpus} CPU(s)`,
    `  regions: ${d.regions}; files on the FUSE mount: ${d.files.length === 0 ? 'none' : d.files.map((f) => `${f.name} (${f.bytes} B)`).join(', ')}`,
    `  needs: FUSE ${d.needs.fuse ? 'yes' : 'no'}, zram swap ${d.needs.swap ? 'yes' : 'no'}`,
    '  threads:',
    ...d.threads.map((t) => `    ${t.name} (${t.class}, nice ${t.nice}): ${t.ops} scheduled ops`),
    `  ops: ${Object.entries(d.ops).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  fault page states: ${Object.entries(d.states).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...d.notes.map((n) => `  note: ${n}`),
  ];
  return out.join('\n') + '\n';
}
