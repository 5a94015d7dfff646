/** Resolving `threads`: thread groups expanded, their ops and frames checked against the VMA groups. */
import { didYouMean } from './errors.js';
import { DEFAULTS, type ScenarioFile } from './schema.js';
import {
  ANON_PAGE_STATES, FILE_PAGE_STATES, type FrameSpec, type Law, type OpSpec, type PageState, type ThreadIo, type ThreadSpec,
  type VmaGroup,
} from './types.js';
import { dur, resolveLaw } from './resolve-common.js';
import type { Path, RawIssue } from './issues.js';

/** Expanded thread name for index i (1-based). */
function expandName(template: string, i: number): string {
  return template.split('{i}').join(String(i));
}

/** "Binder:{i}" -> "Binder", "AsyncTask #{i}" -> "AsyncTask". */
function defaultGroup(template: string): string {
  if (!template.includes('{i}')) return template;
  const g = template.replace(/[\s:#_-]*\{i\}/g, '').trim();
  return g === '' ? template : g;
}

/**
 * A fault or GUP op's `states` weights, checked against the group's kind;
 * the default is {cached: 1} for file groups, {zero: 1} for anon.
 */
function resolveStates(
  weights: Partial<Record<PageState, number>> | undefined,
  g: VmaGroup | undefined,
  oat: Path,
  issues: RawIssue[],
): Array<[PageState, number]> {
  if (weights === undefined) return g?.kind === 'anon' ? [['zero', 1]] : [['cached', 1]];
  const allowed: readonly PageState[] = g?.kind === 'anon' ? ANON_PAGE_STATES : FILE_PAGE_STATES;
  const states: Array<[PageState, number]> = [];
  for (const [s, w] of Object.entries(weights) as Array<[PageState, number | undefined]>) {
    if (w === undefined) continue;
    if (g !== undefined && !allowed.includes(s)) {
      issues.push({
        path: [...oat, 'states', s],
        atKey: true,
        message: `page state '${s}' is not valid for ${g.kind} VMA group '${g.name}' (${g.kind} states: ${allowed.join(', ')})`,
      });
    }
    if (w > 0) states.push([s, w]);
  }
  if (states.length === 0) issues.push({ path: [...oat, 'states'], message: 'expected at least one state with a weight > 0' });
  return states;
}

export function resolveThreads(f: ScenarioFile, duration: number, vmas: readonly VmaGroup[], issues: RawIssue[]): ThreadSpec[] {
  const groupNames = [...new Set(vmas.map((v) => v.name))];
  const groupOf = (name: string) => vmas.find((v) => v.name === name);
  // Threads.
  const threads: ThreadSpec[] = [];
  const threadAt = new Map<string, number>();
  f.threads.forEach((t, ti) => {
    const at = ['threads', ti] as const;
    const count = t.count ?? 1;
    if (count > 1 && !t.name.includes('{i}')) {
      issues.push({ path: [...at, 'name'], message: `must contain {i} when count is ${count} (expanded thread names must be unique), got '${t.name}'` });
      return;
    }
    const start = t.start === undefined ? DEFAULTS.start : dur(t.start);
    if (start >= duration && duration > 0) {
      issues.push({ path: [...at, 'start'], message: `must be before the end of the run (duration ${String(f.duration)}), got ${String(t.start)}` });
    }
    if (t.frame === undefined) {
      if (t.think === undefined) issues.push({ path: [...at, 'think'], message: 'missing required field (expected a latency law, or a frame for a frame thread)' });
      if (t.ops === undefined) issues.push({ path: [...at, 'ops'], message: 'missing required field (expected a list of ops, or a frame for a frame thread)' });
    } else {
      for (const k of ['think', 'ops'] as const) {
        if (t[k] !== undefined) issues.push({ path: [...at, k], atKey: true, message: `a frame thread runs its frame ops at every vsync and has no ${k} (remove ${k}, or the frame)` });
      }
    }
    const think: Law = t.think === undefined ? { law: 'constant', value: 0 } : resolveLaw(t.think, [...at, 'think'], issues);
    const ops = resolveOps(t.ops ?? [], [...at, 'ops'], false);
    let frame: FrameSpec | undefined;
    if (t.frame !== undefined) {
      const fat = [...at, 'frame'] as const;
      const period = dur(t.frame.period);
      if (period <= 0) issues.push({ path: [...fat, 'period'], message: 'must be > 0' });
      const deadlines = (t.frame.deadlines ?? [t.frame.period]).map((d) => dur(d)).sort((a, b) => b - a);
      deadlines.forEach((d, di) => {
        if (d <= 0) issues.push({ path: [...fat, 'deadlines', di], message: 'must be > 0' });
      });
      frame = { period, deadlines, ops: resolveOps(t.frame.ops, [...fat, 'ops'], true) };
    }
    let tio: ThreadIo | undefined;
    if (t.io !== undefined) {
      tio = {};
      if (t.io.read !== undefined) tio.read = resolveLaw(t.io.read, [...at, 'io', 'read'], issues);
      if (t.io.swap !== undefined) tio.swap = resolveLaw(t.io.swap, [...at, 'io', 'swap'], issues);
    }
    const group = t.group ?? defaultGroup(t.name);
    for (let i = 1; i <= count; i++) {
      const name = expandName(t.name, i);
      const prev = threadAt.get(name);
      if (prev !== undefined) {
        issues.push({ path: [...at, 'name'], message: `duplicate thread name '${name}' (also made by threads[${prev}])` });
        break;
      }
      threadAt.set(name, ti);
      const th: ThreadSpec = { name, group, class: t.class ?? DEFAULTS.class, start, think: structuredClone(think), ops: structuredClone(ops) };
      if (tio !== undefined) th.io = structuredClone(tio);
      if (frame !== undefined) th.frame = structuredClone(frame);
      threads.push(th);
    }
  });

  /** Resolves a list of ops (a thread's mix, or a frame's work when `inFrame`). */
  function resolveOps(list: NonNullable<ScenarioFile['threads'][number]['ops']>, path: Path, inFrame: boolean): OpSpec[] {
    const ops: OpSpec[] = [];
    list.forEach((o, oi) => {
      const oat = [...path, oi] as const;
      if (inFrame && o.weight !== undefined) {
        issues.push({ path: [...oat, 'weight'], atKey: true, message: 'frame ops run in order at every vsync: weight has no meaning here (remove it)' });
      }
      const base = {
        weight: o.weight ?? DEFAULTS.weight,
        repeat: o.repeat ?? DEFAULTS.repeat,
        gap: o.gap === undefined || o.gap === null ? null : resolveLaw(o.gap, [...oat, 'gap'], issues),
      };
      if (o.op === 'fork') {
        ops.push({ op: 'fork', ...base });
        return;
      }
      if (o.op === 'proc_maps' || o.op === 'proc_smaps' || o.op === 'proc_smaps_rollup') {
        const chunk = o.op === 'proc_maps' ? o.chunk ?? 40 : o.op === 'proc_smaps' ? o.chunk ?? 4 : 1;
        ops.push({ op: o.op, lock: o.op === 'proc_maps' ? o.lock ?? 'vma' : 'mmap', chunk, ...base });
        return;
      }
      const g = groupOf(o.vma);
      if (g === undefined) {
        const hint = didYouMean(o.vma, groupNames);
        issues.push({
          path: [...oat, 'vma'],
          message: `unknown VMA group '${o.vma}'${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (groups: ${groupNames.join(', ')})`,
        });
      }
      switch (o.op) {
        case 'fault': {
          const access = o.access ?? 'read';
          const states = resolveStates(o.states, g, oat, issues);
          if (g !== undefined && access === 'wp' && (g.kind !== 'file' || !g.shared)) {
            issues.push({
              path: [...oat, 'access'],
              message: `access: wp on VMA group '${g.name}', which is not a shared file mapping (only wp_page_shared is modelled; COW of a mapped page is not)`,
            });
          }
          if (g !== undefined && access !== 'read' && !g.write) {
            issues.push({
              path: [...oat, 'access'],
              message: `write fault on VMA group '${g.name}', which has write: false (the kernel would raise SIGSEGV; set write: true on the group or use access: read)`,
            });
          }
          ops.push({ op: 'fault', vma: o.vma, access, ...(o.order === 'sequential' ? { order: 'sequential' as const } : {}), states, ...base });
          return;
        }
        case 'mprotect':
        case 'madvise_dontneed': {
          if (g !== undefined) {
            const largest = Math.max(...g.pages);
            if (o.pages > largest) {
              issues.push({ path: [...oat, 'pages'], message: `${o.pages} pages is more than the largest VMA in group '${g.name}' (${largest} pages)` });
            }
          }
          if (o.op === 'mprotect') {
            if (o.restore === true && o.prot === undefined) issues.push({ path: [...oat, 'restore'], message: 'restore needs prot (the protection the pair sets first)' });
            ops.push({ op: o.op, vma: o.vma, pages: o.pages, ...(o.prot !== undefined ? { prot: o.prot, restore: o.restore ?? false } : {}), ...base });
          } else {
            ops.push({ op: o.op, vma: o.vma, pages: o.pages, ...base });
          }
          return;
        }
        case 'madvise': {
          if (g !== undefined && o.pages > Math.max(...g.pages)) {
            issues.push({ path: [...oat, 'pages'], message: `${o.pages} pages is more than the largest VMA in group '${g.name}' (${Math.max(...g.pages)} pages)` });
          }
          ops.push({ op: 'madvise', vma: o.vma, pages: o.pages, advice: o.advice, restore: o.restore ?? false, ...base });
          return;
        }
        case 'mremap': {
          const maymove = o.maymove ?? true, dontunmap = o.dontunmap ?? false;
          if (g !== undefined && o.pages !== undefined && o.pages > Math.max(...g.pages)) {
            issues.push({ path: [...oat, 'pages'], message: `${o.pages} pages is more than the largest VMA in group '${g.name}' (${Math.max(...g.pages)} pages)` });
          }
          if (dontunmap && !maymove) issues.push({ path: [...oat, 'dontunmap'], message: 'dontunmap needs maymove (the kernel returns -EINVAL)' });
          if (dontunmap && g !== undefined && (o.pages === undefined ? g.pages.some((n) => n !== o.new_pages) : o.pages !== o.new_pages)) {
            issues.push({ path: [...oat, 'new_pages'], message: 'with dontunmap, new_pages must equal pages (the kernel returns -EINVAL)' });
          }
          ops.push({ op: 'mremap', vma: o.vma, pages: o.pages ?? null, new_pages: o.new_pages, maymove, dontunmap, ...base });
          return;
        }
        case 'munmap':
          ops.push({ op: 'munmap', vma: o.vma, ...(o.fixed === true ? { fixed: true } : {}), ...base });
          return;
        case 'gup': {
          const states = resolveStates(o.states, g, oat, issues);
          const access = o.access ?? 'read';
          if (g !== undefined && access === 'write' && !g.write) {
            issues.push({ path: [...oat, 'access'], message: `FOLL_WRITE on VMA group '${g.name}', which has write: false (GUP would fail with -EFAULT)` });
          }
          if (g !== undefined && o.pages > Math.max(...g.pages)) {
            issues.push({ path: [...oat, 'pages'], message: `${o.pages} pages is more than the largest VMA in group '${g.name}' (${Math.max(...g.pages)} pages)` });
          }
          ops.push({ op: 'gup', vma: o.vma, pages: o.pages, access, mode: o.mode ?? 'pinned', states, ...base });
          return;
        }
      }
    });
    return ops;
  }
  return threads;
}
