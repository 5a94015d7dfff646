/** Scenarios: the file format, its validation, and the resolved form the engines consume. */
export * from './types.js';
export * from './errors.js';
export * from './units.js';
export {
  DEFAULT_COSTS,
  DEFAULT_IO,
  DEFAULTS,
  DurationSchema,
  LawSchema,
  ScenarioFileSchema,
  renderJsonSchema,
  toJsonSchema,
  type LawInput,
  type ScenarioFile,
} from './schema.js';
export {
  builtinDir,
  builtinScenarioPath,
  formatPath,
  listBuiltinScenarios,
  loadScenario,
  parseScenario,
  repoRoot,
  scenarioFromObject,
  type Format,
} from './load.js';
