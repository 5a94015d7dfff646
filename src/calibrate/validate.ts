/**
 * Held-out validation of a cost profile (`faultline calibrate --validate`):
 * `faultline real` on the calibration scenarios (none of them used by the
 * fit), median of N real runs, beside the model with the profile; the
 * figures the issue names are checked against ±15 % (medians, totals) and
 * ±30 % (p99) of the real value. The summary is pure (unit-tested on recorded
 * `faultline real --json` documents); running needs root.
 */

import { renderRunProbes, type ValidateProbeDoc } from './host-drift.js';

export const VALIDATION_SCENARIOS = ['calib-file-mprotect', 'calib-fork-file', 'calib-gc-swapin', 'calib-fork-many', 'calib-pft'] as const;

/** A checked figure: JSON summary key, label, tolerance (fraction of the real value). */
export interface Figure {
  key: string;
  label: string;
  tolerance: number;
}

const MEDIAN_TOL = 0.15;
const P99_TOL = 0.3;

/** The figures checked for a scenario: fault latency, each writer op's latency, mmap_lock wait totals. */
export function figuresFor(writerOps: readonly string[]): Figure[] {
  const f: Figure[] = [
    { key: 'ops.all.fault.p50', label: 'fault p50', tolerance: MEDIAN_TOL },
    { key: 'ops.all.fault.p99', label: 'fault p99', tolerance: P99_TOL },
  ];
  for (const op of writerOps) {
    f.push({ key: `ops.all.${op}.p50`, label: `${op} p50`, tolerance: MEDIAN_TOL });
    f.push({ key: `ops.all.${op}.p99`, label: `${op} p99`, tolerance: P99_TOL });
  }
  f.push({ key: 'mmap_lock.read_wait.total', label: 'mmap_lock read wait total', tolerance: MEDIAN_TOL });
  f.push({ key: 'mmap_lock.write_wait.total', label: 'mmap_lock write wait total', tolerance: MEDIAN_TOL });
  return f;
}

interface SummaryCell { median: number }
interface ModeCell { p50: number; p99: number }
/** The parts of a `faultline real --json` document the summary reads. */
export interface RealDoc {
  scenario: { name: string; source?: string };
  combinations: Array<{ fault: string; summary: Record<string, SummaryCell | undefined> }>;
  real: {
    runs: Array<{
      extras: {
        load: { before: number[]; after: number[]; hostCpus: number };
        device: { io: string } | null;
        /** Faults by drawn page state (`faultline real`'s *page states met*). */
        states?: Record<string, { latency: ModeCell | null }>;
        /** Forks by placement of the child (FORK_MODES); absent in documents of generators before it. */
        forkModes?: Record<string, ModeCell | null>;
      };
    }>;
    /** The model's figures by mode (src/real/model-side.ts), medians over its seeds; absent in older documents. */
    model_modes?: { fault: Record<string, ModeCell>; fork: Record<string, ModeCell> };
  };
  /** `calibrate --validate`'s probe before each real run (host-drift.ts); absent in documents recorded before it. */
  validate_probe?: ValidateProbeDoc;
}

export interface ValidationRow {
  scenario: string;
  figure: string;
  model: number | null;
  real: number | null;
  /** model / real. */
  ratio: number | null;
  tolerance: number;
  /** 'ok' within tolerance; 'miss' outside; 'n/a' when a side has no value (or both are 0). */
  verdict: 'ok' | 'miss' | 'n/a';
  /** A figure of one mode (modeRows), checked in addition to the mixed ones and counted apart. */
  byMode: boolean;
}

const WRITER_OPS = ['mprotect', 'fork', 'munmap', 'madvise_dontneed'];

export function validationRows(doc: RealDoc): ValidationRow[] {
  const model = doc.combinations.find((c) => c.fault !== 'real');
  const real = doc.combinations.find((c) => c.fault === 'real');
  if (model === undefined || real === undefined) throw new Error(`validate: ${doc.scenario.name}: the document has no model or no real column`);
  const writers = WRITER_OPS.filter((op) => real.summary[`ops.all.${op}.p50`] !== undefined || model.summary[`ops.all.${op}.p50`] !== undefined);
  const rows = figuresFor(writers).map((f) => row(doc, f, model.summary[f.key]?.median ?? null, real.summary[f.key]?.median ?? null));
  return [...rows, ...modeRows(doc)];
}

/**
 * The figures by mode, in addition to the mixed ones: fault p50/p99 per
 * drawn page state when the faults mix two or more (the mixed p50 of a 50/50
 * mix sits on the boundary of two modes: docs/calibration.md), and fork
 * p50/p99 per placement of the child. The real side is the median over runs
 * of each run's figure; the model's needs `model_modes` (documents of
 * `faultline real` since they carry it, or `calibrate --validate
 * --model-from`), else the row shows '-' and is not counted.
 */
