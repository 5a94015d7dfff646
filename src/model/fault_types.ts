/** `struct vm_fault` (include/linux/mm.h), reduced to what the paths read. */
import type { VmAreaStruct } from './mm_types.js';

export interface VmFault {
  vma: VmAreaStruct;
  /** Faulting address, in pages. */
  address: number;
  /** Page offset within the VMA. */
  pgoff: number;
  /** FAULT_FLAG_* */
  flags: number;
}
