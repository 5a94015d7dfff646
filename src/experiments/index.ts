/** The experiments of issues 3 and 12 (docs/experiments.md), in order. */
import { writerIo } from './e01-writer-io.js';
import { fork } from './e02-fork.js';
import { gc } from './e03-gc.js';
import { chain } from './e04-chain.js';
import { uptodate } from './e05-uptodate.js';
import { throttle } from './e06-throttle.js';
import { contention } from './e07-contention.js';
import { uneven } from './e08-uneven.js';
import { death } from './e09-death.js';
import { onePriorityExp } from './e10-one-priority.js';
import { retryMisses } from './e11-retry-misses.js';
import { readaheadPaths } from './e12-readahead.js';
import { launch } from './e13-launch.js';
import type { Experiment } from './types.js';

export * from './types.js';
export * from './run.js';
export * from './table.js';
export * from './observers.js';

export const EXPERIMENTS: readonly Experiment[] = [writerIo, fork, gc, chain, uptodate, throttle, contention, uneven, death, onePriorityExp, retryMisses, readaheadPaths, launch];

/** An experiment by name or number; undefined when unknown. */
export function findExperiment(nameOrNumber: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === nameOrNumber || String(e.number) === nameOrNumber);
}
