/**
 * Worker thread entry: runs `measure` for each task the pool posts and posts
 * the RunMetrics back. Each run is independent (its own mm, engine and seeded
 * streams), so results do not depend on which worker ran it or when.
 */
import { parentPort } from 'node:worker_threads';
import { measure } from '../metrics/index.js';
import type { PoolReply, PoolTask } from './pool.js';

parentPort!.on('message', (task: PoolTask) => {
  let reply: PoolReply;
  try {
    reply = { id: task.id, metrics: measure(task.spec) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: task.id, error: { name: err.name, message: err.message, stack: err.stack ?? '' } };
  }
  parentPort!.postMessage(reply);
});
