/**
 * `npm run bench:check [-- --time-limit 60s] [--spin DIR] [--configs LIST]`
 *
 * faultline check beside SPIN on the SPIN anchor (issue 15): for each
 * configuration (POLICY=HOLD/DROP, 2-4 faulting threads, the fork-skip bug),
 * faultline's default search on scenarios/check-spin-anchor.yaml (HOLD is
 * `hold-io+mmap`, DROP is `mainline`, the bug is `--inject
 * fork-skip-vma-write-lock`) and SPIN 6.5.2 on DIR/faultlock.pml
 * (`spin -a`, `gcc -O2 -DSAFETY`, `./pan`), one after the other. Prints a
 * table on stderr and one JSON line (the last line of stdout) with each
 * configuration's executions, states, time and verdict, SPIN's stored
 * states, time and verdict, and the time ratio. A faultline search that does
 * not finish within --time-limit is reported as incomplete with what it
 * covered. SPIN is skipped (with a note in the JSON) when `spin` or `cc` is
 * not installed (Debian: apt-get install spin gcc). See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { check, DEFAULT_HUNT, INVARIANT_NAMES, loadCheckScenario, parseTimeLimit, type CheckReport, type Injection } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

const USAGE = `usage: node dist/bench/check-spin.js [options]
      --time-limit D     wall-time limit of each faultline search (default 60s; 0 for none)
      --spin DIR         directory of faultlock.pml (default ../shared/anchors/spin beside the repository)
      --no-state-cache   faultline's stateless search (the default caches states)
      --coarse-cuts      the coarse rule at every cut state (the default uses precise cut summaries)
      --no-hunt          no bug-hunting passes before the complete search (the default runs
                         passes with at most 0..${DEFAULT_HUNT} preemptions first, as faultline check does)
      --configs LIST     configurations, comma-separated (default all: ${'HOLD-2,DROP-2,HOLD-3,DROP-3,HOLD-4,DROP-4,BUG-HOLD-2,BUG-DROP-2,BUG-DROP-4'})
  -h, --help`;

interface Config {
  readonly name: string;
  readonly policy: 'HOLD' | 'DROP';
  readonly nfault: number;
  readonly bug: boolean;
}

const ALL: readonly Config[] = [
  ...[2, 3, 4].flatMap((n) => (['HOLD', 'DROP'] as const).map((policy) => ({ name: `${policy}-${n}`, policy, nfault: n, bug: false }))),
  { name: 'BUG-HOLD-2', policy: 'HOLD', nfault: 2, bug: true },
  { name: 'BUG-DROP-2', policy: 'DROP', nfault: 2, bug: true },
  { name: 'BUG-DROP-4', policy: 'DROP', nfault: 4, bug: true },
];

interface FaultlineResult {
  readonly verdict: 'safe' | 'violation' | 'incomplete';
  readonly invariant: string | null;
  readonly executions: number;
  readonly states: number;
  /** Distinct states stored (state caching; 0 for the stateless search). */
  readonly stored_states: number;
  readonly wall_s: number;
  readonly stopped: string | null;
  readonly explored_estimate: number | null;
}

interface SpinResult {
  readonly verdict: 'safe' | 'violation';
  readonly stored: number;
  readonly transitions: number;
  readonly pan_s: number;
  readonly wall_s: number;
}

