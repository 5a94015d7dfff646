/**
 * The zod schema of a check scenario file (scenarios/check-*.yaml): VMA, op,
 * thread and parameter shapes. Loading and resolution: ./scenario.ts.
 */
import { z } from 'zod';
import { MPOL_MODES } from '../model/mempolicy.js';

export const FILE_STATES = ['cached', 'absent', 'locked', 'writeback', 'readahead'] as const;
export const ANON_STATES = ['zero', 'swapped', 'swapcache', 'swapcache_locked', 'swapcache_writeback'] as const;
export type CheckPageState = (typeof FILE_STATES)[number] | (typeof ANON_STATES)[number];
export const SPECIALS = ['pfnmap', 'mixedmap', 'uffd_wp', 'guard', 'uffd_missing'] as const;
export const NONDET_SITES = ['vma_start_read_spurious_fail', 'vm_area_reuse'] as const;

const Name = z.string().regex(/^[A-Za-z0-9_.:{}%/+-]+$/, 'expected a name of letters, digits and _.:-');
const NameOrList = z.union([Name, z.array(Name).min(1)]);
const Template = z.union([z.number().int().min(-1), z.string().regex(/^\{i([%/+]\d+)?\}$|^\d+$/)]);

const VmaSchema = z.strictObject({
  name: Name,
  kind: z.enum(['file', 'anon']),
  shared: z.boolean().default(false),
  write: z.boolean().optional(),
  maywrite: z.boolean().default(true),
  exec: z.boolean().default(false),
  anon_vma: z.boolean().default(false),
  special: z.array(z.enum(SPECIALS)).default([]),
  map_pages: z.boolean().default(true),
  dontcopy: z.boolean().default(false),
  /** A stack (VM_GROWSDOWN): a fault up to `STACK_GROWTH` pages below it expands it (expand_downwards). */
  growsdown: z.boolean().default(false),
  /** At most 1024: a khugepaged scenario needs a VMA that covers a whole PMD-aligned range (HPAGE_PMD_NR = 512 pages). */
  pages: z.number().int().min(1).max(1024).default(4),
  /** The process (mm) the VMA belongs to; omitted: the first process. */
  process: Name.optional(),
  description: z.string().optional(),
});

const StateList = z.union([z.string(), z.array(z.string()).min(1)]);
const FaultOp = z.strictObject({
  op: z.literal('fault'),
  vma: NameOrList,
  page: Template.default(0),
  access: z.enum(['read', 'write']).default('read'),
  state: StateList.optional(),
});
const VmaOp = z.strictObject({
  op: z.enum(['mmap', 'madvise_dontneed']),
  vma: NameOrList,
});
/** Protections an mprotect op may set (PROT_READ / PROT_WRITE / PROT_EXEC). */
export const PROTS = ['none', 'r', 'rw', 'rx', 'rwx'] as const;
export type CheckProt = (typeof PROTS)[number];
const MprotectOp = z.strictObject({
  op: z.literal('mprotect'),
  vma: NameOrList,
  page: z.number().int().min(0).optional(),
  pages: z.number().int().min(1).optional(),
  prot: z.enum(PROTS).optional(),
});
const MadviseOp = z.strictObject({
  op: z.literal('madvise'),
  vma: NameOrList,
  advice: z.enum(['random', 'sequential', 'normal']),
  page: z.number().int().min(0).optional(),
  pages: z.number().int().min(1).optional(),
});
const MremapOp = z.strictObject({
  op: z.literal('mremap'),
  vma: NameOrList,
  page: z.number().int().min(0).optional(),
  pages: z.number().int().min(1).optional(),
  new_pages: z.number().int().min(1).max(128),
  maymove: z.boolean().default(true),
  dontunmap: z.boolean().default(false),
  /** MREMAP_FIXED (with MREMAP_MAYMOVE) to this page of the VMA's slot (the model's new_addr); the range must not overlap the source. */
  to_page: z.number().int().min(0).optional(),
});
/** The shape of an op on [page, page + pages) of a VMA's slot (default: to its end). */
function rangeOp<N extends string>(op: N) {
  return z.strictObject({
    op: z.literal(op),
    vma: NameOrList,
    page: z.number().int().min(0).optional(),
    pages: z.number().int().min(1).optional(),
  });
}
/** The shape of an op at one page of a VMA's slot (default: page 0). */
function pageOp<N extends string>(op: N) {
  return z.strictObject({ op: z.literal(op), vma: NameOrList, page: z.number().int().min(0).default(0) });
}
const MunmapOp = rangeOp('munmap');
/** mbind(MPOL_<mode>) of [page, page + pages) (default: to the VMA's end): vma->vm_policy replaced, split and merge (mm/mempolicy.c). */
const MbindOp = rangeOp('mbind').extend({ mode: z.enum(MPOL_MODES).default('bind') });
/** mmap(MAP_FIXED) of a new mapping over [page, page + pages) of a VMA's range (default: to its end). */
const MmapFixedOp = rangeOp('mmap_fixed');
/**
 * khugepaged collapses the file range (HPAGE_PMD_NR pages, PMD-aligned) that
 * holds `page` of a file VMA: khugepaged_scan_mm_slot finds the VMA under
 * mmap_read_lock, then collapse_file -> retract_page_tables
 * (src/model/khugepaged.ts). The thread stands for the khugepaged kthread.
 */
