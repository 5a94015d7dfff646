/**
 * TraceRecorder: a SimObserver that turns one run into Chrome JSON trace
 * events for Perfetto (docs/visualize.md, "Perfetto traces").
 *
 * - Thread tracks (X slices, nested by construction): the op (`fault`,
 *   `fork`, ...) and inside it the task's states: `running`, `runnable`
 *   (waiting for a CPU) and lock/I/O waits named after the kernel function and
 *   the lock (`down_read mm->mmap_lock`), with the holders in `args`. A task
 *   is in one state at a time and never changes state outside its ops' steps,
 *   so these nest. VM events (VMA_LOCK_ABORT, FAULT_RETRY, ...) are instants.
 * - Lock holds do not nest (a fault drops its VMA lock while holding a
 *   folio...), so they are async slices on lanes (see lanes.ts): tracks
 *   named `<thread> locks`. I/O in flight is on `I/O` tracks of the process.
 * - Flow arrows go from each blocker (holder, writer queued ahead, I/O
 *   submitter) to the waiter's wait slice.
 * - Counters: `mmap_lock readers|writer|read_waiters|write_waiters`,
 *   `cpu running|runnable`, `vma write_locked`.
 */
import { LAW_NAMES, VM_EVENT_NAMES, VmEvent, type Folio, type MmStruct, type VmAreaStruct, type WaitResource } from '../model/index.js';
import { NullObserver, type SimTaskInfo, type WaitClass } from '../sim/observer.js';
import type { OpName } from '../scenario/types.js';
import { countWriteLockedVmas, describeBlocker, ownedFolios, scanHeld } from './holds.js';
import { args as argsText, str, us, type Args } from './json.js';
import { assignLanes } from './lanes.js';
import { faultFlags } from './flags.js';
import type { RunTrace, TraceEvent, TraceOptions, TraceProcess } from './types.js';

/** VM events shown as instants (the frequent, uninformative ones are left out). */
const INSTANT_EVENTS = new Set<number>([
  VmEvent.VMA_LOCK_ABORT, VmEvent.VMA_LOCK_MISS, VmEvent.VMA_LOCK_RETRY, VmEvent.FAULT_RETRY_VMA,
  VmEvent.FAULT_MMAP_PATH, VmEvent.FAULT_HOLD_WAIT, VmEvent.ANON_VMA_TRYLOCK_FAIL, VmEvent.FAULT_SIGSEGV,
]);

/** Sort ranks for events at the same timestamp (lower first). */
const RANK_META = -4e18, RANK_NAME = -3e18, RANK_END = -2e18, RANK_COUNTER = -1e18, RANK_FLOW = 1;

interface Slice { start: number; end: number; name: string; cat: string; args: Args }
interface Hold { start: number; end: number; name: string; args: Args }
interface State { kind: 'running' | 'runnable' | 'wait'; start: number; name: string; cat: string; args: Args; blockers: SimTaskInfo[] }

interface TaskTrace {
  task: SimTaskInfo;
  tid: number;
  op: { name: OpName; start: number; retries: number; mmapPath: boolean } | null;
  state: State | null;
  /** Start of the current mmap_lock read / write hold (-1: none). */
  mmapRead: number;
  mmapWrite: number;
  vma: VmAreaStruct | null;
  vmaSince: number;
  folios: Map<Folio, number>;
  /** The current mmap write section's VMA write locks. */
  vwrite: { since: number; max: number } | null;
  slices: Slice[];
  instants: Array<[number, string]>;
  holds: Hold[];
}

export class TraceRecorder extends NullObserver {
  private mm: MmStruct | null = null;
  private readonly tasks: TaskTrace[] = [];
  private readonly io: Hold[] = [];
  private readonly flows: Array<{ from: TaskTrace; to: TaskTrace; out: number; in: number }> = [];
  /** Counter name -> its keys and samples [ts, values in key order]. */
  private readonly counters = new Map<string, { keys: readonly string[]; samples: Array<[number, number[]]> }>();
  private readonly from: number;
  private to: number;
  private count = 0;
  private frozen = false;
  private finished = false;
  private cappedAt: number | null = null;
  private running = 0;
  private runnable = 0;
  private readonly owned: Folio[] = [];

  constructor(private readonly proc: TraceProcess, private readonly opts: TraceOptions) {
    super();
    this.from = opts.window.from;
    this.to = opts.window.to;
  }

  begin(_t: number, mm: MmStruct, tasks: readonly SimTaskInfo[]): void {
    if (this.mm !== null) return;
    this.mm = mm;
    for (const t of tasks) this.tt(t);
  }

