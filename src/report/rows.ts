/**
 * The rows of the plain-text report: which figure (flatten.ts name) each row
 * shows, under which heading, in which unit.
 */
import { VM_EVENT_NAMES, VM_EVENTS_HIDDEN_IF_ZERO } from '../model/index.js';
import { TIME_CATEGORIES, WAIT_DECADE_LABELS } from '../metrics/index.js';
import { PRIORITY_CLASSES, type PriorityClass } from '../scenario/types.js';
import type { Combination } from './compare.js';

export type Unit = 'ns' | 'count' | 'share';

export interface Row {
  label: string;
  figure: string;
  unit: Unit;
  /** Leave the row out when it is 0 in every column (not only when absent). */
  hideIfZero?: boolean;
  /**
   * false: shown, but not one of the figures "what differs" compares (the
   * decade counts of mmap_lock waits, a histogram of waits already compared
   * by their count, total, p99 and max).
   */
  compare?: false;
}

export interface Section {
  heading: string;
  /** Prefix that makes a row label unambiguous outside its section (the "what differs" summary): `fault `. */
  short: string;
  rows: Row[];
}

const WRITER_OPS = ['mprotect', 'madvise_dontneed', 'munmap', 'mmap', 'fork', 'madvise', 'mremap'] as const;
/** Readers of the mm that are not faults (issue 12): /proc readers and get_user_pages. */
const READER_OPS = ['proc_maps', 'proc_smaps', 'proc_smaps_rollup', 'gup'] as const;

function waitRows(label: string, prefix: string): Row[] {
  return [
    { label: `${label} count`, figure: `${prefix}.count`, unit: 'count' },
    { label: `${label} total`, figure: `${prefix}.total`, unit: 'ns' },
    { label: `${label} p99`, figure: `${prefix}.p99`, unit: 'ns' },
    { label: `${label} max`, figure: `${prefix}.max`, unit: 'ns' },
  ];
}

function events(names: readonly string[]): Row[] {
  return names.map((n): Row => {
    const row: Row = { label: n, figure: `vm_events.${n}`, unit: 'count' };
    if (VM_EVENTS_HIDDEN_IF_ZERO.includes(n)) row.hideIfZero = true;
    return row;
  });
}

