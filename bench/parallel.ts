/**
 * `npm run bench:parallel [-- --reps N --tiny]`
 *
 * What a second core buys: each workload (a `run` and a `sweep` of
 * android-app and of bench/android-large.yaml, about 100 threads and 2,000
 * VMAs) runs as a whole `faultline` process with `--jobs 1` and `--jobs 2`,
 * in turn (1, 2, 1, 2, ...), `--reps` times each. Per workload: the median
 * wall time of each, the ratio (jobs-1 wall / jobs-2 wall: the throughput
 * gain), the CPU seconds and peak memory of the processes, how many runs each
 * thread ran, and whether both gave the same bytes (stdout of `run`, the
 * results file of `sweep`). Then one run of android-large for 10 s simulated
 * with --jobs 1 (the size target). The table goes to stderr; the last
 * line of stdout is JSON. The load average at the start and end is in it:
 * on a shared machine the ratio means little (bench/README.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: node dist/bench/parallel.js [options]
      --reps N     runs of each command per workload (default 3; medians are quoted)
      --tiny       tiny workloads (seconds in all; for the test of the output's shape)
      --only LIST  workloads to run, comma-separated (default: all): ${'run-android-app,sweep-android-app,run-android-large,sweep-android-large,single-android-large'}
      --node-flags=FLAGS  extra node/V8 flags for every faultline process, space-separated
                   (give it with '=': --node-flags='--max-semi-space-size=4 --single-threaded-gc')
      --faultline-v8-flags=FLAGS  FAULTLINE_V8_FLAGS for every faultline process: the flags faultline
                   sets for itself (src/sweep/v8-flags.ts) are replaced by these; '' = none
  -h, --help`;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'faultline.js');
const HOOK = join(ROOT, 'dist', 'bench', 'usage-hook.js');
const LARGE = join(ROOT, 'bench', 'android-large.yaml');

interface Workload {
  name: string;
  kind: 'run' | 'sweep';
  /** faultline arguments without --jobs (and, for a sweep, without --out). */
  args: string[];
  runs: number;
}

function workloads(tiny: boolean): Workload[] {
  if (tiny) {
    return [
      { name: 'run-android-app', kind: 'run', args: ['run', 'android-app', '--duration', '1100ms', '--strategy', 'mainline,hold-io', '--seeds', '3'], runs: 6 },
      { name: 'sweep-android-app', kind: 'sweep', args: ['sweep', 'android-app', '--duration', '1100ms', '--param', 'io.read.scale=1,2', '--seeds', '2'], runs: 4 },
      { name: 'run-android-large', kind: 'run', args: ['run', LARGE, '--duration', '1100ms', '--seeds', '4'], runs: 4 },
      { name: 'sweep-android-large', kind: 'sweep', args: ['sweep', LARGE, '--duration', '1100ms', '--param', 'io.read.scale=1,2', '--seeds', '2'], runs: 4 },
      { name: 'single-android-large', kind: 'run', args: ['run', LARGE, '--duration', '1100ms'], runs: 1 },
    ];
  }
  return [
    { name: 'run-android-app', kind: 'run', args: ['run', 'android-app', '--strategy', 'all', '--seeds', '16'], runs: 7 * 16 },
    { name: 'sweep-android-app', kind: 'sweep', args: ['sweep', 'android-app', '--param', 'io.read.scale=0.5..4~4', '--strategy', 'mainline,retry-vma', '--seeds', '10'], runs: 4 * 2 * 10 },
    { name: 'run-android-large', kind: 'run', args: ['run', LARGE, '--strategy', 'mainline,retry-vma', '--seeds', '6'], runs: 2 * 6 },
    { name: 'sweep-android-large', kind: 'sweep', args: ['sweep', LARGE, '--param', 'io.read.scale=0.5,1,2', '--strategy', 'mainline', '--seeds', '4'], runs: 3 * 4 },
    { name: 'single-android-large', kind: 'run', args: ['run', LARGE], runs: 1 },
  ];
}

interface Sample {
  wall_s: number;
  user_s: number;
  sys_s: number;
  max_rss_mb: number;
  /** Runs per thread, this thread first (FAULTLINE_POOL_STATS). */
  runs_per_thread: number[];
  /** CPU seconds of the simulating threads (this one and the jobs-1 workers) and of the rest; NaN off Linux. */
  sim_s: number;
  helpers_s: number;
  output: string;
}

function fail(msg: string): never {
  process.stderr.write(`bench:parallel: ${msg}\n`);
  process.exit(1);
}

/** The flags faultline reported setting, in the last process run (every process sets the same). */
let lastV8Flags: string[] = [];

