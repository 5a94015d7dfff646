/** Figures of a simulation run (definitions: docs/metrics.md). */
export * from './types.js';
export * from './histograms.js';
export * from './collector.js';
export * from './frames.js';
export * from './death.js';
export * from './run.js';
