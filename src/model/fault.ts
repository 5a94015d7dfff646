/**
 * The arch user fault entry: arch/x86/mm/fault.c `do_user_addr_fault`
 * (arm64 `do_page_fault` has the same shape), with the series' patch 1/5
 * `retry_vma:` label and Suren's FALLBACK variant as strategy decisions.
 */
import { cpu, cpu_then, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { handle_mm_fault, handle_mm_fault_with, mm_account_fault } from './memory.js';
import {
  FAULT_FLAG_DEFAULT, FAULT_FLAG_TRIED, FAULT_FLAG_USER, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE,
  VM_FAULT_COMPLETED, VM_FAULT_MAJOR, VM_FAULT_RETRY, VM_FAULT_SIGSEGV, VM_GROWSDOWN,
  type MmStruct, type VmAreaStruct,
} from './mm_types.js';
import type { VmFault } from './fault_types.js';
import { mmap_read_lock, mmap_write_downgrade, mmap_write_lock_killable, mmap_write_unlock, mmap_read_lock_killable, mmap_read_trylock, mmap_read_unlock, PT } from './mmap_lock.js';
import { lock_vma_under_rcu, lock_vma_under_rcu_steps, vma_end_read } from './vma_lock.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import type { FaultStrategy } from './strategy.js';
import { count_vm_event, VmEvent } from './vmstat.js';
import { current, fatal_signal_pending, sched_points } from './sched.js';
import { mem_cgroup_handle_over_high } from './memcontrol.js';
import { expand_downwards } from './vma.js';

/**
 * A retried attempt's CPU: the re-walk (`fault_retry`) and handle_mm_fault's
 * own work, back to back in one step, as on the CPU (nothing between the
 * lock and handle_mm_fault can sleep or schedule).
 */
const RETRY_CPU = cpu_then(Cost.fault_retry, Cost.handle_mm_fault);

/**
 * A first attempt's CPU: handle_mm_fault, and on a file VMA do_read_fault's
 * page-cache lookup and fault-around (mm/memory.c do_read_fault ->
 * do_fault_around -> filemap_map_pages) in the same step. do_read_fault costs
 * 0 unless a cost profile sets it, so the built-in timing is unchanged.
 */
const FIRST_CPU_ANON = cpu(Cost.handle_mm_fault);
const FIRST_CPU_FILE = cpu_then(Cost.handle_mm_fault, Cost.do_read_fault);
function first_attempt_cpu(vma: VmAreaStruct) {
  return vma.vm_file ? FIRST_CPU_FILE : FIRST_CPU_ANON;
}

/**
 * lock_mm_and_find_vma (mm/mmap_lock.c, v6.5+): mmap_read_trylock, else
 * mmap_read_lock_killable; then find_vma. An address below a VM_GROWSDOWN
 * VMA: drop the read lock, mmap_write_lock_killable, find_vma again,
 * expand_downwards, mmap_write_downgrade (memory-and-vma.md F.6). null
 * without the lock when there is no VMA or a fatal signal ended the wait.
 *
 * With a strategy whose `lock_mm_and_find_vma` is false (pre-vma), the x86
 * do_user_addr_fault of v6.4 and earlier instead: `if
 * (unlikely(!mmap_read_trylock(mm))) { retry: mmap_read_lock(mm); }` then
 * find_vma: the uninterruptible sleep, and a retried attempt (`goto retry`,
 * `retried`) goes straight to mmap_read_lock.
 */
function* lock_mm_and_find_vma(mm: MmStruct, address: number, retried: boolean): KPath<VmAreaStruct | null> {
  if (mm.fault.lock_mm_and_find_vma) {
    // get_mmap_lock_carefully: mmap_read_trylock first (a failure shows in the
    // mmap_lock tracepoints, as on a real kernel), then the killable sleep.
    if (sched_points) yield PT.mmap_read_trylock;
    if (!mmap_read_trylock(mm) && (yield* mmap_read_lock_killable(mm)) < 0) return null;
  } else if (retried) {
    yield* mmap_read_lock(mm); // retry: mmap_read_lock(mm)
  } else {
    if (sched_points) yield PT.mmap_read_trylock;
    if (!mmap_read_trylock(mm)) yield* mmap_read_lock(mm);
  }
  // Read lock held, however it was taken. Live: mm, address (retried is
  // dead); the caller's live locals are those of its 'lock_mmap' checkpoint.
  if (hooks_on) hooks.frame?.('lock_mm_locked', [address]); // model-only hook
  if (sched_points) yield PT.find_vma;
  let vma = mm.mm_mt.find(address); // find_vma: the first VMA ending above address
  if (vma !== null && vma.vm_start <= address) return vma;
  if (vma === null || (vma.vm_flags & VM_GROWSDOWN) === 0 || !mm.fault.lock_mm_and_find_vma) {
    // (pre-v6.5 stack expansion under the read lock is not modelled: SIGSEGV)
    mmap_read_unlock(mm);
    return null;
  }
  // mmap_upgrade_trylock is always false: upgrade_mmap_lock_carefully drops
  // the read lock and takes the write lock, then looks the VMA up again.
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  if ((yield* mmap_write_lock_killable(mm)) < 0) return null;
  if (sched_points) yield PT.find_vma;
  vma = mm.mm_mt.find(address);
  if (vma !== null && vma.vm_start > address) {
    // expand_stack_locked -> expand_downwards, unless the VMA is no stack
    if ((vma.vm_flags & VM_GROWSDOWN) === 0 || (yield* expand_downwards(vma, address)) !== 0) vma = null;
  }
  if (vma === null) { // fail:
    if (sched_points) yield PT.mmap_write_unlock;
    mmap_write_unlock(mm);
    return null;
  }
  if (sched_points) yield PT.mmap_write_downgrade;
  mmap_write_downgrade(mm); // success:
  return vma;
}

/**
 * Whether the per-VMA-lock loop of do_user_addr_fault goes on to `lock_mmap`
 * after a VM_FAULT_RETRY from a filemap_fault that dropped the VMA lock for
 * its I/O (model-only, for the checker's `fault_retry_cont` declaration,
 * docs/checker.md "State caching"). filemap_fault then returns `ret |
 * VM_FAULT_RETRY` with `ret` 0 or VM_FAULT_MAJOR (out_retry), and
 * VM_FAULT_RETRY_VMA only under retry_vma_after_io (patch 1/5): without it
 * and unless the strategy retries those results under the VMA lock, the loop
 * counts, sets FAULT_FLAG_TRIED for a major fault, answers a fatal signal and
 * breaks to `lock_mmap` with nothing else read (the injected read of the VMA
 * after VM_FAULT_RETRY is a read).
 */
function vma_retry_to_lock_mmap(s: FaultStrategy): boolean {
  return !s.retry_vma_after_io && !s.retry_under_vma_lock(VM_FAULT_RETRY) &&
    !s.retry_under_vma_lock(VM_FAULT_RETRY | VM_FAULT_MAJOR) && !fault_inject.fault_vma_access_after_retry;
}

/**
 * A user page fault at `address` (in pages). Returns the final VM_FAULT_* bits.
 *
 * `vma0` and `r0` are the simulator's fast path's (do_user_addr_fault_fast_*
 * below): undefined, the fault from its start; null, its lock_vma_under_rcu
 * found no VMA to lock (goto lock_mmap); a VMA, it locked that VMA, ran the
 * first attempt's CPU step and called handle_mm_fault, which returned `r0`
 * (the rest runs here). The checker always starts from the beginning.
 */
export function* do_user_addr_fault(
  mm: MmStruct, address: number, write: boolean,
  vma0?: VmAreaStruct | null, r0: number | KPath<number> = 0,
  flags0 = 0, attempts0 = 0, retried0 = false,
): KPath<number> {
  // flags0, attempts0, retried0: where the fast path left the `lock_mmap:` loop (vma0 null), else 0, 0, false.
  let flags = flags0 !== 0 ? flags0 : fault_flags(write);
  let attempts = attempts0;
  let ret: number;
  const s = mm.fault;
  if (s.per_vma_lock && vma0 !== null) {
    for (;;) { // retry_vma:
      let vma: VmAreaStruct | null;
      let r: number | KPath<number>;
      if (vma0 !== undefined) { // resumed from the fast path: after the first attempt's handle_mm_fault call
        vma = vma0;
        vma0 = undefined;
        attempts = 1;
        r = r0;
      } else {
        // Live here: mm, address (arguments), flags, attempts (s is mm->fault; ret and vma are set before use).
        if (hooks_on) hooks.frame?.('retry_vma', [address, flags, attempts]); // model-only hook
        if (sched_points) {
          yield PT.lock_vma_under_rcu;
          vma = yield* lock_vma_under_rcu_steps(mm, address);
        } else {
          vma = lock_vma_under_rcu(mm, address);
        }
        if (vma === null) break; // goto lock_mmap
        if (hooks_on) hooks.vma_use(vma, mm, address, 'handle_mm_fault'); // model-only hook
        // Live: address, flags, attempts, vma (the VMA lock is held).
        if (hooks_on) hooks.frame?.('vma_handle_mm_fault', [address, flags, attempts, vma]); // model-only hook
        // Where a VM_FAULT_RETRY after a dropped lock goes (model-only hook): lock_mmap, with attempts + 1,
        // retried false, and flags | FAULT_FLAG_TRIED on a major fault, flags on a minor one.
        if (hooks_on && vma_retry_to_lock_mmap(s)) hooks.frame?.('fault_retry_cont', [address, attempts + 1, 0, flags | FAULT_FLAG_TRIED, flags]);
        yield attempts++ === 0 ? first_attempt_cpu(vma) : RETRY_CPU;
        r = handle_mm_fault(vma, address, flags | FAULT_FLAG_VMA_LOCK);
      }
      ret = typeof r === 'number' ? r : yield* r;
      mm_account_fault(ret);
      // handle_mm_fault returned: live are address, flags, attempts, vma and ret. A VM_FAULT_RETRY that goes on
      // to lock_mmap (below: no vma_end_read, vma never read again, flags | FAULT_FLAG_TRIED on a major fault,
      // return ret on a fatal signal) has the mmap_lock loop's continuation: the same checkpoint as there.
      if (hooks_on) {
        if ((ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)) === VM_FAULT_RETRY && !s.retry_under_vma_lock(ret) && !fault_inject.fault_vma_access_after_retry) {
          hooks.frame?.('fault_retry_ret', [address, flags | (ret & VM_FAULT_MAJOR ? FAULT_FLAG_TRIED : 0), attempts, 0, ret]); // model-only hook
        } else {
          hooks.frame?.('vma_fault_ret', [address, flags, attempts, vma, ret]); // model-only hook
        }
      }
      if ((ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)) === 0) {
        if (sched_points) yield PT.vma_end_read;
        vma_end_read(vma);
        if (fault_inject.do_user_addr_fault_double_vma_end_read) {
          if (sched_points) yield PT.vma_end_read;
          vma_end_read(vma); // injected bug: the lock is released twice
        }
      }
      if ((ret & VM_FAULT_RETRY) === 0) {
        count_vm_event(VmEvent.VMA_LOCK_SUCCESS);
        return ret;
      }
      if (fault_inject.fault_vma_access_after_retry) hooks.vma_use(vma, mm, address, 'a read of vma->vm_flags after VM_FAULT_RETRY'); // injected bug
      count_vm_event(VmEvent.VMA_LOCK_RETRY);
      count_vm_event(VmEvent.FAULT_RETRY);
      if (ret & VM_FAULT_MAJOR) flags |= FAULT_FLAG_TRIED; // 46e714c729c8
      if (fatal_signal_pending(current)) return ret; // fault_signal_pending(): only fatal signals are modelled
      if (!s.retry_under_vma_lock(ret)) break;
      count_vm_event(VmEvent.FAULT_RETRY_VMA); // goto retry_vma
    }
  }
  // lock_mmap: retry:
  for (let retried = retried0; ; retried = true) {
    // Live here: mm, address, flags, attempts, and retried only where lock_mm_and_find_vma reads it (the
    // pre-v6.5 form, `goto retry`); with the v6.5+ form it is dead from here on (the loop sets it to
    // true before any later read).
    if (hooks_on) hooks.frame?.('lock_mmap', [address, flags, attempts, retried && !s.lock_mm_and_find_vma ? 1 : 0]); // model-only hook
    const vma = yield* lock_mm_and_find_vma(mm, address, retried);
    if (vma === null) {
      // bad_area_nosemaphore (for a dying task: the wait for mmap_lock was interrupted)
      if (!fatal_signal_pending(current)) count_vm_event(VmEvent.FAULT_SIGSEGV);
      return VM_FAULT_SIGSEGV;
    }
    count_vm_event(VmEvent.FAULT_MMAP_PATH);
    // Live: address, flags, attempts, vma (mmap_lock is held for read); retried is dead: the loop's
    // next iteration sets it to true before lock_mm_and_find_vma reads it.
    if (hooks_on) {
      hooks.frame?.('mmap_handle_mm_fault', [address, flags, attempts, vma]); // model-only hook
      // A VM_FAULT_RETRY always goes on to retry: (lock_mmap) with attempts + 1 and flags | FAULT_FLAG_TRIED;
      // retried as the lock_mmap checkpoint lists it (model-only hook).
      hooks.frame?.('fault_retry_cont', [address, attempts + 1, s.lock_mm_and_find_vma ? 0 : 1, flags | FAULT_FLAG_TRIED, flags | FAULT_FLAG_TRIED]);
    }
    yield attempts++ === 0 ? first_attempt_cpu(vma) : RETRY_CPU;
    const r = handle_mm_fault(vma, address, flags);
    ret = typeof r === 'number' ? r : yield* r;
    mm_account_fault(ret);
    // handle_mm_fault returned: live are address, flags, attempts and ret (vma is dead: the loop reassigns
    // it; retried too: the loop sets it to true before its next read).
    if (hooks_on) {
      if ((ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)) === VM_FAULT_RETRY) {
        // The continuation of the per-VMA-lock loop's fault_retry_ret: return ret on a fatal signal, else
        // lock_mmap with flags | FAULT_FLAG_TRIED (model-only hook).
        hooks.frame?.('fault_retry_ret', [address, flags | FAULT_FLAG_TRIED, attempts, s.lock_mm_and_find_vma ? 0 : 1, ret]);
      } else {
        hooks.frame?.('mmap_fault_ret', [address, flags, attempts, ret]); // model-only hook
      }
    }
    if (ret & VM_FAULT_COMPLETED) return ret;
    if (ret & VM_FAULT_RETRY) {
      count_vm_event(VmEvent.FAULT_RETRY);
      if (fatal_signal_pending(current)) return ret; // fault_signal_pending()
      flags |= FAULT_FLAG_TRIED;
      continue;
    }
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(mm);
    return ret;
  }
}

