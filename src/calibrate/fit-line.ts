/**
 * The fit of the `cacheline` bench (native/calibrate-line.c): the atomic
 * read-modify-write on a lock's cache line, Cost.lock_atomic, and the line's
 * transfer from another CPU, Cost.cacheline_transfer (docs/calibration.md
 * "The lock's cache line, measured (thirteenth session)").
 */
import type { BenchSamples } from './bench-output.js';
import type { Spread } from './profile.js';
import { nonNeg, spreadOf } from './fit.js';

/** Operations a sample times (the bench's R argument in SUITE): a sample's value / R is one operation, ns. */
export const CACHELINE_BATCH = 1000;

/** X of the bench's samples: alone on an owned line, ping-pong of one line between CPU 0 and CPU 1, the same loop on private lines. */
export const CACHELINE_KIND = { own: 0, pingpong: 1, private: 2 } as const;

export interface CachelineFit {
  /** Cost.lock_atomic, ns: the median X=0 sample / R, rounded. */
  atomic: number;
  /** Cost.cacheline_transfer, ns: (median X=1 − median X=2) / R, rounded, at least 0. */
  transfer: number;
  /** The three kinds' spreads, ns per operation (sample / R, unrounded). */
  own: Spread;
  pingpong: Spread;
  private: Spread;
}

const perOp = (s: Spread, r: number): Spread => ({ n: s.n, p10: s.p10 / r, p50: s.p50 / r, p90: s.p90 / r });

/**
 * The `cacheline` bench, samples of `batch` operations each: lock_atomic is
 * the median batch on an owned line / batch; cacheline_transfer the median
 * ping-pong half round trip − the median private-line operation (both /
 * batch), at least 0; each rounded to the ns (a profile's durations are
 * whole ns). Null without all three kinds.
 */
export function fitCacheline(bench: BenchSamples, batch: number): CachelineFit | null {
  const K = CACHELINE_KIND;
  const own = bench.samples.get(K.own), pp = bench.samples.get(K.pingpong), pv = bench.samples.get(K.private);
  if (own === undefined || pp === undefined || pv === undefined || own.length === 0 || pp.length === 0 || pv.length === 0) return null;
  const so = spreadOf(own), sp = spreadOf(pp), sv = spreadOf(pv);
  return {
    atomic: nonNeg(so.p50 / batch),
    transfer: nonNeg((sp.p50 - sv.p50) / batch),
    own: perOp(so, batch), pingpong: perOp(sp, batch), private: perOp(sv, batch),
  };
}
