/**
 * Readers of mmap_lock that are not faults (issue 12 item 5;
 * ../shared/kernel/memory-and-vma.md §E): /proc/PID/maps with per-VMA locks
 * (v6.17+) or mmap_lock (v6.16 and earlier), smaps (mmap_lock per read(2)
 * chunk), smaps_rollup (releases mmap_lock when contended) and
 * get_user_pages (pinned: I/O under mmap_lock; unlocked: drops it and
 * retries with FOLL_TRIED).
 *
 * Lanes: four 16-page file VMAs; each VMA costs the reader 100 us (one
 * maps line, one smaps entry, or 16 PTEs at 6.25 us for smaps_rollup);
 * handle_mm_fault 1 us; a read is 10 ms; mprotect costs nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  do_mprotect_pkey, get_user_pages, proc_pid_maps_read, proc_pid_smaps_read, show_smaps_rollup,
} from '../src/model/index.js';
import { measure } from '../src/metrics/index.js';
import { reportSections } from '../src/report/rows.js';
import { parseScenario } from '../src/scenario/index.js';
import { lanes, type Lanes } from './lanes.js';

const costs = { show_map: 100_000, show_smap: 100_000, smaps_pte: 6_250 };

/** M reads at 0 (`read`); W mprotects VMA `victim` at 50 us. */
function race(read: (h: Lanes) => Generator<unknown, unknown, unknown>, victim: number): Lanes {
  const h = lanes({ costs });
  h.lane('M', 0, function* () {
    yield* read(h) as Generator<never, unknown, unknown>;
    h.mark('read done');
  });
  h.lane('W', 50, function* () {
    yield* do_mprotect_pkey(h.mm, h.vma[victim]!.vm_start, 1);
    h.mark('mprotect done');
  });
  h.run();
  return h;
}