/**
 * The simulator's fast path for do_user_addr_fault, in plain calls where
 * the general form is a generator (one per fault, ~350 bytes, resumed
 * twice): the same steps in the same order at the same simulated times, for
 * an engine without scheduling points or model hooks (`fault_fast_path_ok`).
 *
 * 1. do_user_addr_fault_fast_lock: the head of do_user_addr_fault's
 *    `retry_vma:` loop, lock_vma_under_rcu (null: the general form goes on
 *    at `lock_mmap:`, do_user_addr_fault(mm, address, write, null)).
 * 2. The caller yields the first attempt's CPU step (first_attempt_cpu).
 * 3. do_user_addr_fault_fast_handle: handle_mm_fault. When it returns a
 *    path (it may sleep), the caller runs it as a CALL; when it returns
 *    FILEMAP_FAULT_STAGED (do_read_fault's filemap_fault), the caller runs
 *    filemap_fault as stages of its own (filemap_stages.ts), whose result
 *    stands for the path's.
 * 4. do_user_addr_fault_fast_ret with handle_mm_fault's VM_FAULT bits:
 *    without VM_FAULT_RETRY the loop's tail (mm_account_fault, vma_end_read,
 *    VMA_LOCK_SUCCESS) and the fault's result; with it, step 5 below.
 */
