/**
 * `faultline calibrate`: run the micro-benchmarks on this host (root), fit the
 * model's costs, write the cost profile and print the fit table
 * (docs/calibration.md, "Cost profiles"). `--from DIR` fits recorded outputs
 * instead (no root).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import {
  driftRows, HOST_PROBE, probeExcess, renderDrift, RUN_PROBE, runProbeRows, DRIFT_BAND, type RunProbe, type ValidateProbeDoc,
} from '../calibrate/host-drift.js';
import { loadProfile, renderProfile, type CostProfile } from '../calibrate/profile.js';
import { renderFitTable } from '../calibrate/report.js';
import { readRecorded, readRounds, runRounds, runSuite, writeRecorded, writeRounds, type SuiteResult } from '../calibrate/suite.js';
import { fitRounds } from '../calibrate/rounds.js';
import { compactRecording } from '../calibrate/compact.js';
import { probeHost } from '../real/index.js';
import { join } from 'node:path';
import { renderValidation, VALIDATION_SCENARIOS, type RealDoc } from '../calibrate/validate.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { parseInteger } from './options.js';
import { realCommand } from './real.js';
import { load, sourceLabel, withCostsOption } from './run.js';
import { compare } from '../report/index.js';
import { isIoPath, runModelSide, translate, withDeviceReadLaw } from '../real/index.js';
import type { Law } from '../scenario/types.js';

/**
 * `--rounds` by default: five rounds of the suite (~20 s each on the idle
 * calibration host, under two minutes in all; the issue's bound is 10).
 */
export const DEFAULT_ROUNDS = 5;

/** Where `calibrate --validate --record DIR` keeps the host probe's raw outputs (DIR/host-probe/KEY.txt). */
const PROBE_DIR = 'host-probe';
/** ... and each real run's probe (DIR/run-probe/SCENARIO.rRUN.aATTEMPT/KEY.txt, 1-based). */
const RUN_PROBE_DIR = 'run-probe';

export interface CalibrateOptions {
  out?: string;
  name?: string;
  record?: string;
  /** `--from`, repeatable: recorded outputs (fit: each a round, or DIR/round-K) or, with --validate, one directory of documents. */
  from?: string[];
  rounds?: string;
  validate?: boolean;
  runs?: string;
  io?: string;
  costs?: string;
  allowLoaded?: boolean;
  modelFrom?: string;
  driftRetry?: string;
  compact?: string;
}

/** What `--model-from` reads of a recorded `faultline real --json` document beyond RealDoc. */
interface RecordedDoc extends RealDoc {
  scenario: RealDoc['scenario'] & { seed: number; seeds: number; duration: number };
  combinations: Array<RealDoc['combinations'][number] & { fork?: string; runs?: unknown }>;
  real: RealDoc['real'] & { runs: Array<{ extras: { device: { io: string; readLaw?: Law } | null } }> };
}

/**
 * `--model-from`: the model's side of a recorded document recomputed with the
 * current model (no root): the scenario with the document's cost profile
 * (or `costs`), duration, seeds and host CPUs, translated as `faultline real`
 * did, with the recorded device's read law; its mainline column and
 * `model_modes` replace the recorded ones. The real side is untouched.
 */
function remodel(doc: RecordedDoc, costs: string | undefined): void {
  const recorded = /, costs (\S+)$/.exec(doc.scenario.source ?? '')?.[1];
  const scenario = withCostsOption(load(doc.scenario.name), costs ?? recorded);
  scenario.duration = doc.scenario.duration;
  const x = doc.real.runs[0]?.extras;
  if (x === undefined) throw new UsageError(`--model-from: ${doc.scenario.name}: the document has no real run`);
  const tr = translate(scenario, { seed: doc.scenario.seed, hostCpus: x.load.hostCpus });
  const dev = x.device;
  const law = dev?.readLaw;
  const model = runModelSide(dev == null || law === undefined ? tr.modelScenario : withDeviceReadLaw(tr.modelScenario, law, isIoPath(dev.io) ? dev.io : 'loop'), doc.scenario.seed, doc.scenario.seeds);
  const c = compare(model.runs).combinations[0]!;
  const i = doc.combinations.findIndex((k) => k.fault !== 'real');
  const fresh = { fault: c.fault, fork: c.fork, runs: c.runs, summary: c.summary };
  if (i < 0) doc.combinations.unshift(fresh);
  else doc.combinations[i] = fresh;
  doc.real.model_modes = model.modes;
  if (costs !== undefined) doc.scenario.source = sourceLabel(scenario);
}

/**
 * `--validate`: `faultline real --json` on every validation scenario with the
 * profile on the model's side; the JSON documents go to `--record DIR`
 * (VALIDATION_SCENARIO.json) and the summary (markdown) to stdout. With
 * `--from DIR` the recorded documents are summarised instead (no root).
 */
