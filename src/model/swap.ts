/**
 * The per-CPU LRU-add batch (mm/swap.c, v6.18). A new folio is not put on its
 * LRU list at once: folio_add_lru -> folio_batch_add_and_move(folio, lru_add)
 * adds it to this CPU's cpu_fbatches.lru_add (a folio_batch of PAGEVEC_SIZE =
 * 31); the add that fills the batch drains it, folio_batch_move_lru: the
 * lruvec lock (folio_lruvec_relock_irqsave), lru_add for each of the 31
 * folios, folios_put. So one fault in 31 pays for 31 folios' LRU insertion
 * (measured: docs/calibration.md).
 *
 * The batch is per task here, not per CPU (the model code is not told the CPU a task runs on; the simulator knows it, src/sim/cpus.ts, the checker does not):
 * the same when each faulting thread stays on its CPU, as the calibration
 * scenarios' threads mostly do (docs/fidelity.md). It is counted only when the
 * engine installs a batch size (the simulator, when Cost.folio_batch_move_lru
 * is not 0); otherwise folio_add_lru takes no step and changes no state, so
 * the checker's state space and the built-in outputs are unchanged.
 */
import { cpu, type CpuEffect } from './effects.js';
import { Cost } from './cost.js';
import { current } from './sched.js';

/** include/linux/pagevec.h PAGEVEC_SIZE: the folio_batch's capacity. */
export const PAGEVEC_SIZE = 31;

let batchSize = 0;

/** Engine hook: count lru_add batches of `n` folios (PAGEVEC_SIZE), or 0 to leave them out. */
export function install_lru_add_batch(n: number): void {
  batchSize = n;
}

const DRAIN = cpu(Cost.folio_batch_move_lru);

/**
 * folio_add_lru for a new folio of `current`: the CPU step of
 * folio_batch_move_lru when this add fills the batch, else null.
 */
export function folio_add_lru(): CpuEffect | null {
  if (batchSize === 0) return null;
  const t = current;
  const nr = (t.lru_add_nr ?? 0) + 1;
  if (nr < batchSize) {
    t.lru_add_nr = nr; // folio_batch_add: room left
    return null;
  }
  t.lru_add_nr = 0; // folio_batch_move_lru empties the batch
  return DRAIN;
}
