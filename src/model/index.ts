/** The kernel model: state, locks and paths. Engines import only this barrel. */
export * from './effects.js';
export * from './sched.js';
export * from './vmstat.js';
export * from './trace.js';
export * from './rwsem.js';
export * from './mm_types.js';
export * from './strategy.js';
export * from './fault_types.js';
export * from './mmap_lock.js';
export * from './pagemap.js';
export * from './filemap.js';
export * from './memory.js';
export * from './fault.js';
export * from './mprotect.js';
export * from './vma.js';
export * from './madvise.js';
export * from './mmap.js';
