/** Aggregation over seeds and rendering (definitions: docs/metrics.md). */
export * from './format.js';
export * from './stats.js';
export * from './flatten.js';
export * from './compare.js';
export * from './rows.js';
export * from './differs.js';
export * from './summary.js';
export * from './table.js';
export * from './json.js';
export * from './lkml.js';
