/**
 * Worker thread entry (pool.ts): for each batch the pool posts, claim the
 * next position in the batch's order from the shared counter, run `measure`
 * on the spec at that position and post its
 * RunMetrics back, until the counter passes the end; then report idle and
 * wait, warm, for the next batch. Each run is independent (its own mm,
 * engine and seeded streams), so results do not depend on which thread ran
 * it or when.
 */
import { parentPort } from 'node:worker_threads';
import { measure } from '../metrics/index.js';
import type { PoolBatch, PoolReply } from './pool.js';

parentPort!.on('message', (b: PoolBatch) => {
  const post = (r: PoolReply) => parentPort!.postMessage(r);
  for (;;) {
    const k = Atomics.add(b.claim, 0, 1);
    if (k >= b.order.length) break;
    const id = b.order[k]!;
    try {
      post({ gen: b.gen, kind: 'result', id, metrics: measure(b.specs[id]!) });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ gen: b.gen, kind: 'error', id, error: { name: err.name, message: err.message, stack: err.stack ?? '' } });
      break;
    }
  }
  post({ gen: b.gen, kind: 'idle' });
});
