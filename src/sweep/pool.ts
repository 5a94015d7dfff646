/**
 * Running many independent simulations, in worker threads when that helps.
 *
 * `runAll(specs, opts)` returns one RunMetrics per spec, in spec order, and
 * calls `onResult` as each finishes (in completion order). A run's result
 * depends only on its spec, never on the worker that ran it, so the output is
 * the same with 1 job or many (tested byte for byte).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { measure, type MeasureSpec, type RunMetrics } from '../metrics/index.js';

export interface PoolTask { id: number; spec: MeasureSpec }
export type PoolReply =
  | { id: number; metrics: RunMetrics }
  | { id: number; error: { name: string; message: string; stack: string } };

export interface RunAllOptions {
  /** Worker threads: 1 = run here, in this thread; default os.availableParallelism(). */
  jobs?: number;
  /**
   * 'auto' (default): run the first two specs here (a cold and a warm run)
   * and start workers for the rest only if that saves at least a fifth of
   * the time, counting each worker's start-up and JIT warm-up;
   * 'always': start workers at once.
   */
  workers?: 'auto' | 'always';
  /** Called as each run finishes (completion order), with its index in `specs`. */
  onResult?: (index: number, metrics: RunMetrics) => void;
  /**
   * Stop early (Ctrl-C): no new run starts, runs in workers are abandoned,
   * and runAll resolves with holes for the runs that did not finish.
   */
  signal?: AbortSignal;
}

/** A worker's start-up (thread and module loading) in ms, besides JIT warm-up, for the 'auto' decision. */
const WORKER_STARTUP_MS = 100;

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * The compiled worker script, or null when there is none to run (e.g. under
 * the test runner, which runs the TypeScript sources: then everything runs
 * in this thread).
 */
export function workerScript(): string | null {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) {
    const js = join(dirname(here), 'worker.js');
    if (existsSync(js)) return js;
  }
  return null;
}

export async function runAll(specs: readonly MeasureSpec[], opts: RunAllOptions = {}): Promise<RunMetrics[]> {
  const out = new Array<RunMetrics>(specs.length);
  const done = (i: number, m: RunMetrics) => {
    out[i] = m;
    opts.onResult?.(i, m);
  };
  const jobs = Math.min(opts.jobs ?? defaultJobs(), specs.length);
  const script = workerScript();
  const signal = opts.signal;
  let next = 0;
  /** Run specs[next..] here; with a signal, let the event loop see it between runs. */
  const here = async () => {
    for (; next < specs.length && signal?.aborted !== true; next++) {
      done(next, measure(specs[next]!));
      if (signal !== undefined) await new Promise((r) => setImmediate(r));
    }
  };
  if (jobs > 1 && script !== null && (opts.workers ?? 'auto') === 'auto') {
    if (specs.length <= 2) {
      await here();
      return out;
    }
    // The first run pays for JIT warm-up, as each worker would; the second shows a warm run's cost.
    const t0 = performance.now();
    done(0, measure(specs[0]!));
    const t1 = performance.now();
    done(1, measure(specs[1]!));
    const t2 = performance.now();
    next = 2;
    const serial = (t2 - t1) * (specs.length - 2);
    const parallel = serial / jobs + (t1 - t0) + WORKER_STARTUP_MS;
    if (parallel >= 0.8 * serial) {
      await here();
      return out;
    }
  }
  if (jobs <= 1 || script === null || next >= specs.length) {
    await here();
    return out;
  }
  await inWorkers(script, specs, next, Math.min(jobs, specs.length - next), done, signal);
  return out;
}

/** Run specs[from..] on `n` workers, each taking the next spec when it finishes one. */
function inWorkers(
  script: string, specs: readonly MeasureSpec[], from: number, n: number, done: (i: number, m: RunMetrics) => void, signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = from, pending = specs.length - from, failed = false;
    const stop = () => {
      signal?.removeEventListener('abort', abort);
      for (const w of workers) void w.terminate();
    };
    const abort = () => {
      if (failed) return;
      failed = true;
      stop();
      resolve();
    };
    signal?.addEventListener('abort', abort);
    if (signal?.aborted === true) {
      abort();
      return;
    }
    const feed = (w: Worker) => {
      if (next < specs.length) {
        const task: PoolTask = { id: next, spec: specs[next]! };
        next++;
        w.postMessage(task);
      }
    };
    for (let k = 0; k < n; k++) {
      const w = new Worker(script);
      workers.push(w);
      w.on('message', (r: PoolReply) => {
        if (failed) return;
        if ('error' in r) {
          failed = true;
          stop();
          const e = new Error(r.error.message);
          e.name = r.error.name;
          e.stack = r.error.stack;
          reject(e);
          return;
        }
        try {
          done(r.id, r.metrics);
        } catch (e) {
          failed = true;
          stop();
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        pending--;
        if (pending === 0) {
          stop();
          resolve();
        } else feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        stop();
        reject(e);
      });
      feed(w);
    }
  });
}