function once(w: Workload, jobs: number, dir: string, nodeFlags: readonly string[], v8Env: Record<string, string>): Sample {
  const out = join(dir, `out-${jobs}.jsonl`);
  rmSync(out, { force: true });
  const args = [...w.args, '--jobs', String(jobs), ...(w.kind === 'sweep' ? ['--out', out] : [])];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', HOOK, BIN, ...args], {
    encoding: 'utf8', cwd: dir, maxBuffer: 256 << 20, env: { ...process.env, ...v8Env, FAULTLINE_POOL_STATS: '1' },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error !== undefined) fail(`could not run faultline: ${r.error.message}`);
  if (r.status !== 0) fail(`faultline ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const usageLine = /^bench-usage (.*)$/m.exec(r.stderr);
  const pool = /^faultline: pool: runs per thread (\[.*\])$/m.exec(r.stderr);
  const v8 = /^faultline: v8 flags (\[.*\]), worker limits/m.exec(r.stderr);
  if (usageLine === null || pool === null) fail(`no usage or pool line from faultline ${args.join(' ')}`);
  const u = JSON.parse(usageLine[1]!) as { user_s: number; sys_s: number; max_rss_mb: number; main_thread_s?: number; other_threads_s?: number[] };
  if (v8 !== null) lastV8Flags = JSON.parse(v8[1]!) as string[];
  const runsPerThread = JSON.parse(pool[1]!) as number[];
  // The workers wait, alive, until the process exits: with N simulating threads they are the N-1 busiest other threads.
  const sim = u.main_thread_s === undefined ? NaN
    : u.main_thread_s + (u.other_threads_s ?? []).slice(0, runsPerThread.length - 1).reduce((a, b) => a + b, 0);
  return {
    wall_s: wall, user_s: u.user_s, sys_s: u.sys_s, max_rss_mb: u.max_rss_mb, runs_per_thread: runsPerThread,
    sim_s: sim, helpers_s: u.user_s + u.sys_s - sim, output: w.kind === 'sweep' ? readFileSync(out, 'utf8') : r.stdout,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function summary(xs: readonly Sample[]) {
  return {
    wall_s: r3(median(xs.map((x) => x.wall_s))),
    wall_s_all: xs.map((x) => r3(x.wall_s)),
    cpu_s: r3(median(xs.map((x) => x.user_s + x.sys_s))),
    sim_threads_cpu_s: r3(median(xs.map((x) => x.sim_s))),
    other_threads_cpu_s: r3(median(xs.map((x) => x.helpers_s))),
    max_rss_mb: Math.round(Math.max(...xs.map((x) => x.max_rss_mb))),
    runs_per_thread: xs[xs.length - 1]!.runs_per_thread,
  };
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      options: { reps: { type: 'string' }, tiny: { type: 'boolean' }, only: { type: 'string' }, 'node-flags': { type: 'string' }, 'faultline-v8-flags': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    fail(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const reps = values.reps === undefined ? 3 : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 50) fail(`--reps expects an integer 1..50, got '${values.reps}'`);
  let list = workloads(values.tiny === true);
  if (values.only !== undefined) {
    const want = values.only.split(',').map((s) => s.trim());
    for (const n of want) if (!list.some((w) => w.name === n)) fail(`--only: unknown workload '${n}'\n${USAGE}`);
    list = list.filter((w) => want.includes(w.name));
  }
  const nodeFlags = (values['node-flags'] ?? '').split(/\s+/).filter((f) => f !== '');
  const v8Flags = values['faultline-v8-flags'];
  const v8Env: Record<string, string> = v8Flags === undefined ? {} : { FAULTLINE_V8_FLAGS: v8Flags };
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-parallel-'));
  const load0 = loadavg();
  const results = [];
  try {
    for (const w of list) {
      if (w.runs === 1) {
        const s = [];
        for (let k = 0; k < reps; k++) s.push(once(w, 1, dir, nodeFlags, v8Env));
        const j1 = summary(s);
        results.push({ workload: w.name, kind: w.kind, runs: w.runs, args: w.args.map((a) => (a === LARGE ? 'bench/android-large.yaml' : a)), jobs1: j1 });
        process.stderr.write(`${w.name.padEnd(22)} runs ${String(w.runs).padStart(4)}  --jobs 1 ${j1.wall_s.toFixed(2)} s  ${j1.max_rss_mb} MB\n`);
        continue;
      }
      const a: Sample[] = [], b: Sample[] = [];
      for (let k = 0; k < reps; k++) {
        a.push(once(w, 1, dir, nodeFlags, v8Env));
        b.push(once(w, 2, dir, nodeFlags, v8Env));
      }
      const identical = a.every((x) => x.output === a[0]!.output) && b.every((x) => x.output === a[0]!.output);
      const j1 = summary(a), j2 = summary(b);
      const ratio = r3(j1.wall_s / j2.wall_s);
      results.push({ workload: w.name, kind: w.kind, runs: w.runs, args: w.args.map((x) => (x === LARGE ? 'bench/android-large.yaml' : x)), jobs1: j1, jobs2: j2, ratio, identical });
      const cpu = (j: typeof j1) => `cpu ${j.cpu_s.toFixed(2)} = ${j.sim_threads_cpu_s.toFixed(2)} sim + ${j.other_threads_cpu_s.toFixed(2)} other`;
      process.stderr.write(`${w.name.padEnd(22)} runs ${String(w.runs).padStart(4)}  --jobs 1 ${j1.wall_s.toFixed(2)} s (${cpu(j1)})  `
        + `--jobs 2 ${j2.wall_s.toFixed(2)} s (${cpu(j2)}, runs ${JSON.stringify(j2.runs_per_thread)})  ratio ${ratio.toFixed(2)}x  ${identical ? 'same bytes' : 'OUTPUTS DIFFER'}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const load1 = loadavg();
  const r2 = (x: number) => Math.round(x * 100) / 100;
  process.stdout.write(`${JSON.stringify({
    bench: 'parallel', node: process.version, node_flags: nodeFlags, faultline_v8_flags: lastV8Flags, cores: availableParallelism(), reps, tiny: values.tiny === true,
    loadavg_start: load0.map(r2), loadavg_end: load1.map(r2), workloads: results,
  })}\n`);
}

main();
