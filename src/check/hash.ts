/**
 * 64-bit hashing of checker states, as two 32-bit lanes with different
 * constants (MurmurHash3's mixing steps; lane B uses its 64-bit variant's
 * constants). Used for the visited-state table (./state.ts) and for the
 * per-task input histories (./track.ts). Folding is into the module-level
 * lanes `A` and `B` (no allocation in the hot loop): save, fold, read back.
 */

export const lanes = { a: 0, b: 0 };

/** Fold one 32-bit integer into both lanes. */
export function fold(x: number): void {
  let k = Math.imul(x, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  let h = lanes.a ^ Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  lanes.a = (Math.imul(h, 5) + 0xe6546b64) | 0;
  let j = Math.imul(x, 0x85ebca6b);
  j = (j << 17) | (j >>> 15);
  let g = lanes.b ^ Math.imul(j, 0xc2b2ae35);
  g = (g << 11) | (g >>> 21);
  lanes.b = (Math.imul(g, 9) + 0x52dce729) | 0;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Fold a number (any double, exactly). */
export function foldNumber(x: number): void {
  if ((x | 0) === x) {
    fold(x);
    return;
  }
  f64[0] = x;
  fold(0x7ff00001);
  fold(u32[0]!);
  fold(u32[1]!);
}

/** Fold a string (its length, then its UTF-16 code units). */
export function foldString(s: string): void {
  fold(s.length);
  for (let i = 0; i < s.length; i++) fold(s.charCodeAt(i));
}

/** MurmurHash3's finaliser (avalanche), applied to a lane at the end. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
