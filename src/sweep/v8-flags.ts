/**
 * The V8 settings faultline gives itself (bench/README.md, "V8 flags that
 * pay", has the measurements behind each one).
 *
 * - `--max-inlined-bytecode-size-cumulative=460` (V8's default: 920): a
 *   smaller TurboFan inlining budget. The kernel paths are large generator
 *   functions that are recompiled several times while a process warms up
 *   (and once more in every worker); cheaper compiles cut the JIT threads'
 *   CPU by about 7-10 % on `run android-app --strategy all --seeds 16`.
 *   300, the first choice, starved the long steady-state runs: the event
 *   loop, `step` and the fault path's callees no longer fitted, and
 *   bench:reference's main thread took 8-10 % longer than with no flag;
 *   460 (V8's limit for one inlined function) keeps android-app's CPU of
 *   300 and gives bench:reference back about 5 % (bench/README.md, "The
 *   reference bench against 820bc72").
 * - `--no-parallel-scavenge`: young-generation GCs on the thread that
 *   allocates, instead of with helper threads that compete with the second
 *   simulating thread for the second core (the part of
 *   `--single-threaded-gc` that can change after start-up: that flag as a
 *   whole, set at run time, crashes V8's concurrent marker).
 * - `--interrupt-budget=135168` (twice V8's default): a function is
 *   marked for TurboFan after twice as much bytecode has run in it. The
 *   lukewarm code of a many-run command (scenario loading, the report,
 *   set-up paths that run a few thousand times per run) then stays in
 *   baseline code instead of being compiled, in every isolate: on `run
 *   android-app --strategy all --seeds 16` about 20 % fewer optimised
 *   compiles and the whole process's CPU 3-4 % lower with `--jobs 1` and
 *   `--jobs 2` (the simulating thread the same); the hot paths are compiled
 *   all the same, and bench:reference's main thread is unchanged. 4x cut the
 *   compiles further but lengthened the simulating threads (bench/README.md,
 *   "Less JIT work per isolate").
 * - Worker threads get a young generation of WORKER_YOUNG_GENERATION_MB
 *   (`resourceLimits`; a semi-space of 4 MB, as `--max-semi-space-size=4`
 *   gives a whole process): each worker's nursery then stays near the
 *   shared L3 cache's size instead of growing to 3 x 16 MB. The main
 *   thread's young generation is sized when node starts, before any
 *   faultline code runs: `node --max-semi-space-size=4 bin/faultline.js`
 *   sets it.
 *
 * The flags are set with v8.setFlagsFromString when faultline starts,
 * before any model code is compiled; both are read by V8 when it compiles a
 * function or starts a scavenge, so they take effect from then on, and a
 * worker (same process) sees them too. They change how fast faultline runs,
 * never what it computes.
 *
 * Escape hatches: FAULTLINE_V8_FLAGS replaces the list (space-separated;
 * empty: faultline sets no flag and gives workers no resource limits), and a
 * flag the user gave node themselves (on node's command line or in
 * NODE_OPTIONS), in either polarity, is left as given.
 */
import { setFlagsFromString } from 'node:v8';
import type { ResourceLimits } from 'node:worker_threads';

/** `--interrupt-budget`: twice V8's default (67584, node 20), so a function must run twice as long before TurboFan compiles it. */
export const INTERRUPT_BUDGET = 2 * 67584;

export const DEFAULT_V8_FLAGS: readonly string[] = [
  '--max-inlined-bytecode-size-cumulative=460', '--no-parallel-scavenge', `--interrupt-budget=${INTERRUPT_BUDGET}`,
];

/** maxYoungGenerationSizeMb of a worker: V8's young generation is three semi-spaces (two, and the large-object space). */
export const WORKER_YOUNG_GENERATION_MB = 12;

/** A flag's name without the value and polarity: `--no-parallel_scavenge=1` -> `parallel-scavenge`. */
export function flagName(flag: string): string {
  const bare = flag.replace(/^-+/, '').split('=')[0]!.replace(/_/g, '-');
  return bare.startsWith('no-') ? bare.slice(3) : bare;
}

export interface V8Tuning {
  /** Flags to set now. */
  flags: string[];
  /** Resource limits of each pool worker, or undefined for node's defaults. */
  workerLimits: ResourceLimits | undefined;
}

/**
 * What faultline sets, given its environment and node's own flags
 * (`process.execArgv`). Pure, for the tests.
 */
export function v8Tuning(env: Readonly<Record<string, string | undefined>>, execArgv: readonly string[]): V8Tuning {
  const override = env['FAULTLINE_V8_FLAGS'];
  if (override !== undefined) {
    return { flags: override.split(/\s+/).filter((f) => f !== ''), workerLimits: undefined };
  }
  const given = new Set([...execArgv, ...(env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((f) => f.startsWith('-')).map(flagName));
  const flags = DEFAULT_V8_FLAGS.filter((f) => !given.has(flagName(f)));
  const youngGiven = given.has('max-semi-space-size') || given.has('semi-space-growth-factor');
  return { flags, workerLimits: youngGiven ? undefined : { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } };
}

let applied: V8Tuning | null = null;

/**
 * Set the flags (once per process; later calls return the first result).
 * Call it before the model's code runs: bin.ts does, and so do the benches.
 */
export function applyV8Tuning(): V8Tuning {
  if (applied !== null) return applied;
  applied = v8Tuning(process.env, process.execArgv);
  for (const f of applied.flags) setFlagsFromString(f);
  return applied;
}

/** What applyV8Tuning set, or null if it was not called in this process. */
export function appliedV8Tuning(): V8Tuning | null {
  return applied;
}

/** The pool's worker resource limits: those of applyV8Tuning, or node's defaults if it was not called (tests). */
export function workerResourceLimits(): ResourceLimits | undefined {
  return applied?.workerLimits;
}
