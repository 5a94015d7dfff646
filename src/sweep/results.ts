/**
 * The results file of a sweep: JSON Lines. Line 1 is the header (what was
 * swept, the sweep id); then one line per finished run, written (write(2))
 * as soon as the run ends, so a Ctrl-C or kill -9 loses no finished run (the
 * kernel has the bytes). fsync follows at most FSYNC_INTERVAL_MS later and at
 * the end: a crash of the machine loses at most that much, which --resume
 * runs again. (An fsync per line was 57 % of a sweep of 320 short runs on a
 * virtual disk, all of it in the thread that also simulates: bench/README.md.)
 * A line torn by a crash (the last one, without its newline) is dropped on
 * resume. When every run of the file is in, it is rewritten in run order
 * (temporary file + rename), so a finished sweep is byte-identical however
 * its runs were scheduled, interrupted or sharded.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunMetrics } from '../metrics/index.js';
import { SweepError } from './grammar.js';
import { SWEEP_FORMAT, type PlannedRun, type SweepPlan } from './plan.js';

export interface SweepHeader {
  faultline_sweep: number;
  sweep: string;
  version: string;
  scenario: string;
  source: string;
  params: Array<{ path: string; values: number[]; kind: 'ns' | 'number' }>;
  faults: string[];
  forks: string[];
  seed: number;
  seeds: number;
  runs: number;
  duration: number;
  warmup: number;
}

export interface SweepLine {
  sweep: string;
  run: number;
  point: number[];
  fault: string;
  fork: string;
  seed: number;
  metrics: RunMetrics;
}

export function headerOf(plan: SweepPlan): SweepHeader {
  return {
    faultline_sweep: SWEEP_FORMAT,
    sweep: plan.id,
    version: plan.version,
    scenario: plan.base.name,
    source: plan.base.source,
    params: plan.params.map((p) => ({ path: p.path, values: p.values, kind: p.kind })),
    faults: plan.faults,
    forks: plan.forks,
    seed: plan.firstSeed,
    seeds: plan.seeds,
    runs: plan.total,
    duration: plan.base.duration,
    warmup: plan.base.warmup,
  };
}

/** One result line (without the newline). */
export function lineText(sweep: string, run: PlannedRun, metrics: RunMetrics): string {
  const line: SweepLine = { sweep, run: run.index, point: run.point, fault: run.fault, fork: run.fork, seed: run.seed, metrics };
  return JSON.stringify(line);
}

export interface ResultsFile {
  header: SweepHeader;
  headerText: string;
  /** Run index -> its line (without newline). */
  lines: Map<number, string>;
  /** Byte length of the intact part (a torn last line is after it). */
  intactBytes: number;
  /** A torn last line was found (and is not in `lines`). */
  torn: boolean;
}

function parseHeader(text: string, path: string): SweepHeader {
  let h: Partial<SweepHeader>;
  try {
    h = JSON.parse(text) as Partial<SweepHeader>;
  } catch {
    throw new SweepError(`${path}: line 1 is not a sweep header (not JSON)`);
  }
  if (h.faultline_sweep !== SWEEP_FORMAT || typeof h.sweep !== 'string' || typeof h.runs !== 'number') {
    throw new SweepError(`${path}: line 1 is not a faultline sweep header (format ${SWEEP_FORMAT})`);
  }
  return h as SweepHeader;
}

/** Read a results file; a torn last line is reported, not an error. */
export function readResults(path: string): ResultsFile {
  const text = readFileSync(path, 'utf8');
  const nl = text.indexOf('\n');
  if (nl < 0) throw new SweepError(`${path}: no complete header line (an empty or torn file: delete it and start again)`);
  const headerText = text.slice(0, nl);
  const header = parseHeader(headerText, path);
  const lines = new Map<number, string>();
  let pos = nl + 1, lineNo = 1, torn = false;
  while (pos < text.length) {
    lineNo++;
    const end = text.indexOf('\n', pos);
    const raw = end < 0 ? text.slice(pos) : text.slice(pos, end);
    let line: Partial<SweepLine> | null;
    try {
      line = JSON.parse(raw) as Partial<SweepLine>;
    } catch {
      line = null;
    }
    if (end < 0 || line === null) {
      if (end < 0) { torn = true; break; } // the last write was cut short
      throw new SweepError(`${path}:${lineNo}: not a result line (invalid JSON)`);
    }
    if (line.sweep !== header.sweep) throw new SweepError(`${path}:${lineNo}: belongs to sweep ${String(line.sweep)}, not ${header.sweep}`);
    if (typeof line.run !== 'number' || !Number.isInteger(line.run) || line.run < 0 || line.run >= header.runs) {
      throw new SweepError(`${path}:${lineNo}: run ${String(line.run)} is not a run of this sweep (0..${header.runs - 1})`);
    }
    const prev = lines.get(line.run);
    if (prev !== undefined && prev !== raw) throw new SweepError(`${path}:${lineNo}: run ${line.run} appears twice with different results`);
    lines.set(line.run, raw);
    pos = end + 1;
  }
  return { header, headerText, lines, intactBytes: torn ? pos : text.length, torn };
}

function fsyncDir(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch {
    // not every platform can fsync a directory
  }
}

/** Longest time a written result line waits for its fsync. */
export const FSYNC_INTERVAL_MS = 1000;

/** Appends result lines durably. */
export class ResultsWriter {
  private fd: number;
  /** performance.now() of the last fsync. */
  private synced: number;
  private dirty = false;

  /** Start `path` with `header` (fresh), or continue it after `intactBytes` (resume). */
  constructor(readonly path: string, header: string, resume: { intactBytes: number } | null) {
    if (resume === null) {
      this.fd = openSync(path, 'w');
      writeSync(this.fd, header + '\n');
    } else {
      this.fd = openSync(path, 'r+');
      // Drop a torn last line: truncate to the intact part, then append.
      ftruncateSync(this.fd, resume.intactBytes);
      closeSync(this.fd);
      this.fd = openSync(path, 'a');
    }
    fsyncSync(this.fd);
    if (resume === null) fsyncDir(path);
    this.synced = performance.now();
  }

  append(line: string): void {
    writeSync(this.fd, line + '\n');
    this.dirty = true;
    const now = performance.now();
    if (now - this.synced >= FSYNC_INTERVAL_MS) this.sync(now);
  }

  private sync(now: number): void {
    fsyncSync(this.fd);
    this.dirty = false;
    this.synced = now;
  }

  close(): void {
    if (this.fd >= 0) {
      if (this.dirty) this.sync(performance.now());
      closeSync(this.fd);
    }
    this.fd = -1;
  }
}

/** Write header + lines in run order to `path` atomically (temporary file, fsync, rename). */
export function writeSorted(path: string, headerText: string, lines: ReadonlyMap<number, string>): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let buf = headerText + '\n';
    for (const k of [...lines.keys()].sort((a, b) => a - b)) {
      buf += lines.get(k)! + '\n';
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }
    writeSync(fd, buf);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(path);
}

export function resultsExist(path: string): boolean {
  return existsSync(path);
}
