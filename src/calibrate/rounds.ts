/**
 * A fit of several rounds (`faultline calibrate --rounds N`, docs/calibration.md
 * "A fit that reproduces: rounds"): the whole suite run N times, one round
 * after the other, each round fitted on its own and every cost the median of
 * the rounds' values.
 *
 * Why: on the calibration host (a VM) a slow episode lasts a second or a few
 * and makes everything it overlaps 1.3-1.5x slower. A bench loops over its
 * parameter X one value after the other (native/calibrate*.c), so an episode
 * lands on one X (the intercept or the slope of a fit tilts) or on one of the
 * two benches a derived cost is the difference of (the difference swings by
 * the whole episode). Three fits of one idle sitting (15:11-15:15) gave
 * copy_process 73 / 47 / 49 us from fork-vmas at X = 0 alone 72.8 / 47.6 /
 * 49.8 us, and swapin_fault_after_sleep 1834 / 1482 / 320 ns from its
 * back-to-back median 5.30 / 5.34 / 6.54 us. A round's costs are its own
 * same-round figures (a difference of two benches 1-10 s apart, never of two
 * rounds), and the median over rounds drops an episode that hit one round.
 *
 * The figures that are not costs (`measurements`, the swap-in law) come from
 * the rounds' samples pooled: they are spreads and laws, not differences.
 */
import type { BenchSamples } from './bench-output.js';
import { fitProfile, spreadOf, type BenchSet, type FitInput } from './fit.js';
import { DRIFT_BAND, HOST_PROBE } from './host-drift.js';
import type { CostProfile, CostValue, RoundProbe } from './profile.js';
import { COST_NAMES, type CostName } from '../model/cost.js';

export interface RoundsInput extends Omit<FitInput, 'benches'> {
  /** Each round's recorded outputs, in the order the rounds ran. */
  rounds: readonly BenchSet[];
}

/** The index of the median of `values` (the lower one of an even count; the earliest round on a tie). */
export function medianIndex(values: readonly number[]): number {
  if (values.length === 0) throw new Error('medianIndex: no values');
  const order = values.map((v, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  return order[(values.length - 1) >> 1]!;
}

/** The rounds' samples of each bench, concatenated in round order per parameter value. */
export function poolRounds(rounds: readonly BenchSet[]): BenchSet {
  const out = new Map<string, BenchSamples>();
  for (const r of rounds) {
    for (const [key, b] of r) {
      let p = out.get(key);
      if (p === undefined) out.set(key, p = { bench: b.bench, samples: new Map(), notes: [...b.notes] });
      for (const [x, v] of b.samples) {
        const l = p.samples.get(x);
        if (l === undefined) p.samples.set(x, [...v]);
        else l.push(...v);
      }
    }
  }
  return out;
}

/**
 * Each round's host probe (the HOST_PROBE benches it ran, the ones the
 * validation compares a profile with): its median / the median of the rounds'
 * medians, outside when off 1 by more than DRIFT_BAND.
 */
export function roundProbes(rounds: readonly BenchSet[]): RoundProbe[] {
  const medians = HOST_PROBE.map((p) => rounds.map((r) => {
    const b = r.get(p.key);
    const s = b === undefined ? [] : [...b.samples.values()].flat();
    return s.length === 0 ? null : spreadOf(s).p50;
  }));
  const centre = medians.map((m) => {
    const v = m.filter((x): x is number => x !== null);
    return v.length === 0 ? null : v[medianIndex(v)]!;
  });
  return rounds.map((_, i) => {
    const ratios: Record<string, number> = {};
    HOST_PROBE.forEach((p, j) => {
      const m = medians[j]![i], c = centre[j]!;
      if (m !== null && c !== null && c > 0) ratios[p.measurement] = m / c;
    });
    const outside = Object.values(ratios).some((r) => Math.abs(r - 1) > DRIFT_BAND + 1e-9);
    return { round: i + 1, ratios, outside };
  });
}

/**
 * The profile of several rounds: every cost the median of the rounds' own
 * fits (fitProfile of each round), with the round values in `rounds`; costs
 * every round leaves at its default stay so; measurements and the swap-in law
 * from the pooled samples. One round: fitProfile of it, unchanged.
 */
export function fitRounds(inp: RoundsInput): CostProfile {
  const n = inp.rounds.length;
  if (n === 0) throw new Error('calibrate: no round to fit');
  const base = { name: inp.name, description: inp.description, host: inp.host };
  if (n === 1) return fitProfile({ ...base, benches: inp.rounds[0]! });
  const per = inp.rounds.map((benches, i) => {
    try {
      return fitProfile({ ...base, benches });
    } catch (e) {
      throw new Error(`calibrate: round ${i + 1}: ${(e as Error).message}`, { cause: e });
    }
  });
  const pooled = fitProfile({ ...base, benches: poolRounds(inp.rounds) });
  const costs = {} as Record<CostName, CostValue>;
  for (const c of COST_NAMES) {
    const vals = per.map((p) => p.costs[c]);
    if (vals.every((v) => v.source === 'default')) {
      costs[c] = vals[0]!;
      continue;
    }
    // A round that fitted nothing for this cost (its fit fell back to the built-in default: the
    // lru_add batch's period not found in a round a slow episode hit, for one) is no measurement
    // of it: the median is over the rounds that measured it. `rounds` still lists every round.
    const values = vals.map((v) => v.value);
    const measured = vals.flatMap((v, i) => (v.source === 'default' ? [] : [i]));
    const k = measured[medianIndex(measured.map((i) => values[i]!))]!;
    const left = n - measured.length;
    const over = left === 0 ? `${n} rounds` : `the ${measured.length} round${measured.length === 1 ? '' : 's'} that fitted it (${vals.flatMap((v, i) => (v.source === 'default' ? [`round ${i + 1}`] : [])).join(', ')}: the default, left out)`;
    costs[c] = { ...vals[k]!, from: `${vals[k]!.from} [the median of ${over}: round ${k + 1}'s fit]`, rounds: values };
  }
  return { ...pooled, costs, rounds: { count: n, band: DRIFT_BAND, probe: roundProbes(inp.rounds) } };
}
