/**
 * A checker for Chrome JSON traces against the rules Perfetto's importer
 * relies on (perfetto src/trace_processor/importers/json, and the Trace Event
 * Format): more than "it parses as JSON".
 *
 * - container `{"traceEvents":[...]}`, no `displayTimeUnit`, no `\uXXXX` escapes;
 * - every event: a known phase, integer pid (and tid where the phase needs
 *   one), a finite ts >= 0 in µs with at most 3 decimals, a name;
 * - metadata: a process_name for every pid and a thread_name for every thread
 *   that has events, thread ids unique across processes (Perfetto keys
 *   thread names by tid);
 * - per thread: timestamps non-decreasing in file order, X/B/E slices properly
 *   nested, B/E balanced;
 * - per async track (pid, cat, id): b/e balanced and nested, ends name their
 *   begins, timestamps non-decreasing;
 * - counters: numeric args, timestamps non-decreasing per (pid, name);
 * - flows (s/f): each id has one start and one end, the end not before the
 *   start, and each binds to a slice open at its time on its thread.
 */

export interface TraceCheck {
  errors: string[];
  stats: {
    events: number;
    phases: Record<string, number>;
    processes: number;
    threads: number;
    asyncTracks: number;
    counterTracks: number;
    flows: number;
  };
}

const PHASES = new Set(['X', 'B', 'E', 'b', 'e', 'n', 'i', 'I', 'C', 'M', 's', 't', 'f']);
const NEEDS_TID = new Set(['X', 'B', 'E', 's', 't', 'f']);
const MAX_ERRORS = 50;

interface Ev {
  ph: string;
  name?: unknown;
  cat?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  id?: unknown;
  id2?: { local?: unknown; global?: unknown };
  s?: unknown;
  bp?: unknown;
  args?: unknown;
}