  override opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    if (this.frozen) return;
    const k = this.tt(task);
    this.sync(t, k);
    k.op = { name: op, start: t, retries: 0, mmapPath: false };
  }

  override opEnd(t: number, task: SimTaskInfo, op: OpName, ret: number): void {
    if (this.frozen) return;
    const k = this.tt(task);
    this.sync(t, k);
    const o = k.op;
    if (o === null) return;
    const a: Args = { op };
    if (op === 'fault') {
      a.vm_fault = faultFlags(ret);
      a.retries = o.retries;
      a.mmap_lock_path = o.mmapPath;
    } else a.ret = ret;
    this.slice(k, o.start, t, op, 'op', a);
    k.op = null;
  }

  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    if (this.frozen) return;
    const k = this.tt(task);
    this.sync(t, k);
    const out: SimTaskInfo[] = [];
    res.blockers(task, out);
    const blockers = out.filter((b, i) => b.id !== task.id && out.indexOf(b) === i);
    const f = res as Partial<Folio>;
    const holders = blockers.map((b) => describeBlocker(this.mm, res, b));
    if (blockers.length === 0 && f.lockClass === 'folio' && f.owner === 'io') holders.push('writeback or reclaim (no thread)');
    this.enter(t, k, { kind: 'wait', start: t, name: `${what} ${res.label}`, cat: cls, args: { lock: res.label, wait: what, class: cls, holders: holders.join(', ') || '-' }, blockers });
  }

  override woken(t: number, task: SimTaskInfo): void {
    if (this.frozen) return;
    const k = this.tt(task);
    this.leave(t, k);
    this.sync(t, k);
  }

  override cpuQueued(t: number, task: SimTaskInfo): void {
    if (this.frozen) return;
    const k = this.tt(task);
    this.sync(t, k);
    this.runnable++;
    this.enter(t, k, { kind: 'runnable', start: t, name: 'runnable', cat: 'sched', args: {}, blockers: [] });
    this.cpuCounter(t);
  }

  override cpuStart(t: number, task: SimTaskInfo): void {
    if (this.frozen) return;
    const k = this.tt(task);
    if (k.state?.kind === 'runnable') this.runnable--;
    this.sync(t, k);
    this.running++;
    this.enter(t, k, { kind: 'running', start: t, name: 'running', cat: 'cpu', args: {}, blockers: [] });
    this.cpuCounter(t);
  }

  override cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void {
    if (this.frozen) return;
    const k = this.tt(task);
    if (k.state?.kind === 'running') {
      this.running--;
      if (preempted) k.state.args.preempted = true;
    }
    this.leave(t, k);
    this.cpuCounter(t);
  }

  override vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void {
    if (this.frozen || task === null) return;
    const k = this.tt(task);
    if (k.op !== null) {
      if (ev === VmEvent.FAULT_RETRY) k.op.retries++;
      if (ev === VmEvent.FAULT_MMAP_PATH) k.op.mmapPath = true;
    }
    if (!INSTANT_EVENTS.has(ev) || t < this.from || t >= this.to) return;
    k.instants.push([t, VM_EVENT_NAMES[ev]!]);
    this.count++;
    this.checkCap(t);
  }

  /** An interrupt that took the CPU from `task` (Cost.hrtimer_irq or Cost.flush_tlb_func > 0 only): an instant on its thread track. */
  irq(t: number, _cpu: number, task: SimTaskInfo | null, what: string, _ns: number): void {
    if (this.frozen || task === null || t < this.from || t >= this.to) return;
    this.tt(task).instants.push([t, what]);
    this.count++;
    this.checkCap(t);
  }

  override mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void {
    if (this.frozen || !success) return;
    const k = this.tt(task);
    if (write) k.mmapWrite = t;
    else k.mmapRead = t;
    this.lockCounter(t);
  }

  override mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void {
    if (this.frozen) return;
    const k = this.tt(task);
    const label = this.mm?.mmap_lock.label ?? 'mm->mmap_lock';
    if (write) {
      if (k.mmapWrite >= 0) this.hold(k, k.mmapWrite, t, `${label} (write)`, { lock: label, mode: 'write' });
      k.mmapWrite = -1;
      if (k.vwrite !== null) {
        this.hold(k, k.vwrite.since, t, `VMA write locks (${k.vwrite.max})`, { vmas: k.vwrite.max });
        k.vwrite = null;
        this.counter(t, 'vma', VMA_KEYS, 0);
      }
    } else {
      if (k.mmapRead >= 0) this.hold(k, k.mmapRead, t, `${label} (read)`, { lock: label, mode: 'read' });
      k.mmapRead = -1;
    }
    this.lockCounter(t);
  }

  ioSubmit(t: number, task: SimTaskInfo, folio: Folio, law: number, done: number): void {
    if (this.frozen || done < this.from) return;
    this.io.push({ start: t, end: done, name: `${LAW_NAMES[law] ?? 'io'} ${folio.label}`, args: { submitter: task.comm, folio: folio.label } });
    this.count += 2;
    this.checkCap(t);
  }

  override finish(t: number, _mm: MmStruct): void {
    if (this.finished) return;
    this.finished = true;
    const end = Math.min(t, this.to);
    this.to = end;
    for (const k of this.tasks) {
      if (k === undefined) continue;
      if (k.state !== null) this.closeState(end, k, true);
      if (k.op !== null) this.slice(k, k.op.start, end, k.op.name, 'op', { op: k.op.name, unfinished: true });
      k.op = null;
      if (k.mmapRead >= 0) this.hold(k, k.mmapRead, end, 'mm->mmap_lock (read)', { unfinished: true });
      if (k.mmapWrite >= 0) this.hold(k, k.mmapWrite, end, 'mm->mmap_lock (write)', { unfinished: true });
      if (k.vma !== null) this.hold(k, k.vmaSince, end, `${k.vma.label} (read)`, { unfinished: true });
      for (const [f, since] of k.folios) this.hold(k, since, end, f.label, { unfinished: true });
    }
  }

  /** The recorded run as trace events (call after the run finished). */
  result(): RunTrace {
    const ev: TraceEvent[] = [];
    const pid = this.proc.pid;
    let seq = 0;
    const push = (ts: number, rank: number, text: string) => ev.push({ ts, rank, seq: seq++, text });
    const anyTid = this.tasks.find((k) => k !== undefined)?.tid ?? pid;
    push(0, RANK_META, `{"ph":"M","name":"process_name","pid":${pid},"tid":${anyTid},"args":{"name":${str(this.proc.name)}}}`);
    push(0, RANK_META, `{"ph":"M","name":"process_sort_index","pid":${pid},"tid":${anyTid},"args":{"sort_index":${pid}}}`);
    const byPrio = this.tasks.filter((k) => k !== undefined).sort((a, b) => a.task.prio - b.task.prio || a.task.id - b.task.id);
    byPrio.forEach((k, i) => {
      push(0, RANK_META, `{"ph":"M","name":"thread_name","pid":${pid},"tid":${k.tid},"args":{"name":${str(k.task.comm)}}}`);
      push(0, RANK_META, `{"ph":"M","name":"thread_sort_index","pid":${pid},"tid":${k.tid},"args":{"sort_index":${i}}}`);
    });
    // Thread slices, clipped to the window.
    const kept = new Map<TaskTrace, SliceIndex>();
    for (const k of byPrio) {
      const list: Slice[] = [];
      for (const s of k.slices) {
        const a = Math.max(s.start, this.from), b = Math.min(s.end, this.to);
        if (b < a || (b === a && s.end > s.start)) continue;
        const args = a > s.start || b < s.end ? { ...s.args, clipped: true } : s.args;
        list.push({ ...s, start: a, end: b, args });
        push(a, -(b - a), `{"ph":"X","cat":${str(s.cat)},"name":${str(s.name)},"pid":${pid},"tid":${k.tid},"ts":${us(a)},"dur":${us(b - a)},"args":${argsText(args)}}`);
      }
      kept.set(k, new SliceIndex(list));
      for (const [t, name] of k.instants) {
        if (t >= this.from && t < this.to) push(t, 0, `{"ph":"i","s":"t","cat":"vm_event","name":${str(name)},"pid":${pid},"tid":${k.tid},"ts":${us(t)}}`);
      }
    }
    // Lock holds on per-thread lanes, I/O on process lanes.
    for (const k of byPrio) this.lanes(push, k.holds, `${k.task.comm} locks`, `locks:${k.tid}`, 'lock', k.tid);
    this.lanes(push, this.io, 'I/O', 'io', 'io', anyTid);
    // Flows whose both ends bind to a slice.
    let flowId = 0;
    for (const f of this.flows) {
      if (f.out < this.from || f.in >= this.to) continue;
      if (kept.get(f.from)?.encloses(f.out) !== true || kept.get(f.to)?.encloses(f.in) !== true) continue;
      const id = `${pid}.${flowId++}`;
      push(f.out, RANK_FLOW, `{"ph":"s","cat":"lock","name":"blocked by","id":${str(id)},"pid":${pid},"tid":${f.from.tid},"ts":${us(f.out)}}`);
      push(f.in, RANK_FLOW, `{"ph":"f","bp":"e","cat":"lock","name":"blocked by","id":${str(id)},"pid":${pid},"tid":${f.to.tid},"ts":${us(f.in)}}`);
    }
    // Counters: the value in force at the window start, then changes inside it.
    for (const [name, { keys, samples }] of this.counters) {
      const text = (ts: number, v: number[]) => counterText(pid, anyTid, name, ts, keys, v);
      let before: number[] | null = null;
      for (const [ts, v] of samples) {
        if (ts < this.from) { before = v; continue; }
        if (ts >= this.to) break;
        if (before !== null && ts > this.from) push(this.from, RANK_COUNTER, text(this.from, before));
        before = null;
        push(ts, RANK_COUNTER, text(ts, v));
      }
      if (before !== null && this.from < this.to) push(this.from, RANK_COUNTER, text(this.from, before));
    }
    ev.sort((a, b) => a.ts - b.ts || a.rank - b.rank || a.seq - b.seq);
    return { process: this.proc, events: ev, cappedAt: this.cappedAt };
  }

  // ---- internals

  private tt(task: SimTaskInfo): TaskTrace {
    let k = this.tasks[task.id];
    if (k === undefined) {
      k = {
        task, tid: this.proc.pid + 1 + task.id, op: null, state: null, mmapRead: -1, mmapWrite: -1,
        vma: null, vmaSince: 0, folios: new Map(), vwrite: null, slices: [], instants: [], holds: [],
      };
      this.tasks[task.id] = k;
    }
    return k;
  }

  /** Compare `k`'s locks with the model state at one of its events (see holds.ts). */
  private sync(t: number, k: TaskTrace): void {
    const mm = this.mm;
    if (mm === null) return;
    const task = k.task;
    if (k.vma !== null && !k.vma.readers.includes(task)) {
      this.hold(k, k.vmaSince, t, `${k.vma.label} (read)`, { lock: k.vma.label, mode: 'read' });
      k.vma = null;
    }
    for (const [f, since] of k.folios) {
      if (f.owner !== task) {
        this.hold(k, since, t, `${f.label}`, { lock: f.label, mode: 'PG_locked' });
        k.folios.delete(f);
      }
    }
    if (k.op !== null && k.mmapWrite < 0) {
      const owned = this.owned;
      owned.length = 0;
      if (k.vma === null) {
        const v = scanHeld(mm, task, owned);
        if (v !== null) {
          k.vma = v;
          k.vmaSince = t;
        }
      } else ownedFolios(k.vma, task, owned);
      for (const f of owned) if (!k.folios.has(f)) k.folios.set(f, t);
    }
    if (k.mmapWrite >= 0) {
      const n = countWriteLockedVmas(mm);
      if (n > 0) {
        if (k.vwrite === null) k.vwrite = { since: t, max: n };
        else k.vwrite.max = Math.max(k.vwrite.max, n);
      }
      this.counter(t, 'vma', VMA_KEYS, n);
    }
    this.lockCounter(t);
  }

  private enter(t: number, k: TaskTrace, s: State): void {
    if (k.state !== null) this.closeState(t, k, false);
    k.state = s;
  }

  private leave(t: number, k: TaskTrace): void {
    if (k.state !== null) this.closeState(t, k, false);
  }

  private closeState(t: number, k: TaskTrace, unfinished: boolean): void {
    const s = k.state!;
    k.state = null;
    this.slice(k, s.start, t, s.name, s.cat, unfinished ? { ...s.args, unfinished: true } : s.args);
    if (s.kind !== 'wait' || t - s.start < 2) return;
    const mid = s.start + Math.floor((t - s.start) / 2);
    for (const b of s.blockers) {
      this.flows.push({ from: this.tt(b), to: k, out: s.start, in: mid });
      this.count += 2;
    }
  }

  private slice(k: TaskTrace, start: number, end: number, name: string, cat: string, args: Args): void {
    if (end < this.from || start >= this.to) return;
    k.slices.push({ start, end, name, cat, args });
    this.count++;
    this.checkCap(end);
  }

  private hold(k: TaskTrace, start: number, end: number, name: string, args: Args): void {
    if (end <= start || end < this.from || start >= this.to) return;
    k.holds.push({ start, end, name, args });
    this.count += 2;
    this.checkCap(end);
  }

  private lockCounter(t: number): void {
    const sem = this.mm?.mmap_lock;
    if (sem === undefined) return;
    const q = sem.nrQueued, w = sem.writersQueued;
    this.counter(t, 'mmap_lock', LOCK_KEYS, sem.readers.length, sem.writer === null ? 0 : 1, q - w, w);
  }

  private cpuCounter(t: number): void {
    this.counter(t, 'cpu', CPU_KEYS, this.running, this.runnable);
  }

  /** A counter sample (up to 4 values, in `keys` order), kept only when some value changed. */
  private counter(t: number, name: string, keys: readonly string[], a: number, b = 0, c = 0, d = 0): void {
    let ctr = this.counters.get(name);
    if (ctr === undefined) this.counters.set(name, ctr = { keys, samples: [] });
    const list = ctr.samples;
    const last = list[list.length - 1];
    if (last !== undefined) {
      const v = last[1];
      if (v[0] === a && (v[1] ?? 0) === b && (v[2] ?? 0) === c && (v[3] ?? 0) === d) return;
    }
    const values = [a, b, c, d].slice(0, keys.length);
    if (t < this.from) list.length = 0; // only the value in force at the window start matters
    const prev = list[list.length - 1];
    if (prev !== undefined && prev[0] === t) prev[1] = values; // several changes at one instant: keep the last
    else {
      list.push([t, values]);
      if (t >= this.from) this.count++;
    }
    this.checkCap(t);
  }

  private checkCap(t: number): void {
    if (!this.frozen && t >= this.to) {
      this.frozen = true; // past the window: nothing more to record
      return;
    }
    if (this.count < this.opts.maxEvents || this.frozen) return;
    this.frozen = true;
    this.cappedAt = Math.max(t, this.from);
    this.to = Math.min(this.to, this.cappedAt);
  }

  private lanes(push: (ts: number, rank: number, text: string) => void, items: Hold[], track: string, key: string, cat: string, tid: number): void {
    const clipped: Hold[] = [];
    for (const h of items) {
      const a = Math.max(h.start, this.from), b = Math.min(h.end, this.to);
      if (b <= a) continue;
      clipped.push(a > h.start || b < h.end ? { start: a, end: b, name: h.name, args: { ...h.args, clipped: true } } : h);
    }
    if (clipped.length === 0) return;
    const lanes = assignLanes(clipped);
    const pid = this.proc.pid;
    const named = new Set<number>();
    clipped.forEach((h, i) => {
      const id = `${key}.${lanes[i]}`;
      const ref = `"cat":${str(cat)},"pid":${pid},"tid":${tid},"id2":{"local":${str(id)}}`;
      if (!named.has(lanes[i]!)) {
        named.add(lanes[i]!);
        // The first event on an async track names it: an instant at the window start.
        push(this.from, RANK_NAME, `{"ph":"n",${ref},"name":${str(track)},"ts":${us(this.from)}}`);
      }
      push(h.start, -(h.end - h.start), `{"ph":"b",${ref},"name":${str(h.name)},"ts":${us(h.start)},"args":${argsText(h.args)}}`);
      push(h.end, RANK_END, `{"ph":"e",${ref},"name":${str(h.name)},"ts":${us(h.end)}}`);
    });
  }
}

