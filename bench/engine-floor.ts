/**
 * `npm run bench:floor -- [--duration-us US] [--flat] [--p-major P]`
 *
 * The engine's ceiling on the reference workload: the reference model's
 * timing (16 workers, think Exp(20 us), 64 VMAs, p = 0.1 major: 1 us, I/O
 * lognormal(200 us, 1), 2 us; the writer omitted) written as the smallest
 * generator that yields it, run on faultline's real engine (`Simulator`: event
 * heap, CPU steps, per-thread random streams). No kernel paths, no locks: a
 * VMA is a reader count, the I/O wait a sleep. So its faults per wall-second
 * bound what any model of this workload can reach on this engine, and the
 * difference to `bench:reference` is what the kernel model itself costs
 * (lock_vma_under_rcu, handle_mm_fault, the page cache, the folio lock and
 * its wake-up, the retry under mmap_lock, vm events, observers).
 *
 * Diagnostic only: it is not faultline's model and not the benchmark.
 * `--flat` runs each fault inline in the thread's generator; by default a
 * fault is a nested generator started with CALL, as faultline's faults are.
 * `--p-major` sets the share of major faults (default 0.1, the reference's),
 * so that minor and major faults can be timed apart (0 and 1).
 * Prints one JSON line (the same fields as the reference bench).
 */
import { parseArgs } from 'node:util';
import { call, cpu, Cost, mutableSleep, MmStruct, type KPath } from '../src/model/index.js';
import type { Law } from '../src/scenario/types.js';
import { Simulator, type SimTask } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

export interface FloorResult {
  engine: 'faultline-engine-floor';
  variant: 'flat' | 'nested';
  threads: number;
  p_major: number;
  duration_us: number;
  faults_completed: number;
  major_faults_completed: number;
  latency_mean_us: number | null;
  events_processed: number;
  wall_s: number;
  faults_per_wall_s: number;
}

const US = 1000;

/** Run the timing skeleton for `durationUs` simulated microseconds. */
export function runFloor(durationUs: number, flat: boolean, threads = 16, vmas = 64, seed = 1, pMajor = 0.1): FloorResult {
  const mm = new MmStruct(faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  const costs = new Array<number>(13).fill(0);
  costs[Cost.handle_mm_fault] = 1 * US;
  const sim = new Simulator({ cpus: null, preempt: false, costs, laws: [], seed }, mm);
  const think: Law = { law: 'exponential', mean: 20 * US };
  const io: Law = { law: 'lognormal', median: 200 * US, sigma: 1 };
  const readers = new Int32Array(vmas);
  let n = 0, majors = 0, latSum = 0;

  /** One fault: VMA "read lock", 1 us; a major one then waits for I/O and runs 2 us. */
  function* fault(t: SimTask, ioWait: { ns: number }): KPath<number> {
    const v = t.rng.below(vmas);
    readers[v]!++;
    const major = t.rng.random() < pMajor;
    yield cpu(Cost.handle_mm_fault);
    readers[v]!--;
    if (!major) return 0;
    ioWait.ns = t.rng.draw(io);
    yield ioWait as ReturnType<typeof mutableSleep>;
    yield cpu(Cost.handle_mm_fault, 2);
    return 1;
  }

  for (let k = 0; k < threads; k++) {
    sim.spawn(`worker:${k + 1}`, 'DEFAULT', function* (t: SimTask): KPath {
      const thinkWait = mutableSleep(), ioWait = mutableSleep();
      for (;;) {
        thinkWait.ns = t.rng.draw(think);
        yield thinkWait;
        const t0 = sim.now;
        let major: number;
        if (flat) {
          const v = t.rng.below(vmas);
          readers[v]!++;
          major = t.rng.random() < pMajor ? 1 : 0;
          yield cpu(Cost.handle_mm_fault);
          readers[v]!--;
          if (major) {
            ioWait.ns = t.rng.draw(io);
            yield ioWait;
            yield cpu(Cost.handle_mm_fault, 2);
          }
        } else {
          major = (yield call(fault(t, ioWait))) as number;
        }
        n++;
        majors += major;
        latSum += sim.now - t0;
      }
    });
  }
  const t0 = process.hrtime.bigint();
  sim.run(Math.round(durationUs * US));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    engine: 'faultline-engine-floor',
    variant: flat ? 'flat' : 'nested',
    threads,
    p_major: pMajor,
    duration_us: durationUs,
    faults_completed: n,
    major_faults_completed: majors,
    latency_mean_us: n ? latSum / n / US : null,
    events_processed: sim.events,
    wall_s: wall,
    faults_per_wall_s: n / wall,
  };
}

const USAGE = 'usage: node dist/bench/engine-floor.js [--duration-us US (default 20000000)] [--flat] [--p-major P (default 0.1)]';

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'duration-us': { type: 'string', short: 'D' }, flat: { type: 'boolean' }, 'p-major': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`engine-floor: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const d = values['duration-us'] === undefined ? 20e6 : Number(values['duration-us']);
  if (!(d > 0)) {
    process.stderr.write(`engine-floor: --duration-us expects a positive number, got '${values['duration-us']}'\n`);
    process.exit(2);
  }
  const p = values['p-major'] === undefined ? 0.1 : Number(values['p-major']);
  if (!(p >= 0 && p <= 1)) {
    process.stderr.write(`engine-floor: --p-major expects a number in [0, 1], got '${values['p-major']}'\n`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(runFloor(d, values.flat === true, 16, 64, 1, p)) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) main();
