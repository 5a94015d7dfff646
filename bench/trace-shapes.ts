/**
 * `node --no-sparkplug dist/bench/trace-shapes.js [SCENARIO] [--strategy LIST] [--seeds N] [--v8=FLAGS]`
 *
 * Why is a function deoptimised or compiled again? Runs the specs of
 * `faultline run SCENARIO --strategy LIST --seeds N` in this thread (the
 * order a pool thread runs them) with the V8 flags faultline sets for
 * itself, and turns on the V8 tracing flags `--v8` (default
 * `--trace-generalization --trace-deopt`) only after the scenario is loaded,
 * printing `RUN i` before run i. `--trace-generalization` prints each
 * change of a field's representation (s: small integer, d: double, h/t:
 * any), constness (const -> mutable) or class (Class -> Any), with the
 * function that made it; the `[marking dependent code ...]` lines of
 * `--trace-deopt` that follow name the optimised functions thrown away for
 * it. Node 20's V8 crashes (a failed check) tracing a generalization made
 * in a baseline frame, and in the YAML parser: hence `--no-sparkplug` on
 * node's command line, and the flags set after loading. Used for
 * bench/README.md, "Fewer deopts per isolate (eleventh session)"; the
 * tracing changes nothing that is computed, and no run's figures are
 * printed.
 */
import { setFlagsFromString } from 'node:v8';
import { parseArgs } from 'node:util';
import { measure } from '../src/metrics/run.js';
import { applyV8Tuning } from '../src/sweep/v8-flags.js';
import { buildSpecs, RUN_SPEC_OPTIONS } from './run-specs.js';

applyV8Tuning();

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...RUN_SPEC_OPTIONS,
    v8: { type: 'string', default: '--trace-generalization --trace-deopt' },
  },
});
const specs = buildSpecs(positionals[0] ?? 'android-app', values.strategy, Number(values.seeds));
setFlagsFromString(values.v8);
specs.forEach((spec, i) => {
  console.log(`RUN ${i} ${spec.fault} seed ${spec.seed}`);
  measure(spec);
});
console.log(`done ${specs.length} runs`);
