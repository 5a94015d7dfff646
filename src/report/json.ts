/**
 * The --json document. Stable: same inputs, byte-identical output (no wall
 * clock, keys in a fixed order).
 */
import type { Comparison } from './compare.js';
import type { RunInfo } from './table.js';

export const JSON_FORMAT_VERSION = 1;

export function renderJson(cmp: Comparison, info: RunInfo, version: string): string {
  const doc = {
    faultline: version,
    format: JSON_FORMAT_VERSION,
    scenario: {
      name: info.name,
      source: info.source,
      seed: info.seed,
      seeds: info.seeds,
      duration: info.duration,
      warmup: info.warmup,
    },
    combinations: cmp.combinations.map((c) => ({ fault: c.fault, fork: c.fork, runs: c.runs, summary: c.summary })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
