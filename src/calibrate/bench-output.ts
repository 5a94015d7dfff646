/**
 * The output format of `faultline-calibrate` (native/calibrate.c): one bench
 * per run,
 *
 *     bench NAME
 *     # a note
 *     s X NS
 *     end NAME
 *
 * where X is the bench's parameter (pages, VMAs, threads; 0 when none) and NS
 * one measured duration in nanoseconds. A recording may also hold
 *
 *     c X NS K
 *
 * K samples of NS at X (compactBenchOutput: what `--record` keeps of a bench
 * whose fit does not read the samples' order).
 */

export interface BenchSamples {
  bench: string;
  /** Samples per parameter value, in the order measured. */
  samples: Map<number, number[]>;
  notes: string[];
}

export function parseBenchOutput(text: string): BenchSamples {
  let bench: string | null = null;
  let ended = false;
  const samples = new Map<number, number[]>();
  const notes: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const where = `faultline-calibrate output line ${i + 1}`;
    if (ended) throw new Error(`${where}: text after "end"`);
    if (line.startsWith('bench ')) {
      if (bench !== null) throw new Error(`${where}: a second "bench" line`);
      bench = line.slice(6).trim();
    } else if (line.startsWith('# ')) {
      notes.push(line.slice(2));
    } else if (line.startsWith('s ')) {
      if (bench === null) throw new Error(`${where}: a sample before the "bench" line`);
      const f = line.split(' ');
      const x = Number(f[1]);
      const ns = Number(f[2]);
      if (f.length !== 3 || !Number.isFinite(x) || !Number.isFinite(ns) || ns < 0) throw new Error(`${where}: bad sample "${line}"`);
      let l = samples.get(x);
      if (l === undefined) samples.set(x, l = []);
      l.push(ns);
    } else if (line.startsWith('c ')) {
      if (bench === null) throw new Error(`${where}: a sample count before the "bench" line`);
      const f = line.split(' ');
      const x = Number(f[1]);
      const ns = Number(f[2]);
      const k = Number(f[3]);
      if (f.length !== 4 || !Number.isFinite(x) || !Number.isFinite(ns) || ns < 0 || !Number.isInteger(k) || k < 1) throw new Error(`${where}: bad sample count "${line}"`);
      let l = samples.get(x);
      if (l === undefined) samples.set(x, l = []);
      for (let j = 0; j < k; j++) l.push(ns);
    } else if (line.startsWith('end ')) {
      if (line.slice(4).trim() !== bench) throw new Error(`${where}: "end" of another bench`);
      ended = true;
    } else {
      throw new Error(`${where}: unexpected "${line}"`);
    }
  });
  if (bench === null || !ended) throw new Error('faultline-calibrate output: incomplete (no "bench" or no "end" line)');
  return { bench, samples, notes };
}

/**
 * The same output with its samples as counts: per parameter value X (in the
 * order first measured), one `c X NS K` line per distinct NS, ascending; the
 * notes kept. Every statistic that does not read the samples' order within X
 * (medians, percentiles, the fits over per-X medians, the empirical laws,
 * rounds pooled) is the same on the parsed result, which is why `--record`
 * keeps this for the benches whose fit reads no order (suite.ts BenchSpec
 * `ordered`). Idempotent.
 */
export function compactBenchOutput(text: string): string {
  const b = parseBenchOutput(text);
  const out = [`bench ${b.bench}`, ...b.notes.map((n) => `# ${n}`)];
  for (const [x, v] of b.samples) {
    const sorted = [...v].sort((p, q) => p - q);
    for (let i = 0; i < sorted.length;) {
      let j = i + 1;
      while (j < sorted.length && sorted[j] === sorted[i]) j++;
      out.push(`c ${x} ${sorted[i]!} ${j - i}`);
      i = j;
    }
  }
  out.push(`end ${b.bench}`, '');
  return out.join('\n');
}
