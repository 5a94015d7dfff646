import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Seconds of one worker's time each of the suite's longest files took in CI
 * (`.ci/run` on a fresh clone, 2 cores, 2026-12-07; vitest's own cache of
 * durations is empty on a fresh clone, where it starts the largest files
 * first, and the 38-line differential test, then 507 s, started last).
 * Only the order of files depends on it: the longest start first, so that
 * no long file starts when the other worker is nearly done. Re-measure from
 * node_modules/.vite/vitest/<hash>/results.json after a full run.
 */
const KNOWN_SECONDS: Readonly<Record<string, number>> = {
  'test/check-differential-builtin-1.test.ts': 170,
  'test/check-differential-builtin-2.test.ts': 170,
  'test/check-differential-builtin-3.test.ts': 170,
  'test/check-differential-generated.test.ts': 127,
  'test/check-verdicts.test.ts': 41,
  'test/check-replay-keep.test.ts': 22,
  'test/check-state-futures.test.ts': 20,
  'test/experiments.test.ts': 17,
  'test/sweep-resume.test.ts': 15,
  'test/check-world.test.ts': 14,
  'test/checker-fix-table.test.ts': 11,
  'test/check-source-dpor.test.ts': 11,
  'test/check-state.test.ts': 9,
  'test/bench-parallel.test.ts': 9,
  'test/check-spin.test.ts': 9,
};

/** Longest known files first, then vitest's own order (cached durations, else size). */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const weight = (f: TestSpecification): number => KNOWN_SECONDS[relative(root, f.moduleId)] ?? 0;
    // A stable sort keeps the base order among files of equal (unknown) weight.
    return base.slice().sort((a, b) => weight(b) - weight(a));
  }
}

// Vitest runs `available CPUs - 1` test files at once by default: one on a
// 2-core machine, where the whole suite then runs on one core while the
// other idles (the main process only collects results). At least two files
// at once, so that a 2-core CI machine uses both.
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongestFirst },
    // A young generation of 64 MB semi-spaces in each test worker (V8's default grows to 16 MB): the
    // checker's searches, most of the suite's time, allocate a state per step and spend about a fifth
    // of their CPU in scavenges (docs/checker.md, "Restart points at frame checkpoints", the profile).
    // check-source-dpor + check-replay-keep: 0.92 of the CPU, 0.95 of the wall (two pairs, idle). It
    // changes how fast the tests run, never what they compute.
    poolOptions: { forks: { execArgv: ['--max-semi-space-size=64'] } },
  },
});