/** do_user_addr_fault's initial flags: FAULT_FLAG_DEFAULT | FAULT_FLAG_USER, and FAULT_FLAG_WRITE for a write. */
function fault_flags(write: boolean): number {
  return FAULT_FLAG_DEFAULT | FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0);
}

export function fault_fast_path_ok(mm: MmStruct): boolean {
  return !sched_points && !hooks_on && mm.fault.per_vma_lock && !fault_inject.do_user_addr_fault_double_vma_end_read;
}
export function do_user_addr_fault_fast_lock(mm: MmStruct, address: number, hint: number): VmAreaStruct | null {
  return lock_vma_under_rcu(mm, address, hint); // retry_vma: (!sched_points: the lookup and vma_start_read in one step)
}
export { first_attempt_cpu as do_user_addr_fault_fast_cpu };
export function do_user_addr_fault_fast_handle(vmf: VmFault, vma: VmAreaStruct, address: number, write: boolean): number | KPath<number> {
  return handle_mm_fault_with(vmf, vma, address, fault_flags(write) | FAULT_FLAG_VMA_LOCK, true);
}
export function do_user_addr_fault_fast_ret(mm: MmStruct, vma: VmAreaStruct, address: number, write: boolean, ret: number): number | KPath<number> {
  if ((ret & VM_FAULT_RETRY) !== 0) return do_user_addr_fault_fast_vma_retry(mm, vma, address, write, ret);
  // do_user_addr_fault's retry_vma loop after handle_mm_fault returned without VM_FAULT_RETRY:
  mm_account_fault(ret);
  if ((ret & VM_FAULT_COMPLETED) === 0) vma_end_read(vma);
  count_vm_event(VmEvent.VMA_LOCK_SUCCESS);
  return ret;
}