const LOCK_KEYS = ['readers', 'writer', 'read_waiters', 'write_waiters'] as const;
const CPU_KEYS = ['running', 'runnable'] as const;
const VMA_KEYS = ['write_locked'] as const;

function counterText(pid: number, tid: number, name: string, ts: number, keys: readonly string[], v: readonly number[]): string {
  return `{"ph":"C","name":"${name}","pid":${pid},"tid":${tid},"ts":${us(ts)},"args":{${keys.map((k, i) => `"${k}":${v[i]}`).join(',')}}}`;
}

/** Slices of one thread sorted by start, for "is there a slice open at t" (flow binding). */
class SliceIndex {
  private readonly all: Slice[];
  private readonly ops: Slice[];
  constructor(list: readonly Slice[]) {
    const byStart = (a: Slice, b: Slice) => a.start - b.start || b.end - a.end;
    this.all = [...list].sort(byStart);
    this.ops = this.all.filter((s) => s.cat === 'op');
  }
  /** Does a slice contain `t` (start <= t < end)? States nest in ops, so checking the last one started and the ops suffices. */
  encloses(t: number): boolean {
    return hit(this.all, t) || hit(this.ops, t);
  }
}

function hit(sorted: readonly Slice[], t: number): boolean {
  let lo = 0, hi = sorted.length - 1, i = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.start <= t) { i = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return i >= 0 && t < sorted[i]!.end;
}