function runFaultline(c: Config, limitMs: number, stateCache: boolean, hunt: number | null, preciseCuts: boolean): FaultlineResult {
  const scenario = loadCheckScenario('check-spin-anchor', { nfault: c.nfault });
  const injections: Injection[] = c.bug ? ['fork-skip-vma-write-lock'] : [];
  const t0 = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const r: CheckReport = check(
    {
      scenario, fault: faultStrategy(c.policy === 'HOLD' ? 'hold-io+mmap' : 'mainline'), fork: forkStrategy('fork-lock-all'),
      injections, invariants: new Set(INVARIANT_NAMES),
    },
    { mode: { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache, hunt, preciseCuts }, shrink: false, stop: () => (limitMs > 0 && elapsed() >= limitMs ? 'time limit' : null) },
  );
  const wall = elapsed() / 1000;
  return {
    verdict: r.violation !== null ? 'violation' : r.complete ? 'safe' : 'incomplete',
    invariant: r.violation?.invariant ?? null,
    executions: r.stats.executions,
    states: r.stats.newSteps,
    stored_states: r.stats.stored,
    wall_s: Math.round(wall * 1000) / 1000,
    stopped: r.stopReason,
    explored_estimate: r.coverage?.explored ?? null,
  };
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function runSpin(c: Config, dir: string): SpinResult {
  const work = mkdtempSync(join(tmpdir(), 'faultline-spin-'));
  try {
    copyFileSync(join(dir, 'faultlock.pml'), join(work, 'faultlock.pml'));
    const defs = [`-DPOLICY=${c.policy}`, `-DNFAULT=${c.nfault}`, ...(c.bug ? ['-DBUG_FORK_SKIP_VMA2'] : [])];
    const sh = (cmd: string, args: string[]): string => {
      const r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0 && cmd !== './pan') throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
      return r.stdout;
    };
    sh('spin', [...defs, '-a', 'faultlock.pml']);
    sh('cc', ['-O2', '-DSAFETY', '-o', 'pan', 'pan.c']);
    const t0 = process.hrtime.bigint();
    const out = sh('./pan', []);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
    return {
      verdict: num(/errors: (\d+)/) > 0 ? 'violation' : 'safe',
      stored: num(/([\d.e+]+) states, stored/),
      transitions: num(/([\d.e+]+) transitions/),
      pan_s: num(/elapsed time ([\d.e+-]+) seconds/),
      wall_s: Math.round(wall * 1000) / 1000,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
  let a;
  try {
    a = parseArgs({ options: { 'time-limit': { type: 'string' }, spin: { type: 'string' }, configs: { type: 'string' }, 'no-state-cache': { type: 'boolean' }, 'coarse-cuts': { type: 'boolean' }, 'no-hunt': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    process.stderr.write(`check-spin: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (a.help === true) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  let limitMs: number;
  try {
    limitMs = parseTimeLimit(a['time-limit'] ?? '60s');
  } catch (e) {
    process.stderr.write(`check-spin: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const spinDir = a.spin ?? join(root, '..', 'shared', 'anchors', 'spin');
  const names = a.configs === undefined ? ALL.map((c) => c.name) : a.configs.split(',').map((s) => s.trim());
  const configs: Config[] = [];
  for (const n of names) {
    const c = ALL.find((x) => x.name === n);
    if (c === undefined) {
      process.stderr.write(`check-spin: unknown configuration '${n}' (known: ${ALL.map((x) => x.name).join(', ')})\n`);
      process.exit(2);
    }
    configs.push(c);
  }
  const notes: string[] = [];
  const hunt = a['no-hunt'] === true ? null : DEFAULT_HUNT;
  let spinOk = existsSync(join(spinDir, 'faultlock.pml')) && have('spin') && have('cc');
  if (!existsSync(join(spinDir, 'faultlock.pml'))) notes.push(`no faultlock.pml in ${spinDir}: SPIN not run`);
  else if (!spinOk) notes.push('spin or cc not installed (Debian: apt-get install spin gcc): SPIN not run');
  const rows: Array<{ config: string; faultline: FaultlineResult; spin: SpinResult | null; ratio_time: number | null; verdicts_agree: boolean | null }> = [];
  process.stderr.write(`${'config'.padEnd(11)} ${'faultline: verdict'.padEnd(19)} ${'executions'.padStart(11)} ${'states'.padStart(12)} ${'time s'.padStart(8)}   ${'SPIN: verdict'.padEnd(13)} ${'stored'.padStart(9)} ${'pan wall s'.padStart(10)} ${'ratio'.padStart(8)}\n`);
  for (const c of configs) {
    const f = runFaultline(c, limitMs, a['no-state-cache'] !== true, hunt, a['coarse-cuts'] !== true);
    let s: SpinResult | null = null;
    if (spinOk) {
      try {
        s = runSpin(c, spinDir);
      } catch (e) {
        notes.push(`SPIN failed on ${c.name}: ${(e as Error).message.split('\n')[0]}`);
        spinOk = false;
      }
    }
    // Time ratio against SPIN's whole run (pan's own clock rounds to 0 on small models).
    const ratio = s !== null && s.wall_s > 0 ? Number((f.wall_s / s.wall_s).toPrecision(2)) : null;
    const agree = s === null || f.verdict === 'incomplete' ? null : (f.verdict === 'violation') === (s.verdict === 'violation');
    rows.push({ config: c.name, faultline: f, spin: s, ratio_time: ratio, verdicts_agree: agree });
    const fv = f.verdict === 'incomplete' ? `incomplete${f.explored_estimate !== null ? ` ~${(f.explored_estimate * 100).toFixed(1)}%` : ''}` : f.verdict;
    process.stderr.write(`${c.name.padEnd(11)} ${fv.padEnd(19)} ${f.executions.toLocaleString('en-US').padStart(11)} ${f.states.toLocaleString('en-US').padStart(12)} ${f.wall_s.toFixed(2).padStart(8)}   ${(s?.verdict ?? '-').padEnd(13)} ${(s !== null ? s.stored.toLocaleString('en-US') : '-').padStart(9)} ${(s !== null ? s.wall_s.toFixed(2) : '-').padStart(10)} ${(ratio !== null ? `${ratio}x` : '-').padStart(8)}\n`);
  }
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
  process.stdout.write(JSON.stringify({ bench: 'check-spin', time_limit_s: limitMs / 1000, state_cache: a['no-state-cache'] !== true, precise_cuts: a['coarse-cuts'] !== true, hunt_preemptions: hunt, configs: rows, notes }) + '\n');
}

main();