/** Report sections for a scenario whose threads have `classes` (most important first). */
export function reportSections(classes: readonly PriorityClass[]): Section[] {
  const who: Array<[string, string]> = [...classes.map((c): [string, string] => [c, c]), ['all', 'all threads']];
  const fault: Row[] = [];
  for (const [key, name] of who) {
    fault.push({ label: `${name} count`, figure: `ops.${key}.fault.count`, unit: 'count' });
    fault.push({ label: `${name} unfinished`, figure: `ops.${key}.fault.unfinished`, unit: 'count', hideIfZero: true });
    for (const p of ['p50', 'p99', 'p99.9']) fault.push({ label: `${name} ${p}`, figure: `ops.${key}.fault.${p}`, unit: 'ns' });
  }
  const writers: Row[] = [];
  for (const op of WRITER_OPS) {
    writers.push({ label: `${op} count`, figure: `ops.all.${op}.count`, unit: 'count' });
    writers.push({ label: `${op} unfinished`, figure: `ops.all.${op}.unfinished`, unit: 'count', hideIfZero: true });
    for (const p of ['p50', 'p99', 'max']) writers.push({ label: `${op} ${p}`, figure: `ops.all.${op}.${p}`, unit: 'ns' });
  }
  const readers: Row[] = [];
  for (const op of READER_OPS) {
    readers.push({ label: `${op} count`, figure: `ops.all.${op}.count`, unit: 'count' });
    readers.push({ label: `${op} unfinished`, figure: `ops.all.${op}.unfinished`, unit: 'count', hideIfZero: true });
    for (const p of ['p50', 'p99', 'max']) readers.push({ label: `${op} ${p}`, figure: `ops.all.${op}.${p}`, unit: 'ns' });
  }
  const inversion: Row[] = classes.map((c) => ({ label: `${c} inverted time`, figure: `inversion.${c}.inverted_time`, unit: 'ns' as const }));
  inversion.push(...classes.map((c) => ({ label: `${c} longest chain`, figure: `inversion.${c}.max_chain`, unit: 'count' as const })));
  inversion.push({ label: 'longest chain (tasks)', figure: 'inversion.longest_chain', unit: 'count' });
  const time: Row[] = [];
  for (const c of classes) {
    time.push({ label: `${c} op time`, figure: `time.${c}.op_time`, unit: 'ns' });
    for (const cat of TIME_CATEGORIES) {
      time.push({ label: `${c} ${cat}`, figure: `time.${c}.${cat}.share`, unit: 'share', hideIfZero: true });
    }
  }
  const decades: Row[] = [];
  for (const [mode, key] of [['down_read', 'read'], ['down_write', 'write']] as const) {
    for (const label of WAIT_DECADE_LABELS) {
      decades.push({ label: `${mode} ${label}`, figure: `mmap_lock.${key}_wait_decades.${label}`, unit: 'count', hideIfZero: true, compare: false });
    }
  }
  const memory: Row[] = [];
  for (const c of classes) {
    memory.push({ label: `${c} reclaim stalls`, figure: `memory.${c}.reclaim_stall.count`, unit: 'count', hideIfZero: true });
    memory.push({ label: `${c} reclaim stall total`, figure: `memory.${c}.reclaim_stall.total`, unit: 'ns', hideIfZero: true });
    memory.push({ label: `${c} reclaim stall max`, figure: `memory.${c}.reclaim_stall.max`, unit: 'ns' });
    memory.push({ label: `${c} memory.high throttle total`, figure: `memory.${c}.high_throttle.total`, unit: 'ns', hideIfZero: true });
  }
  memory.push({ label: 'PSI some (share of time)', figure: 'memory.psi_some.share', unit: 'share' });
  memory.push({ label: 'PSI full (share of time)', figure: 'memory.psi_full.share', unit: 'share' });
  memory.push({ label: 'retry misses (share of retries)', figure: 'memory.retry_miss_share', unit: 'share' });
  const memEvents = [
    'WORKINGSET_REFAULT_FILE', 'WORKINGSET_ACTIVATE_FILE', 'WORKINGSET_REFAULT_ANON', 'WORKINGSET_ACTIVATE_ANON', 'PGSCAN_KSWAPD', 'PGSCAN_DIRECT', 'PGSTEAL_KSWAPD', 'PGSTEAL_DIRECT',
    'ALLOCSTALL', 'KSWAPD_WAKE', 'MEMCG_MAX', 'MEMCG_HIGH', 'MEMCG_OOM_FORCED', 'PSWPOUT', 'PSWPIN',
    'NR_DIRTIED', 'NR_WRITTEN', 'NR_VMSCAN_IMMEDIATE', 'PGROTATED', 'VMSCAN_WRITEBACK', 'VMSCAN_THROTTLE_WRITEBACK', 'FLUSHER_WAKE_VMSCAN',
  ];
  memory.push(...events(memEvents));
  const retries = ['FAULT_RETRY', 'FAULT_RETRY_VMA', 'FAULT_MMAP_PATH', 'FAULT_HOLD_WAIT', 'ANON_VMA_TRYLOCK_FAIL', 'RETRY_IO_MISS', 'RETRY_IO_MISS_VMA'];
  const io = ['IO_READ', 'IO_SWAP', 'PGMAJFAULT', 'ASYNC_READAHEAD', 'PAGE_NOT_UPTODATE_READ', 'MMAP_LOTSAMISS', 'RA_WINDOW_UNCHARGED', 'RA_UNUSED_RECLAIMED'];
  const shown = ['VMA_LOCK_SUCCESS', 'VMA_LOCK_ABORT', 'VMA_LOCK_RETRY', 'VMA_LOCK_MISS', ...retries, ...io, ...memEvents];
  const rest = VM_EVENT_NAMES.filter((n) => !shown.includes(n));
  return [
    { heading: 'fault latency (op begin -> end)', short: 'fault ', rows: fault },
    { heading: 'writer latency (all threads)', short: '', rows: writers },
    { heading: 'other mmap_lock readers (all threads)', short: '', rows: readers },
    {
      heading: 'mmap_lock',
      short: 'mmap_lock ',
      rows: [
        ...waitRows('down_read wait', 'mmap_lock.read_wait'),
        ...waitRows('down_write wait', 'mmap_lock.write_wait'),
        { label: 'read hold p99', figure: 'mmap_lock.read_hold.p99', unit: 'ns' },
        { label: 'read hold max', figure: 'mmap_lock.read_hold.max', unit: 'ns' },
        { label: 'write hold p99', figure: 'mmap_lock.write_hold.p99', unit: 'ns' },
        { label: 'write hold max', figure: 'mmap_lock.write_hold.max', unit: 'ns' },
        { label: 'read acquisitions', figure: 'mmap_lock.read_acquisitions', unit: 'count' },
        { label: 'failed trylocks', figure: 'mmap_lock.failed_trylocks', unit: 'count' },
      ],
    },
    { heading: 'mmap_lock waits by duration (count per decade)', short: 'mmap_lock ', rows: decades },
    { heading: 'VMA lock writer wait (vma_start_write)', short: 'vma_start_write ', rows: waitRows('wait', 'vma_lock.writer_wait') },
    { heading: 'VMA lock counters', short: '', rows: events(['VMA_LOCK_SUCCESS', 'VMA_LOCK_ABORT', 'VMA_LOCK_RETRY', 'VMA_LOCK_MISS']) },
    { heading: 'retries', short: '', rows: events(retries) },
    { heading: 'I/O', short: '', rows: events(io) },
    { heading: 'memory (memory: scenarios)', short: 'memory: ', rows: memory },
    { heading: 'other events', short: '', rows: events(rest) },
    { heading: 'priority inversion (blocked behind a lower-priority task)', short: '', rows: inversion },
    { heading: 'time in ops (share of op time)', short: 'time: ', rows: time },
  ];
}