async function validateCommand(opts: CalibrateOptions, io: CliIo, version: string): Promise<void> {
  const costs = opts.costs ?? 'calib-host';
  const ioPath = opts.io ?? 'zram';
  const runs = opts.runs === undefined ? 3 : parseInteger('--runs', opts.runs, 1, 100);
  const retries = opts.driftRetry === undefined ? 0 : parseInteger('--drift-retry', opts.driftRetry, 0, 20);
  const docs: RealDoc[] = [];
  if (opts.from !== undefined && opts.modelFrom !== undefined) throw new UsageError('--from and --model-from: give one');
  if ((opts.from?.length ?? 0) > 1) throw new UsageError('--validate --from: one directory of recorded documents');
  if (opts.rounds !== undefined) throw new UsageError('--rounds: only when fitting (not with --validate)');
  const from = opts.from?.[0];
  const recordedDir = opts.modelFrom ?? from;
  if (recordedDir !== undefined && opts.driftRetry !== undefined) throw new UsageError('--drift-retry: only when running the real side (not with --from or --model-from)');
  // The host's speed against the profile's recording (calibrate/host-drift.ts): probed before the real runs.
  let probe: SuiteResult | null = null;
  if (recordedDir === undefined) {
    io.stderr.write(`faultline calibrate --validate: probing the host's speed (${HOST_PROBE.map((p) => p.key).join(', ')})\n`);
    probe = runSuite(probeHost(), (m) => io.stderr.write(`faultline calibrate --validate: ${m}\n`), new Set(HOST_PROBE.map((p) => p.key)));
    if (opts.record !== undefined) {
      mkdirSync(join(opts.record, PROBE_DIR), { recursive: true });
      writeRecorded(join(opts.record, PROBE_DIR), probe);
    }
  } else if (existsSync(join(recordedDir, PROBE_DIR))) {
    probe = readRecorded(join(recordedDir, PROBE_DIR));
  }
  // Each real run's probe (host-drift.ts RUN_PROBE), against the profile of the model side.
  let runProfile: CostProfile | null = null;
  if (recordedDir === undefined) {
    try {
      runProfile = loadProfile(costs);
    } catch {
      runProfile = null; // not a profile: the probe is recorded, not judged
    }
  }
  const probeRun = (name: string, run: number, attempt: number, into: RunProbe[]): number | null => {
    const r = runSuite(probeHost(), (m) => io.stderr.write(`faultline calibrate --validate: ${name} run ${run + 1} probe: ${m}\n`), new Set(RUN_PROBE));
    if (opts.record !== undefined) {
      const dir = join(opts.record, RUN_PROBE_DIR, `${name}.r${run + 1}.a${attempt + 1}`);
      mkdirSync(dir, { recursive: true });
      writeRecorded(dir, r);
    }
    const rows = runProfile === null ? [] : runProbeRows(runProfile, r.benches);
    const excess = probeExcess(rows);
    into.push({ run, attempt, probe: rows, excess, kept: false });
    io.stderr.write(`faultline calibrate --validate: ${name} run ${run + 1}${attempt > 0 ? ` attempt ${attempt + 1}` : ''}: probe ${rows.map((x) => `${x.what} ${x.ratio === null ? '-' : x.ratio.toFixed(2)}`).join(', ') || 'not judged (no profile)'}${excess !== null && excess > 0 ? ' — outside the band' : ''}\n`);
    return excess;
  };
  for (const name of VALIDATION_SCENARIOS) {
    let text: string;
    if (recordedDir !== undefined) {
      text = readFileSync(join(recordedDir, `${name}.json`), 'utf8');
    } else {
      let out = '';
      const cap: CliIo = { ...io, stdout: { write: (s: string) => { out += s; return true; } } } as CliIo;
      io.stderr.write(`faultline calibrate --validate: ${name}, ${runs} real run(s)\n`);
      const attempts: RunProbe[] = [];
      await realCommand(name, {
        runs: String(runs), json: true, trace: true, cgroup: true, io: ioPath, costs, allowLoaded: opts.allowLoaded === true,
        gate: { before: (run, attempt) => probeRun(name, run, attempt, attempts), retries, onKept: (run, attempt) => {
          for (const a of attempts) if (a.run === run) a.kept = a.attempt === attempt;
        } },
      }, cap, version);
      const withProbe = JSON.parse(out) as RealDoc;
      withProbe.validate_probe = { benches: [...RUN_PROBE], band: DRIFT_BAND, retries, attempts } satisfies ValidateProbeDoc;
      text = JSON.stringify(withProbe, null, 2) + '\n';
      if (opts.record !== undefined) {
        mkdirSync(opts.record, { recursive: true });
        writeFileSync(join(opts.record, `${name}.json`), text);
      }
    }
    const doc = JSON.parse(text) as RecordedDoc;
    if (opts.modelFrom !== undefined) {
      io.stderr.write(`faultline calibrate --validate --model-from: ${name}, the model's side (${doc.scenario.seeds} seed(s))\n`);
      remodel(doc, opts.costs);
    }
    docs.push(doc);
  }
  // From recorded documents: what they were run with.
  const first = docs[0];
  const recordedIo = first === undefined ? ioPath : first.real.runs[0]?.extras.device?.io ?? 'fuse';
  const recordedCosts = /, costs (\S+)$/.exec(first?.scenario.source ?? '')?.[1] ?? 'the scenarios\' own';
  const modelCosts = recordedDir === undefined ? costs : opts.modelFrom !== undefined ? opts.costs ?? recordedCosts : recordedCosts;
  let drift: string | undefined;
  try {
    const profile = loadProfile(modelCosts);
    drift = renderDrift(probe === null ? null : driftRows(profile, probe.benches), modelCosts, profile.host?.measured);
  } catch {
    drift = undefined; // the scenarios' own costs, or a profile no longer here: nothing to compare the probe with
  }
  io.stdout.write(renderValidation(docs, recordedDir !== undefined
    ? { costs: recordedCosts, io: recordedIo, runs: first?.real.runs.length ?? 0, drift }
    : { costs, io: ioPath, runs, drift }));
}

