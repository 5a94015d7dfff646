/** The discrete-event simulator. */
export * from './engine.js';
export * from './heap.js';
export * from './observer.js';
export * from './rng.js';
export * from './workload.js';