interface ThreadSlices {
  start: number[];
  end: number[];
  parent: number[];
  stack: number[];
  lastTs: number;
  open: Array<{ name: unknown; index: number }>;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Check `text` (a whole trace file). */
export function validateChromeTrace(text: string): TraceCheck {
  const errors: string[] = [];
  const err = (m: string) => { if (errors.length < MAX_ERRORS) errors.push(m); };
  const stats: TraceCheck['stats'] = { events: 0, phases: {}, processes: 0, threads: 0, asyncTracks: 0, counterTracks: 0, flows: 0 };
  if (/(^|[^\\])(\\\\)*\\u[0-9a-fA-F]{4}/.test(text)) err('contains a \\uXXXX escape (older trace processors reject them)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { errors: [`not JSON: ${(e as Error).message}`], stats };
  }
  let events: unknown;
  if (Array.isArray(doc)) events = doc;
  else if (doc !== null && typeof doc === 'object') {
    if ('displayTimeUnit' in doc) err('has displayTimeUnit (Perfetto and chrome://tracing read it differently)');
    events = (doc as { traceEvents?: unknown }).traceEvents;
  }
  if (!Array.isArray(events)) return { errors: ['no traceEvents array'], stats };

  const processNames = new Set<number>();
  const threadNames = new Map<number, number>(); // tid -> pid
  const usedPids = new Set<number>();
  const usedThreads = new Map<number, number>(); // tid -> pid
  const threads = new Map<string, ThreadSlices>();
  const asyncTracks = new Map<string, { lastTs: number; stack: Array<{ name: unknown; ts: number }> }>();
  const counters = new Map<string, number>();
  const counterKeys = new Set<string>();
  const flows = new Map<string, { s: number; f: number; sAt?: [string, number]; fAt?: [string, number]; sTs?: number; fTs?: number }>();

  const thread = (pid: number, tid: number): ThreadSlices => {
    const key = `${pid}/${tid}`;
    let t = threads.get(key);
    if (t === undefined) threads.set(key, t = { start: [], end: [], parent: [], stack: [], lastTs: -Infinity, open: [] });
    return t;
  };

  events.forEach((raw: unknown, i: number) => {
    const where = `event ${i}`;
    if (raw === null || typeof raw !== 'object') return err(`${where}: not an object`);
    const e = raw as Ev;
    stats.events++;
    const ph = e.ph;
    if (typeof ph !== 'string' || !PHASES.has(ph)) return err(`${where}: unknown phase ${JSON.stringify(ph)}`);
    stats.phases[ph] = (stats.phases[ph] ?? 0) + 1;
    if (!isInt(e.pid)) return err(`${where} (${ph}): pid must be a non-negative integer`);
    const pid = e.pid;
    const threadScoped = NEEDS_TID.has(ph) || ((ph === 'i' || ph === 'I') && (e.s === undefined || e.s === 't'));
    if ((threadScoped || ph === 'M') && !isInt(e.tid)) return err(`${where} (${ph}): tid must be a non-negative integer`);
    if (e.tid !== undefined && !isInt(e.tid)) return err(`${where} (${ph}): tid must be a non-negative integer`);
    if (ph !== 'E' && ph !== 'e' && (typeof e.name !== 'string' || e.name === '')) return err(`${where} (${ph}): name must be a non-empty string`);
    if (ph === 'M') {
      const a = e.args as { name?: unknown } | undefined;
      if (e.name === 'process_name' || e.name === 'thread_name') {
        if (typeof a?.name !== 'string') return err(`${where}: ${String(e.name)} without args.name`);
        if (e.name === 'process_name') processNames.add(pid);
        else {
          const prev = threadNames.get(e.tid as number);
          if (prev !== undefined && prev !== pid) err(`${where}: tid ${String(e.tid)} is named in pid ${prev} and pid ${pid} (Perfetto keys thread names by tid)`);
          threadNames.set(e.tid as number, pid);
        }
      }
      return;
    }
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) return err(`${where} (${ph}): ts must be a finite number >= 0`);
    if (Math.abs(e.ts * 1000 - Math.round(e.ts * 1000)) > 1e-6 * Math.max(1, e.ts)) err(`${where}: ts ${e.ts} has more than 3 decimals (sub-ns)`);
    const ts = Math.round(e.ts * 1000); // integer ns from here on: no float drift in comparisons
    usedPids.add(pid);
    if (e.tid !== undefined && threadScoped) usedThreads.set(e.tid as number, pid);

    switch (ph) {
      case 'X': case 'B': case 'E': case 'i': case 'I': {
        if (!threadScoped) break; // process/global instants
        const t = thread(pid, e.tid as number);
        if (ts < t.lastTs) err(`${where} (${ph}): ts ${ts}ns goes back on thread ${pid}/${String(e.tid)} (last ${t.lastTs}ns)`);
        t.lastTs = Math.max(t.lastTs, ts);
        if (ph === 'E') {
          const o = t.open.pop();
          if (o === undefined) return err(`${where}: E without an open B on thread ${pid}/${String(e.tid)}`);
          if (typeof e.name === 'string' && e.name !== o.name) err(`${where}: E '${e.name}' closes B '${String(o.name)}'`);
          t.end[o.index] = ts;
          const top = t.stack[t.stack.length - 1];
          if (top === o.index) t.stack.pop();
          return;
        }
        let dur = 0;
        if (ph === 'X') {
          if (typeof e.dur !== 'number' || !Number.isFinite(e.dur) || e.dur < 0) return err(`${where}: X needs dur >= 0`);
          dur = Math.round(e.dur * 1000);
        }
        const end = ph === 'B' ? Infinity : ts + dur;
        while (t.stack.length !== 0 && t.end[t.stack[t.stack.length - 1]!]! <= ts) t.stack.pop();
        const parent = t.stack[t.stack.length - 1];
        if (parent !== undefined && end > t.end[parent]!) {
          err(`${where} (${ph} '${String(e.name)}' at ${ts}ns for ${dur}ns): overlaps its enclosing slice on thread ${pid}/${String(e.tid)} without nesting (ends ${end}ns, the enclosing one at ${t.end[parent]}ns)`);
        }
        const index = t.start.length;
        t.start.push(ts);
        t.end.push(end);
        t.parent.push(parent ?? -1);
        if (ph === 'B') t.open.push({ name: e.name, index });
        if (dur > 0 || ph === 'B') t.stack.push(index);
        return;
      }
      case 'b': case 'e': case 'n': {
        const local = e.id2?.local, global = e.id2?.global;
        const id = local ?? global ?? e.id;
        if (id === undefined || id === '') return err(`${where} (${ph}): async event without id or id2`);
        const key = `${pid}\u0000${String(e.cat)}\u0000${local !== undefined ? 'l' : 'g'}${String(id)}`;
        let tr = asyncTracks.get(key);
        if (tr === undefined) asyncTracks.set(key, tr = { lastTs: -Infinity, stack: [] });
        if (ts < tr.lastTs) err(`${where} (${ph}): ts ${ts} goes back on async track ${String(id)} (last ${tr.lastTs})`);
        tr.lastTs = Math.max(tr.lastTs, ts);
        if (ph === 'b') tr.stack.push({ name: e.name, ts });
        else if (ph === 'e') {
          const o = tr.stack.pop();
          if (o === undefined) return err(`${where}: e without an open b on async track ${String(id)}`);
          if (e.name !== undefined && e.name !== o.name) err(`${where}: e '${String(e.name)}' closes b '${String(o.name)}' on async track ${String(id)} (improper nesting)`);
        }
        return;
      }
      case 'C': {
        const a = e.args;
        if (a === null || typeof a !== 'object' || Array.isArray(a) || Object.keys(a).length === 0) return err(`${where}: counter without args`);
        for (const [k, v] of Object.entries(a)) {
          if (typeof v !== 'number' || !Number.isFinite(v)) err(`${where}: counter ${String(e.name)}.${k} is not a finite number`);
          counterKeys.add(`${pid}\u0000${String(e.name)}\u0000${k}`);
        }
        const key = `${pid}\u0000${String(e.name)}\u0000${String(e.id ?? '')}`;
        const last = counters.get(key) ?? -Infinity;
        if (ts < last) err(`${where}: counter ${String(e.name)} ts ${ts} goes back (last ${last})`);
        counters.set(key, Math.max(last, ts));
        return;
      }
      case 's': case 't': case 'f': {
        if (e.id === undefined) return err(`${where} (${ph}): flow without id`);
        const key = `${String(e.cat)}\u0000${String(e.name)}\u0000${String(e.id)}`;
        let fl = flows.get(key);
        if (fl === undefined) flows.set(key, fl = { s: 0, f: 0 });
        const at: [string, number] = [`${pid}/${String(e.tid)}`, ts];
        if (ph === 's') { fl.s++; fl.sAt = at; fl.sTs = ts; }
        if (ph === 'f') {
          fl.f++; fl.fAt = at; fl.fTs = ts;
          if (e.bp !== 'e') err(`${where}: flow end without "bp":"e" binds to the next slice, not the wait it ends in`);
        }
        return;
      }
    }
  });

