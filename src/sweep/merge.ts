/**
 * Combining results files of one sweep (shards, or copies of a resumed run):
 * every file must carry the same sweep id; a run found twice must have the
 * same line; the output is header + lines in run order, byte-identical to the
 * file an unsharded run writes.
 */
import { SweepError } from './grammar.js';
import { readResults, type SweepHeader } from './results.js';

export interface Merged {
  header: SweepHeader;
  headerText: string;
  lines: Map<number, string>;
  /** Run indices of the sweep that no file has. */
  missing: number[];
  /** Files whose last line was torn (dropped). */
  torn: string[];
}

export function mergeResults(paths: readonly string[]): Merged {
  if (paths.length === 0) throw new SweepError('merge: no input files');
  let first: { header: SweepHeader; headerText: string; path: string } | null = null;
  const lines = new Map<number, string>();
  const from = new Map<number, string>();
  const torn: string[] = [];
  for (const p of paths) {
    const f = readResults(p);
    if (f.torn) torn.push(p);
    if (first === null) first = { header: f.header, headerText: f.headerText, path: p };
    else if (f.header.sweep !== first.header.sweep) {
      throw new SweepError(`merge: ${p} is sweep ${f.header.sweep}, but ${first.path} is sweep ${first.header.sweep} (not shards of one sweep)`);
    }
    for (const [k, line] of f.lines) {
      const prev = lines.get(k);
      if (prev !== undefined && prev !== line) throw new SweepError(`merge: run ${k} differs between ${from.get(k)} and ${p}`);
      lines.set(k, line);
      from.set(k, p);
    }
  }
  const missing: number[] = [];
  for (let i = 0; i < first!.header.runs; i++) if (!lines.has(i)) missing.push(i);
  return { header: first!.header, headerText: first!.headerText, lines, missing, torn };
}
