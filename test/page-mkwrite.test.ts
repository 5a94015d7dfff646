/**
 * Shared file write faults (issue 12 item 4; ../shared/kernel/memory-and-vma.md
 * §B): ->page_mkwrite runs from do_page_mkwrite with ALLOW_RETRY cleared, so
 * a writeback wait in it (f2fs always, a stable-writes mapping, not the
 * generic callback) holds the fault's VMA lock, and a writer of that VMA
 * waits behind it, under every strategy; a first-attempt fault then drops
 * its lock in fault_dirty_shared_page and returns VM_FAULT_COMPLETED.
 *
 * Lanes: handle_mm_fault costs 1 us; VMA 0 is a 16-page shared file; page 1
 * is under writeback (not locked) from 0 to 10,000 us, or locked by a holder
 * from 0 to 100 us.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../src/check/index.js';
import { Sink } from './check-helpers.js';
import {
  do_mprotect_pkey, do_user_addr_fault, set_page_state, VM_FAULT_COMPLETED, VM_FAULT_RETRY, VM_SHARED, VM_WRITE,
  type PageMkwrite,
} from '../src/model/index.js';
import { lanes, type Lanes } from './lanes.js';

interface Case { h: Lanes; ret: number }

/**
 * A writes page 1 of VMA 0 at 0 (`wp`: its PTE maps it read-only; else the
 * PTE is none); W mprotects VMA 0 at 5,000 us; B read-faults page 1 at 5,000
 * us when `reader`.
 */
function run(o: { strategy?: string; mkwrite: PageMkwrite; wp: boolean; state: 'writeback_unlocked' | 'locked'; writer?: boolean; reader?: boolean }): Case {
  const h = lanes({ strategy: o.strategy ?? 'mainline' });
  const vma = h.vma[0]!;
  vma.vm_flags |= VM_SHARED | VM_WRITE;
  vma.page_mkwrite = o.mkwrite;
  const hold = o.state === 'locked' ? 100_000 : 10_000_000;
  set_page_state(vma, 1, o.state, (folio, _kind, unlock) => h.sim.schedule(hold, unlock, folio));
  if (o.wp) vma.wrprotected.add(1);
  const c: Case = { h, ret: -1 };
  h.lane('A', 0, function* () {
    c.ret = yield* do_user_addr_fault(h.mm, vma.vm_start + 1, true);
    h.mark('write done');
  });
  if (o.writer !== false) {
    h.lane('W', 5_000, function* () {
      yield* do_mprotect_pkey(h.mm, vma.vm_start, 1);
      h.mark('mprotect done');
    });
  }
  if (o.reader === true) {
    h.lane('B', 5_000, function* () {
      yield* do_user_addr_fault(h.mm, vma.vm_start + 1, false);
      h.mark('read done');
    });
  }
  h.run();
  return c;
}

const count = (h: Lanes, task: string, e: string): number =>
  h.rec.vmEvents.filter(([t, n]) => t === task && n === e).length;

describe('->page_mkwrite waits for writeback holding the VMA lock', () => {
  /*
   * time(us)  0     1                                  10000
   * A         VMA lk, wp_page_shared -> f2fs_vm_page_mkwrite: folio_wait_writeback ······ dirty, map, drop (COMPLETED)
   * W                     5000 vma_start_write(VMA 0) ·························· mprotect
   */
  for (const strategy of ['mainline', 'retry-vma', 'hold-io']) {
    it(`${strategy}: f2fs, wp_page_shared: the writer of the VMA waits for the writeback`, () => {
      const { h, ret } = run({ strategy, mkwrite: 'f2fs', wp: true, state: 'writeback_unlocked' });
      expect(ret & (VM_FAULT_COMPLETED | VM_FAULT_RETRY)).toBe(strategy === 'hold-io' ? 0 : VM_FAULT_COMPLETED);
      expect(h.marks).toEqual([['A', 'write done', 10_000], ['W', 'mprotect done', 10_000]]);
      expect(h.rec.waitLanes()).toEqual([
        ['A', 'folio_wait_writeback', 'io', 'folio[0:1]:writeback', 1, 10_000],
        ['W', 'vma_start_write', 'vma_lock', 'vma[0:vma]', 5_000, 10_000],
      ]);
      expect([count(h, 'A', 'PAGE_MKWRITE_WB_WAIT'), count(h, 'A', 'VMA_LOCK_SUCCESS'), count(h, 'A', 'FAULT_RETRY')]).toEqual([1, 1, 0]);
    });
  }

  it('stable writes wait the same way, on an empty PTE too (do_shared_fault)', () => {
    const { h } = run({ mkwrite: 'stable', wp: false, state: 'writeback_unlocked' });
    expect(h.marks).toEqual([['A', 'write done', 10_000], ['W', 'mprotect done', 10_000]]);
    expect(count(h, 'A', 'PAGE_MKWRITE_WB_WAIT')).toBe(1);
    expect(count(h, 'A', 'PGMAJFAULT')).toBe(0);
  });

  it('generic (no stable writes) does not wait: the writer is not delayed', () => {
    const { h, ret } = run({ mkwrite: 'generic', wp: true, state: 'writeback_unlocked' });
    expect(ret & VM_FAULT_COMPLETED).toBe(VM_FAULT_COMPLETED);
    expect(h.marks).toEqual([['A', 'write done', 1], ['W', 'mprotect done', 5_000]]);
    expect(h.rec.waitLanes()).toEqual([]);
  });

  it('a read fault on the folio f2fs holds locked meets it locked: mainline drops the VMA lock and retries', () => {
    /*
     * A holds the folio lock across its writeback wait (f2fs locks before
     * waiting), so B's fault-around skips the page and filemap_fault's
     * lock_folio_maybe_drop_mmap drops B's VMA lock and waits for the folio.
     */
    const { h } = run({ mkwrite: 'f2fs', wp: false, state: 'writeback_unlocked', writer: false, reader: true });
    expect(h.marks).toEqual([['A', 'write done', 10_000], ['B', 'read done', 10_001]]);
    expect(h.rec.waitLanes()).toEqual([
      ['A', 'folio_wait_writeback', 'io', 'folio[0:1]:writeback', 1, 10_000],
      ['B', 'folio_lock', 'folio', 'folio[0:1]', 5_001, 10_000],
    ]);
    expect([count(h, 'B', 'FAULT_RETRY'), count(h, 'B', 'FAULT_HOLD_WAIT')]).toEqual([1, 0]);
  });
});

