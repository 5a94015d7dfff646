/**
 * The program each scenario thread runs in the checker (Execution.program:
 * its ops, one kernel path after another) and the page states an op sets up
 * before it faults; split out of ./executor.ts.
 */
import {
  __fs_reclaim_acquire, __fs_reclaim_release, try_to_unmap_file, try_to_unmap_anon, anon_folio_at, dup_mmap, exit_mm, folio_referenced, mmput, MmStruct, do_user_addr_fault, do_mprotect_pkey, do_mremap, do_mbind, madvise_flags, madvise_dontneed, do_vmi_align_munmap,
  do_mmap_fixed, do_mmap, khugepaged_scan_anon, khugepaged_scan_file, userfaultfd_copy, userfaultfd_ctx_read, userfaultfd_move, set_page_state, MPROTECT_PROT_BITS, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE,
  call, type KPath, type VmaShape, type VmAreaStruct,
} from '../model/index.js';
import { lanes } from './hash.js';
import type { CheckTask } from './check-task.js';
import type { CheckOp, CheckPageState } from './scenario.js';
import { vmFlags, type Execution } from './executor.js';

/**
 * A scenario thread: its ops one after another. Each op's kernel path runs
 * as a CALL effect (next_effect pushes it on the task's stack and resumes
 * this frame with its return value), not by `yield*` delegation, which
 * would pass every effect of the path through this generator
 * (docs/checker.md, "Cheaper replayed steps").
 */