const KhugepagedOp = pageOp('khugepaged').extend({ collapse: z.enum(['file', 'anon']).default('file') });
/**
 * fork(): dup_mmap builds the child mm. `child: exit` spawns the child as a
 * task that exits at once (exit_mm -> mmput -> exit_mmap), racing with what
 * runs after the fork; `idle` (the default) keeps it alive and idle.
 */
const ForkOp = z.strictObject({ op: z.literal('fork'), child: z.enum(['idle', 'exit']).default('idle') });
/**
 * Reclaim's rmap walk (folio_referenced) of the anonymous folio mapped at a
 * page of a VMA's slot when the op starts: a kernel thread (kswapd), which
 * takes no mmap_lock and no VMA lock.
 */
const RmapWalkOp = pageOp('rmap_walk');
/**
 * Reclaim's try_to_unmap of the folio at a page of a VMA's slot, by kswapd
 * holding lockdep's fs_reclaim: a file VMA's page-cache folio
 * (rmap_walk_file under the file's i_mmap_rwsem, src/model/i_mmap.ts), an
 * anonymous VMA's folio (rmap_walk_anon under the root anon_vma's rwsem,
 * src/model/rmap_walk.ts).
 */
const TryToUnmapOp = pageOp('try_to_unmap');
/** ioctl(UFFDIO_COPY) of one page into a private VMA at `page` (mfill_atomic; src/model/userfaultfd.ts). */
const UffdioCopyOp = pageOp('uffdio_copy');
/** ioctl(UFFDIO_ZEROPAGE) of one page of a private VMA at `page` (mfill_atomic_zeropage: the zero page's PTE). */
const UffdioZeropageOp = pageOp('uffdio_zeropage');
/** ioctl(UFFDIO_MOVE) of the anonymous page at `src_page` of `src_vma` to `page` of `vma` (move_pages). */
const UffdioMoveOp = pageOp('uffdio_move').extend({ src_vma: Name, src_page: z.number().int().min(0).default(0) });
/** read() of the userfaultfd (userfaultfd_ctx_read): wait for a userfault of the thread's process and take its message (the monitor's loop head). */
const UffdReadOp = z.strictObject({ op: z.literal('uffd_read') });
/** The thread exits (exit_mm -> mmput); the last op of its thread. */
const ExitOp = z.strictObject({ op: z.literal('exit') });
const OpSchema = z.union([FaultOp, MprotectOp, MadviseOp, MremapOp, MunmapOp, MmapFixedOp, MbindOp, VmaOp, KhugepagedOp, ForkOp, ExitOp, RmapWalkOp, TryToUnmapOp, UffdioCopyOp, UffdioZeropageOp, UffdioMoveOp, UffdReadOp]);

const ThreadSchema = z.strictObject({
  name: Name,
  count: z.union([z.number().int().min(1).max(16), z.string().regex(/^\$[A-Za-z_][A-Za-z0-9_]*$/)]).default(1),
  /** The process (mm) the thread belongs to; omitted: the first process. */
  process: Name.optional(),
  ops: z.array(OpSchema).min(1),
});

const ParamSchema = z.strictObject({
  default: z.number().int(),
  min: z.number().int(),
  max: z.number().int(),
  description: z.string().optional(),
});

export const CheckScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: Name,
  description: z.string().min(1),
  params: z.record(z.string(), ParamSchema).default({}),
  mm: z.strictObject({
    reader_wake: z.enum(['all', 'prefix']).default('all'),
    swap_synchronous: z.boolean().default(false),
    /** sysctl_max_map_count (default DEFAULT_MAX_MAP_COUNT, 65530): split_vma, munmap's split and mmap fail with -ENOMEM at it. */
    max_map_count: z.number().int().min(1).optional(),
  }).default({ reader_wake: 'all', swap_synchronous: false }),
  max_retries: z.number().int().min(0).default(3),
  nondet: z.array(z.enum(NONDET_SITES)).default([]),
  vmas: z.array(VmaSchema).min(1),
  threads: z.array(ThreadSchema).min(1),
});

export const OP_SCHEMAS: Record<string, z.ZodType> = {
  fault: FaultOp, mprotect: MprotectOp, madvise: MadviseOp, mremap: MremapOp, munmap: MunmapOp, mmap_fixed: MmapFixedOp, mbind: MbindOp, mmap: VmaOp, madvise_dontneed: VmaOp, khugepaged: KhugepagedOp, fork: ForkOp, exit: ExitOp, rmap_walk: RmapWalkOp, try_to_unmap: TryToUnmapOp, uffdio_copy: UffdioCopyOp, uffdio_zeropage: UffdioZeropageOp, uffdio_move: UffdioMoveOp, uffd_read: UffdReadOp,
};
