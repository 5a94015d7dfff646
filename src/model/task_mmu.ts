/**
 * Readers of an mm that are not faults (fs/proc/task_mmu.c, mm/mmap_lock.c;
 * v7.0, ../shared/kernel/memory-and-vma.md §E.1): /proc/PID/maps,
 * /proc/PID/smaps and /proc/PID/smaps_rollup, each read from start to end
 * by one task (another process's, e.g. system_server's PSS sampling, or the
 * app's own). The output is produced in seq_file chunks, one per read(2):
 * m_start takes the lock, m_stop drops it.
 *
 * maps is modelled as in v6.17 and later (Suren Baghdasaryan, "use per-vma
 * locks for /proc/pid/maps reads"): per-VMA read locks taken under RCU
 * (lock_next_vma), mmap_lock only as a fallback when a VMA is write-locked,
 * and then only long enough to take the VMA lock; `lock: 'mmap'` gives the
 * v6.16-and-earlier reader (mmap_read_lock_killable per chunk). smaps and
 * smaps_rollup hold mmap_lock for read in v7.0.
 */
import { cpu, type KPath } from './effects.js';
import { Cost } from './cost.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { mmap_lock_is_contended, mmap_read_lock_killable, mmap_read_unlock, PT } from './mmap_lock.js';
import { vma_end_read, VMA_READ_EAGAIN, VMA_READ_OK, VMA_READ_UNSTABLE, vma_start_read_finish_unstable, vma_start_read, vma_start_read_locked } from './vma_lock.js';
import { sched_points } from './sched.js';

/** vma_next / mas_find from `addr`: the first VMA that ends after it. */
function vma_next(mm: MmStruct, addr: number): VmAreaStruct | null {
  const v = mm.vmas;
  let lo = 0, hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v[mid]!.vm_end <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < v.length ? v[lo]! : null;
}

/** Present PTEs of a VMA from `from` on (the model's populated share, `resident`). */
function present_ptes(vma: VmAreaStruct, from: number): number {
  return Math.round((vma.vm_end - Math.max(vma.vm_start, from)) * vma.resident);
}

/**
 * lock_next_vma (mm/mmap_lock.c, v6.17+): the next VMA from `from_addr`,
 * read-locked. vma_start_read under RCU; a detached VMA (-EAGAIN) is looked
 * up again; a write-locked one (or one whose writer excludes readers) falls
 * back to lock_next_vma_under_mmap_lock: mmap_read_lock_killable, look up
 * again, vma_start_read_locked, mmap_read_unlock. Returns the VMA, null at
 * the end, or 'eintr' when a fatal signal ended the mmap_lock wait. (The
 * speculation check for a VMA that appeared in a gap needs a tree that
 * changes without mmap_lock; the model's never does.)
 */
function* lock_next_vma(mm: MmStruct, from_addr: number): KPath<VmAreaStruct | null | 'eintr'> {
  for (;;) {
    if (sched_points) yield PT.lock_vma_under_rcu;
    const vma = vma_next(mm, from_addr);
    if (vma === null) return null;
    const r = vma_start_read(mm, vma);
    if (r === VMA_READ_UNSTABLE) vma_start_read_finish_unstable(vma); // err_unstable: another mm's VMA (mmgrab, put, mmdrop)
    if (r === VMA_READ_OK) return vma;
    if (r === VMA_READ_EAGAIN) continue; // vma_iter_set(vmi, from_addr); goto retry
    // fallback: lock_next_vma_under_mmap_lock
    if ((yield* mmap_read_lock_killable(mm)) < 0) return 'eintr';
    const v = vma_next(mm, from_addr);
    if (v !== null) vma_start_read_locked(v);
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(mm);
    return v;
  }
}

/**
 * Read /proc/PID/maps to the end (proc_pid_maps_op). Per-VMA locks
 * (`vma_locks`, v6.17+): get_next_vma releases the previous VMA's lock
 * (unlock_ctx_vma) and takes the next one's (lock_next_vma); show_map_vma
 * runs holding only that VMA's read lock. Otherwise (v6.16 and earlier)
 * m_start takes mmap_read_lock_killable and m_stop releases it, every
 * `chunk` VMAs (one read(2) of the seq_file buffer). Returns the VMAs shown.
 */
export function* proc_pid_maps_read(mm: MmStruct, vma_locks: boolean, chunk: number): KPath<number> {
  let last = 0, shown = 0;
  if (vma_locks) {
    let prev: VmAreaStruct | null = null;
    for (;;) {
      if (prev !== null) {
        if (sched_points) yield PT.vma_end_read;
        vma_end_read(prev); // unlock_ctx_vma
      }
      const v = yield* lock_next_vma(mm, last);
      if (v === null || v === 'eintr') return shown;
      yield cpu(Cost.show_map); // show_map_vma
      shown++;
      last = v.vm_end;
      prev = v;
    }
  }
  for (;;) {
    if ((yield* mmap_read_lock_killable(mm)) < 0) return shown; // m_start
    let n = 0;
    for (let v = vma_next(mm, last); v !== null && n < chunk; v = vma_next(mm, last), n++) {
      yield cpu(Cost.show_map);
      shown++;
      last = v.vm_end;
    }
    const done = vma_next(mm, last) === null;
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(mm); // m_stop
    if (done) return shown;
  }
}

/**
 * Read /proc/PID/smaps to the end (proc_pid_smaps_op, v7.0): per read(2),
 * m_start takes mmap_read_lock_killable, show_smap walks `chunk` VMAs'
 * page tables (smap_gather_stats: Cost.smaps_pte per present PTE) and
 * formats them (Cost.show_smap), m_stop releases it. Returns the VMAs shown.
 */
export function* proc_pid_smaps_read(mm: MmStruct, chunk: number): KPath<number> {
  let last = 0, shown = 0;
  for (;;) {
    if ((yield* mmap_read_lock_killable(mm)) < 0) return shown;
    let n = 0;
    for (let v = vma_next(mm, last); v !== null && n < chunk; v = vma_next(mm, last), n++) {
      const ptes = present_ptes(v, v.vm_start);
      if (ptes > 0) yield cpu(Cost.smaps_pte, ptes);
      yield cpu(Cost.show_smap);
      shown++;
      last = v.vm_end;
    }
    const done = vma_next(mm, last) === null;
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(mm);
    if (done) return shown;
  }
}

/**
 * show_smaps_rollup (fs/proc/task_mmu.c, v7.0): mmap_read_lock_killable,
 * then smap_gather_stats on every VMA; after each one, if
 * mmap_lock_is_contended, release and re-take the lock (killable) and go on
 * from last_vma_end (a VMA that now straddles it is walked from there);
 * then one formatted entry. Returns the VMAs walked.
 */
export function* show_smaps_rollup(mm: MmStruct): KPath<number> {
  if ((yield* mmap_read_lock_killable(mm)) < 0) return 0;
  let walked = 0, last_vma_end: number, from = 0;
  for (let v = vma_next(mm, 0); v !== null; v = vma_next(mm, last_vma_end)) {
    const ptes = present_ptes(v, from);
    if (ptes > 0) yield cpu(Cost.smaps_pte, ptes);
    walked++;
    last_vma_end = v.vm_end;
    from = 0;
    if (mmap_lock_is_contended(mm)) {
      if (sched_points) yield PT.mmap_read_unlock;
      mmap_read_unlock(mm);
      if ((yield* mmap_read_lock_killable(mm)) < 0) return walked;
      from = last_vma_end; // cases 2-4: resume at last_vma_end
    }
  }
  yield cpu(Cost.show_smap); // __show_smap of the totals
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return walked;
}
