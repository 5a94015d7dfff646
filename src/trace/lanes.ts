/**
 * Lanes for intervals that do not nest (lock holds of one thread, I/O in
 * flight): each lane is one Perfetto async track, and on one lane every
 * interval either follows the previous ones (starting strictly after they
 * end) or lies strictly inside the innermost open one. Strictness means no
 * two events of a lane share a timestamp, so the importer's sort order of
 * equal timestamps never matters.
 */

export interface Interval {
  start: number;
  end: number;
}

/** Lane index for each interval (same order as `items`); lanes are numbered from 0. */
export function assignLanes(items: readonly Interval[]): number[] {
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.start - items[b]!.start || items[b]!.end - items[a]!.end || a - b);
  const lanes: Interval[][] = [];
  const out = new Array<number>(items.length).fill(0);
  for (const i of order) {
    const it = items[i]!;
    let placed = -1;
    for (let l = 0; l < lanes.length && placed < 0; l++) {
      const stack = lanes[l]!;
      while (stack.length !== 0 && stack[stack.length - 1]!.end < it.start) stack.pop();
      const top = stack[stack.length - 1];
      if (top === undefined || (top.start < it.start && it.end < top.end)) placed = l;
    }
    if (placed < 0) {
      placed = lanes.length;
      lanes.push([]);
    }
    lanes[placed]!.push(it);
    out[i] = placed;
  }
  return out;
}
