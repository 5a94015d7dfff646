/**
 * Process death milestones (scenario `kill`), from the workload's `death`
 * events: kill, reaper trylock failures, reaped, last thread gone, exit_mmap
 * done. Latencies are from the kill.
 */
import type { DeathEvent } from '../sim/observer.js';
import type { DeathMetrics } from './types.js';

export class DeathTracker {
  private killAt = -1;
  private reaped = -1;
  private threadsExited = -1;
  private exited = -1;
  private failures = 0;
  private gaveUp = false;

  event(t: number, what: DeathEvent): void {
    switch (what) {
      case 'kill': this.killAt = t; break;
      case 'reap_trylock_failed': this.failures++; break;
      case 'reap_gave_up': this.gaveUp = true; break;
      case 'reaped': this.reaped = t; break;
      case 'threads_exited': this.threadsExited = t; break;
      case 'exit_mmap_done': this.exited = t; break;
    }
  }

  result(): DeathMetrics {
    const since = (t: number) => (t < 0 || this.killAt < 0 ? null : t - this.killAt);
    return {
      killAt: this.killAt,
      reapLatency: since(this.reaped),
      threadsExitLatency: since(this.threadsExited),
      exitLatency: since(this.exited),
      reapTrylockFailures: this.failures,
      reapGaveUp: this.gaveUp,
    };
  }
}
