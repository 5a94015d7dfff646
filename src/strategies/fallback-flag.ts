/**
 * fallback-flag: Suren Baghdasaryan's FALLBACK flag idea (LSF/MM/BPF 2026,
 * relayed by Barry Song, 2026-05-20 09:07 UTC, "Re: [PATCH v2 0/5] mm: reduce
 * mmap_lock contention and improve page fault performance": "With the
 * FALLBACK flag, we would retry via mmap_lock; with the RETRY flag, we would
 * retry via the VMA lock"; Barry's draft
 * 20260522023305.98223-1-baohua@kernel.org calls the bit VM_FAULT_RETRY_HARD).
 * Plain VM_FAULT_RETRY retries under the VMA lock ("blacklist" instead of
 * patches 1-2's whitelist); only paths that need mmap_lock -- anon_vma
 * preparation (__vmf_anon_prepare trylock failure), vmf_can_call_fault, and
 * device-private swap entries (not modelled) -- set RETRY_HARD and fall back.
 * Differs from the draft: only in the device-private case, which the model
 * has no such entries for.
 */
import { VM_FAULT_RETRY_HARD, type FaultStrategy } from '../model/index.js';
import { mainline } from './mainline.js';

export const fallbackFlag: FaultStrategy = {
  ...mainline,
  name: 'fallback-flag',
  retry_hard: true,
  retry_under_vma_lock: (ret: number) => (ret & VM_FAULT_RETRY_HARD) === 0,
};
