/**
 * Model beside reality: the `faultline run` table (and JSON document) with
 * two columns -- the model's `mainline` prediction and the real run, whose
 * cells carry the ratio real / model -- followed by what only a real run
 * has (sources, page-state fidelity, FUSE and kernel counters, notes).
 */
import type { RunMetrics } from '../metrics/index.js';
import { compare, formatCount, formatNs, renderJson, renderTable, type Comparison, type RunInfo } from '../report/index.js';
import type { LatencyStats } from '../metrics/index.js';
import type { RealRun } from './results.js';
import { scheduleSummary, type Translation } from './translate.js';
import { formatLoad } from './host.js';
import type { ModeFigures } from './model-side.js';

export const REAL_LABEL = 'real';

export interface RealComparison {
  cmp: Comparison;
  info: RunInfo;
  real: RealRun[];
  translation: Translation;
  /** The model's figures by mode (fault latency per page state, fork by placement), medians over its seeds. */
  modelModes: ModeFigures | null;
}

/** Model runs (mainline) and real runs -> one comparison; figures the host cannot see are removed from the real column. */
export function compareReal(model: RunMetrics[], real: RealRun[], info: RunInfo, translation: Translation, modelModes: ModeFigures | null = null): RealComparison {
  const cmp = compare([...model, ...real.map((r) => r.metrics)]);
  const unavailable = new Set(real.flatMap((r) => r.unavailable));
  for (const c of cmp.combinations) {
    if (c.fault !== REAL_LABEL) continue;
    for (const name of Object.keys(c.summary)) {
      if ([...unavailable].some((p) => name.startsWith(p))) delete c.summary[name];
    }
  }
  return { cmp, info, real, translation, modelModes };
}