export function* program(this: Execution, t: CheckTask, mm: MmStruct, ops: readonly CheckOp[], n: number): KPath {
  const unmapped = new Map<string, VmaShape>();
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    t.retries = 0;
    // What this frame (the program) holds from here on is a function of
    // the history so far: i, and `unmapped` (filled from earlier ops).
    t.opA = lanes.a;
    t.opB = lanes.b;
    t.inLockMmap = false;
    t.inHmf = false;
    t.inCont = false;
    if (op.op === 'fork') {
      t.opLabel = 'fork()';
      // kernel/fork.c copy_mm -> dup_mm: a new mm (mm_users 1: the child), then
      // dup_mmap. The allocation is private to this task: dup_mmap makes it
      // in its first step (a step of its own here would be a scheduling
      // point no other task can tell apart).
      const comm = `${t.comm}.child${i}`;
      let child: MmStruct | null = null;
      const dup_mm = (): MmStruct => {
        // The parent's fixed settings, from the scenario (the same values; not read through the tracked mm).
        const sc = this.model.scenario;
        child = new MmStruct(this.model.fault, this.model.fork, sc.reader_wake, this.cachep, comm);
        child.swapSynchronous = sc.swap_synchronous;
        if (sc.max_map_count !== undefined) child.max_map_count = sc.max_map_count;
        child.nextVmaId = child.nextAnonVmaId = 100 * (this.mms.size + t.id + i); // model labels only
        this.mms.set(comm, child);
        return child;
      };
      t.inFork = true;
      const ret = (yield call(dup_mmap(mm, dup_mm))) as number;
      t.inFork = false;
      const c = child as MmStruct | null;
      if (c === null) continue;
      if (ret < 0) yield call(mmput(c)); // dup_mm's fail path: mmput(mm) tears down what was copied
      else if (op.child === 'exit') this.spawnChild(`${t.comm}'s child`, c);
      continue;
    }
    if (op.op === 'rmap_walk') {
      const vname = op.vma.length === 1 ? op.vma[0]! : op.vma[this.choose(op.vma.length)]!;
      t.opLabel = `rmap_walk(${vname}, page ${op.page})`;
      // shrink_folio_list: the folio reclaim isolated from the LRU (model-only: the one mapped there now).
      const folio = anon_folio_at(mm, this.slots.get(vname)!.start + op.page);
      if (folio !== null) yield call(folio_referenced(folio));
      continue;
    }
    if (op.op === 'try_to_unmap') {
      const vname = op.vma.length === 1 ? op.vma[0]! : op.vma[this.choose(op.vma.length)]!;
      t.opLabel = `try_to_unmap(${vname}, page ${op.page})`;
      // kswapd: balance_pgdat holds fs_reclaim; shrink_folio_list -> try_to_unmap of the folio mapped there now (model-only identity):
      // a file VMA's page-cache folio (rmap_walk_file), an anonymous VMA's folio (rmap_walk_anon).
      const addr = this.slots.get(vname)!.start + op.page;
      const vma = mm.find_vma(addr);
      __fs_reclaim_acquire();
      if (vma !== null && vma.vm_start <= addr && vma.vm_file && vma.mapping !== null) yield call(try_to_unmap_file(vma.mapping, vma.pgoff_of(addr)));
      else if (vma !== null && vma.vm_start <= addr && !vma.vm_file) {
        const folio = anon_folio_at(mm, addr); // add_to_swap done: the anonymous folio mapped there now
        if (folio !== null) yield call(try_to_unmap_anon(mm, folio));
      }
      __fs_reclaim_release();
      continue;
    }
    if (op.op === 'uffd_read') {
      t.opLabel = 'read(userfaultfd)';
      yield call(userfaultfd_ctx_read(mm)); // fs/userfaultfd.c userfaultfd_read
      continue;
    }
    if (op.op === 'exit') {
      t.opLabel = 'exit()';
      yield call(exit_mm(mm)); // do_exit -> exit_mm -> mmput
      continue;
    }
    const vname = op.vma.length === 1 ? op.vma[0]! : op.vma[this.choose(op.vma.length)]!;
    const slot = this.slots.get(vname)!;
    switch (op.op) {
      case 'fault': {
        const state = op.state === null ? null : op.state[op.state.length === 1 ? 0 : this.choose(op.state.length)]!;
        t.opLabel = `fault(${vname}, page ${op.page}, ${op.access}${state !== null ? `, ${state}` : ''})`;
        const addr = slot.start + op.page;
        if (state !== null) {
          const vma = mm.find_vma(addr);
          if (vma !== null) this.preparePage(vma, vma.pgoff_of(addr), state);
        }
        t.inFault = true;
        yield call(do_user_addr_fault(mm, addr, op.access === 'write'));
        t.inFault = false;
        break;
      }
      case 'mprotect': {
        const addr = slot.start + op.page;
        if (op.prot === null) {
          t.opLabel = `mprotect(${vname})`;
          t.inMprotect = true;
          yield call(do_mprotect_pkey(mm, addr, op.pages ?? 1));
          t.inMprotect = false;
        } else {
          const n = op.pages ?? slot.spec.pages - op.page;
          t.opLabel = `mprotect(${vname}, pages ${op.page}..${op.page + n - 1}, ${op.prot})`;
          t.inMprotect = true;
          yield call(do_mprotect_pkey(mm, addr, n, MPROTECT_PROT_BITS[op.prot]));
          t.inMprotect = false;
        }
        break;
      }
      case 'mremap': {
        const n = op.pages ?? slot.spec.pages - op.page;
        const fixed = op.to_page !== null ? MREMAP_FIXED | MREMAP_MAYMOVE : 0;
        t.opLabel = `mremap(${vname}, pages ${op.page}..${op.page + n - 1} -> ${op.new_pages}${op.maymove ? ', MAYMOVE' : ''}${op.dontunmap ? ', DONTUNMAP' : ''}${op.to_page !== null ? `, FIXED to page ${op.to_page}` : ''})`;
        yield call(do_mremap(mm, slot.start + op.page, n, op.new_pages,
          (op.maymove ? MREMAP_MAYMOVE : 0) | (op.dontunmap ? MREMAP_DONTUNMAP | MREMAP_MAYMOVE : 0) | fixed, slot.start + (op.to_page ?? 0)));
        break;
      }
      case 'madvise': {
        const n = op.pages ?? slot.spec.pages - op.page;
        t.opLabel = `madvise(${vname}, pages ${op.page}..${op.page + n - 1}, MADV_${op.advice.toUpperCase()})`;
        yield call(madvise_flags(mm, slot.start + op.page, n, op.advice));
        break;
      }
      case 'mbind': {
        const n = op.pages ?? slot.spec.pages - op.page;
        t.opLabel = `mbind(${vname}, pages ${op.page}..${op.page + n - 1}, MPOL_${op.mode.toUpperCase()})`;
        yield call(do_mbind(mm, slot.start + op.page, n, op.mode));
        break;
      }
      case 'madvise_dontneed':
        t.opLabel = `madvise(${vname}, MADV_DONTNEED)`;
        yield call(madvise_dontneed(mm, slot.start, slot.spec.pages));
        break;
      case 'munmap': {
        t.opLabel = op.pages === null && op.page === 0 ? `munmap(${vname})` : `munmap(${vname}, pages ${op.page}..${op.page + (op.pages ?? 1) - 1})`;
        const old = (yield call(do_vmi_align_munmap(mm, slot.start + op.page, op.pages ?? undefined))) as VmaShape | null;
        if (old !== null) unmapped.set(vname, old);
        break;
      }
      case 'mmap_fixed': {
        const n = op.pages ?? slot.spec.pages - op.page;
        t.opLabel = `mmap(${vname}, pages ${op.page}..${op.page + n - 1}, MAP_FIXED)`;
        const spec = slot.spec;
        yield call(do_mmap_fixed(mm, {
          group: spec.name, vm_start: slot.start + op.page, vm_end: slot.start + op.page + n, vm_flags: vmFlags(spec),
          vm_file: spec.kind === 'file', has_map_pages: spec.map_pages, resident: 0,
        }));
        break;
      }
      case 'uffdio_copy':
      case 'uffdio_zeropage':
        t.opLabel = `ioctl(${op.op === 'uffdio_copy' ? 'UFFDIO_COPY' : 'UFFDIO_ZEROPAGE'}, ${vname}, page ${op.page})`;
        yield call(userfaultfd_copy(mm, slot.start + op.page, op.op === 'uffdio_zeropage')); // fs/userfaultfd.c userfaultfd_copy / userfaultfd_zeropage
        break;
      case 'uffdio_move':
        t.opLabel = `ioctl(UFFDIO_MOVE, ${op.src_vma} page ${op.src_page} -> ${vname} page ${op.page})`;
        yield call(userfaultfd_move(mm, slot.start + op.page, this.slots.get(op.src_vma)!.start + op.src_page));
        break;
      case 'khugepaged':
        t.opLabel = `khugepaged(${vname}, page ${op.page}${op.collapse === 'anon' ? ', anon' : ''})`;
        if (op.collapse === 'anon') yield call(khugepaged_scan_anon(mm, slot.start + op.page)); // collapse_huge_page
        else yield call(khugepaged_scan_file(mm, slot.start + op.page));
        break;
      case 'mmap': {
        t.opLabel = `mmap(${vname})`;
        const old = unmapped.get(vname);
        if (old !== undefined) {
          unmapped.delete(vname);
          yield call(do_mmap(mm, old));
        }
        break;
      }
    }
  }
}

/** Put a page in `state` (set_page_state, as the simulator's workload does); holders are pseudo-threads. */
export function preparePage(this: Execution, vma: VmAreaStruct, pgoff: number, state: CheckPageState): void {
  set_page_state(vma, pgoff, state, (folio, kind, unlock) => {
    this.spawnPseudo(`${kind === 'locked' ? 'holder' : 'wb'}${this.nextPseudo}`, unlock, folio);
  });
}