export async function calibrateCommand(opts: CalibrateOptions, io: CliIo, version: string): Promise<void> {
  if (opts.compact !== undefined) {
    if (opts.validate === true || opts.from !== undefined || opts.record !== undefined || opts.rounds !== undefined || opts.out !== undefined) {
      throw new UsageError('--compact DIR: on its own (it rewrites a recording in place)');
    }
    const r = compactRecording(opts.compact);
    const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
    io.stdout.write(`${opts.compact}: ${r.files} bench outputs in ${r.rounds} round(s), ${mb(r.before)} -> ${mb(r.after)}${r.fitChecked ? '; the profile fitted from them is the same' : '; the samples per value are the same (no profile compared: the recording cannot be fitted)'}\n`);
    return;
  }
  if (opts.validate === true) return validateCommand(opts, io, version);
  const name = opts.name ?? 'host';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError(`--name: letters, digits, '_', '.', '-' only, got ${JSON.stringify(name)}`);
  const log = (m: string) => io.stderr.write(`faultline calibrate: ${m}\n`);
  const host = probeHost();
  let rounds: SuiteResult[];
  let hostInfo: ReturnType<typeof hostOf> | null;
  if (opts.from !== undefined) {
    if (opts.rounds !== undefined) throw new UsageError('--rounds: only when running the benches (with --from, the recordings are the rounds)');
    rounds = readRounds(opts.from);
    try {
      hostInfo = JSON.parse(readFileSync(`${opts.from[0]}/host.json`, 'utf8')) as ReturnType<typeof hostOf>;
    } catch {
      hostInfo = null;
    }
  } else {
    const n = opts.rounds === undefined ? DEFAULT_ROUNDS : parseInteger('--rounds', opts.rounds, 1, 25);
    const load = loadavg();
    if ((load[0] ?? 0) > host.cpus) log(`warning: load average ${load.map((x) => x.toFixed(2)).join(' ')} above the ${host.cpus} CPU(s): spreads will be wide, contended figures meaningless`);
    hostInfo = hostOf(host.kernel, host.cpus);
    rounds = runRounds(host, log, n);
    hostInfo.load = loadavg().map((x) => Number(x.toFixed(2)));
    for (const note of rounds[0]?.notes ?? []) log(note);
  }
  if (opts.record !== undefined) {
    mkdirSync(opts.record, { recursive: true });
    writeRounds(opts.record, rounds);
    if (hostInfo !== null) writeFileSync(`${opts.record}/host.json`, JSON.stringify(hostInfo, null, 2) + '\n');
    log(`raw outputs written to ${opts.record}${rounds.length > 1 ? ` (${rounds.length} rounds: round-1 .. round-${rounds.length})` : ''}`);
  }
  const profile = fitRounds({
    name,
    description: (opts.from !== undefined
      ? `Fitted by faultline calibrate from the recorded outputs in ${opts.from.join(', ')}.`
      : 'Fitted by faultline calibrate on this host.')
      + (rounds.length > 1 ? ` Each cost is the median of ${rounds.length} rounds' own fits (docs/calibration.md "A fit that reproduces").` : ''),
    host: hostInfo,
    rounds: rounds.map((r) => r.benches),
  });
  const out = opts.out ?? `${name}.costs.yaml`;
  writeFileSync(out, renderProfile(profile));
  io.stdout.write(renderFitTable(profile));
  io.stdout.write(`\nprofile written to ${out}; use it with: faultline run SCENARIO --costs ${out}\n`);
}

function hostOf(kernel: string, ncpu: number): { kernel: string; cpus: number; cpu: string; load: number[]; measured: string } {
  return {
    kernel, cpus: ncpu, cpu: cpus()[0]?.model ?? 'unknown',
    load: loadavg().map((x) => Number(x.toFixed(2))),
    measured: new Date().toISOString().slice(0, 16) + 'Z',
  };
}