function lat(l: LatencyStats | null): string {
  return l === null ? '-' : `p50 ${formatNs(l.p50)}, p99 ${formatNs(l.p99)}, max ${formatNs(l.max)} (n=${l.count})`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function renderRealTable(rc: RealComparison): string {
  const { real, translation: tr } = rc;
  const x = real[0]!.extras;
  const head = [
    `faultline real: the model's mainline prediction beside a real run on this host`,
    `  host: Linux ${x.kernel}, per-VMA locks ${x.perVmaLock === null ? 'unknown' : x.perVmaLock ? 'yes' : 'NO'}, ${x.cpus} CPU${x.cpus === 1 ? '' : 's'} (model run with the same)`,
    ...real.map((r, i) => `  host load, run ${i + 1}: before ${formatLoad(r.extras.load.before, r.extras.load.hostCpus)}, after ${r.extras.load.after.map((v) => v.toFixed(2)).join(' ')}`),
    ...[...new Set(real.map((r) => r.extras.loadWarning).filter((w): w is string => w !== null))].map((w) => `  WARNING: ${w}; tails are not the kernel's alone`),
    `  column "${REAL_LABEL}": wall-clock time measured by the load generator, ${real.length} run${real.length === 1 ? '' : 's'} (median); ratio = real / model`,
    '',
  ];
  const body = renderTable(rc.cmp, rc.info).split('\n');
  // The legend of `faultline run` speaks of simulated time: say what the real column is.
  const tail: string[] = ['', real.length === 1 ? 'real run' : `real run (figures below: run 1 of ${real.length}; the column above: median of the ${real.length})`];
  tail.push('  sources: ' + Object.entries(x.sources).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join('; '));
  const sum = scheduleSummary(tr);
  tail.push(`  scheduled ops: ${Object.entries(sum.ops).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const states = new Map<string, { run: number[]; ok: number[]; prep: number[]; p50: number[]; p99: number[] }>();
  for (const r of real) {
    for (const [st, f] of Object.entries(r.extras.states)) {
      let e = states.get(st);
      if (e === undefined) states.set(st, e = { run: [], ok: [], prep: [], p50: [], p99: [] });
      if (f.latency !== null) {
        e.p50.push(f.latency.p50);
        e.p99.push(f.latency.p99);
      }
      e.run.push(f.run);
      e.ok.push(f.asIntended);
      e.prep.push(f.prepared);
    }
  }
  if (states.size > 0) {
    tail.push('  page states met (faults in the window; as intended = major for absent/swapped, minor for cached/zero; prepared in line):');
    for (const [st, e] of states) {
      const mst = rc.modelModes?.fault[st];
      const l = (e.p50.length === 0 ? '' : `; latency p50 ${formatNs(median(e.p50))}, p99 ${formatNs(median(e.p99))}`)
        + (mst === undefined ? '' : ` (model p50 ${formatNs(mst.p50)}, p99 ${formatNs(mst.p99)})`);
      if (st === 'memcg') { // memory: no drawn state, the cgroup's reclaim decides
        tail.push(`    ${st.padEnd(8)} ${formatCount(median(e.run))} faults, ${formatCount(median(e.ok))} major (the memory cgroup decides residency)${l}`);
        continue;
      }
      tail.push(`    ${st.padEnd(8)} ${formatCount(median(e.run))} faults, ${formatCount(median(e.ok))} as intended, ${formatCount(median(e.prep))} prepared in line${l}`);
    }
  }
  const fm = x.forkModes;
  if (fm !== null && fm !== undefined) {
    const mf = rc.modelModes?.fork;
    const side = (k: 'child_first' | 'parent_first') => `${lat(fm[k])}${mf === undefined ? '' : `; model ${mf[k] === undefined ? 'none' : `p50 ${formatNs(mf[k].p50)}, p99 ${formatNs(mf[k].p99)} (n=${mf[k].count})`}`}`;
    tail.push('  fork placement (run 1; the child ran on the parent\'s CPU before fork() returned, or not):');
    tail.push(`    child first   ${side('child_first')}`);
    tail.push(`    parent first  ${side('parent_first')}`);
  }
  const nf = median(real.map((r) => r.extras.touchesWithoutFault));
  if (nf > 0) tail.push(`  touches that raised no fault (page mapped meanwhile, e.g. by fault-around), left out: ${formatCount(nf)}`);
  if (x.prep.count > 0) tail.push(`  page preparation before faults (untimed): ${lat(x.prep.latency)}`);
  if (x.fuse !== null) {
    tail.push(`  FUSE reads in the window: ${x.fuse.reads}; delay served ${lat(x.fuse.delay)}`);
    tail.push(`  absent-page fault minus its FUSE delay (kernel + FUSE round trip + retry): ${lat(x.fuse.faultOverhead)}`);
  }
  if (x.faultsViaMmapLock !== null) tail.push(`  faults that took mmap_lock (per-VMA lock fallback or retry): ${x.faultsViaMmapLock}`);
  if (x.trace !== null) tail.push(`  trace: ${x.trace.events} events, ${x.trace.lost} lost`);
  const vm = Object.entries(x.counters.vmstat).map(([k, v]) => `${k} ${v}`).join(', ');
  if (vm !== '') tail.push(`  /proc/vmstat over the run (whole system): ${vm}`);
  if (x.counters.memcg !== null) tail.push(`  cgroup memory.stat over the run: ${Object.entries(x.counters.memcg).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`);
  if (x.memcg !== null) {
    const m = x.memcg;
    tail.push(`  memory: on cgroup v${m.version}: ${m.files.map(([f, v]) => `${f} ${v}`).join(', ')} (the load generator's own ${(m.generatorBytes / 2 ** 20).toFixed(1)} MiB included)`);
    const c = x.counters.memcg ?? {};
    const fig = (k: string) => (c[k] === undefined ? '-' : String(c[k]));
    tail.push(`  refaults (workingset_refault_file / _anon): ${fig('workingset_refault_file')} / ${fig('workingset_refault_anon')}; major faults (cgroup pgmajfault): ${fig('pgmajfault')}; memory.events high ${fig('events.high')}, max ${fig('events.max')}, oom_kill ${fig('events.oom_kill')}`);
  }
  const errs = Object.entries(x.errors);
  if (errs.length > 0) tail.push(`  failed syscalls: ${errs.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  // Notes of the first run (later runs differ only in temporary paths).
  for (const n of x.notes) tail.push(`  note: ${n}`);
  tail.push(`  unobservable on this host (shown as -): ${[...new Set(real.flatMap((r) => r.unavailable))].join(', ')}`);
  tail.push('  Definitions of the real figures and their mapping to the model\'s: docs/calibration.md.');
  return head.join('\n') + '\n' + body.join('\n').replace(/\n+$/, '') + '\n' + tail.join('\n') + '\n';
}

export function renderRealJson(rc: RealComparison, version: string): string {
  const doc = JSON.parse(renderJson(rc.cmp, rc.info, version)) as Record<string, unknown>;
  doc.real = {
    kernel: rc.real[0]!.extras.kernel,
    runs: rc.real.map((r) => ({ unavailable: r.unavailable, extras: r.extras })),
    schedule: scheduleSummary(rc.translation),
    substitutions: rc.translation.substitutions,
    ...(rc.modelModes === null ? {} : { model_modes: rc.modelModes }),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
