/**
 * A task of a check execution (a thread of the scenario or an I/O-completion
 * pseudo-task) and the labels of its CPU steps. Split out of ./executor.ts.
 */
import { COST_NAMES, type Cost, type Folio, type KPath, type Task } from '../model/index.js';

export const enum TState { RUNNABLE, BLOCKED, DONE }

const CPU_LABEL: Record<string, string> = {
  handle_mm_fault: 'handle_mm_fault(vma, addr, flags)',
  fault_retry: 'do_user_addr_fault: retry',
  anon_vma_prepare: '__anon_vma_prepare(vma)',
  do_anonymous_page: 'do_anonymous_page(vmf)',
  mprotect_fixup: 'mprotect_fixup(vma)',
  change_pte: 'change_protection(vma)',
  munmap_vma: 'vms_gather_munmap_vmas(vms)',
  zap_pte: 'zap_page_range_single(vma)',
  dup_vma: 'vm_area_dup + anon_vma_fork(tmp, mpnt)',
  copy_pte: 'copy_page_range(dst_vma, src_vma)',
  do_mmap: '__mmap_region(file, addr, len)',
  madvise_vma: 'madvise_vma_behavior(vma)',
  exit_vma: 'exit_mmap: free_pgtables',
  split_vma: '__split_vma(vmi, vma, addr, new_below)',
  merge_vma: 'commit_merge(vmg)',
};

export function cpuLabel(c: Cost): string {
  return CPU_LABEL[COST_NAMES[c]] ?? COST_NAMES[c];
}

export class CheckTask implements Task {
  readonly prio = 0;
  state = TState.RUNNABLE;
  readonly stack: Array<KPath<unknown>> = [];
  resumeValue: unknown = undefined;
  /** What the task's next step does (the effect it stopped at), kernel style. */
  pending: string;
  /** Steps taken. */
  steps = 0;
  /** The kernel step the last step's visible part resumed from (see Execution.resume). */
  from = '';
  /** Current op (threads), for counterexamples. */
  opLabel = '';
  /** VM_FAULT_RETRY returns in the current fault. */
  retries = 0;
  /** VMA read locks this task holds (task-local, for lock-order). */
  vmaReadLocks = 0;
  /** mapping->i_mmap_rwsem this task holds (task-local, for lock-order). */
  iMmapLocks = 0;
  /** Inside reclaim holding lockdep's fs_reclaim map (kswapd's try_to_unmap op; task-local, for lock-order). */
  fsReclaim = 0;
  /**
   * Hash of every input of the task's steps so far (first-read values and
   * data choices, ./track.ts), two lanes: with the program, it determines the
   * task's local state (its generators' frames), which the checker cannot
   * read. Kept only with state caching (CheckModel.stateCache).
   */
  histA = 0x1234567;
  histB = 0x7654321;
  /**
   * The input history at the start of the current op (state caching), and
   * whether the task is inside a fault op's do_user_addr_fault, where the
   * model's frame checkpoints (hook `frame`) may replace the history by this
   * and the checkpoint's live locals (docs/checker.md, "State caching").
   */
  opA = 0;
  opB = 0;
  inFault = false;
  /** Inside a fork op's dup_mmap (its frame checkpoints apply). */
  inFork = false;
  /** Inside an mprotect op's do_mprotect_pkey (its frame checkpoints apply). */
  inMprotect = false;
  /** The history right after the last `lock_mmap` checkpoint of this fault (its nested checkpoint starts from it), and whether it is set. */
  frameA = 0;
  frameB = 0;
  inLockMmap = false;
  /**
   * The history right after the last `*_handle_mm_fault` checkpoint (the
   * nested checkpoints in filemap_fault start from it), and whether it is
   * set (until handle_mm_fault returns or the next attempt starts).
   */
  hmfA = 0;
  hmfB = 0;
  inHmf = false;
  /**
   * do_user_addr_fault's continuation after a VM_FAULT_RETRY from a
   * filemap_fault that dropped its lock, as its `fault_retry_cont` declared it
   * in this attempt (address, attempts, retried, the flags lock_mmap sees after
   * a major and after a minor fault), and whether it is declared: the base of
   * the `filemap_dropped` checkpoints (issue 15's eleventh part).
   */
  contAddress = 0;
  contAttempts = 0;
  contRetried = 0;
  contMajor = 0;
  contMinor = 0;
  inCont = false;
  constructor(
    readonly id: number,
    readonly comm: string,
    readonly io: { fn: (f: Folio) => void; folio: Folio } | null,
  ) {
    this.pending = io !== null ? `${io.fn.name}(${io.folio.label})` : 'start';
  }
}
