/**
 * The checker's observation hooks (ModelHooks, src/model/custom.ts): what
 * the model reports as it runs (objects created, PTEs set, locks taken and
 * released, page-table updates, lifetimes), checked against the invariants
 * and recorded for the state hash. Split out of ./executor.ts; `x` is the
 * running Execution.
 */
import {
  anon_folio_mappers, VM_MAYBE_GUARD, VM_MIXEDMAP, VM_PFNMAP, VM_UFFD_WP, VmAreaStruct, vma_is_write_locked, vma_needs_copy, type LockdepClass, type ModelHooks,
} from '../model/index.js';
import type { CheckTask } from './check-task.js';
import { fold, foldString, lanes } from './hash.js';
import { opaqueCall } from './opaque.js';
import { VmaObs, type InvariantName } from './invariants.js';
import type { Tracker } from './track.js';

/** VM_COPY_ON_FORK's flags, for fork-copy-complete messages. */
const COPY_ON_FORK: ReadonlyArray<readonly [number, string]> = [
  [VM_PFNMAP, 'VM_PFNMAP'], [VM_MIXEDMAP, 'VM_MIXEDMAP'], [VM_UFFD_WP, 'VM_UFFD_WP'], [VM_MAYBE_GUARD, 'VM_MAYBE_GUARD'],
];

/** What the hooks need of the Execution they observe. */
export interface HookHost {
  readonly tracker: Tracker;
  readonly obs: VmaObs[];
  readonly obsOf: Map<VmAreaStruct, VmaObs>;
  readonly lockEdges: Map<string, string>;
  readonly cur: CheckTask | null;
  /**
   * The running step's violations are judged (Execution.step's `check`).
   * Off for a replayed step: it ran afresh before with the same prefix and
   * found none (or the search would have stopped there), so the hooks skip
   * work whose only output is a violation's message (lockdep's cycle search).
   */
  readonly checking: boolean;
  /**
   * The scenario has rmap walks (op rmap_walk): an anon_vma freed under
   * mapped folios is reported where the walk touches it, as KASAN reports
   * it, not at the free.
   */
  readonly rmapWalks: boolean;
  name(id: number): string;
  who(): string;
  record(inv: InvariantName, message: string): void;
}

