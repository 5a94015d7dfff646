import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Vitest runs `available CPUs - 1` test files at once by default: one on a
// 2-core machine, where the whole suite then runs on one core while the
// other idles (the main process only collects results). At least two files
// at once, so that a 2-core CI machine uses both.
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
