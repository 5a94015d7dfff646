/** Parameter sweeps: grammar, plan, parallel and resumable runs, shards and merges (docs/visualize.md). */
export * from './grammar.js';
export * from './apply.js';
export * from './plan.js';
export * from './pool.js';
export * from './progress.js';
export * from './results.js';
export * from './runner.js';
export * from './merge.js';
export * from './summary.js';
