/**
 * `node dist/bench/alloc-profile.js [SCENARIO] [--warm N] [--runs N] [--top N]`
 * `node dist/bench/alloc-profile.js --reference [--duration-us US] [--top N]`
 *
 * Bytes allocated per run (or, with --reference, per fault of the reference
 * bench), from V8's sampling heap profiler (the inspector's
 * HeapProfiler.startSampling, 1 kB sampling interval) with the objects that
 * minor and major GCs collected included: every allocation, not what stays
 * live. A deterministic proxy for a run's allocation churn, which the
 * machine's load does not change (sampling noise: a few per cent between
 * processes). `--warm` runs go first and are not counted (JIT warm-up); the
 * counted runs alternate mainline and retry-vma over seeds. Prints the total
 * and the functions that allocate most (V8 attributes what it inlined to the
 * caller; `node --no-turbo-inlining dist/bench/alloc-profile.js` attributes
 * to the function that allocates). See bench/README.md, "Fewer allocations
 * per run". It runs with the V8 flags faultline sets for itself.
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { measure } from '../src/metrics/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { runReference } from './reference-scenario.js';
import { applyV8Tuning } from '../src/sweep/v8-flags.js';

applyV8Tuning(); // the V8 flags faultline runs with (src/sweep/v8-flags.ts): they change what V8 inlines

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface SampleNode { callFrame: CallFrame; selfSize: number; children: SampleNode[] }

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    warm: { type: 'string', default: '6' },
    runs: { type: 'string', default: '8' },
    top: { type: 'string', default: '15' },
    reference: { type: 'boolean', default: false },
    'duration-us': { type: 'string', default: '2000000' },
  },
});
const top = Number(values.top);

const session = new Session();
session.connect();

/** Run `fn` under the sampling heap profiler; bytes per function (self), and the total. */
async function sample(fn: () => void): Promise<{ total: number; byFn: Map<string, number> }> {
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  fn();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const byFn = new Map<string, number>();
  let total = 0;
  const walk = (n: SampleNode): void => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    total += n.selfSize;
    byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(profile.head as unknown as SampleNode);
  return { total, byFn };
}

function print(byFn: Map<string, number>, per: number, unit: string, scale: number): void {
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(v / per / scale).toFixed(scale === 1 ? 1 : 3).padStart(9)} ${unit}  ${k}`);
  }
}

if (values.reference) {
  const durationUs = Number(values['duration-us']);
  runReference({ durationUs: Math.min(durationUs, 1_000_000) }); // warm-up
  let faults = 0, events = 0;
  const { total, byFn } = await sample(() => {
    const r = runReference({ durationUs, seed: 3 });
    faults = r.faults_completed;
    events = r.events_processed;
  });
  console.log(`reference bench, ${durationUs} us simulated: ${faults} faults, ${events} events, ${(total / faults).toFixed(0)} bytes per fault`);
  print(byFn, faults, 'B/fault', 1);
} else {
  const sc = loadScenario(positionals[0] ?? 'android-app');
  const warm = Number(values.warm), runs = Number(values.runs);
  const spec = (i: number) => ({ scenario: sc, fault: i % 2 === 0 ? 'mainline' : 'retry-vma', fork: 'fork-lock-all', seed: 1 + (i >> 1) });
  for (let i = 0; i < warm; i++) measure(spec(i));
  const { total, byFn } = await sample(() => {
    for (let i = warm; i < warm + runs; i++) measure(spec(i));
  });
  console.log(`${sc.name}: ${runs} runs after ${warm} not counted: ${(total / runs / 1e6).toFixed(2)} MB allocated per run`);
  print(byFn, runs, 'MB/run', 1e6);
}
session.disconnect();
