/**
 * The op schemas of the scenario file format (a thread's `ops`, a frame's
 * `ops`): one strict object per op kind, discriminated by `op`. Every
 * field's meaning is in docs/scenario-format.md.
 */
import { z } from 'zod';
import { ANON_PAGE_STATES, FILE_PAGE_STATES } from './types.js';
import { Bounded, doc, expecting, LawSchema, LIMITS } from './schema-common.js';

const opCommon = {
  weight: doc(
    z
      .number({ error: expecting('a number > 0') })
      .positive({ error: expecting('a number > 0') })
      .optional(),
    'Relative probability of picking this op after a think pause. Default 1.',
  ),
  repeat: doc(Bounded(1, LIMITS.repeat).optional(), `Run the op this many times back to back (at most ${LIMITS.repeat}). Default 1.`),
  gap: doc(LawSchema.nullable().optional(), 'Pause between repetitions (a law). Default none.'),
};

const PAGE_STATES = [...FILE_PAGE_STATES, ...ANON_PAGE_STATES] as const;
const stateWeight = (d: string) =>
  doc(
    z
      .number({ error: expecting('a weight >= 0') })
      .nonnegative({ error: expecting('a weight >= 0') })
      .optional(),
    d,
  );
const STATE_TEXT: Record<(typeof PAGE_STATES)[number], string> = {
  cached: 'file: the folio is in the page cache and uptodate (minor fault).',
  absent: 'file: not in the page cache; the fault reads it (io.read).',
  locked: 'file: in the page cache but locked by another holder (reclaim, migration) for io.folio_lock_hold.',
  writeback: 'file: in the page cache, under writeback and locked by a holder that waits for it (truncate, migration), both for io.writeback.',
  writeback_unlocked: 'file: in the page cache and under writeback for io.writeback, not locked (the usual state of a folio being written back): a read maps it; ->page_mkwrite of f2fs or a stable-writes file waits for it.',
  zero: 'anon: never touched (or discarded): do_anonymous_page.',
  swapped: 'anon: swapped out; do_swap_page reads it (io.swap).',
  swapcache: 'anon: in the swap cache, uptodate.',
  swapcache_locked: 'anon: in the swap cache, locked by another holder for io.folio_lock_hold.',
  swapcache_writeback: 'anon: in the swap cache, under writeback (swap-out) for io.writeback.',
};

/** A fault or GUP op's `states`: relative weights by page state (keys checked against the group kind later). */
const pageStateWeights = () =>
  z
    .strictObject(
      Object.fromEntries(PAGE_STATES.map((s) => [s, stateWeight(STATE_TEXT[s])])) as Record<
        (typeof PAGE_STATES)[number],
        z.ZodOptional<z.ZodNumber>
      >,
      { error: expecting('a mapping from page state to weight') },
    )
    .optional();

/** Advice a madvise op can give (the flag-changing behaviours the model has). */
export const MADVISE_ADVICE = ['random', 'sequential', 'normal'] as const;

/** Protections an mprotect op can set. */
export const MPROTECT_PROTS = ['none', 'r', 'rw', 'rx', 'rwx'] as const;

const vmaRef = () => doc(z.string({ error: expecting('a VMA group name') }), 'Name of a VMA group in `vmas`.');
const rangePages = () =>
  doc(Bounded(1, LIMITS.pages), 'Pages per call (clamped to the size of the VMA picked; must not exceed the largest VMA in the group).');

