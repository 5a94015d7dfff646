/**
 * Fork strategies: which parent VMAs dup_mmap() write-locks.
 *
 * - fork-lock-all: mainline, fb49c455323f "fork: lock VMAs of the parent
 *   process when forking" (Suren Baghdasaryan, July 2023).
 * - fork-lock-writable: Barry Song, 2026-05-17, literal condition:
 *   `!vma->vm_file || (!(flags & VM_SHARED) && (flags & VM_WRITE))`.
 * - fork-lock-cow: David Hildenbrand / Lorenzo Stoakes, 2026-05-18: only VMAs
 *   that can hold anonymous pages, is_cow_mapping(flags).
 * - fork-lock-anon-vma: Yang Shi, 2026-05-18/19: only VMAs that already have an
 *   anon_vma.
 * - fork-lock-none: Barry Song, 2026-05-19, "remove it entirely" (Lorenzo:
 *   "totally broken. NAK").
 */
import { is_cow_mapping, VM_SHARED, VM_WRITE, type ForkStrategy, type VmAreaStruct } from '../model/index.js';

export const forkLockAll: ForkStrategy = { name: 'fork-lock-all', lock_vma: () => true };

export const forkLockWritable: ForkStrategy = {
  name: 'fork-lock-writable',
  lock_vma: (v: VmAreaStruct) => !v.vm_file || ((v.vm_flags & VM_SHARED) === 0 && (v.vm_flags & VM_WRITE) !== 0),
};

export const forkLockCow: ForkStrategy = {
  name: 'fork-lock-cow',
  lock_vma: (v: VmAreaStruct) => is_cow_mapping(v.vm_flags),
};

export const forkLockAnonVma: ForkStrategy = {
  name: 'fork-lock-anon-vma',
  lock_vma: (v: VmAreaStruct) => v.anon_vma !== null,
};

export const forkLockNone: ForkStrategy = { name: 'fork-lock-none', lock_vma: () => false };