/**
 * Sections whose rows depend on the scenario (frame threads, process death),
 * built from the figure names the runs have (`frames.<thread>.*`, `death.*`).
 */
export function scenarioSections(figures: Iterable<string>): Section[] {
  const names = [...new Set(figures)];
  const frameRows: Row[] = [];
  const threads = [...new Set(names.filter((n) => n.startsWith('frames.')).map((n) => n.slice(7, n.lastIndexOf('.'))))];
  threads.sort((a, b) => Number(a === 'any') - Number(b === 'any'));
  for (const th of threads) {
    const who = th === 'any' ? 'any frame thread' : th;
    const p = `frames.${th}`;
    frameRows.push({ label: `${who} frames`, figure: `${p}.count`, unit: 'count' });
    frameRows.push({ label: `${who} skipped vsyncs`, figure: `${p}.skipped`, unit: 'count' });
    for (const n of names.filter((x) => x.startsWith(`${p}.missed_`))) {
      frameRows.push({ label: `${who} over ${n.slice(p.length + 8)}`, figure: n, unit: 'count' });
    }
    for (const q of ['p50', 'p99', 'max']) frameRows.push({ label: `${who} frame time ${q}`, figure: `${p}.${q}`, unit: 'ns' });
  }
  const out: Section[] = [];
  if (frameRows.length !== 0) out.push({ heading: 'frames (vsync -> end of the frame\'s work)', short: '', rows: frameRows });
  if (names.some((n) => n.startsWith('death.'))) {
    out.push({
      heading: 'process death (from SIGKILL)',
      short: 'death: ',
      rows: [
        { label: 'anon memory reaped after', figure: 'death.reap_latency', unit: 'ns' },
        { label: 'all threads exited after', figure: 'death.threads_exit_latency', unit: 'ns' },
        { label: 'exit_mmap done after', figure: 'death.exit_latency', unit: 'ns' },
        { label: 'reaper failed trylocks', figure: 'death.reap_trylock_failures', unit: 'count' },
        { label: 'reaper gave up', figure: 'death.reap_gave_up', unit: 'count' },
      ],
    });
  }
  return out;
}

/**
 * The sections and rows a comparison shows (table, mail, HTML, "what
 * differs"): rows absent from every combination are left out, and
 * `hideIfZero` rows that are 0 everywhere; sections left empty are dropped.
 */
export function visibleSections(combos: readonly Combination[]): Section[] {
  const classes = PRIORITY_CLASSES.filter((cls) => combos.some((c) => c.runs.some((r) => r.classes.includes(cls))));
  const figures = combos.flatMap((c) => Object.keys(c.summary));
  const out: Section[] = [];
  for (const sec of [...reportSections(classes), ...scenarioSections(figures)]) {
    const rows = sec.rows.filter((r) => {
      const sums = combos.map((c) => c.summary[r.figure]).filter((s) => s !== undefined);
      return sums.length !== 0 && (!r.hideIfZero || sums.some((s) => s.max !== 0));
    });
    if (rows.length !== 0) out.push({ ...sec, rows });
  }
  return out;
}
