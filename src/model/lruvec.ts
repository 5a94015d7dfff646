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
  /**
   * PG_dirty of a page-cache page (folio_mark_dirty), kept here rather than
   * on the folio object, which the simulator drops once idle: the LRU entry
   * lives as long as the page is resident (page_writeback.ts).
   */
  dirty = false;
  /** PG_reclaim: reclaim met it dirty or under writeback; folio_end_writeback rotates it (folio_rotate_reclaimable). */
  reclaim = false;
  /** Brought in by a readahead window and not yet used by a fault (model-only: RA_UNUSED_RECLAIMED). */
  ra_unused = false;
  /** An anonymous page (LRU_*_ANON), else page cache (LRU_*_FILE). */
  constructor(readonly vma: VmAreaStruct, readonly index: number, readonly anon = false) {}
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
  /** LRU_INACTIVE_ANON, oldest first. */
  readonly inactive_anon = new Map<number, LruPage>();
  /** LRU_ACTIVE_ANON, oldest first. */
  readonly active_anon = new Map<number, LruPage>();

  get size(): number {
    return this.inactive.size + this.active.size + this.inactive_anon.size + this.active_anon.size;
  }
  get anon_size(): number {
    return this.inactive_anon.size + this.active_anon.size;
  }
  get(vma: VmAreaStruct, index: number): LruPage | undefined {
    const k = page_key(vma, index);
    if (!vma.vm_file) return this.inactive_anon.get(k) ?? this.active_anon.get(k);
    return this.inactive.get(k) ?? this.active.get(k);
  }
  /** The list `p` belongs on. */
  list(anon: boolean, active: boolean): Map<number, LruPage> {
    return anon ? (active ? this.active_anon : this.inactive_anon) : (active ? this.active : this.inactive);
  }
  /** lruvec_add_folio: at the newest end of its list. */
  add(p: LruPage): void {
    this.list(p.anon, p.active).set(page_key(p.vma, p.index), p);
  }
  /** lruvec_del_folio. */
  del(p: LruPage): void {
    this.list(p.anon, p.active).delete(page_key(p.vma, p.index));
  }
  /**
   * lruvec_add_folio_tail: at the oldest end of its list, the next to be
   * isolated (lru_move_tail). Rebuilds the list: only writeback completions
   * of PG_reclaim folios come here.
   */
  add_tail(p: LruPage): void {
    const l = this.list(p.anon, p.active);
    const rest = [...l];
    l.clear();
    l.set(page_key(p.vma, p.index), p);
    for (const [k, q] of rest) l.set(k, q);
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
  inactive_is_low(anon: boolean): boolean {
    return this.list(anon, false).size < this.list(anon, true).size;
  }
}
