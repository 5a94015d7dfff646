/** Seeded randomness for the randomized schedulers (pure-rand xoroshiro128+; no Math.random). */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export class Prng {
  private readonly g: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number) {
    this.g = xoroshiro128plus(seed | 0);
  }
  /** Uniform in [0, 1). */
  random(): number {
    const g = this.g;
    return (g.next() & 0x3ffffff) * 1.4901161193847656e-8 + (g.next() & 0x7ffffff) * 1.1102230246251565e-16;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.random() * n);
  }
}
