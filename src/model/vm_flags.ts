/** vm_flags of a scenario's mappings (include/linux/mm.h VM_* bits). */
import { VM_DONTCOPY, VM_EXEC, VM_MAYBE_GUARD, VM_MAYWRITE, VM_MIXEDMAP, VM_PFNMAP, VM_READ, VM_SHARED, VM_UFFD_MISSING, VM_UFFD_WP, VM_WRITE } from './mm_types.js';

/** The mapping flags a scenario's VMA (simulator group or check VMA) is created with. */
export interface VmaFlagSpec {
  readonly write: boolean;
  readonly maywrite: boolean;
  readonly exec: boolean;
  readonly shared: boolean;
  readonly dontcopy: boolean;
  readonly special: readonly string[];
}

/**
 * vm_flags of a mapping as mmap would set them (do_mmap: calc_vm_prot_bits
 * and MAP_SHARED), plus what the scenario asks of it afterwards
 * (madvise(MADV_DONTFORK) -> VM_DONTCOPY; a driver's VM_PFNMAP /
 * VM_MIXEDMAP, userfaultfd's VM_UFFD_WP and VM_UFFD_MISSING (UFFDIO_REGISTER; check
 * scenarios only), a guard region's VM_MAYBE_GUARD).
 */
export function vm_flags_of(v: VmaFlagSpec): number {
  let f = VM_READ;
  if (v.write) f |= VM_WRITE;
  if (v.maywrite) f |= VM_MAYWRITE;
  if (v.exec) f |= VM_EXEC;
  if (v.shared) f |= VM_SHARED;
  if (v.dontcopy) f |= VM_DONTCOPY;
  for (const s of v.special) {
    f |= s === 'pfnmap' ? VM_PFNMAP : s === 'mixedmap' ? VM_MIXEDMAP : s === 'uffd_wp' ? VM_UFFD_WP : s === 'uffd_missing' ? VM_UFFD_MISSING : VM_MAYBE_GUARD;
  }
  return f;
}