/**
 * The fast path carried on past VM_FAULT_RETRY (a major fault dropped its
 * VMA lock for the I/O and waited for it), in plain calls where the general
 * form is the do_user_addr_fault generator resumed after handle_mm_fault
 * (with lock_mm_and_find_vma's): the same steps in the same order.
 *
 * 5. do_user_addr_fault_fast_vma_retry with handle_mm_fault's VM_FAULT_RETRY
 *    bits: when the strategy retries them under the VMA lock (`goto
 *    retry_vma`) the general form from there (the path, for the caller to
 *    run as a CALL: do_user_addr_fault(mm, address, write, vma, ret));
 *    else the retry_vma loop's tail (mm_account_fault, the counts,
 *    FAULT_FLAG_TRIED on a major fault) and either the fault's result (a
 *    fatal signal is pending: `ret`) or FAST_LOCK_MMAP (`break` to
 *    lock_mmap, with do_user_addr_fault_fast_retry_flags's flags).
 * 6. do_user_addr_fault_fast_lock_mmap: lock_mm_and_find_vma when
 *    mmap_read_trylock succeeds and find_vma finds a VMA that holds the
 *    address (the read lock taken, FAULT_MMAP_PATH counted); else nothing
 *    done and null: the general form from `lock_mmap:`
 *    (do_user_addr_fault(mm, address, write, null, 0, flags, 1)).
 * 7. The caller yields the retried attempt's CPU step (RETRY_CPU, attempts
 *    being 1), then calls handle_mm_fault (do_user_addr_fault_fast_mmap_handle,
 *    with the caller's struct vm_fault as in step 3; a path: run as a CALL;
 *    FILEMAP_FAULT_STAGED: filemap_fault's stages, as in step 3).
 * 8. do_user_addr_fault_fast_mmap_ret with its VM_FAULT bits: the lock_mmap
 *    loop's tail, the fault's result, or (VM_FAULT_RETRY again, no fatal
 *    signal) the general form at its next `retry:` iteration.
 */
