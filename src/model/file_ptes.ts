/**
 * Model-only: the file PTEs of a VMA that are present, by page offset
 * (VmAreaStruct.file_ptes; fault_around.ts). Stored as one 16-bit mask per
 * 16 page offsets, so that a fault-around walk marks its whole window with
 * one or two map updates.
 */
export class FilePtes {
  private readonly masks = new Map<number, number>();
  private n = 0;

  /** Number of present PTEs. */
  get size(): number {
    return this.n;
  }
  has(pgoff: number): boolean {
    return ((this.masks.get(pgoff >> 4) ?? 0) & (1 << (pgoff & 15))) !== 0;
  }
  add(pgoff: number): void {
    const k = pgoff >> 4, bit = 1 << (pgoff & 15), m = this.masks.get(k) ?? 0;
    if ((m & bit) !== 0) return;
    this.masks.set(k, m | bit);
    this.n++;
  }
  delete(pgoff: number): void {
    const k = pgoff >> 4, bit = 1 << (pgoff & 15), m = this.masks.get(k) ?? 0;
    if ((m & bit) === 0) return;
    this.n--;
    if ((m & ~bit) === 0) this.masks.delete(k);
    else this.masks.set(k, m & ~bit);
  }
  /** Mark [first, last] present. */
  addRange(first: number, last: number): void {
    for (let k = first >> 4; k <= last >> 4; k++) {
      const lo = Math.max(first, k << 4) & 15, hi = Math.min(last, (k << 4) + 15) & 15;
      const want = ((1 << (hi + 1)) - 1) & ~((1 << lo) - 1) & 0xffff;
      const m = this.masks.get(k) ?? 0;
      if ((m & want) === want) continue;
      this.n += popcount16(want & ~m);
      this.masks.set(k, m | want);
    }
  }
}

function popcount16(x: number): number {
  let c = 0;
  for (let v = x & 0xffff; v !== 0; v &= v - 1) c++;
  return c;
}
