/**
 * `node dist/bench/warmup.js [SCENARIO] [--strategy LIST] [--seeds N] [--rounds N]`
 *
 * Does warm-up dominate a worker's runs? Runs the specs of `faultline run
 * SCENARIO --strategy LIST --seeds N` (the same order: strategy-major, then
 * seed) one after the other in this thread, `--rounds` times over, as one
 * pool thread runs them, and prints each run's wall time (ms, hrtime around
 * `measure()`) and the process's CPU time during it (ms, every thread: the
 * JIT and GC helpers too): the first round is a fresh isolate's
 * (interpreter, baseline code, TurboFan compiles and the deopts that follow
 * each new strategy), the later rounds are the same runs with the code warm.
 * Per round, on Linux, also this thread's CPU time and the other threads'
 * (the JIT and GC helpers: the compile work of that round), from
 * /proc/thread-self/stat (10 ms ticks). Last line of stdout: JSON with the
 * per-run series and the per-round figures. It runs with the V8 flags
 * faultline sets for itself. On a loaded machine compare the CPU figures,
 * not the wall times. See bench/README.md, "Warm-up, run by run".
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { measure } from '../src/metrics/run.js';
import { applyV8Tuning } from '../src/sweep/v8-flags.js';
import { buildSpecs, RUN_SPEC_OPTIONS } from './run-specs.js';

applyV8Tuning();

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...RUN_SPEC_OPTIONS,
    rounds: { type: 'string', default: '2' },
  },
});
const scenarioArg = positionals[0] ?? 'android-app';
const seeds = Number(values.seeds);
const specs = buildSpecs(scenarioArg, values.strategy, seeds);

/** This thread's CPU seconds (utime + stime, 10 ms ticks), or NaN where /proc/thread-self is missing. */
function threadCpuS(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
const processCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rounds: number[][] = [];
const cpuRounds: number[][] = [];
const threadRounds: Array<{ this_thread_s: number; other_threads_s: number }> = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const ms: number[] = [], cpu: number[] = [];
  const th0 = threadCpuS(), p0 = processCpuMs();
  for (const spec of specs) {
    const t0 = process.hrtime.bigint(), c0 = processCpuMs();
    measure(spec);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpu.push(processCpuMs() - c0);
  }
  const th = threadCpuS() - th0, all = (processCpuMs() - p0) / 1000;
  rounds.push(ms);
  cpuRounds.push(cpu);
  threadRounds.push({ this_thread_s: Math.round(th * 100) / 100, other_threads_s: Math.round((all - th) * 100) / 100 });
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
  const t = threadRounds[k]!;
  process.stderr.write(`round ${k + 1}: ${r2(sum(ms))} ms for ${ms.length} runs; CPU ${r2(sum(cpuRounds[k]!))} ms `
    + `(this thread ${t.this_thread_s} s, the other threads ${t.other_threads_s} s)\n`);
  for (const s of perStrategy(ms)) process.stderr.write(`  ${s.fault.padEnd(20)} first ${s.first_ms} ms, then median ${s.rest_median_ms} ms\n`);
}
process.stdout.write(`${JSON.stringify({
  scenario: specs[0]?.scenario.name ?? scenarioArg, runs: specs.length, round_total_ms: rounds.map((ms) => r2(sum(ms))),
  round_cpu_ms: cpuRounds.map((c) => r2(sum(c))), round_threads_s: threadRounds,
  per_strategy: rounds.map(perStrategy), runs_ms: rounds.map((ms) => ms.map(r2)), runs_cpu_ms: cpuRounds.map((c) => c.map(r2)),
})}\n`);
