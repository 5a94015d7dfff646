/** Footprints of steps (./track.ts) and the independence relation over them. */

/** Read and written slots (object index * 64 + field index) of one step. */
export interface Footprint {
  readonly r: readonly number[];
  readonly w: readonly number[];
}

/** Two steps are independent: neither writes a slot the other reads or writes. */
export function independent(a: Footprint, b: Footprint): boolean {
  return disjoint(a.w, b.w) && disjoint(a.w, b.r) && disjoint(b.w, a.r);
}

function disjoint(x: readonly number[], y: readonly number[]): boolean {
  if (x.length === 0 || y.length === 0) return true;
  for (const s of x) if (y.includes(s)) return false;
  return true;
}

/** Union of two footprints. */
export function union(a: Footprint, b: Footprint): Footprint {
  const r = [...a.r], w = [...a.w];
  for (const s of b.r) if (!r.includes(s)) r.push(s);
  for (const s of b.w) if (!w.includes(s)) w.push(s);
  return { r, w };
}