export function modeRows(doc: RealDoc): ValidationRow[] {
  const rows: ValidationRow[] = [];
  const mm = doc.real.model_modes;
  const runs = doc.real.runs;
  const states = [...new Set(runs.flatMap((r) => Object.keys(r.extras.states ?? {})))].filter((s) => s !== 'memcg').sort();
  const mixed = states.length >= 2;
  const realOf = (cells: Array<ModeCell | null | undefined>, k: 'p50' | 'p99'): number | null => {
    const xs = cells.filter((c): c is ModeCell => c !== null && c !== undefined).map((c) => c[k]);
    return xs.length === 0 ? null : median(xs);
  };
  for (const st of mixed ? states : []) {
    const cells = runs.map((r) => r.extras.states?.[st]?.latency);
    for (const [k, tol] of [['p50', MEDIAN_TOL], ['p99', P99_TOL]] as const) {
      rows.push(row(doc, { key: `modes.fault.${st}.${k}`, label: `fault p${k.slice(1)} (${st})`, tolerance: tol }, mm?.fault[st]?.[k] ?? null, realOf(cells, k)));
    }
  }
  const forkModes = [...new Set(runs.flatMap((r) => Object.keys(r.extras.forkModes ?? {})))].sort();
  for (const fm of forkModes) {
    const cells = runs.map((r) => r.extras.forkModes?.[fm]);
    for (const [k, tol] of [['p50', MEDIAN_TOL], ['p99', P99_TOL]] as const) {
      rows.push(row(doc, { key: `modes.fork.${fm}.${k}`, label: `fork p${k.slice(1)} (${fm.replace('_', ' ')})`, tolerance: tol }, mm?.fork[fm]?.[k] ?? null, realOf(cells, k)));
    }
  }
  return rows;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One checked figure: model / real against the tolerance. */
function row(doc: RealDoc, f: Figure, m: number | null, r: number | null): ValidationRow {
  let ratio: number | null = null;
  let verdict: ValidationRow['verdict'] = 'n/a';
  if (m !== null && r !== null && !(m === 0 && r === 0)) {
    if (r === 0) verdict = 'miss';
    else {
      ratio = m / r;
      verdict = Math.abs(ratio - 1) <= f.tolerance + 1e-9 ? 'ok' : 'miss';
    }
  } else if (m === 0 && r === 0) {
    verdict = 'ok';
    ratio = 1;
  }
  return { scenario: doc.scenario.name, figure: f.label, model: m, real: r, ratio, tolerance: f.tolerance, verdict, byMode: f.key.startsWith('modes.') };
}

/** The load averages (1-minute, before each run) of a document's real runs. */
export function loadsOf(doc: RealDoc): number[] {
  return doc.real.runs.map((r) => r.extras.load.before[0] ?? 0);
}

function fmtNs(ns: number | null): string {
  if (ns === null) return '-';
  if (ns < 1000) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** Markdown: one table per scenario, with the load averages of its real runs. */
export function renderValidation(docs: readonly RealDoc[], header: { costs: string; io: string; runs: number; drift?: string }): string {
  const out: string[] = [];
  let ok = 0, miss = 0, okMode = 0, missMode = 0;
  for (const doc of docs) {
    const rows = validationRows(doc);
    const loads = loadsOf(doc);
    const cpus = doc.real.runs[0]?.extras.load.hostCpus ?? 0;
    const loaded = loads.some((l) => l > cpus);
    out.push(`#### ${doc.scenario.name}`, '');
    out.push(`Load average (1 min) before each real run: ${loads.map((l) => l.toFixed(2)).join(', ')} on ${cpus} CPUs${loaded ? ' — **taken under load**: tails are not the kernel\'s alone' : ''}.`, '');
    if (doc.validate_probe !== undefined) out.push(renderRunProbes(doc.validate_probe));
    out.push('| figure | model | real | model / real | target | |', '|---|---|---|---|---|---|');
    for (const r of rows) {
      if (r.verdict === 'ok') { if (r.byMode) okMode++; else ok++; }
      if (r.verdict === 'miss') { if (r.byMode) missMode++; else miss++; }
      out.push(`| ${r.figure} | ${fmtNs(r.model)} | ${fmtNs(r.real)} | ${r.ratio === null ? '-' : r.ratio.toFixed(2)} | ±${Math.round(r.tolerance * 100)} % | ${r.verdict === 'ok' ? 'ok' : r.verdict === 'miss' ? '**miss**' : '-'} |`);
    }
    out.push('');
  }
  const head = [
    `Held-out validation: model with cost profile \`${header.costs}\` beside \`faultline real\` (median of ${header.runs} real runs, file reads via \`--io ${header.io}\`).`,
    `${ok} figures within target, ${miss} outside.`,
    ...(okMode + missMode === 0 ? [] : [`By mode (fault latency per page state, fork latency by the child's placement; in addition to the figures above, not counted in them): ${okMode} within target, ${missMode} outside.`]),
    '',
  ];
  return head.join('\n') + '\n' + (header.drift ?? '') + out.join('\n');
}
