/**
 * `npm run bench:reference -- --threads 16 --duration-us 20000000 [--compare DIR]`
 *
 * Runs the reference lock model (bench/reference-scenario.ts) on faultline's
 * real engine and kernel paths, and prints one JSON line (the last line of
 * stdout). With --compare DIR it also runs, one after the other in the same
 * invocation, the two anchor programs in DIR (simpy/lockmodel.py with
 * /usr/bin/python3, naive-js/lockmodel.mjs with this node) on the same
 * parameters, and the engine-floor diagnostic (engine-floor.js, same
 * duration), prints a comparison table on stderr, and adds `ratio_vs_simpy`,
 * `ratio_vs_naive_js`, `agreement`, `anchors` and `engine_floor` to the JSON line.
 * See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REFERENCE_DEFAULTS, runReference, type ReferenceResult } from './reference-scenario.js';
import { applyV8Tuning } from '../src/sweep/v8-flags.js';

const USAGE = `usage: node dist/bench/reference-model.js [options]
  -T, --threads N            worker threads (default ${REFERENCE_DEFAULTS.threads})
  -V, --vmas N               VMAs (default ${REFERENCE_DEFAULTS.vmas})
  -D, --duration-us US       simulated duration in microseconds (default ${REFERENCE_DEFAULTS.durationUs})
      --seed S               seed (default ${REFERENCE_DEFAULTS.seed})
      --vma-pages N          pages per VMA (default ${REFERENCE_DEFAULTS.vmaPages})
      --p-major P            share of major faults, 0..1 (default ${REFERENCE_DEFAULTS.pMajor});
                             with --compare, passed to every program run
      --compare DIR          also run DIR/simpy/lockmodel.py and DIR/naive-js/lockmodel.mjs
      --simpy-duration-us US simulated duration for the SimPy anchor (default: --duration-us)
      --python PATH          python for the SimPy anchor (default /usr/bin/python3)
  -h, --help`;

/** Tolerances of the agreement check (relative, faultline vs SimPy). */
const TOL = { fault_rate: 0.02, mean: 0.05, p99: 0.08 } as const;

interface AnchorResult {
  engine?: string;
  duration_us: number;
  faults_completed: number;
  major_faults_completed?: number;
  latency_mean_us: number | null;
  latency_p50_us: number | null;
  latency_p99_us: number | null;
  latency_max_us: number | null;
  writer_acquisitions?: number;
  events_processed?: number;
  wall_s: number;
  faults_per_wall_s: number;
  /** The anchors' CPU seconds around the simulation (SimPy: time.process_time; naive-js: process.cpuUsage). */
  cpu_s?: number;
  [k: string]: unknown;
}

function num(name: string, v: string | undefined, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) {
    process.stderr.write(`reference-model: --${name} expects ${integer ? 'an integer' : 'a number'}, got '${v}'\n`);
    process.exit(2);
  }
  return x;
}

/** Run an anchor program; its result is the last JSON line of its stdout. */
function runAnchor(label: string, cmd: string, args: string[]): { result: AnchorResult | null; note: string | null } {
  process.stderr.write(`[compare] ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { result: null, note: `${label}: could not run ${cmd}: ${r.error.message}` };
  if (r.status !== 0) {
    return { result: null, note: `${label}: exit status ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}` };
  }
  const lines = r.stdout.trim().split('\n');
  try {
    return { result: JSON.parse(lines[lines.length - 1]!) as AnchorResult, note: null };
  } catch {
    return { result: null, note: `${label}: no JSON line in its output` };
  }
}

function rel(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b - 1;
}

interface Agreement {
  vs: string;
  /** Faults per simulated second, relative difference (equals the fault-count difference at equal durations). */
  fault_rate_rel: number | null;
  fault_count_rel: number | null;
  latency_mean_rel: number | null;
  latency_p50_rel: number | null;
  latency_p99_rel: number | null;
  major_fraction_rel: number | null;
  writer_acquisition_rate_rel: number | null;
  tolerance: typeof TOL;
  within_tolerance: boolean;
}

function agreement(vs: string, f: ReferenceResult, a: AnchorResult): Agreement {
  const rate = (n: number, d: number) => (d > 0 ? n / d : 0);
  const fr = rel(rate(f.faults_completed, f.duration_us), rate(a.faults_completed, a.duration_us));
  const mean = rel(f.latency_mean_us, a.latency_mean_us);
  const p99 = rel(f.latency_p99_us, a.latency_p99_us);
  const majF = f.faults_completed ? f.major_faults_completed / f.faults_completed : null;
  const majA = a.faults_completed && a.major_faults_completed !== undefined ? a.major_faults_completed / a.faults_completed : null;
  return {
    vs,
    fault_rate_rel: fr,
    fault_count_rel: rel(f.faults_completed, a.faults_completed),
    latency_mean_rel: mean,
    latency_p50_rel: rel(f.latency_p50_us, a.latency_p50_us),
    latency_p99_rel: p99,
    major_fraction_rel: rel(majF, majA),
    writer_acquisition_rate_rel: a.writer_acquisitions === undefined ? null
      : rel(rate(f.writer_acquisitions, f.duration_us), rate(a.writer_acquisitions, a.duration_us)),
    tolerance: TOL,
    within_tolerance: fr !== null && mean !== null && p99 !== null &&
      Math.abs(fr) <= TOL.fault_rate && Math.abs(mean) <= TOL.mean && Math.abs(p99) <= TOL.p99,
  };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`);
