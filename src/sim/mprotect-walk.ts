/**
 * The user-space side of an `mprotect` op's range, and how cold its walk is.
 *
 * Pairs: the load generator (native/loadgen.c OP_MPROTECT) flips PROT_EXEC
 * on a page range and the thread's next mprotect of the same region flips
 * that same range back, like a GC's protect/unprotect pair. The simulator
 * pairs a thread's `mprotect` ops (without `prot`) the same way: the second
 * of a pair takes the first's range. It still draws the slot and the start it
 * would have drawn, so every random stream is the one it was before.
 *
 * Refill (Cost.change_pte_after_sleep, model/mprotect.ts change_pte_refill):
 * change_pte_range reads each PTE's line and, for a present PTE, its struct
 * page's; a line's age is the time since an mprotect walk last touched it.
 * The simulator keeps, per slot and page, when a walk last ended there
 * (-Infinity: never, the line as cold as the curve's oldest point). With a
 * curve (Scenario.after_sleep_points.change_pte_after_sleep, the cost then 1
 * ns) a page refills its curve's ns at its age; without one, the single
 * value for a page never walked or walked before the thread slept. Only the
 * present share of the range pays (the struct page read; a none or swap PTE
 * is passed on its line alone): the VMA's resident share plus the pages
 * anonymous faults mapped, less its swapped-out pages, as tlb.ts
 * ptes_changed counts them. The cost 0 and no curve: no refill, no state.
 */
import type { VmAreaStruct } from '../model/index.js';
import type { Slot } from './build-mm.js';
import { interpolateRefill, type SleepCurve } from './user-fault.js';

/** The first op of a thread's pair, waiting for its restore. */
interface PendingRange {
  slot: Slot;
  addr: number;
  pages: number;
}

export class MprotectWalks {
  private readonly pending = new Map<number, PendingRange>();
  /** Per slot, when a walk last ended on each of its pages (sim ns), allocated on the first walk. */
  private readonly walkedAt = new Map<Slot, Float64Array>();
  /** Whether any mprotect pays a refill (the cost above 0 or a curve). */
  readonly on: boolean;

  constructor(singleNs: number, private readonly curve: SleepCurve | null) {
    this.on = singleNs > 0 || curve !== null;
  }

  /**
   * The range task `tid`'s mprotect op works on: the pending pair's when the
   * op is its restore (same slot), else the drawn one, which becomes pending.
   */
  range(tid: number, slot: Slot, addr: number, pages: number): PendingRange {
    const p = this.pending.get(tid);
    if (p !== undefined && p.slot === slot) {
      this.pending.delete(tid);
      return p;
    }
    const r = { slot, addr, pages };
    this.pending.set(tid, r);
    return r;
  }

  /**
   * The refill units per page of a walk of `r` beginning `now` (0: none), and
   * the walk's pages marked as walked then (the walk's own length is small
   * beside the ages that matter). `slept`: the thread slept since its last op.
   */
  refill(r: PendingRange, vma: VmAreaStruct | null, now: number, slept: boolean): number {
    if (!this.on || r.pages <= 0) return 0;
    const slot = r.slot;
    let at = this.walkedAt.get(slot);
    if (at === undefined) this.walkedAt.set(slot, at = new Float64Array(slot.pages).fill(-Infinity));
    const first = r.addr - slot.start, last = Math.min(slot.pages, first + r.pages);
    let sum = 0;
    for (let i = first; i < last; i++) {
      const age = now - at[i]!;
      sum += this.curve !== null ? interpolateRefill(this.curve, age) : slept || age === Infinity ? 1 : 0;
      at[i] = now;
    }
    return (sum / r.pages) * presentShare(vma);
  }
}

/** The share of a VMA's pages whose PTE is present (tlb.ts ptes_changed's count, less the swapped-out pages). */
export function presentShare(vma: VmAreaStruct | null): number {
  if (vma === null) return 0;
  const n = Math.max(1, vma.pages);
  return Math.max(0, Math.min(1, vma.resident + vma.anon_ptes_mapped / n) - vma.swapped.size / n);
}
