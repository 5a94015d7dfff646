/**
 * Held-out validation of a cost profile (`faultline calibrate --validate`):
 * `faultline real` on the calibration scenarios (none of them used by the
 * fit), median of N real runs, beside the model with the profile; the
 * figures the issue names are checked against ±15 % (medians, totals) and
 * ±30 % (p99) of the real value. The summary is pure (unit-tested on recorded
 * `faultline real --json` documents); running needs root.
 */

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
/** The parts of a `faultline real --json` document the summary reads. */
export interface RealDoc {
  scenario: { name: string; source?: string };
  combinations: Array<{ fault: string; summary: Record<string, SummaryCell | undefined> }>;
  real: { runs: Array<{ extras: { load: { before: number[]; after: number[]; hostCpus: number }; device: { io: string } | null } }> };
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
}

const WRITER_OPS = ['mprotect', 'fork', 'munmap', 'madvise_dontneed'];

export function validationRows(doc: RealDoc): ValidationRow[] {
  const model = doc.combinations.find((c) => c.fault !== 'real');
  const real = doc.combinations.find((c) => c.fault === 'real');
  if (model === undefined || real === undefined) throw new Error(`validate: ${doc.scenario.name}: the document has no model or no real column`);
  const writers = WRITER_OPS.filter((op) => real.summary[`ops.all.${op}.p50`] !== undefined || model.summary[`ops.all.${op}.p50`] !== undefined);
  return figuresFor(writers).map((f) => {
    const m = model.summary[f.key]?.median ?? null;
    const r = real.summary[f.key]?.median ?? null;
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
    return { scenario: doc.scenario.name, figure: f.label, model: m, real: r, ratio, tolerance: f.tolerance, verdict };
  });
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
export function renderValidation(docs: readonly RealDoc[], header: { costs: string; io: string; runs: number }): string {
  const out: string[] = [];
  let ok = 0, miss = 0;
  for (const doc of docs) {
    const rows = validationRows(doc);
    const loads = loadsOf(doc);
    const cpus = doc.real.runs[0]?.extras.load.hostCpus ?? 0;
    const loaded = loads.some((l) => l > cpus);
    out.push(`#### ${doc.scenario.name}`, '');
    out.push(`Load average (1 min) before each real run: ${loads.map((l) => l.toFixed(2)).join(', ')} on ${cpus} CPUs${loaded ? ' — **taken under load**: tails are not the kernel\'s alone' : ''}.`, '');
    out.push('| figure | model | real | model / real | target | |', '|---|---|---|---|---|---|');
    for (const r of rows) {
      if (r.verdict === 'ok') ok++;
      if (r.verdict === 'miss') miss++;
      out.push(`| ${r.figure} | ${fmtNs(r.model)} | ${fmtNs(r.real)} | ${r.ratio === null ? '-' : r.ratio.toFixed(2)} | ±${Math.round(r.tolerance * 100)} % | ${r.verdict === 'ok' ? 'ok' : r.verdict === 'miss' ? '**miss**' : '-'} |`);
    }
    out.push('');
  }
  const head = [
    `Held-out validation: model with cost profile \`${header.costs}\` beside \`faultline real\` (median of ${header.runs} real runs, file reads via \`--io ${header.io}\`).`,
    `${ok} figures within target, ${miss} outside.`,
    '',
  ];
  return head.join('\n') + '\n' + out.join('\n');
}
