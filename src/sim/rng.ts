/**
 * Seeded randomness, split per task: one xoroshiro128+ stream (pure-rand) per
 * task, the k-th stream being the scenario's base stream jumped k times (each
 * jump skips 2^64 draws), so adding a task never shifts another task's draws.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Law } from '../scenario/types.js';

type Gen = ReturnType<typeof xoroshiro128plus>;

const SCALE26 = 1.4901161193847656e-8;
const SCALE53 = 1.1102230246251565e-16;

export class Rng {
  private constructor(private readonly g: Gen) {}

  /** Stream `k` of the run seeded with `seed`. */
  static stream(seed: number, k: number): Rng {
    const g = xoroshiro128plus(seed | 0);
    for (let i = 0; i < k; i++) g.jump();
    return new Rng(g);
  }

  /** Uniform in [0, 1) with 53 random bits (pure-rand's uniformFloat64). */
  random(): number {
    const g = this.g;
    return (g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53;
  }

  // The methods below write random()'s expression out instead of calling it:
  // a call that returns a non-integer double allocates a HeapNumber for the
  // result whenever V8 does not inline it (about 64 bytes per fault on the
  // reference bench); an integer result (a Smi) allocates nothing. The draws
  // are the same, in the same order.

  /** Uniform integer in [0, n). */
  below(n: number): number {
    const g = this.g;
    return Math.floor(((g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53) * n);
  }

  /** Index drawn from cumulative weights `cum` (last element = total). */
  pick(cum: Float64Array | number[]): number {
    const g = this.g;
    const u = ((g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53) * cum[cum.length - 1]!;
    let i = 0;
    while (u >= cum[i]!) i++;
    return i;
  }

  /**
   * draw() of an exponential law of mean `mean`: the same value from the
   * same draws, without the switch on the law's kind (the thread loop's
   * think times: ThreadLoop.think).
   */
  exponential(mean: number): number {
    const g = this.g;
    return Math.round(-Math.log(1 - ((g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53)) * mean);
  }

  /** Draw from a law, rounded to integer ns, never negative. */
  draw(law: Law): number {
    const g = this.g;
    switch (law.law) {
      case 'constant':
        return law.value;
      case 'exponential':
        return Math.round(-Math.log(1 - ((g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53)) * law.mean);
      case 'lognormal': {
        const u1 = (g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53;
        const u2 = (g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53;
        const z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
        return Math.round(law.median * Math.exp(law.sigma * z));
      }
      case 'uniform':
        return Math.round(law.min + ((g.next() & 0x3ffffff) * SCALE26 + (g.next() & 0x7ffffff) * SCALE53) * (law.max - law.min));
      case 'empirical':
        return Math.round(empiricalQuantile(law.points, this.random() * 100));
    }
  }
}

/**
 * Inverse CDF of an empirical law: linear interpolation between the given
 * (percentile, value) points; below the first point, the first value.
 */
export function empiricalQuantile(points: ReadonlyArray<readonly [number, number]>, p: number): number {
  const first = points[0]!;
  if (p <= first[0]) return first[1];
  for (let i = 1; i < points.length; i++) {
    const [p1, v1] = points[i]!;
    if (p <= p1) {
      const [p0, v0] = points[i - 1]!;
      return p1 === p0 ? v1 : v0 + ((v1 - v0) * (p - p0)) / (p1 - p0);
    }
  }
  return points[points.length - 1]![1];
}