export const FAST_LOCK_MMAP = -1;
export function do_user_addr_fault_fast_vma_retry(mm: MmStruct, vma: VmAreaStruct, address: number, write: boolean, ret: number): number | KPath<number> {
  const s = mm.fault;
  if (s.retry_under_vma_lock(ret)) return do_user_addr_fault(mm, address, write, vma, ret);
  // do_user_addr_fault's retry_vma loop after handle_mm_fault returned VM_FAULT_RETRY:
  mm_account_fault(ret); // (the VMA lock was dropped: no vma_end_read)
  if (fault_inject.fault_vma_access_after_retry) hooks.vma_use(vma, mm, address, 'a read of vma->vm_flags after VM_FAULT_RETRY'); // injected bug
  count_vm_event(VmEvent.VMA_LOCK_RETRY);
  count_vm_event(VmEvent.FAULT_RETRY);
  if (fatal_signal_pending(current)) return ret; // fault_signal_pending()
  return FAST_LOCK_MMAP; // !retry_under_vma_lock: break to lock_mmap
}
/** The flags lock_mmap goes on with after step 5: FAULT_FLAG_TRIED after a major fault (46e714c729c8). */
export function do_user_addr_fault_fast_retry_flags(write: boolean, ret: number): number {
  return fault_flags(write) | (ret & VM_FAULT_MAJOR ? FAULT_FLAG_TRIED : 0);
}
export function do_user_addr_fault_fast_lock_mmap(mm: MmStruct, address: number): VmAreaStruct | null {
  // lock_mm_and_find_vma, both forms, on a first pass (retried false): mmap_read_trylock, then find_vma.
  // Tested first, as nothing runs between the two in a step: a VMA holding the address, and a trylock that succeeds.
  const vma = mm.mm_mt.find(address);
  if (vma === null || vma.vm_start > address || !mm.mmap_lock.readFree()) return null;
  if (!mmap_read_trylock(mm)) throw new Error('do_user_addr_fault_fast_lock_mmap: mmap_read_trylock failed after readFree');
  count_vm_event(VmEvent.FAULT_MMAP_PATH);
  return vma;
}
export { RETRY_CPU as do_user_addr_fault_fast_retry_cpu };
export function do_user_addr_fault_fast_mmap_handle(vmf: VmFault, vma: VmAreaStruct, address: number, flags: number): number | KPath<number> {
  return handle_mm_fault_with(vmf, vma, address, flags, true);
}
export function do_user_addr_fault_fast_mmap_ret(mm: MmStruct, address: number, write: boolean, flags: number, ret: number): number | KPath<number> {
  mm_account_fault(ret);
  if (ret & VM_FAULT_COMPLETED) return ret;
  if (ret & VM_FAULT_RETRY) {
    count_vm_event(VmEvent.FAULT_RETRY);
    if (fatal_signal_pending(current)) return ret; // fault_signal_pending()
    return do_user_addr_fault(mm, address, write, null, 0, flags | FAULT_FLAG_TRIED, 2, true); // continue: retry:
  }
  mmap_read_unlock(mm);
  return ret;
}

/**
 * A user page fault and the return to user space after it
 * (exit_to_user_mode -> resume_user_mode_work -> mem_cgroup_handle_over_high):
 * with a memory model, the memory.high reclaim and penalty the fault owes,
 * paid with no lock held.
 */
export function* do_user_addr_fault_and_return(mm: MmStruct, address: number, write: boolean): KPath<number> {
  const ret = yield* do_user_addr_fault(mm, address, write);
  yield* mem_cgroup_handle_over_high(mm);
  return ret;
}
