/**
 * Verdicts of the built-in check scenarios under each fork strategy
 * (exhaustive DFS with DPOR and sleep sets; mainline fault handling).
 *
 * The fork-lock-cow counterexample on a shared VM_UFFD_WP VMA:
 *
 *   step   T1 (read fault on shm)           fork (dup_mmap)
 *    1     lock_vma_under_rcu: VMA read lock
 *    2     handle_mm_fault
 *    3                                      mmap_write_lock
 *    4                                      shm is not a COW mapping: no
 *                                           vma_start_write; anon_vma_fork;
 *                                           copy_page_range(shm) begins
 *    5     folio_trylock, finish_fault:
 *          set_pte_at(shm)   <-- I3: page tables change during the copy
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, loadCheckScenario } from '../src/check/index.js';
import { FORKS, runCheck, verdict } from './check-helpers.js';

const I3 = 'unsafe:fork-copy-stability';
/** Yang Shi's code taken literally: no copy_page_range without an anon_vma. */
const LOST = 'unsafe:fork-copy-complete';
const EXPECTED: Record<string, Record<(typeof FORKS)[number], string>> = {
  'check-fork-pfnmap': {
    'fork-lock-all': 'safe', 'fork-lock-writable': I3, 'fork-lock-cow': I3, 'fork-lock-anon-vma': I3, 'fork-lock-anon-vma-literal': LOST,
    'fork-lock-none': I3,
  },
  'check-fork-uffd-wp': {
    'fork-lock-all': 'safe', 'fork-lock-writable': I3, 'fork-lock-cow': I3, 'fork-lock-anon-vma': I3, 'fork-lock-anon-vma-literal': LOST,
    'fork-lock-none': I3,
  },
  'check-fork-anon': {
    'fork-lock-all': 'safe', 'fork-lock-writable': 'safe', 'fork-lock-cow': 'safe', 'fork-lock-anon-vma': 'safe',
    'fork-lock-anon-vma-literal': 'safe', 'fork-lock-none': I3,
  },
  'check-mprotect-fault': {
    'fork-lock-all': 'safe', 'fork-lock-writable': 'safe', 'fork-lock-cow': 'safe', 'fork-lock-anon-vma': 'safe',
    'fork-lock-anon-vma-literal': 'safe', 'fork-lock-none': 'safe',
  },
};

describe('check verdicts: built-in scenarios x fork strategies (mainline faults)', () => {
  for (const [sc, row] of Object.entries(EXPECTED)) {
    for (const fork of FORKS) {
      it(`${sc} under ${fork}: ${row[fork]}`, () => {
        expect(verdict(runCheck(sc, { fork }))).toBe(row[fork]);
      }, 20_000); // 9 to 13 s each under a load average of 20
    }
  }

  it('fork-lock-cow on a shared uffd-wp VMA: the fault sets a PTE while dup_mmap copies it', () => {
    const r = runCheck('check-fork-uffd-wp', { fork: 'fork-lock-cow' });
    const cx = r.violation!;
    expect(cx.message).toMatch(/T1 sets a PTE of vma\[0:shm\] .* while fork copies its page tables \(copy_page_range\)/);
    // The fault holds the VMA read lock (fork never asked for the write lock) ...
    const whats = cx.steps.map((s) => `${s.taskName}:${s.what}`);
    expect(whats).toContain('T1:lock_vma_under_rcu(mm, addr)');
    expect(whats).toContain('fork:mmap_write_lock(mm)');
    expect(whats.some((w) => w === 'fork:vma_start_write(vma)')).toBe(false);
    // ... and the last step is the fault's folio_trylock -> finish_fault, during the copy.
    expect(cx.steps[cx.steps.length - 1]!.locks).toMatch(/copy_page_range:fork/);
  });

  it("fork-lock-anon-vma-literal on a PFN map and on a uffd-wp VMA: dup_mmap skips copy_page_range, the child loses the page tables (Lorenzo's objection)", () => {
    // Layout: one shared VMA, no anon_vma, in VM_COPY_ON_FORK. Fork alone is
    // enough: the shrunk counterexample has no fault in it.
    //   fork: mmap_write_lock; no anon_vma -> no vma_start_write, no anon_vma_fork,
    //         no copy_page_range  <-- fork-copy-complete (decided in this step)
    for (const [sc, flag, label] of [['check-fork-pfnmap', 'VM_PFNMAP', 'pfn'], ['check-fork-uffd-wp', 'VM_UFFD_WP', 'shm']] as const) {
      const cx = runCheck(sc, { fork: 'fork-lock-anon-vma-literal' }).violation!;
      expect(cx.invariant).toBe('fork-copy-complete');
      expect(cx.message).toBe(`fork skips copy_page_range of vma[0:${label}], which vma_needs_copy says the child needs (${flag}): the child loses its page tables`);
      expect(cx.steps.map((s) => `${s.taskName}:${s.what}`)).toEqual([
        // The start of fork() touches nothing shared: merged into the step that takes mmap_lock.
        'fork:mmap_write_lock(mm)', 'fork:vm_area_dup + anon_vma_fork(tmp, mpnt)',
      ]);
    }
  });

  it('fork-copy-complete off: the literal rule passes on the PFN map (no other invariant sees the loss)', () => {
    const r = runCheck('check-fork-pfnmap', { fork: 'fork-lock-anon-vma-literal', invariants: ['deadlock', 'vma-write-exclusion', 'fork-copy-stability', 'anon-vma', 'detached-vma', 'lock-release', 'bounded-retries'] });
    expect(verdict(r)).toBe('safe');
  });

  it('a PFN map whose driver fault is not VMA-lock safe (no map_pages) is safe under every fork strategy that copies it', () => {
    const base = loadCheckScenario('check-fork-pfnmap');
    const sc = checkScenarioFromObject({
      name: 'pfn-no-map-pages', description: 'check-fork-pfnmap with map_pages: false',
      vmas: [{ name: 'pfn', kind: 'file', shared: true, special: ['pfnmap'], map_pages: false, pages: 2 }],
      threads: base.threads.map((t) => ({ name: t.name, ops: t.ops.map((o) => (o.op === 'fault' ? { ...o, vma: o.vma[0], state: o.state?.[0] } : o)) })),
    });
    for (const fork of FORKS) expect(verdict(runCheck(sc, { fork })), fork).toBe(fork === 'fork-lock-anon-vma-literal' ? LOST : 'safe');
  });

  // Three tests, not one: each search is synchronous, and a worker that does
  // not yield for a minute loses vitest's RPC ("Timeout calling onTaskUpdate").
  it("Barry's chain has no deadlock: hold-io with two faulting threads", () => {
    expect(verdict(runCheck('check-chain', { fault: 'hold-io', params: { nfault: 2 } }))).toBe('safe');
  }, 120_000);
  it("Barry's chain has no deadlock: hold-io+mmap with two faulting threads", () => {
    expect(verdict(runCheck('check-chain', { fault: 'hold-io+mmap', params: { nfault: 2 } }))).toBe('safe');
  }, 120_000);
  it("Barry's chain has no deadlock: mainline with one faulting thread", () => {
    expect(verdict(runCheck('check-chain', { fault: 'mainline', params: { nfault: 1 } }))).toBe('safe');
  }, 120_000);
});