describe('shmem (no ->page_mkwrite): wp_page_shared locks the folio holding the fault lock', () => {
  it('wp on a folio locked by another holder: folio_lock waits with the VMA lock held (no retry)', () => {
    const { h, ret } = run({ mkwrite: 'none', wp: true, state: 'locked', writer: false });
    expect(ret & VM_FAULT_COMPLETED).toBe(VM_FAULT_COMPLETED);
    expect(h.marks).toEqual([['A', 'write done', 100]]);
    expect(h.rec.waitLanes()).toEqual([['A', 'folio_lock', 'io', 'folio[0:1]', 1, 100]]);
    expect(count(h, 'A', 'FAULT_HOLD_WAIT')).toBe(1);
  });

  it('a write on an empty PTE (do_shared_fault) drops the VMA lock for the locked folio and retries', () => {
    const { h } = run({ mkwrite: 'none', wp: false, state: 'locked', writer: false });
    expect(h.marks).toEqual([['A', 'write done', 101]]);
    expect([count(h, 'A', 'FAULT_RETRY'), count(h, 'A', 'FAULT_HOLD_WAIT')]).toEqual([1, 0]);
  });
});

describe('checker: retry-vma with shared write faults on one folio', () => {
  /*
   * Found by `faultline check --mode pct` (seed 1: 24 executions; 187 since lock_vma_under_rcu is two steps, issue 13) on the
   * scenario below: do_shared_fault unlocks the folio before ->page_mkwrite
   * takes it again, and folio_unlock hands it to a waiter first (the
   * kernel's wake_page_function), so the folio is locked at more moments.
   * Under retry-vma a fault that dropped its VMA lock for a locked folio
   * retries under the VMA lock without FAULT_FLAG_TRIED (not MAJOR), and
   * can find it locked again each time: T1 retries 4 times. Mainline's
   * retry runs under mmap_lock with TRIED and waits instead.
   */
  const yaml = `
name: check-shared-write
description: >-
  Two shared write faults on one shared file VMA (one page cached, one under
  read I/O) and a read fault race with mprotect of that VMA.
vmas:
  - { name: shm, kind: file, shared: true, write: true, pages: 2 }
threads:
  - { name: T1, ops: [{ op: fault, vma: shm, page: 0, access: write, state: cached }] }
  - { name: T2, ops: [{ op: fault, vma: shm, page: 0, access: write, state: absent }] }
  - { name: T3, ops: [{ op: fault, vma: shm, page: 0, access: read, state: cached }] }
  - { name: mprotect, ops: [{ op: mprotect, vma: shm }] }
`;
  it('the replayed schedule breaks bounded-retries under retry-vma', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-mkwrite-'));
    const file = join(dir, 'shared-write.yaml');
    writeFileSync(file, yaml);
    const schedule = 'fl1.BAEBAQA9AgICAgICAgIAAAAAAAAABAQEBAQEBAgCAgICAAAAAAAAAAAEAgICBAAAAAAAAAAAAgIAAAAAAAAAAgIAAA';
    const out = new Sink(), err = new Sink();
    const code = await checkCommand([file, '--strategy', 'retry-vma', '--fork', 'fork-lock-all', '--replay', schedule], { stdout: out, stderr: err });
    expect(err.text).toBe('');
    expect(code).toBe(1);
    expect(/^VIOLATION .*$/m.exec(out.text)![0]).toBe(
      "VIOLATION of bounded-retries (L3): T1's fault(shm, page 0, write, cached) returned VM_FAULT_RETRY 4 times (bound: 3)",
    );
  });
});