const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
const pad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function table(rows: Array<[string, ReferenceResult | AnchorResult | null]>): string {
  const head = ['program', 'sim s', 'faults', 'mean us', 'p50 us', 'p99 us', 'max us', 'wall s', 'faults/wall-s'];
  const w = [34, 7, 11, 9, 9, 9, 10, 8, 14];
  const out = [head.map((h, i) => (i === 0 ? h.padEnd(w[0]!) : pad(h, w[i]!))).join(' ')];
  for (const [name, r] of rows) {
    if (r === null) { out.push(`${name.padEnd(w[0]!)} (not run)`); continue; }
    const cells = [
      name.padEnd(w[0]!), fmt(r.duration_us / 1e6, 1), String(r.faults_completed), fmt(r.latency_mean_us, 2),
      fmt(r.latency_p50_us, 1), fmt(r.latency_p99_us, 1), fmt(r.latency_max_us, 0), fmt(r.wall_s, 2),
      Math.round(r.faults_per_wall_s).toLocaleString('en-US'),
    ];
    out.push(cells.map((c, i) => (i === 0 ? c : pad(c, w[i]!))).join(' '));
  }
  return out.join('\n');
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        threads: { type: 'string', short: 'T' },
        vmas: { type: 'string', short: 'V' },
        'duration-us': { type: 'string', short: 'D' },
        seed: { type: 'string' },
        'vma-pages': { type: 'string' },
        'p-major': { type: 'string' },
        compare: { type: 'string' },
        'simpy-duration-us': { type: 'string' },
        python: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    process.stderr.write(`reference-model: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const threads = num('threads', v.threads, REFERENCE_DEFAULTS.threads, true);
  const vmas = num('vmas', v.vmas, REFERENCE_DEFAULTS.vmas, true);
  const durationUs = num('duration-us', v['duration-us'], REFERENCE_DEFAULTS.durationUs, false);
  const seed = num('seed', v.seed, REFERENCE_DEFAULTS.seed, true);
  const vmaPages = num('vma-pages', v['vma-pages'], REFERENCE_DEFAULTS.vmaPages, true);
  const pMajor = num('p-major', v['p-major'], REFERENCE_DEFAULTS.pMajor, false);
  if (!(pMajor >= 0 && pMajor <= 1)) {
    process.stderr.write(`reference-model: --p-major expects a number in [0, 1], got '${v['p-major']}'\n`);
    process.exit(2);
  }
  const simpyDurationUs = num('simpy-duration-us', v['simpy-duration-us'], durationUs, false);

  // The V8 flags the faultline command sets for itself (src/sweep/v8-flags.ts), so the bench runs the engine as users do.
  const v8 = applyV8Tuning();
  const res: ReferenceResult & Record<string, unknown> = { ...runReference({ threads, vmas, durationUs, seed, vmaPages, pMajor }), v8_flags: v8.flags };

  if (v.compare !== undefined) {
    const dir = v.compare;
    const notes: string[] = [];
    const py = v.python ?? '/usr/bin/python3';
    const simpyPath = join(dir, 'simpy', 'lockmodel.py');
    const naivePath = join(dir, 'naive-js', 'lockmodel.mjs');
    let simpy: AnchorResult | null = null, naive: AnchorResult | null = null;

    if (!existsSync(naivePath)) notes.push(`naive-js: ${naivePath} not found`);
    else {
      const r = runAnchor('naive-js', process.execPath, [naivePath, '-T', String(threads), '-V', String(vmas), '-D', String(durationUs), '--seed', String(seed), '--p-major', String(pMajor)]);
      naive = r.result;
      if (r.note) notes.push(r.note);
    }
    // The engine-floor diagnostic (bench/engine-floor.ts), in its own process like the anchors.
    let floor: AnchorResult | null = null;
    if (threads === 16 && vmas === 64) {
      const r = runAnchor('engine floor', process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'engine-floor.js'), '-D', String(durationUs), '--p-major', String(pMajor)]);
      floor = r.result;
      if (r.note) notes.push(r.note);
    } else {
      notes.push('engine floor: skipped (it runs the default 16 workers and 64 VMAs only)');
    }
    if (!existsSync(simpyPath)) notes.push(`simpy: ${simpyPath} not found`);
    else if (spawnSync(py, ['-c', 'import simpy'], { encoding: 'utf8' }).status !== 0) {
      notes.push(`simpy: skipped, ${py} cannot import simpy (install Debian python3-simpy3: apt-get install -y python3-simpy3)`);
    } else {
      const r = runAnchor('simpy', py, [simpyPath, '-T', String(threads), '-V', String(vmas), '-D', String(simpyDurationUs), '--seed', String(seed), '--p-major', String(pMajor)]);
      simpy = r.result;
      if (r.note) notes.push(r.note);
    }

    const fr = res.faults_per_wall_s;
    res.ratio_vs_simpy = simpy ? fr / simpy.faults_per_wall_s : null;
    res.ratio_vs_naive_js = naive ? fr / naive.faults_per_wall_s : null;
    // The same in faults per CPU second: what a loaded machine changes least (a process that waits for a core
    // loses wall time, not CPU time). faultline's CPU counts every thread of the process, SimPy's one.
    res.cpu_ratio_vs_simpy = simpy?.cpu_s ? res.faults_per_cpu_s / (simpy.faults_completed / simpy.cpu_s) : null;
    res.agreement = {
      simpy: simpy ? agreement('simpy', res, simpy) : null,
      naive_js: naive ? agreement('naive-js', res, naive) : null,
    };
    res.anchors = { simpy, naive_js: naive };
    res.engine_floor = floor;
    res.ratio_floor_vs_simpy = floor && simpy ? floor.faults_per_wall_s / simpy.faults_per_wall_s : null;
    if (notes.length) res.compare_notes = notes;

    const lines = [
      '',
      table([
        [`faultline (${res.strategy}, real engine)`, res],
        [`simpy ${simpy?.engine ?? ''}`.trim(), simpy],
        ['naive-js', naive],
        ['engine floor (no kernel paths)', floor],
      ]),
      '',
      `throughput: faultline/simpy = ${fmt(res.ratio_vs_simpy as number | null, 3)}x, faultline/naive-js = ${fmt(res.ratio_vs_naive_js as number | null, 3)}x` +
        `, engine floor/simpy = ${fmt(res.ratio_floor_vs_simpy as number | null, 3)}x`,
      `per CPU second: faultline/simpy = ${fmt(res.cpu_ratio_vs_simpy as number | null, 3)}x (faultline ${fmt(res.cpu_s, 2)} CPU-s, simpy ${fmt(simpy?.cpu_s ?? null, 2)})`,
    ];
    for (const [name, a] of [['simpy', simpy], ['naive-js', naive]] as const) {
      if (a === null) continue;
      const g = agreement(name, res, a);
      lines.push(`agreement vs ${name}: fault rate ${pct(g.fault_rate_rel)} (tol ${TOL.fault_rate * 100}%), ` +
        `mean ${pct(g.latency_mean_rel)} (tol ${TOL.mean * 100}%), p99 ${pct(g.latency_p99_rel)} (tol ${TOL.p99 * 100}%), ` +
        `p50 ${pct(g.latency_p50_rel)}, major fraction ${pct(g.major_fraction_rel)}, writer rate ${pct(g.writer_acquisition_rate_rel)}` +
        ` -> ${g.within_tolerance ? 'AGREE' : 'DISAGREE'}`);
    }
    for (const n of notes) lines.push(`note: ${n}`);
    process.stderr.write(lines.join('\n') + '\n\n');
  }
  process.stdout.write(JSON.stringify(res) + '\n');
}

main();
