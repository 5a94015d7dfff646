/**
 * `struct lruvec` for page-cache folios, classic two-list LRU
 * (include/linux/mm_inline.h lruvec_add_folio / lruvec_del_folio,
 * mm/swap.c folio_add_lru / folio_mark_accessed / folio_activate; v7.0).
 *
 * Classic, not MGLRU (docs/fidelity.md, "Reclaim"): mainline's default
 * (CONFIG_LRU_GEN_ENABLED is off unless configured), and reclaim then never
 * touches mmap_lock; MGLRU's aging walk (walk_mm, mmap_read_trylock of every
 * mm) is a separate source of mmap_lock holds, not modelled.
 *
 * A page is identified by its VMA (the model's file) and index. Each list is
 * a Map in insertion order: the first entry is the oldest (the kernel's list
 * tail, where reclaim isolates), the last the newest (lruvec_add_folio adds
 * at the head).
 */
import type { VmAreaStruct } from './mm_types.js';

/** One resident page-cache page on the LRU (the folio's LRU fields). */
export class LruPage {
  /** PG_active. */
  active = false;
  /** PG_referenced (folio_mark_accessed / folio_check_references). */
  referenced = false;
  /** A PTE's accessed bit: set when a fault maps the page, read and cleared by folio_referenced. */
  young = false;
  constructor(readonly vma: VmAreaStruct, readonly index: number) {}
}

/** Largest VMA the page key supports (pages). */
export const LRU_MAX_VMA_PAGES = 1 << 22;

/** The page key: VMA id and index in one number. */
export function page_key(vma: VmAreaStruct, index: number): number {
  return vma.id * LRU_MAX_VMA_PAGES + index;
}

export class Lruvec {
  /** LRU_INACTIVE_FILE, oldest first. */
  readonly inactive = new Map<number, LruPage>();
  /** LRU_ACTIVE_FILE, oldest first. */
  readonly active = new Map<number, LruPage>();

  get size(): number {
    return this.inactive.size + this.active.size;
  }
  get(vma: VmAreaStruct, index: number): LruPage | undefined {
    const k = page_key(vma, index);
    return this.inactive.get(k) ?? this.active.get(k);
  }
  /** lruvec_add_folio: at the newest end of its list. */
  add(p: LruPage): void {
    (p.active ? this.active : this.inactive).set(page_key(p.vma, p.index), p);
  }
  /** lruvec_del_folio. */
  del(p: LruPage): void {
    (p.active ? this.active : this.inactive).delete(page_key(p.vma, p.index));
  }
  /** Put back at the newest end (rotate, or after a list change). */
  putback(p: LruPage): void {
    this.del(p);
    this.add(p);
  }
  /**
   * inactive_is_low (mm/vmscan.c): the inactive file list is smaller than
   * the active one times inactive_ratio; the ratio is int_sqrt(10 * GiB) of
   * the lists' size, 1 below 1 GiB, which is every scenario's size here.
   */
  inactive_is_low(): boolean {
    return this.inactive.size < this.active.size;
  }
}
