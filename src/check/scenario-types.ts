/** The resolved check scenario: VMAs, threads and their ops, as the executor reads them. */
import type { MpolMode } from '../model/mempolicy.js';
import type { VmaGroup } from '../scenario/types.js';
import type { CheckPageState, CheckProt, NONDET_SITES, SPECIALS } from './scenario-schema.js';

/** The fields a check VMA shares with the simulator's VMA groups (their meaning is documented there). */
type VmaCommon = Pick<VmaGroup, 'name' | 'kind' | 'shared' | 'write' | 'maywrite' | 'exec' | 'anon_vma' | 'map_pages' | 'dontcopy'>;

export interface CheckVma extends VmaCommon {
  special: Array<(typeof SPECIALS)[number]>;
  growsdown: boolean;
  pages: number;
  /** Its process ('' or omitted: the first; scenarios without `process` keys have only that one). */
  process?: string;
}

export type CheckOp =
  | { op: 'fault'; vma: string[]; page: number; access: 'read' | 'write'; state: CheckPageState[] | null }
  /**
   * mprotect: without `prot`, the model before VMA splits (the VMA at the
   * first page is write-locked, nothing else changes); with it, pages
   * [page, page + pages) (default: to the VMA's end) get `prot`, splitting
   * and merging VMAs as the kernel does. munmap: without `page`/`pages` the
   * whole VMA.
   */
  | { op: 'mprotect'; vma: string[]; page: number; pages: number | null; prot: CheckProt | null }
  | { op: 'munmap'; vma: string[]; page: number; pages: number | null }
  /** mmap(MAP_FIXED) of a new mapping (the VMA's kind and flags, a page state of its own) over [page, page + pages) (default: to the VMA's end). */
  | { op: 'mmap_fixed'; vma: string[]; page: number; pages: number | null }
  /**
   * mremap of [page, page + pages) (default: to the VMA's end) to new_pages:
   * in place, or moved above every VMA, or with `to_page` (MREMAP_FIXED) to
   * that page of the VMA's slot.
   */
  | { op: 'mremap'; vma: string[]; page: number; pages: number | null; new_pages: number; maymove: boolean; dontunmap: boolean; to_page: number | null }
  /** madvise(MADV_RANDOM / SEQUENTIAL / NORMAL) of [page, page + pages) (default: to the VMA's end): vm_flags change, split and merge. */
  | { op: 'madvise'; vma: string[]; advice: 'random' | 'sequential' | 'normal'; page: number; pages: number | null }
  /** mbind of [page, page + pages) (default: to the VMA's end) with policy `mode` (the checker only; the simulator has no mbind). */
  | { op: 'mbind'; vma: string[]; mode: MpolMode; page: number; pages: number | null }
  | { op: 'mmap' | 'madvise_dontneed'; vma: string[] }
  /** khugepaged's collapse of the PMD-aligned file range holding `page` (retract_page_tables). */
  | { op: 'khugepaged'; vma: string[]; page: number; collapse: 'file' | 'anon' }
  | { op: 'fork'; child: 'idle' | 'exit' }
  /** folio_referenced of the anonymous folio mapped at `page` of the VMA's slot (nothing if none is). */
  | { op: 'rmap_walk'; vma: string[]; page: number }
  /** try_to_unmap of the folio at `page` of the VMA's slot (file: page cache; anon: the folio mapped there; nothing if none is). */
  | { op: 'try_to_unmap'; vma: string[]; page: number }
  /** UFFDIO_COPY of one page into a private VMA (mfill_atomic). */
  | { op: 'uffdio_copy'; vma: string[]; page: number }
  /** read() of the userfaultfd: wait for a userfault's message (userfaultfd_ctx_read). */
  | { op: 'uffd_read' }
  /** UFFDIO_ZEROPAGE of one page of a private VMA (mfill_atomic_zeropage). */
  | { op: 'uffdio_zeropage'; vma: string[]; page: number }
  /** UFFDIO_MOVE of the anonymous page at `src_page` of `src_vma` to `page` of `vma` (move_pages). */
  | { op: 'uffdio_move'; vma: string[]; page: number; src_vma: string; src_page: number }
  | { op: 'exit' };

export interface CheckThread {
  name: string;
  /** Its process ('' or omitted: the first). */
  process?: string;
  ops: CheckOp[];
}

/** A check scenario after validation, parameter substitution and thread expansion. */
export interface CheckScenario {
  name: string;
  description: string;
  source: string;
  params: Record<string, number>;
  reader_wake: 'all' | 'prefix';
  swap_synchronous: boolean;
  /** sysctl_max_map_count of every process; omitted: the kernel's default. */
  max_map_count?: number;
  max_retries: number;
  nondet: Array<(typeof NONDET_SITES)[number]>;
  vmas: CheckVma[];
  threads: CheckThread[];
  /** The processes (mms) in order of first appearance, VMAs first ('' the unnamed one); omitted: one. */
  processes?: string[];
}
