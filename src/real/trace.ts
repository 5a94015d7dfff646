/**
 * The kernel's own view of mmap_lock during a real run: a private tracefs
 * instance (so the global trace buffer is left alone) with the `mmap_lock`
 * tracepoints and, where present, `lock:contention_begin/end`, filtered to
 * the generator's threads (`set_event_pid`), on the `mono` clock (the
 * generator's CLOCK_MONOTONIC). Parsing is pure and unit-tested.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountedTracefs, TRACEFS_PATHS } from './host.js';
import type { Resources } from './resources.js';

export interface TraceSession {
  dir: string;
  events: { mmapLock: boolean; contention: boolean };
}

/** Mount tracefs if needed and make an instance; null (with a reason) when tracing is unavailable. */
export function openTrace(res: Resources, tag: string): { session: TraceSession | null; reason: string | null } {
  let root = mountedTracefs();
  if (root === null) {
    for (const p of TRACEFS_PATHS) {
      if (!existsSync(p)) continue;
      try {
        execFileSync('mount', ['-t', 'tracefs', 'nodev', p], { stdio: 'ignore' });
        res.add({ kind: 'tracefs-mount', path: p });
        root = p;
        break;
      } catch {
        // try the next
      }
    }
  }
  if (root === null) return { session: null, reason: 'tracefs is not mounted and could not be mounted' };
  const mmapLock = existsSync(join(root, 'events', 'mmap_lock', 'mmap_lock_start_locking'));
  if (!mmapLock) return { session: null, reason: 'the kernel has no mmap_lock tracepoints' };
  const contention = existsSync(join(root, 'events', 'lock', 'contention_begin'));
  const dir = join(root, 'instances', `faultline-${tag}`);
  try {
    mkdirSync(dir);
  } catch (e) {
    return { session: null, reason: `cannot create trace instance ${dir}: ${(e as Error).message}` };
  }
  res.add({ kind: 'trace-instance', path: dir });
  try {
    w(dir, 'tracing_on', '0');
    w(dir, 'trace_clock', 'mono');
    w(dir, 'buffer_size_kb', '32768');
    w(dir, 'trace', '');
  } catch (e) {
    return { session: null, reason: `cannot configure trace instance: ${(e as Error).message}` };
  }
  return { session: { dir, events: { mmapLock, contention } }, reason: null };
}

function w(dir: string, file: string, text: string): void {
  writeFileSync(join(dir, file), text);
}

/** Filter to the generator's threads and switch the events on. */
export function startTrace(s: TraceSession, tids: readonly number[]): void {
  w(s.dir, 'set_event_pid', tids.join(' '));
  w(s.dir, 'events/mmap_lock/enable', '1');
  if (s.events.contention) {
    w(s.dir, 'events/lock/contention_begin/enable', '1');
    w(s.dir, 'events/lock/contention_end/enable', '1');
  }
  w(s.dir, 'tracing_on', '1');
}

/** Stop, read the buffer and the number of events lost to overruns. */
export function stopTrace(s: TraceSession): { text: string; lost: number } {
  w(s.dir, 'tracing_on', '0');
  const text = readFileSync(join(s.dir, 'trace'), 'utf8');
  let lost = 0;
  for (let cpu = 0; ; cpu++) {
    const stats = join(s.dir, 'per_cpu', `cpu${cpu}`, 'stats');
    if (!existsSync(stats)) break;
    const m = /overrun:\s*(\d+)/.exec(readFileSync(stats, 'utf8'));
    if (m !== null) lost += Number(m[1]);
  }
  return { text, lost };
}

// ---------------------------------------------------------------------------
// Parsing.

export type TraceEventName =
  | 'mmap_lock_start_locking' | 'mmap_lock_acquire_returned' | 'mmap_lock_released'
  | 'contention_begin' | 'contention_end';

export interface TraceEvent {
  tid: number;
  /** CLOCK_MONOTONIC ns (microsecond resolution in the text format). */
  ts: number;
  name: TraceEventName;
  mm: string;
  write: boolean;
  success: boolean;
  /** contention_begin: the sleeping path of an rwsem (flags READ or WRITE), not a spinlock or mutex. */
  rwsem: boolean;
}

const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+)\.(\d+):\s+(\w+):\s*(.*)$/;

