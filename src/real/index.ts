/** `faultline real`: run a scenario on this host's kernel and compare with the model (docs/calibration.md). */
export * from './translate.js';
export * from './memcg.js';
export * from './blockdev.js';
export * from './host.js';
export * from './resources.js';
export * from './trace.js';
export * from './results.js';
export * from './run.js';
export * from './report.js';
export * from './model-side.js';