/** The hooks of one execution; each reads `x` when called, not before. */
export function checkHooks(x: HookHost): ModelHooks {
  return {
    object_created: (o) => {
      x.tracker.register(o);
      if (o instanceof VmAreaStruct) {
        x.tracker.register(o.f_ra, o); // vma->vm_file->f_ra: the readahead window and mmap_miss, shared by the VMA's faults
        const ob = new VmaObs(o);
        x.obs.push(ob);
        x.obsOf.set(o, ob);
        x.tracker.register(ob, o);
      }
    },
    set_pte_at: (vma, pgoff, kind) => {
      const o = x.obsOf.get(vma)!;
      const me = x.cur?.id ?? -1;
      if (vma.detached) x.record('detached-vma', `${x.who()} sets a PTE of ${vma.label}, which is detached (unmapped)`);
      if (o.copyBy >= 0 && o.copyBy !== me) {
        x.record('fork-copy-stability', `${x.who()} sets a PTE of ${vma.label} (page ${pgoff}, ${kind}) while ${x.name(o.copyBy)} copies its page tables (copy_page_range)`);
      }
      if (kind === 'anon') o.anonPtes.add(pgoff);
      else o.anonPtes.delete(pgoff);
    },
    pt_update_begin: (vma, what, locked) => {
      const o = x.obsOf.get(vma)!;
      const me = x.cur?.id ?? -1;
      if (what === 'copy_page_range') {
        if (o.zapN > 0) x.record('fork-copy-stability', `${x.who()} starts copy_page_range of ${vma.label} while ${x.name(o.zapBy)} zaps its PTEs (zap_page_range_single)`);
        o.copyBy = me;
        o.copyLocked = locked;
      } else if (what === 'change_protection') {
        if (o.copyBy >= 0) x.record('fork-copy-stability', `${x.who()} changes PTEs of ${vma.label} while ${x.name(o.copyBy)} copies them`);
        o.changeBy = me;
      } else {
        if (o.copyBy >= 0 && o.copyBy !== me) {
          x.record('fork-copy-stability', `${x.who()} zaps PTEs of ${vma.label} (zap_page_range_single) while ${x.name(o.copyBy)} copies them (copy_page_range)`);
        }
        o.zapN++;
        o.zapBy = me;
      }
    },
    pt_update_end: (vma, what) => {
      const o = x.obsOf.get(vma)!;
      if (what === 'copy_page_range') {
        if (o.anonPtes.size > 0 && o.childAnonVma === 0) {
          x.record('anon-vma', `the child's copy of ${vma.label} maps anonymous pages, but anon_vma_fork gave it no anon_vma`);
        }
        o.copyBy = -1;
        o.copyLocked = false;
      } else if (what === 'change_protection') {
        o.changeBy = -1;
      } else {
        o.zapN--;
        if (o.zapN === 0) o.zapBy = -1;
        o.anonPtes.clear();
      }
    },
    anon_vma_fork: (src) => {
      x.obsOf.get(src)!.childAnonVma = src.anon_vma !== null ? 1 : 0;
    },
    dup_mmap_copy: (src, copy) => {
      if (!copy && vma_needs_copy(src)) {
        const why = src.anon_vma !== null ? 'it has an anon_vma' : COPY_ON_FORK.filter(([f]) => (src.vm_flags & f) !== 0).map(([, n]) => n).join(' | ');
        x.record('fork-copy-complete', `${x.who()} skips copy_page_range of ${src.label}, which vma_needs_copy says the child needs (${why}): the child loses its page tables`);
      }
    },
    vm_area_alloc: (vma, reused, src) => {
      const o = x.obsOf.get(vma)!;
      if (reused) {
        o.copyBy = -1;
        o.copyLocked = false;
        o.changeBy = -1;
        o.zapN = 0;
        o.zapBy = -1;
        o.childAnonVma = -1;
        o.anonPtes.clear();
      }
      if (src !== null) for (const p of x.obsOf.get(src)!.anonPtes) o.anonPtes.add(p);
      // A reused object for a new mapping (vm_area_alloc) got a new file's
      // readahead state in vm_area_get; vm_area_dup replaces it by the
      // original's (tracked already). Track the new one, as object_created
      // does for a fresh VMA's (read as a probe: not an input of the task, not in its footprint).
      else if (reused) x.tracker.register(x.tracker.probe(() => vma.f_ra).value, vma);
    },
    vm_area_free: (vma) => {
      // vm_refcnt still counts a reader (another mm's vma_start_read between
      // its increment and vma_refcount_put): its decrement writes freed memory.
      if (vma.nrReaders !== 0) x.record('use-after-free', `${x.who()} frees ${vma.label} (vm_area_free) while a vm_refcnt reference is still held on it: the holder's vma_refcount_put writes freed memory`);
    },
    mm_use: (mm, what) => {
      if (mm.freed) x.record('use-after-free', `${x.who()} runs ${what} on ${mm.comm === '' ? 'the mm' : `mm(${mm.comm})`} after it was freed (__mmdrop: mm_count fell to 0)`);
    },
    mm_free: () => {},
    anon_vma_use: (av, what) => {
      if (av.freed) x.record('use-after-free', `${x.who()} runs ${what} on ${av.label} after it was freed (anon_vma_free: its refcount fell to 0)`);
    },
    mempolicy_use: (pol, what) => {
      if (pol.freed) x.record('use-after-free', `${x.who()} runs ${what} on ${pol.label} after it was freed (mpol_put: its refcount fell to 0)`);
    },
    anon_vma_free: (av) => {
      // The kernel frees an anon_vma once no VMA is linked to it; a folio
      // still mapped whose folio->mapping is this anon_vma then dangles, and
      // the next rmap walk from it (reclaim, migration, KSM) reads freed memory.
      // With walks in the scenario the walk itself reports it (rmap_walk below).
      if (x.rmapWalks) return;
      for (const v of av.folio_vmas) {
        if (!v.freed && !v.detached) {
          x.record('use-after-free', `${x.who()} frees ${av.label} (the last put_anon_vma) while ${v.label} still maps anonymous folios whose folio->mapping is it: the next rmap walk from them reads freed memory (${v.label}'s anon_vma is ${v.anon_vma?.label ?? 'NULL'})`);
          return;
        }
      }
    },
    rmap_walk: (av, pgoff, found) => {
      // anon_vma_interval_tree_foreach hands folio_referenced_one each VMA
      // linked to the anon_vma: it must still be that VMA (not freed, not
      // reused by another mapping), or page_vma_mapped_walk reads freed memory.
      for (const v of found) {
        if (v.freed || !v.anon_vma_chain.includes(av)) {
          x.record('use-after-free', `${x.who()}'s rmap walk of ${av.label} visits ${v.label}, which ${v.freed ? 'was freed (vm_area_free)' : 'was freed and reused'} while still in the anon_vma's interval tree`);
          return;
        }
      }
      // Every VMA that maps the folio must be in the tree the walk iterates
      // (anon_vma_clone / anon_vma_fork link it), or try_to_unmap leaves a
      // mapping behind and folio_referenced misses a reference.
      for (const m of anon_folio_mappers(av, pgoff)) {
        if (!found.includes(m)) {
          x.record('anon-vma', `${x.who()}'s rmap walk of ${av.label} (the folio at page offset ${pgoff}) does not find ${m.label}, which maps it: ${m.label} is not linked to ${av.label} (its anon_vma_chain: ${m.anon_vma_chain.map((a) => a.label).join(', ') || 'empty'})`);
          return;
        }
      }
    },
    rmap_walk_miss: (av, pgoff, found, how) => {
      // mm/mremap.c move_ptes: "rmap will always observe either the old pte, or the new pte, or both";
      // a walk that observes neither leaves the folio mapped (try_to_unmap) or a migration entry behind.
      x.record('anon-vma', `${x.who()}'s rmap walk of ${av.label} (the folio at page offset ${pgoff}) observes its PTE in none of the VMAs it visits (${found.map((v) => v.label).join(', ')}), though the folio stays mapped: ${how}`);
    },
    vma_use: (vma, mm, addr, what) => {
      const me = x.cur;
      if (me !== null && !vma.readers.includes(me) && mm.mmap_lock.writer !== me && !mm.mmap_lock.readers.includes(me)) {
        x.record('use-after-unlock', `${x.who()} runs ${what} on ${vma.label} holding neither its VMA read lock nor mmap_lock (vma_assert_locked)`);
        return;
      }
      if (vma.freed) {
        x.record('use-after-free', `${x.who()} runs ${what} on ${vma.label} after it was freed (vm_area_free)`);
      } else if (vma.mm !== mm || vma.detached || addr < vma.vm_start || addr >= vma.vm_end) {
        x.record('use-after-free', `${x.who()} runs ${what} for address ${addr} on ${vma.label} [${vma.vm_start}, ${vma.vm_end})${vma.detached ? ' (detached)' : ''}: the object it looked up is no longer the VMA covering the address (freed and reused, or changed, since lock_vma_under_rcu's lookup)`);
      }
    },
    pgtable_use: (pt, mm, addr, what) => {
      if (!pt.freed) return;
      const where = `${x.who()} runs ${what} for address ${addr} through ${mm.comm === '' ? '' : `mm(${mm.comm}) `}${pt.label}`;
      x.record('use-after-free', pt.bogus
        ? `${where}: not a page table (collapse_huge_page's failure path pmd_populate'd pmd_pgtable() of a pmd that was none: a table freed under it)`
        : pt.reclaimed
          ? `${where}, which PT_RECLAIM freed (zap_pte_range's try_get_and_clear_pmd, free_pte)`
          : pt.retracted
            ? `${where}, which retract_page_tables freed (the PTE table its rcu_read_lock section mapped from the old pmd is gone)`
            : what === 'try_to_unmap_one'
              ? `${where}, which free_pgtables freed (unlink_file_vma took the VMA out of the i_mmap tree under the rmap walk, which still walks its page tables)`
              : `${where}, which free_pgtables freed (the vmf->pmd it walked to in __handle_mm_fault is gone)`);
    },
    vma_change: (vma, what) => {
      const me = x.cur;
      if (!vma_is_write_locked(vma) || me === null || vma.mm.mmap_lock.writer !== me) {
        x.record('vma-write-exclusion', `${x.who()} changes the ${what === 'range' ? 'range' : what} of ${vma.label} without holding its VMA write lock (vma_assert_write_locked)`);
        return;
      }
      for (const r of vma.readers) {
        if (r !== me) {
          x.record('vma-write-exclusion', `${x.who()} changes the ${what} of ${vma.label} while ${x.name(r.id)} holds its VMA read lock`);
          return;
        }
      }
    },
    vma_read_lock: (_vma, delta) => {
      if (x.cur !== null) x.cur.vmaReadLocks += delta;
    },
    i_mmap_lock: (delta) => {
      if (x.cur !== null) x.cur.iMmapLocks += delta;
    },
    fs_reclaim: (delta) => {
      if (x.cur !== null) x.cur.fsReclaim += delta;
    },
    lock_acquire: (cls, mm) => {
      const me = x.cur;
      if (me === null) return;
      const sem = mm.mmap_lock;
      const held: LockdepClass[] = []; // anon_vma's lock is never held across a step (rmap.ts)
      // anon_vma_lock_write is taken and released inside one step, so no
      // edge out of 'anon_vma' ever exists and an edge into it can close no
      // cycle: its outcome never depends on what it reads, which is read as
      // a probe (not in the step's footprint, which it would only widen).
      // might_alloc's fs_reclaim likewise (fs_reclaim.ts): whether this task
      // holds mmap_lock is a function of its own history.
      const mine = cls === 'anon_vma' || cls === 'fs_reclaim'
        ? x.tracker.probe(() => sem.writer === me || sem.readers.includes(me)).value
        : sem.writer === me || sem.readers.includes(me);
      if (mine) held.push('mmap_lock');
      // The task's own count (task-local: a VMA read lock is never handed
      // over), not a scan of every VMA's readers, which would put those
      // readers in this step's footprint and cost the reduction.
      if (me.vmaReadLocks > 0) held.push('vma_lock');
      if (me.iMmapLocks > 0) held.push('i_mmap_rwsem'); // task-local too (khugepaged.ts)
      if (me.fsReclaim > 0) held.push('fs_reclaim'); // kswapd's reclaim (fs_reclaim.ts)
      for (const h of held) {
        const key = `${h}->${cls}`;
        if (x.lockEdges.has(key)) continue;
        const where = `${me.comm} in ${me.opLabel}`;
        x.lockEdges.set(key, where);
        const back = h === cls ? where : x.lockEdges.get(`${cls}->${h}`);
        if (back !== undefined) {
          x.record('lock-order', h === cls
            ? `${where} takes ${cls} while holding ${h} (recursive locking)`
            : `lock order inversion: ${where} takes ${cls} while holding ${h}, but ${back} took ${h} while holding ${cls}`);
        } else if (x.checking) {
          // A longer cycle (lockdep's check_noncircular: a path cls -> ... -> h in the graph).
          const path = lockPath(x.lockEdges, cls, h);
          if (path !== null) {
            x.record('lock-order', `circular locking dependency: ${where} takes ${cls} while holding ${h}, but ${path.map(([a, b, w]) => `${w} took ${b} while holding ${a}`).join(', and ')}`);
          }
        }
      }
    },
    opaque: (f) => opaqueCall(f),
    frame: (site, live) => {
      // A frame checkpoint in do_user_addr_fault, called directly by this
      // task's program, or nested in a callee whose callers' live locals are
      // those of an earlier checkpoint (FrameSite): the task's future is a
      // function of that base history (the op-start history for
      // do_user_addr_fault's own sites: the program frame), the site, its
      // live locals and the task's own counters; the values read since the
      // base are dead.
      const t = x.cur;
      if (t === null || !x.tracker.hist || !x.tracker.on || x.tracker.opaque !== 0) return;
      if (site === 'dup_mmap_vma' || site === 'dup_mmap_end' || site === 'dup_mmap_dup' || site === 'dup_mmap_copy' ? !t.inFork : site === 'mprotect_locked' || site === 'mprotect_vma_locked' ? !t.inMprotect : !t.inFault) return;
      let cont = -1;
      switch (site) {
        case 'fault_retry_cont': // a declaration, not a checkpoint: the history stays
          t.contAddress = live[0] as number;
          t.contAttempts = live[1] as number;
          t.contRetried = live[2] as number;
          t.contMajor = live[3] as number;
          t.contMinor = live[4] as number;
          t.inCont = true;
          return;
        case 'filemap_dropped': // filemap_fault with the fault lock dropped: do_user_addr_fault's continuation is the declared one
          if (t.inCont) {
            lanes.a = t.opA;
            lanes.b = t.opB;
            cont = live[1] === true ? t.contMajor : t.contMinor;
          } else if (t.inHmf) {
            lanes.a = t.hmfA;
            lanes.b = t.hmfB;
          } else {
            return;
          }
          break;
        case 'lock_mm_locked': // nested in lock_mm_and_find_vma, called from the lock_mmap checkpoint
          if (!t.inLockMmap) return;
          lanes.a = t.frameA;
          lanes.b = t.frameB;
          break;
        case 'filemap_ra':
        case 'filemap_async_ra':
        case 'filemap_sync_ra':
        case 'filemap_entry':
        case 'filemap_lock':
        case 'filemap_locked': // nested in handle_mm_fault's tail calls, after a *_handle_mm_fault checkpoint
          if (!t.inHmf) return;
          lanes.a = t.hmfA;
          lanes.b = t.hmfB;
          break;
        default:
          lanes.a = t.opA;
          lanes.b = t.opB;
      }
      fold(0xf7a3e);
      foldString(site);
      if (cont >= 0) {
        // The continuation in place of the *_handle_mm_fault checkpoint's base (0xc0 marks it).
        fold(0xc0);
        fold(t.contAddress);
        fold(t.contAttempts);
        fold(t.contRetried);
        fold(cont);
        t.inHmf = false; // that base is not needed again in this attempt: every later filemap_fault site is a dropped one
      }
      fold(live.length);
      for (const v of live) x.tracker.foldValue(v);
      fold(t.retries);
      fold(t.vmaReadLocks);
      t.inLockMmap = site === 'lock_mmap';
      if (t.inLockMmap) {
        t.frameA = lanes.a;
        t.frameB = lanes.b;
      }
      if (site === 'vma_handle_mm_fault' || site === 'mmap_handle_mm_fault') {
        t.inHmf = true;
        t.hmfA = lanes.a;
        t.hmfB = lanes.b;
        t.inCont = false; // until this attempt's fault_retry_cont, if any
      } else if (site === 'retry_vma' || site === 'lock_mmap' || site === 'vma_fault_ret' || site === 'mmap_fault_ret' || site === 'fault_retry_ret') {
        t.inHmf = false;
        t.inCont = false;
      }
    },
    anon_vma_prepare: (vma) => {
      const sem = vma.mm.mmap_lock;
      const me = x.cur;
      if (me === null || (sem.writer !== me && !sem.readers.includes(me))) {
        x.record('anon-vma', `${x.who()} installs the anon_vma of ${vma.label} without holding mmap_lock (__anon_vma_prepare)`);
      }
    },
  };
}

/**
 * A path from lock class `from` to `to` in the lock-order graph (edges
 * `a->b`, with where each was first seen), shortest first (breadth-first),
 * as [a, b, where] steps; null when there is none.
 */
function lockPath(edges: ReadonlyMap<string, string>, from: string, to: string): Array<[string, string, string]> | null {
  const prev = new Map<string, [string, string]>();
  const queue = [from];
  const seen = new Set([from]);
  const keys = [...edges.keys()].sort();
  while (queue.length > 0) {
    const a = queue.shift()!;
    for (const k of keys) {
      const [s, d] = k.split('->') as [string, string];
      if (s !== a || seen.has(d)) continue;
      seen.add(d);
      prev.set(d, [a, edges.get(k)!]);
      if (d === to) {
        const out: Array<[string, string, string]> = [];
        for (let b = to; b !== from;) {
          const [p, w] = prev.get(b)!;
          out.unshift([p, b, w]);
          b = p;
        }
        return out;
      }
      queue.push(d);
    }
  }
  return null;
}
