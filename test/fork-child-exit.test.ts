/**
 * The fork op's child exit (docs/calibration.md "The forked child's exit"):
 * kernel/fork.c wake_up_new_task places the child, which calls exit_group(0)
 * at once, on an idle CPU if there is one; if not, the child preempts the
 * parent on its CPU and the parent's fork() returns only after the child's
 * do_exit -> exit_mmap. Exact outcomes of hand-built scenarios in the
 * simulator, and no change with the built-in costs (all 0).
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';

type Extra = Record<string, string>;
const run = (sc: ReturnType<typeof scenarioFromObject>) => measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });

// heap: an anonymous VMA with an anon_vma, 64 pages, 32 present; lib: a shared file VMA (not copied).
// The forker forks once, at 1 ms: dup_mmap = 2 VMAs x 100 us + 32 PTEs x 10 ns = 200.32 us.
// The reader's heap fault at 1.05 ms meets the heap VMA write-locked by the fork, falls back to
// mmap_lock and sleeps behind the fork's mmap_write_lock until the fork unlocks it.
const sc = (cpus: number, costs: Extra, reader: boolean) => scenarioFromObject({
  name: 'fx', description: 'test', duration: '1500us', warmup: '0ms', cpus,
  vmas: [
    { name: 'heap', kind: 'anon', write: true, pages: 64, resident: 0.5 },
    { name: 'lib', kind: 'file', shared: true, pages: 16 },
  ],
  threads: [
    { name: 'forker', think: '1ms', ops: [{ op: 'fork' }] },
    ...(reader ? [{ name: 'reader', think: '1050us', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] }] : []),
  ],
  costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', dup_vma: '100us', copy_pte: '10ns', ...costs },
});
// The child's exit: do_exit 50 us + 2 VMAs x 1 us + 1 anon_vma x 2 us + 32 copied PTEs x 100 ns = 57.2 us.
const child = { do_exit: '50us', exit_mmap_vma: '1us', unlink_anon_vmas: '2us', exit_mmap_pte: '100ns' };
const fork = (s: ReturnType<typeof sc>) => run(s).opsAll.fork!;

describe('fork: the child runs its exit first when wake_up_new_task finds no idle CPU', () => {
  it('2 CPUs, a reader woken by the fork\'s mmap_write_unlock takes the other CPU: the child runs on the parent\'s', () => {
    const f = fork(sc(2, child, true));
    expect(f.count).toBe(1);
    expect(f.latency!.max).toBe(200_320 + 57_200);
  });

  it('the same with a wake-up latency: the woken reader has the other CPU already (idle_cpu() is false)', () => {
    expect(fork(sc(2, { ...child, wakeup: '3us' }, true)).latency!.max).toBe(200_320 + 57_200);
  });

  it('1 CPU: never an idle one, the child always runs first', () => {
    expect(fork(sc(1, child, false)).latency!.max).toBe(200_320 + 57_200);
  });

  it('2 CPUs and nothing else runnable: the child exits on the idle CPU, the parent returns at once', () => {
    expect(fork(sc(2, child, false)).latency!.max).toBe(200_320);
  });

  it('VM_DONTCOPY VMAs are not the child\'s: no exit cost for them', () => {
    const s = scenarioFromObject({
      name: 'fx', description: 'test', duration: '1500us', warmup: '0ms', cpus: 1,
      vmas: [{ name: 'heap', kind: 'anon', write: true, pages: 64, resident: 0.5, dontcopy: true }, { name: 'lib', kind: 'file', shared: true, pages: 16 }],
      threads: [{ name: 'forker', think: '1ms', ops: [{ op: 'fork' }] }],
      costs: { dup_vma: '100us', copy_pte: '10ns', ...child },
    });
    // dup_mmap: the lib VMA alone (VM_DONTCOPY is skipped after vma_start_write); the child: do_exit + 1 VMA.
    expect(fork(s).latency!.max).toBe(100_000 + 50_000 + 1_000);
  });

  it('with the built-in costs (all 0) the fork costs what it did', () => {
    expect(fork(sc(2, {}, true)).latency!.max).toBe(200_320);
    expect(fork(sc(1, {}, false)).latency!.max).toBe(200_320);
  });
});
