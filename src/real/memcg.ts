/**
 * A scenario's `memory:` block on the host's memory cgroup (`faultline real`).
 *
 * Pure: the mapping from the block to the files the run writes in its cgroup
 * (memory.high, memory.max on cgroup v2; memory.limit_in_bytes on v1) and
 * what of the block has no meaning on a host, unit-tested on any machine.
 * src/real/run.ts creates the cgroup, puts the load generator in it before
 * it maps anything, and writes these files once the generator has set up
 * (its own memory is measured then and added to every limit, so that the
 * scenario's pages get the budget the scenario gives them).
 */
import type { MemorySpec } from '../scenario/types.js';

export const PAGE_BYTES = 4096;

export interface MemoryPlan {
  /** memory.max and memory.high of the scenario in bytes; null: no limit ("max"). */
  max: number | null;
  high: number | null;
  /** What of the block the host run does not apply, and why. */
  notes: string[];
}

/** The scenario's memory block, in bytes, with notes for the parts a host cannot apply. */
export function memoryPlan(m: MemorySpec): MemoryPlan {
  const notes: string[] = [];
  const mib = (pages: number) => `${((pages * PAGE_BYTES) / 2 ** 20).toFixed(1)} MiB`;
  const applied: string[] = [];
  if (m.high !== null) applied.push(`memory.high ${mib(m.high)}`);
  if (m.max !== null) applied.push(`memory.max ${mib(m.max)}`);
  if (applied.length > 0) {
    notes.push(`memory: ${applied.join(', ')} applied to the run's memory cgroup, each plus the load generator's own memory measured at set-up`);
  }
  if (m.total !== null) {
    notes.push(`memory.total (${mib(m.total)}) not applied: the host's RAM, its zone watermarks and kswapd are the host's`);
  }
  if (m.other > 0) {
    notes.push(`memory.other (${mib(m.other)}, other resident memory) not applied: no such memory is allocated in the cgroup; the host's other processes are what they are`);
  }
  notes.push(`memory.swappiness (${m.swappiness}) and the dirty_* settings not applied: they are the host's vm sysctls (cgroup v2 has no per-cgroup swappiness), left as they are`);
  return { max: m.max === null ? null : m.max * PAGE_BYTES, high: m.high === null ? null : m.high * PAGE_BYTES, notes };
}

/**
 * The control files to write, in order, for a plan on a cgroup of `version`,
 * every limit raised by `baseBytes` (the generator's own charge). v2:
 * memory.max before memory.high (high may not be above max there either way).
 * v1 has no memory.high: a plan with one is refused (HostError-worthy: the
 * caller says so), its max goes to memory.limit_in_bytes.
 */
export function cgroupFiles(plan: MemoryPlan, version: 1 | 2, baseBytes: number): Array<[file: string, value: string]> {
  const v = (b: number | null) => (b === null ? 'max' : String(Math.ceil((b + baseBytes) / PAGE_BYTES) * PAGE_BYTES));
  if (version === 2) return [['memory.max', v(plan.max)], ['memory.high', v(plan.high)]];
  if (plan.high !== null) {
    throw new Error('memory.high needs a cgroup v2 memory controller (cgroup v1 has no memory.high); this host\'s memory controller is v1');
  }
  return [['memory.limit_in_bytes', plan.max === null ? '-1' : v(plan.max)]];
}

/**
 * The generator's own charge at set-up: everything in the cgroup that is not
 * the scenario's pages (its binary's and libraries' anonymous memory, the
 * schedules and record buffers, page tables, kernel memory). `current` is
 * memory.current (v2) or memory.usage_in_bytes (v1); `stat` its memory.stat;
 * `scenarioAnonBytes` the anonymous pages the generator made resident for
 * the scenario. The scenario's file pages are the cgroup's page cache
 * (`file` on v2, `cache` on v1).
 */
export function generatorBytes(current: number, stat: Record<string, number>, scenarioAnonBytes: number): number {
  const file = stat.file ?? stat.cache ?? 0;
  return Math.max(0, current - file - scenarioAnonBytes);
}

/** memory.stat counters read before and after the run (v2 names; v1 has the refault and fault ones). */
export const MEMCG_STAT_NAMES = [
  'pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'swpin', 'swpout',
  'workingset_refault_file', 'workingset_refault_anon', 'workingset_activate_file', 'workingset_activate_anon',
  'pgscan', 'pgsteal', 'pgscan_direct', 'pgscan_kswapd', 'pgsteal_direct', 'pgsteal_kswapd',
];
/** memory.events counters (v2). */
export const MEMCG_EVENT_NAMES = ['low', 'high', 'max', 'oom', 'oom_kill'];

/**
 * The model's vm_events a real run's cgroup counters stand for: refaults,
 * reclaim scans and steals (kswapd and direct), and memory.events' high and
 * max (the charges that hit memory.high / memory.max and reclaimed).
 */
export const MEMCG_TO_VM_EVENT: ReadonlyArray<[from: string, event: string]> = [
  ['workingset_refault_file', 'WORKINGSET_REFAULT_FILE'],
  ['workingset_refault_anon', 'WORKINGSET_REFAULT_ANON'],
  ['workingset_activate_file', 'WORKINGSET_ACTIVATE_FILE'],
  ['workingset_activate_anon', 'WORKINGSET_ACTIVATE_ANON'],
  ['pgscan_direct', 'PGSCAN_DIRECT'],
  ['pgscan_kswapd', 'PGSCAN_KSWAPD'],
  ['pgsteal_direct', 'PGSTEAL_DIRECT'],
  ['pgsteal_kswapd', 'PGSTEAL_KSWAPD'],
  ['events.high', 'MEMCG_HIGH'],
  ['events.max', 'MEMCG_MAX'],
];