  for (const [key, t] of threads) {
    if (t.open.length !== 0) err(`thread ${key}: ${t.open.length} B without E`);
  }
  for (const [key, tr] of asyncTracks) {
    if (tr.stack.length !== 0) err(`async track ${key.split('\u0000').join(' ')}: ${tr.stack.length} b without e`);
  }
  for (const pid of usedPids) if (!processNames.has(pid)) err(`pid ${pid} has events but no process_name metadata`);
  for (const [tid, pid] of usedThreads) {
    if (!threadNames.has(tid)) err(`thread ${pid}/${tid} has events but no thread_name metadata`);
  }
  const encloses = (at: [string, number] | undefined): boolean => {
    if (at === undefined) return false;
    const t = threads.get(at[0]);
    if (t === undefined) return false;
    let lo = 0, hi = t.start.length - 1, i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (t.start[mid]! <= at[1]) { i = mid; lo = mid + 1; } else hi = mid - 1;
    }
    while (i >= 0 && !(t.start[i]! <= at[1] && at[1] < t.end[i]!)) i = t.parent[i]!;
    return i >= 0;
  };
  for (const [key, fl] of flows) {
    const name = key.split('\u0000').join(' ');
    if (fl.s !== 1 || fl.f !== 1) { err(`flow ${name}: ${fl.s} start(s) and ${fl.f} end(s), expected one of each`); continue; }
    if (fl.fTs! < fl.sTs!) err(`flow ${name}: ends (${fl.fTs}) before it starts (${fl.sTs})`);
    if (!encloses(fl.sAt)) err(`flow ${name}: start at ${fl.sAt![1]} on thread ${fl.sAt![0]} is in no slice`);
    if (!encloses(fl.fAt)) err(`flow ${name}: end at ${fl.fAt![1]} on thread ${fl.fAt![0]} is in no slice`);
  }
  stats.processes = processNames.size;
  stats.threads = threads.size;
  stats.asyncTracks = asyncTracks.size;
  stats.counterTracks = counterKeys.size;
  stats.flows = flows.size;
  return { errors, stats };
}
