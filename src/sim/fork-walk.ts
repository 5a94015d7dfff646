/**
 * How cold a fork's copy is: the units of Cost.copy_pte_after_sleep per
 * present PTE that dup_mmap's copy_page_range pays (model/mmap.ts
 * copy_page_range_cpu).
 *
 * copy_pte_range reads every source PTE of a copied VMA and, for a present
 * one, copy_present_ptes reads and writes its struct page (vm_normal_page ->
 * page_folio, folio_get, folio_try_dup_anon_rmap_ptes: the refcount and the
 * mapcount). The walk that touched all of those lines last is the mm's
 * previous fork (and its child's exit right after it, zap_present_ptes on
 * the same folios); a thread's own faults touch only the pages they map. So
 * a line's age is the time since the mm's last fork ended (-Infinity before
 * the first: as cold as the curve's oldest point). With a curve
 * (Scenario.after_sleep_points.copy_pte_after_sleep, the cost then 1 ns) a
 * fork pays the curve's ns at that age per present PTE; without one, the
 * single value when the forking thread slept since its last op or the mm was
 * never forked. The cost 0 and no curve: nothing, no state read.
 */
import { interpolateRefill, type SleepCurve } from './user-fault.js';

export class ForkWalks {
  /** When the mm's last fork ended (sim ns). */
  private lastFork = -Infinity;
  /** Whether any fork pays a refill (the cost above 0 or a curve). */
  readonly on: boolean;

  constructor(singleNs: number, private readonly curve: SleepCurve | null) {
    this.on = singleNs > 0 || curve !== null;
  }

  /** The refill units per present PTE of a fork beginning `now`; `slept`: the thread slept since its last op. */
  refill(now: number, slept: boolean): number {
    if (!this.on) return 0;
    const age = now - this.lastFork;
    if (this.curve !== null) return interpolateRefill(this.curve, age);
    return slept || age === Infinity ? 1 : 0;
  }

  /** A fork's copy ended at `now`: every line it read is warm from here. */
  walked(now: number): void {
    if (this.on) this.lastFork = now;
  }
}