describe('/proc/PID/maps', () => {
  it('v6.17+ (per-VMA locks): a writer of another VMA does not wait, and no mmap_lock is read-held', () => {
    const h = race((x) => proc_pid_maps_read(x.mm, true, 40), 3);
    expect(h.marks).toEqual([['W', 'mprotect done', 50], ['M', 'read done', 400]]);
    expect(h.rec.mmap).toEqual([['W', 'write', 50], ['W', 'up_write', 50]]);
    expect(h.rec.waitLanes()).toEqual([]);
  });

  it('v6.17+: a writer of the VMA being shown waits on its VMA lock (holding mmap_lock for write) until the reader moves on', () => {
    const h = race((x) => proc_pid_maps_read(x.mm, true, 40), 0);
    expect(h.marks).toEqual([['W', 'mprotect done', 100], ['M', 'read done', 400]]);
    expect(h.rec.waitLanes()).toEqual([['W', 'vma_start_write', 'vma_lock', 'vma[0:vma]', 50, 100]]);
  });

  it('v6.17+: a VMA write-locked by a writer sends the reader to mmap_lock (lock_next_vma_under_mmap_lock)', () => {
    // W write-locks VMA 0 at 50 and holds mmap_lock for write 200 us (mprotect_fixup cost); M starts at 60.
    const h = lanes({ costs: { show_map: 100_000, mprotect_fixup: 200_000 } });
    h.lane('W', 50, function* () {
      yield* do_mprotect_pkey(h.mm, h.vma[0]!.vm_start, 1);
      h.mark('mprotect done');
    });
    h.lane('M', 60, function* () {
      yield* proc_pid_maps_read(h.mm, true, 40);
      h.mark('read done');
    });
    h.run();
    expect(h.marks).toEqual([['W', 'mprotect done', 250], ['M', 'read done', 650]]);
    expect(h.rec.mmap).toEqual([['W', 'write', 50], ['W', 'up_write', 250], ['M', 'read', 250], ['M', 'up_read', 250]]);
  });

  it('v6.16 and earlier (mmap_lock per chunk): the writer waits for the whole chunk', () => {
    const h = race((x) => proc_pid_maps_read(x.mm, false, 40), 3);
    expect(h.marks).toEqual([['M', 'read done', 400], ['W', 'mprotect done', 400]]);
    expect(h.rec.waitLanes()).toEqual([['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 50, 400]]);
  });
});

describe('/proc/PID/smaps and smaps_rollup', () => {
  it('smaps holds mmap_lock for read per chunk (2 VMAs): the writer gets it between chunks', () => {
    const h = race((x) => proc_pid_smaps_read(x.mm, 2), 3);
    // Each VMA: 16 PTEs x 6.25 us + 100 us formatting = 200 us.
    expect(h.marks).toEqual([['W', 'mprotect done', 400], ['M', 'read done', 800]]);
    expect(h.rec.mmap).toEqual([
      ['M', 'read', 0], ['M', 'up_read', 400], ['W', 'write', 400], ['W', 'up_write', 400], ['M', 'read', 400], ['M', 'up_read', 800],
    ]);
  });

  it('smaps_rollup releases mmap_lock after the VMA it is on when a writer queues (mmap_lock_is_contended)', () => {
    const h = race((x) => show_smaps_rollup(x.mm), 3);
    expect(h.marks).toEqual([['W', 'mprotect done', 100], ['M', 'read done', 500]]);
    expect(h.rec.waitLanes()).toEqual([
      ['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 50, 100],
      ['M', 'down_read', 'mmap_lock', 'mm->mmap_lock', 100, 100],
    ]);
  });
});

describe('get_user_pages', () => {
  /** G pins page 1 of VMA 0 (not cached) at 0; W mprotects VMA 3 at 5,000 us. */
  function gup(mode: 'pinned' | 'unlocked'): Lanes {
    const h = lanes();
    h.vma[0]!.evicted.add(1);
    h.lane('G', 0, function* () {
      const n = yield* get_user_pages(h.mm, h.vma[0]!.vm_start + 1, 1, false, mode, () => {});
      h.mark(`pinned ${n}`);
    });
    h.lane('W', 5_000, function* () {
      yield* do_mprotect_pkey(h.mm, h.vma[3]!.vm_start, 1);
      h.mark('mprotect done');
    });
    h.run();
    return h;
  }

  it('pinned (caller holds mmap_lock, no ALLOW_RETRY): the read is waited for under mmap_lock; the writer waits', () => {
    const h = gup('pinned');
    expect(h.marks).toEqual([['G', 'pinned 1', 10_001], ['W', 'mprotect done', 10_001]]);
    expect(h.rec.mmap).toEqual([['G', 'read', 0], ['G', 'up_read', 10_001], ['W', 'write', 10_001], ['W', 'up_write', 10_001]]);
  });

  it('unlocked (FOLL_UNLOCKABLE): the fault drops mmap_lock for the read; GUP re-takes it and retries with FOLL_TRIED', () => {
    const h = gup('unlocked');
    expect(h.marks).toEqual([['W', 'mprotect done', 5_000], ['G', 'pinned 1', 10_002]]);
    expect(h.rec.mmap).toEqual([
      ['G', 'read', 0], ['G', 'up_read', 1], ['W', 'write', 5_000], ['W', 'up_write', 5_000], ['G', 'read', 10_001], ['G', 'up_read', 10_002],
    ]);
  });
});

describe('scenario ops', () => {
  const text = `
name: readers
description: a faulting thread, a writer and the four non-fault readers
duration: 200ms
vmas:
  - { name: lib, kind: file, count: 8, pages: 64 }
  - { name: heap, kind: anon, count: 4, pages: 64 }
threads:
  - name: main
    think: { law: constant, value: 50us }
    ops:
      - { op: fault, vma: lib, states: { cached: 0.9, absent: 0.1 } }
  - name: gc
    think: { law: constant, value: 2ms }
    ops:
      - { op: mprotect, vma: heap, pages: 16 }
  - name: reader
    think: { law: constant, value: 5ms }
    ops:
      - { op: proc_maps }
      - { op: proc_maps, lock: mmap, chunk: 4 }
      - { op: proc_smaps }
      - { op: proc_smaps_rollup }
      - { op: gup, vma: lib, pages: 4, mode: unlocked, states: { cached: 0.5, absent: 0.5 } }
      - { op: gup, vma: heap, pages: 4, access: write }
`;

  it('parse with their defaults, run, and show as rows of their own', () => {
    const sc = parseScenario(text, 'readers.yaml', 'yaml');
    const ops = sc.threads[2]!.ops;
    expect(ops.map((o) => o.op === 'proc_maps' || o.op === 'proc_smaps' ? [o.op, o.lock, o.chunk] : o.op)).toEqual([
      ['proc_maps', 'vma', 40], ['proc_maps', 'mmap', 4], ['proc_smaps', 'mmap', 4], 'proc_smaps_rollup', 'gup', 'gup',
    ]);
    const m = measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    for (const op of ['proc_maps', 'proc_smaps', 'proc_smaps_rollup', 'gup'] as const) {
      expect(m.opsAll[op]?.count ?? 0).toBeGreaterThan(0);
      expect(m.opsAll[op]?.unfinished ?? 0).toBe(0);
    }
    const rows = reportSections(['DEFAULT']).find((s) => s.heading.startsWith('other mmap_lock readers'))!.rows;
    expect(rows.map((r) => r.figure)).toContain('ops.all.gup.p99');
  });

  it('are refused where they do not apply', () => {
    expect(() => parseScenario(text.replace('{ op: gup, vma: heap, pages: 4, access: write }', '{ op: gup, vma: heap, pages: 65 }'), 'r.yaml', 'yaml'))
      .toThrow(/65 pages is more than the largest VMA in group 'heap'/);
    expect(() => parseScenario(text.replace('{ op: proc_smaps_rollup }', '{ op: proc_smaps_rollup, chunk: 3 }'), 'r.yaml', 'yaml'))
      .toThrow(/chunk: unknown key/);
  });
});