/** Parse the text trace; lines of other events and comments are skipped. */
export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const name = m[6] as TraceEventName;
    if (!['mmap_lock_start_locking', 'mmap_lock_acquire_returned', 'mmap_lock_released', 'contention_begin', 'contention_end'].includes(name)) continue;
    const frac = m[5]!;
    const ts = Number(m[4]) * 1e9 + Number(frac) * 10 ** (9 - frac.length);
    const args = m[7]!;
    out.push({
      tid: Number(m[2]),
      ts,
      name,
      mm: /mm=(\S+)/.exec(args)?.[1] ?? '',
      write: /write=true/.test(args) || (name === 'contention_begin' && /flags=\S*WRITE/.test(args)),
      success: !/success=false/.test(args),
      rwsem: name === 'contention_begin' && /flags=[^)\s]*\b(READ|WRITE)\b/.test(args),
    });
  }
  return out;
}

/** An interval of the generator's timeline, in CLOCK_MONOTONIC ns. */
export interface Interval {
  tid: number;
  start: number;
  end: number;
}

export interface LockInterval {
  tid: number;
  start: number;
  end: number;
  write: boolean;
  /** Waits only: the rwsem slow path ran (contention_begin seen), or the wait was long when that event is missing. */
  blocked?: boolean;
}

export interface MmapLockAnalysis {
  /** The mm most events are about (the generator's; fork also locks the child's). */
  mm: string | null;
  /** start_locking -> acquire_returned(success) of the generator's mm. */
  waits: LockInterval[];
  /** acquire_returned(success) -> released (a downgrade ends a write hold and starts a read hold). */
  holds: LockInterval[];
  /** acquire_returned(success) events, by mode. */
  acquisitions: Array<{ tid: number; ts: number; write: boolean }>;
  failedTrylocks: Array<{ tid: number; ts: number }>;
}

/**
 * Pair the events per task. A wait counts as blocked when a contention_begin
 * of the same task falls inside it; when the kernel has no lock events,
 * when it lasted at least `blockedThresholdNs`.
 */
export function analyseMmapLock(events: readonly TraceEvent[], opts: { contentionEvents: boolean; blockedThresholdNs?: number }): MmapLockAnalysis {
  const threshold = opts.blockedThresholdNs ?? 5_000;
  const count = new Map<string, number>();
  for (const e of events) if (e.mm !== '') count.set(e.mm, (count.get(e.mm) ?? 0) + 1);
  let mm: string | null = null;
  for (const [k, n] of count) if (mm === null || n > count.get(mm)!) mm = k;
  const pending = new Map<number, { ts: number; write: boolean; contended: boolean }>();
  const holdStart = new Map<string, number>();
  const out: MmapLockAnalysis = { mm, waits: [], holds: [], acquisitions: [], failedTrylocks: [] };
  for (const e of events) {
    if (e.name === 'contention_begin') {
      const p = pending.get(e.tid);
      if (p !== undefined && e.rwsem) p.contended = true;
      continue;
    }
    if (e.name === 'contention_end' || e.mm !== mm) continue;
    const hk = `${e.tid}:${e.write ? 'w' : 'r'}`;
    switch (e.name) {
      case 'mmap_lock_start_locking':
        pending.set(e.tid, { ts: e.ts, write: e.write, contended: false });
        break;
      case 'mmap_lock_acquire_returned': {
        const p = pending.get(e.tid);
        pending.delete(e.tid);
        if (!e.success) {
          out.failedTrylocks.push({ tid: e.tid, ts: e.ts });
          break;
        }
        if (p === undefined && !e.write) {
          // mmap_write_downgrade: acquire_returned(read) with no start_locking.
          const ws = holdStart.get(`${e.tid}:w`);
          if (ws !== undefined) {
            out.holds.push({ tid: e.tid, start: ws, end: e.ts, write: true });
            holdStart.delete(`${e.tid}:w`);
          }
        }
        if (p !== undefined) {
          const blocked = opts.contentionEvents ? p.contended : e.ts - p.ts >= threshold;
          out.waits.push({ tid: e.tid, start: p.ts, end: e.ts, write: e.write, blocked });
        }
        out.acquisitions.push({ tid: e.tid, ts: e.ts, write: e.write });
        holdStart.set(hk, e.ts);
        break;
      }
      case 'mmap_lock_released': {
        const s = holdStart.get(hk);
        if (s !== undefined) {
          out.holds.push({ tid: e.tid, start: s, end: e.ts, write: e.write });
          holdStart.delete(hk);
        }
        break;
      }
    }
  }
  return out;
}
