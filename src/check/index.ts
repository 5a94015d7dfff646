/** The interleaving checker: exhaustive and bounded search over the model's kernel paths. */
export * from './scheduler.js';
export * from './schedule.js';
export * from './dfs.js';
export * from './random.js';
export * from './pct.js';
export * from './replay.js';
export * from './track.js';
export * from './invariants.js';
export * from './inject.js';
export * from './scenario.js';
export * from './executor.js';
export * from './search.js';
export * from './shrink.js';
export * from './check.js';
export * from './format.js';
export * from './cli.js';
