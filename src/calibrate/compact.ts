/**
 * `faultline calibrate --compact DIR`: rewrite a recording of bench outputs
 * (DIR/KEY.txt, or DIR/round-K/KEY.txt) in place as `--record` now writes it
 * (suite.ts recordedText: the samples as counts per value, but for the benches
 * whose fit reads their order), after checking that nothing the fit reads
 * changes: every bench's samples per parameter value are the same multiset,
 * in the same order for the ordered benches, and, when the recording can be
 * fitted, the profile fitted from it renders to the same bytes.
 * Old full recordings stay readable (`--from`); this only makes them smaller
 * (test/fixtures/calibrate: docs/calibration.md "Shipping a fit: one sitting").
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBenchOutput, type BenchSamples } from './bench-output.js';
import { renderProfile } from './profile.js';
import { fitRounds } from './rounds.js';
import { recordedText, recordingDirs, SUITE } from './suite.js';
import type { BenchSet } from './fit.js';

export interface CompactResult {
  rounds: number;
  files: number;
  /** Bytes of the bench outputs before and after. */
  before: number;
  after: number;
  /** Whether the profile fitted from the recording was compared (false when the recording cannot be fitted). */
  fitChecked: boolean;
}

/** Why `a` and `b` differ in what the fit reads of them, or null: same X order, same samples per X (as a multiset unless `ordered`). */
export function samplesDiffer(a: BenchSamples, b: BenchSamples, ordered: boolean): string | null {
  if (a.bench !== b.bench) return `bench ${a.bench} vs ${b.bench}`;
  const xa = [...a.samples.keys()], xb = [...b.samples.keys()];
  if (xa.join(' ') !== xb.join(' ')) return `parameter values ${xa.join(',')} vs ${xb.join(',')}`;
  for (const x of xa) {
    const va = a.samples.get(x)!, vb = b.samples.get(x)!;
    const [sa, sb] = ordered ? [va, vb] : [[...va].sort((p, q) => p - q), [...vb].sort((p, q) => p - q)];
    if (sa.length !== sb.length || sa.some((v, i) => v !== sb[i])) return `the samples at X = ${x}`;
  }
  if (a.notes.join('\n') !== b.notes.join('\n')) return 'the notes';
  return null;
}

export function compactRecording(dir: string): CompactResult {
  const dirs = recordingDirs(dir);
  const writes: Array<{ file: string; text: string }> = [];
  const before: BenchSet[] = [], after: BenchSet[] = [];
  let bytesBefore = 0, bytesAfter = 0;
  for (const d of dirs) {
    const b = new Map<string, BenchSamples>(), a = new Map<string, BenchSamples>();
    for (const spec of SUITE) {
      const file = join(d, `${spec.key}.txt`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const next = recordedText(spec.key, text);
      const pb = parseBenchOutput(text), pa = parseBenchOutput(next);
      const why = samplesDiffer(pb, pa, spec.ordered === true);
      if (why !== null) throw new Error(`calibrate --compact: ${file}: the compacted output differs in ${why}; nothing written`);
      b.set(spec.key, pb);
      a.set(spec.key, pa);
      bytesBefore += statSync(file).size;
      bytesAfter += Buffer.byteLength(next);
      if (next !== text) writes.push({ file, text: next });
    }
    before.push(b);
    after.push(a);
  }
  const files = before.reduce((n, r) => n + r.size, 0);
  if (files === 0) throw new Error(`calibrate --compact: no recorded bench outputs (KEY.txt) in ${dir}`);
  const fit = (rounds: BenchSet[]) => renderProfile(fitRounds({ name: 'compact', description: 'check', host: null, rounds }));
  let old: string | null;
  try {
    old = fit(before);
  } catch {
    old = null; // not a recording the fit can take (a probe's few benches): the samples' check above is all
  }
  if (old !== null && fit(after) !== old) throw new Error(`calibrate --compact: ${dir}: the profile fitted from the compacted outputs differs; nothing written`);
  for (const w of writes) writeFileSync(w.file, w.text);
  return { rounds: dirs.length, files, before: bytesBefore, after: bytesAfter, fitChecked: old !== null };
}
