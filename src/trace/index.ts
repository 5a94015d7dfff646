/** Perfetto traces of simulation runs (Chrome JSON), and their validation. */
export * from './types.js';
export * from './json.js';
export * from './lanes.js';
export * from './recorder.js';
export * from './file.js';
export * from './run.js';
export * from './validate.js';
