/**
 * TLB shoot-down cost (arch/x86/mm/tlb.c, v7.0): flush_tlb_mm_range ->
 * native_flush_tlb_multi sends a synchronous IPI to every CPU of
 * mm_cpumask(mm) other than this one (lazy-TLB CPUs skipped by
 * should_flush_tlb) and waits for each to run flush_tlb_func; with no other
 * CPU it flushes locally only. The model charges Cost.flush_tlb_multi per
 * remote CPU running a thread of the mm (the engine's count; 0 in the
 * checker, where the step is then not yielded at all, so the checker's
 * interleavings are unchanged). The local flush is in the callers' per-page
 * costs.
 */
import { cpu, type CpuEffect } from './effects.js';
import { Cost } from './cost.js';
import type { VmAreaStruct } from './mm_types.js';
import { tlb_flush_remote_cpus } from './sched.js';

/**
 * The CPU step of a TLB shoot-down now, or null when no other CPU runs the
 * mm (or when `changed` is false: tlb_finish_mmu flushes nothing when no
 * present PTE changed).
 */
export function flush_tlb_mm_range(changed = true): CpuEffect | null {
  if (!changed) return null;
  const n = tlb_flush_remote_cpus();
  return n > 0 ? cpu(Cost.flush_tlb_multi, n) : null;
}

/**
 * Did changing `npages` PTEs of `vma` touch a present PTE (tlb_finish_mmu
 * flushes only when tlb->end > tlb->start)? Expected present PTEs of the
 * range: its share of the scenario's `resident` pages plus the pages
 * anonymous faults mapped since (vma.anon_ptes_mapped), at least one.
 */
export function ptes_changed(npages: number, vma: VmAreaStruct): boolean {
  const share = Math.min(1, vma.resident + vma.anon_ptes_mapped / Math.max(1, vma.pages));
  return Math.round(npages * share) >= 1;
}
