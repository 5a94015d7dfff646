/**
 * The scenario's address space: the VMA groups laid out in address order
 * (buildMm), and the VMA flags and readahead advice a group maps with.
 */
import {
  anon_vma_init_faulted, MmStruct, VM_SEQ_READ, type MadviseFlagBehavior, VM_WRITE, VM_RAND_READ, VM_READAHEAD_PAGES,
  MemCgroup, LruPage, VmAreaStruct, vm_flags_of, type FaultStrategy, type ForkStrategy,
} from '../model/index.js';
import type { Scenario, VmaGroup } from '../scenario/types.js';


/** One VMA's address range; the VMA object in it changes on munmap+mmap. */
export interface Slot {
  start: number;
  pages: number;
  /**
   * The VMA last found in this range (user space knows which mapping it
   * touches): reused while it is attached, else looked up again.
   */
  vma: VmAreaStruct | null;
  /**
   * Where `vma` was last seen in the mm's tree (an index into mm.vmas, a
   * guess: lock_vma_under_rcu checks it, see MapleTree.walkFrom), or -1.
   */
  idx: number;
}

export function vmFlags(g: VmaGroup): number {
  return vm_flags_of(g) | (g.readahead === 'random' ? VM_RAND_READ : 0); // madvise(MADV_RANDOM)
}

/** The madvise advice that `vm_flags` carry (MADV_RANDOM, MADV_SEQUENTIAL, or neither). */
export function adviceOf(vm_flags: number): MadviseFlagBehavior {
  return (vm_flags & VM_RAND_READ) !== 0 ? 'random' : (vm_flags & VM_SEQ_READ) !== 0 ? 'sequential' : 'normal';
}

/** Lay the VMA groups out in address order, one guard page apart. */
export function buildMm(sc: Scenario, fault: FaultStrategy, fork: ForkStrategy): { mm: MmStruct; slots: Map<string, Slot[]> } {
  const mm = new MmStruct(fault, fork, sc.mmap_lock.reader_wake);
  mm.swapSynchronous = sc.io.swap_synchronous;
  mm.readSynchronous = sc.io.read_synchronous;
  const mem = sc.memory;
  if (mem !== undefined) {
    mm.memory = new MemCgroup({ max: mem.max ?? Infinity, high: mem.high ?? Infinity, total: mem.total ?? 0, other: mem.other, swappiness: mem.swappiness,
      dirty_background_ratio: mem.dirty_background_ratio, dirty_ratio: mem.dirty_ratio,
      dirty_writeback_ns: mem.dirty_writeback, dirty_expire_ns: mem.dirty_expire,
    });
  }
  const slots = new Map<string, Slot[]>();
  let addr = 0x10; // page numbers
  for (const g of sc.vmas) {
    const list: Slot[] = [];
    const flags = vmFlags(g);
    for (let i = 0; i < g.count; i++) {
      const pages = g.pages[i]!;
      const vma = new VmAreaStruct(mm, mm.nextVmaId++, g.name, addr, addr + pages, flags, g.kind === 'file', g.map_pages, g.resident,
        g.readahead === 'off' ? 0 : VM_READAHEAD_PAGES);
      if (g.anon_vma) anon_vma_init_faulted(vma);
      // The resident pages of a writable anonymous VMA were written: writable PTEs a first fork write-protects.
      if (g.kind !== 'file' && (flags & VM_WRITE) !== 0) vma.anon_ptes_writable = Math.round(pages * g.resident);
      if (g.page_mkwrite !== undefined) vma.page_mkwrite = g.page_mkwrite;
      if (mm.memory !== null) {
        if (vma.vm_file) { // cold page cache, but for the group's `cached` share (warm, charged)
          const warm = Math.floor((g.cached ?? 0) * pages);
          for (let p = 0; p < warm; p++) mm.memory.lruvec.add(new LruPage(vma, p));
          mm.memory.usage += warm;
          for (let p = warm; p < pages; p++) vma.evicted.add(p);
        } else { // the resident share of anonymous memory is charged from the start
          const n = Math.floor(g.resident * pages);
          for (let p = 0; p < n; p++) mm.memory.lruvec.add(new LruPage(vma, p, true));
          mm.memory.usage += n;
        }
      }
      mm.link(vma);
      list.push({ start: addr, pages, vma, idx: -1 });
      addr += pages + 1;
    }
    slots.set(g.name, list);
  }
  return { mm, slots };
}

