/**
 * `faultline calibrate`: run the micro-benchmarks on this host (root), fit the
 * model's costs, write the cost profile and print the fit table
 * (docs/calibration.md, "Cost profiles"). `--from DIR` fits recorded outputs
 * instead (no root).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fitProfile } from '../calibrate/fit.js';
import { renderProfile } from '../calibrate/profile.js';
import { renderFitTable } from '../calibrate/report.js';
import { readRecorded, runSuite, writeRecorded } from '../calibrate/suite.js';
import { probeHost } from '../real/index.js';
import { join } from 'node:path';
import { renderValidation, VALIDATION_SCENARIOS, type RealDoc } from '../calibrate/validate.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { parseInteger } from './options.js';
import { realCommand } from './real.js';

export interface CalibrateOptions {
  out?: string;
  name?: string;
  record?: string;
  from?: string;
  validate?: boolean;
  runs?: string;
  io?: string;
  costs?: string;
  allowLoaded?: boolean;
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
  const docs: RealDoc[] = [];
  for (const name of VALIDATION_SCENARIOS) {
    let text: string;
    if (opts.from !== undefined) {
      text = readFileSync(join(opts.from, `${name}.json`), 'utf8');
    } else {
      let out = '';
      const cap: CliIo = { ...io, stdout: { write: (s: string) => { out += s; return true; } } } as CliIo;
      io.stderr.write(`faultline calibrate --validate: ${name}, ${runs} real run(s)\n`);
      await realCommand(name, {
        runs: String(runs), json: true, trace: true, cgroup: true, io: ioPath, costs, allowLoaded: opts.allowLoaded === true,
      }, cap, version);
      text = out;
      if (opts.record !== undefined) {
        mkdirSync(opts.record, { recursive: true });
        writeFileSync(join(opts.record, `${name}.json`), text);
      }
    }
    docs.push(JSON.parse(text) as RealDoc);
  }
  // From recorded documents: what they were run with.
  const first = docs[0];
  const recordedIo = first === undefined ? ioPath : first.real.runs[0]?.extras.device?.io ?? 'fuse';
  const recordedCosts = /, costs (\S+)$/.exec(first?.scenario.source ?? '')?.[1] ?? 'the scenarios\' own';
  io.stdout.write(renderValidation(docs, opts.from !== undefined
    ? { costs: recordedCosts, io: recordedIo, runs: first?.real.runs.length ?? 0 }
    : { costs, io: ioPath, runs }));
}

export async function calibrateCommand(opts: CalibrateOptions, io: CliIo, version: string): Promise<void> {
  if (opts.validate === true) return validateCommand(opts, io, version);
  const name = opts.name ?? 'host';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UsageError(`--name: letters, digits, '_', '.', '-' only, got ${JSON.stringify(name)}`);
  const log = (m: string) => io.stderr.write(`faultline calibrate: ${m}\n`);
  const host = probeHost();
  let suite;
  let hostInfo: ReturnType<typeof hostOf> | null;
  if (opts.from !== undefined) {
    suite = readRecorded(opts.from);
    try {
      hostInfo = JSON.parse(readFileSync(`${opts.from}/host.json`, 'utf8')) as ReturnType<typeof hostOf>;
    } catch {
      hostInfo = null;
    }
  } else {
    const load = loadavg();
    if ((load[0] ?? 0) > host.cpus) log(`warning: load average ${load.map((x) => x.toFixed(2)).join(' ')} above the ${host.cpus} CPU(s): spreads will be wide, contended figures meaningless`);
    hostInfo = hostOf(host.kernel, host.cpus);
    suite = runSuite(host, log);
    hostInfo.load = loadavg().map((x) => Number(x.toFixed(2)));
    for (const n of suite.notes) log(n);
  }
  if (opts.record !== undefined) {
    mkdirSync(opts.record, { recursive: true });
    writeRecorded(opts.record, suite);
    if (hostInfo !== null) writeFileSync(`${opts.record}/host.json`, JSON.stringify(hostInfo, null, 2) + '\n');
    log(`raw outputs written to ${opts.record}`);
  }
  const profile = fitProfile({
    name,
    description: opts.from !== undefined
      ? `Fitted by faultline calibrate from the recorded outputs in ${opts.from}.`
      : 'Fitted by faultline calibrate on this host.',
    host: hostInfo,
    benches: suite.benches,
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
