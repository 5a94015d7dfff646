/**
 * free_pgtables' unlink_file_vma (src/model/i_mmap.ts; mm/memory.c
 * free_pgtables, mm/vma.c unlink_file_vma_batch_process): munmap takes a
 * file VMA out of the i_mmap tree under i_mmap_lock_write before its page
 * tables are freed, so a file rmap walk (try_to_unmap -> rmap_walk_file)
 * that holds i_mmap_rwsem for read never walks freed tables. Hand-built
 * interleavings with exact outcomes, and the checker finding --inject
 * unlink-file-vma-skip-i-mmap-lock (shrunk, replayed).
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule } from '../src/check/index.js';
import { handRun } from './check-handrun.js';
import { runCheck, verdict } from './check-helpers.js';

const VISIT = 'try_to_unmap_one: page_vma_mapped_walk(&pvmw)';
const UAF = 'kswapd runs try_to_unmap_one for address 516 through pte_table[1], which free_pgtables freed (unlink_file_vma took the VMA out of the i_mmap tree under the rmap walk, which still walks its page tables)';

describe('unlink_file_vma against a file rmap walk', () => {
  it('the walk holds i_mmap_rwsem: munmap detaches and zaps the VMA, then sleeps in unlink_file_vma until the walk has visited it; then the tables go', () => {
    const h = handRun('check-munmap-file-rmap');
    h.until('kswapd', VISIT); // i_mmap_lock_read taken, lib in the walk
    const lib = h.ex.mm.vmas[0]!;
    const mapping = lib.mapping!;
    h.run('T1');
    expect([h.task('T1').state, h.task('T1').pending, lib.detached, lib.mapping === mapping]).toEqual([1, 'woken in down_write(lib:mapping->i_mmap_rwsem)', true, true]);
    expect(h.ex.mm.pgtables.has(1)).toBe(true); // the table of pages 512..1023 is still there
    h.finish('kswapd'); // visits the detached VMA (still in the i_mmap tree) through the live table
    h.finish('T1');
    expect([h.ex.mm.vmas.length, h.ex.mm.pgtables.size, lib.mapping, mapping.i_mmap_removed]).toEqual([0, 0, null, [lib]]);
    expect(h.violation).toBeNull();
  });

  it('--inject unlink-file-vma-skip-i-mmap-lock: munmap unlinks and frees the tables under the walk, which then walks the freed table (use-after-free)', () => {
    const h = handRun('check-munmap-file-rmap', ['unlink-file-vma-skip-i-mmap-lock']);
    h.until('kswapd', VISIT);
    h.finish('T1');
    expect(h.ex.mm.pgtables.size).toBe(0);
    h.finish('kswapd');
    expect(h.violation!.message).toBe(UAF);
  });
});

describe('the checker on check-munmap-file-rmap', () => {
  it('fixed: safe and complete; --inject unlink-file-vma-skip-i-mmap-lock: use-after-free, shrunk and replayed', () => {
    const post = runCheck('check-munmap-file-rmap');
    expect([verdict(post), post.complete, post.stats.executions]).toEqual(['safe', true, 11]);
    const bad = runCheck('check-munmap-file-rmap', { inject: ['unlink-file-vma-skip-i-mmap-lock'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toBe(UAF);
    expect([bad.stats.executions, bad.violation!.foundSteps, bad.violation!.steps.length]).toEqual([3, 11, 9]);
    const again = runCheck('check-munmap-file-rmap', { inject: ['unlink-file-vma-skip-i-mmap-lock'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(UAF);
  }, 120_000);
});
