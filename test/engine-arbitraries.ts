/** fast-check arbitraries shared by the engine property tests (test/cpu-identity.test.ts, test/rwsem-spin.test.ts). */
import fc from 'fast-check';

/** One op of a thread: the writers (mprotect, fork, munmap, madvise) and faults that race them. */
export const engineOp = fc.constantFrom(
  { op: 'mprotect', vma: 'heap', pages: 8 },
  { op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } },
  { op: 'fault', vma: 'lib', states: { cached: 0.7, absent: 0.3 } },
  { op: 'fork' },
  { op: 'munmap', vma: 'small' },
  { op: 'madvise_dontneed', vma: 'heap', pages: 4 },
);