export const OpSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({
      op: z.literal('fault'),
      vma: vmaRef(),
      access: doc(
        z.enum(['read', 'write', 'wp'], { error: expecting("'read', 'write' or 'wp'") }).optional(),
        'Kind of access that faults. read; write; wp: a write to a page of a shared file group already mapped read-only (do_wp_page -> wp_page_shared: ->page_mkwrite without a page-cache lookup), or, when the page is not resident (state absent, or evicted with memory:), a write fault on an empty PTE. Default read.',
      ),
      order: doc(
        z.enum(['random', 'sequential'], { error: expecting("'random' or 'sequential'") }).optional(),
        "random: a random page of a random VMA of the group; sequential: each thread reads the group's pages in address order, VMA after VMA, and starts again after the last (rounds). Default random.",
      ),
      states: doc(
        pageStateWeights(),
        'Relative weights of the state the faulting page is in (when no fault is already working on it). Keys must fit the group kind. Default {cached: 1} for file, {zero: 1} for anon.',
      ),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('mprotect'),
      vma: vmaRef(),
      pages: rangePages(),
      prot: doc(
        z.enum(MPROTECT_PROTS, { error: expecting(`one of ${MPROTECT_PROTS.join(', ')}`) }).optional(),
        'Protection to set (PROT_READ/WRITE/EXEC as r, w, x). With it the VMA is split and merged as in the kernel (vma_modify); without it the VMA is write-locked whole and keeps its flags (the model before splits, docs/fidelity.md).',
      ),
      restore: doc(
        z.boolean({ error: expecting('true or false') }).optional(),
        'With prot: a second mprotect of the same pages back to the protection they had follows at once (a GC protect/unprotect pair: split, then merge back). Default false: the pages keep prot (a fragment).',
      ),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('madvise_dontneed'),
      vma: vmaRef(),
      pages: rangePages(),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('munmap'),
      vma: vmaRef(),
      fixed: z.boolean().optional().describe('Instead of munmap then mmap: one mmap(MAP_FIXED) of a new mapping over the VMA, which replaces it (default false).'),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('fork'),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('proc_maps'),
      lock: doc(
        z.enum(['vma', 'mmap'], { error: expecting("'vma' or 'mmap'") }).optional(),
        'vma: v6.17 and later, per-VMA read locks (lock_next_vma), mmap_lock only as a fallback for a write-locked VMA; mmap: v6.16 and earlier, mmap_read_lock_killable per read(2) chunk. Default vma.',
      ),
      chunk: doc(Bounded(1, LIMITS.vmas).optional(), 'VMAs per read(2) (one 4 KiB seq_file buffer of ~100-byte lines). Default 40.'),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('proc_smaps'),
      chunk: doc(Bounded(1, LIMITS.vmas).optional(), 'VMAs per read(2) (one 4 KiB seq_file buffer of ~1 KiB entries), each chunk under one mmap_read_lock_killable. Default 4.'),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('proc_smaps_rollup'),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('gup'),
      vma: vmaRef(),
      pages: rangePages(),
      access: doc(z.enum(['read', 'write'], { error: expecting("'read' or 'write'") }).optional(), 'FOLL_WRITE or not. Default read.'),
      mode: doc(
        z.enum(['pinned', 'unlocked'], { error: expecting("'pinned' or 'unlocked'") }).optional(),
        'pinned: get_user_pages / pin_user_pages with the caller holding mmap_lock for read: no ALLOW_RETRY, I/O is waited for holding it. unlocked: get_user_pages_unlocked (FOLL_UNLOCKABLE): a fault may drop mmap_lock for I/O; GUP re-takes it and retries with FOLL_TRIED. Default pinned.',
      ),
      states: doc(
        pageStateWeights(),
        'Relative weights of the state each page is in before GUP looks it up, as for a fault op. Default {cached: 1} for file, {zero: 1} for anon.',
      ),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('madvise'),
      vma: vmaRef(),
      pages: rangePages(),
      advice: doc(
        z.enum(MADVISE_ADVICE, { error: expecting(`one of ${MADVISE_ADVICE.join(', ')}`) }),
        'random: MADV_RANDOM (sets VM_RAND_READ: no file readahead); sequential: MADV_SEQUENTIAL (VM_SEQ_READ); normal: MADV_NORMAL (clears both). These behaviours change vm_flags: madvise takes mmap_lock for write and splits and merges VMAs as mprotect with prot does (vma_modify).',
      ),
      restore: doc(
        z.boolean({ error: expecting('true or false') }).optional(),
        'A second madvise of the same pages back to the advice they had follows at once (split, then merge back). Default false: the pages keep the advice (a fragment).',
      ),
      ...opCommon,
    }),
    z.strictObject({
      op: z.literal('mremap'),
      vma: vmaRef(),
      pages: doc(
        Bounded(1, LIMITS.pages).optional(),
        'old_len: the last `pages` pages of a VMA of the group (clamped to its size; must not exceed the largest VMA in the group). Default: the whole VMA.',
      ),
      new_pages: doc(Bounded(1, LIMITS.pages), 'new_len in pages: smaller shrinks (the tail is unmapped), larger grows in place when the pages after the VMA are free, else moves (with maymove).'),
      maymove: doc(
        z.boolean({ error: expecting('true or false') }).optional(),
        'MREMAP_MAYMOVE: a growth that does not fit in place moves the range (move_vma) above every VMA. Default true.',
      ),
      dontunmap: doc(
        z.boolean({ error: expecting('true or false') }).optional(),
        'MREMAP_DONTUNMAP (with maymove, new_pages equal to pages): move the range and leave the old one mapped with no pages (the userfaultfd GC pattern). Default false.',
      ),
      ...opCommon,
    }),
  ],
  { error: expecting('an op mapping such as {op: fault, vma: heap}') },
);

