/**
 * pre-vma: kernels before per-VMA locks (<= v6.3). Every fault takes mmap_lock
 * for read; it drops it to wait for I/O and retries with FAULT_FLAG_TRIED
 * (d065bd810b6d "mm: retry page fault when blocking on disk transfer", 2010;
 * 6b4c9f446981 "filemap: drop the mmap_sem for all blocking operations", v5.1).
 */
import type { FaultStrategy } from '../model/index.js';
import { mainline } from './mainline.js';

export const preVma: FaultStrategy = {
  ...mainline,
  name: 'pre-vma',
  per_vma_lock: false,
};
