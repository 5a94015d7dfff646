/**
 * `node dist/bench/warmup.js [SCENARIO] [--strategy LIST] [--seeds N] [--rounds N]`
 *
 * Does warm-up dominate a worker's runs? Runs the specs of `faultline run
 * SCENARIO --strategy LIST --seeds N` (the same order: strategy-major, then
 * seed) one after the other in this thread, `--rounds` times over, as one
 * pool thread runs them, and prints each run's wall time (ms, hrtime around
 * `measure()`): the first round is a fresh isolate's (interpreter, baseline
 * code, TurboFan compiles and the deopts that follow each new strategy), the
 * later rounds are the same runs with the code warm. Last line of stdout:
 * JSON with the per-run series and each round's total. It runs with the V8
 * flags faultline sets for itself. See bench/README.md, "Warm-up, run by
 * run".
 */
import { parseArgs } from 'node:util';
import { measure, type MeasureSpec } from '../src/metrics/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { parseFaultList } from '../src/cli/options.js';
import { applyV8Tuning } from '../src/sweep/v8-flags.js';

applyV8Tuning();

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    strategy: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
  },
});
const scenario = loadScenario(positionals[0] ?? 'android-app');
const seeds = Number(values.seeds);
const specs: MeasureSpec[] = [];
for (const fault of parseFaultList(values.strategy)) {
  for (let seed = scenario.seed; seed < scenario.seed + seeds; seed++) specs.push({ scenario, fault, fork: 'fork-lock-all', seed });
}

const rounds: number[][] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const ms: number[] = [];
  for (const spec of specs) {
    const t0 = process.hrtime.bigint();
    measure(spec);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  rounds.push(ms);
}

const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
const r2 = (x: number) => Math.round(x * 100) / 100;
/** Each strategy's runs: the first, and the median of the rest. */
const perStrategy = (ms: readonly number[]) => {
  const out: { fault: string; first_ms: number; rest_median_ms: number }[] = [];
  for (let i = 0; i < ms.length; i += seeds) {
    const rest = ms.slice(i + 1, i + seeds).slice().sort((a, b) => a - b);
    out.push({ fault: specs[i]!.fault, first_ms: r2(ms[i]!), rest_median_ms: r2(rest[Math.floor(rest.length / 2)] ?? NaN) });
  }
  return out;
};
for (const [k, ms] of rounds.entries()) {
  process.stderr.write(`round ${k + 1}: ${r2(sum(ms))} ms for ${ms.length} runs\n`);
  for (const s of perStrategy(ms)) process.stderr.write(`  ${s.fault.padEnd(20)} first ${s.first_ms} ms, then median ${s.rest_median_ms} ms\n`);
}
process.stdout.write(`${JSON.stringify({
  scenario: scenario.name, runs: specs.length, round_total_ms: rounds.map((ms) => r2(sum(ms))),
  per_strategy: rounds.map(perStrategy), runs_ms: rounds.map((ms) => ms.map(r2)),
})}\n`);
