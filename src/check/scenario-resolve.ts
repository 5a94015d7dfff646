/**
 * Resolution of a validated check scenario: parameter substitution, thread
 * templates expanded, op fields checked against the VMAs they name.
 */
import type { z } from 'zod';
import { didYouMean } from '../scenario/errors.js';
import { ANON_STATES, FILE_STATES, type CheckPageState, type CheckScenarioSchema } from './scenario-schema.js';
import type { CheckOp, CheckScenario, CheckThread, CheckVma } from './scenario-types.js';

export type Seg = string | number;

export function resolve(f: z.output<typeof CheckScenarioSchema>, overrides: Record<string, number>, issues: Array<{ path: Seg[]; message: string }>): CheckScenario {
  const params: Record<string, number> = {};
  for (const [k, p] of Object.entries(f.params)) params[k] = p.default;
  for (const [k, v] of Object.entries(overrides)) {
    const p = f.params[k];
    if (p === undefined) {
      issues.push({ path: ['params'], message: `unknown parameter '${k}' (this scenario has: ${Object.keys(f.params).join(', ') || 'none'})` });
      continue;
    }
    if (!Number.isInteger(v) || v < p.min || v > p.max) {
      issues.push({ path: ['params', k], message: `parameter ${k}=${v} is out of range ${p.min}..${p.max}` });
      continue;
    }
    params[k] = v;
  }
  const vmaNames = new Set<string>();
  const vmas: CheckVma[] = f.vmas.map((v, n) => {
    if (vmaNames.has(v.name)) issues.push({ path: ['vmas', n, 'name'], message: `duplicate VMA name '${v.name}'` });
    vmaNames.add(v.name);
    return {
      name: v.name, kind: v.kind, shared: v.shared, write: v.write ?? v.kind === 'anon', maywrite: v.maywrite,
      exec: v.exec, anon_vma: v.anon_vma, special: v.special, map_pages: v.map_pages, dontcopy: v.dontcopy, growsdown: v.growsdown, pages: v.pages,
      process: v.process ?? '',
    };
  });
  vmas.forEach((v, n) => {
    // UFFDIO_REGISTER_MODE_MISSING: the model delivers missing faults from do_anonymous_page only (shmem's and hugetlb's are not modelled).
    if (v.special.includes('uffd_missing') && (v.kind !== 'anon' || v.shared)) {
      issues.push({ path: ['vmas', n, 'special'], message: `uffd_missing on '${v.name}': only private anonymous VMAs are modelled for missing userfaults (${v.shared ? 'shared' : v.kind})` });
    }
  });
  const processes: string[] = [];
  for (const p of [...vmas.map((v) => v.process ?? ''), ...f.threads.map((t) => t.process ?? '')]) if (!processes.includes(p)) processes.push(p);
  const byName = new Map(vmas.map((v) => [v.name, v]));
  const threads: CheckThread[] = [];
  f.threads.forEach((t, ti) => {
    let count = 1;
    if (typeof t.count === 'number') count = t.count;
    else {
      const p = params[t.count.slice(1)];
      if (p === undefined) issues.push({ path: ['threads', ti, 'count'], message: `unknown parameter ${t.count}` });
      else count = p;
    }
    for (let i = 0; i < count; i++) {
      const sub = (s: string): string => s.replace(/\{i(?:([%/+])(\d+))?\}/g, (_m, op: string | undefined, k: string | undefined) =>
        String(op === undefined ? i : op === '%' ? i % Number(k) : op === '+' ? i + Number(k) : Math.floor(i / Number(k))));
      const name = count > 1 && !t.name.includes('{i}') ? `${t.name}${i}` : sub(t.name);
      const ops: CheckOp[] = [];
      const proc = t.process ?? '';
      t.ops.forEach((o, oi) => {
        const at: Seg[] = ['threads', ti, 'ops', oi];
        if (o.op === 'fork') {
          ops.push({ op: 'fork', child: o.child });
          return;
        }
        if (o.op === 'uffd_read') {
          ops.push({ op: 'uffd_read' });
          return;
        }
        if (o.op === 'exit') {
          if (oi !== t.ops.length - 1) issues.push({ path: [...at, 'op'], message: 'exit must be the last op of its thread' });
          ops.push({ op: 'exit' });
          return;
        }
        const names = (Array.isArray(o.vma) ? o.vma : [o.vma]).map(sub);
        for (const v of names) {
          const vma = byName.get(v);
          if (vma === undefined) {
            const hint = didYouMean(v, [...byName.keys()]);
            issues.push({ path: [...at, 'vma'], message: `unknown VMA '${v}'${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (VMAs: ${[...byName.keys()].join(', ')})` });
          } else if ((vma.process ?? '') !== proc) {
            issues.push({ path: [...at, 'vma'], message: `VMA '${v}' belongs to process ${vma.process === '' ? 'the first process' : `'${vma.process}'`}, not to this thread's ${proc === '' ? 'first process' : `process '${proc}'`}` });
          }
        }
        if (o.op === 'uffdio_copy' || o.op === 'uffdio_zeropage' || o.op === 'uffdio_move') {
          uffdOp(o, names, byName, proc, at, issues, ops);
          return;
        }
        if (o.op === 'rmap_walk' || o.op === 'try_to_unmap') {
          for (const v of names) {
            const vma = byName.get(v);
            if (vma !== undefined && o.page >= vma.pages) issues.push({ path: [...at, 'page'], message: `page ${o.page} is outside VMA '${v}' (${vma.pages} pages)` });
          }
          ops.push({ op: o.op, vma: names, page: o.page });
        } else if (o.op === 'fault') {
          const page = typeof o.page === 'number' ? o.page : Number(sub(o.page));
          let state: CheckPageState[] | null = null;
          if (o.state !== undefined) {
            state = (Array.isArray(o.state) ? o.state : [o.state]) as CheckPageState[];
          }
          for (const v of names) {
            const vma = byName.get(v);
            if (vma === undefined) continue;
            if (page >= vma.pages) issues.push({ path: [...at, 'page'], message: `page ${page} is outside VMA '${v}' (${vma.pages} pages)` });
            if (page < 0 && !vma.growsdown) issues.push({ path: [...at, 'page'], message: `page ${page} is below VMA '${v}', which is no stack (growsdown: true lets a fault there expand it)` });
            const valid: readonly string[] = vma.kind === 'file' ? FILE_STATES : ANON_STATES;
            for (const s of state ?? []) {
              if (!valid.includes(s)) issues.push({ path: [...at, 'state'], message: `state '${s}' is not a ${vma.kind} page state (expected one of: ${valid.join(', ')})` });
            }
          }
          ops.push({ op: 'fault', vma: names, page, access: o.access, state });
        } else if (o.op === 'mprotect' || o.op === 'munmap' || o.op === 'madvise' || o.op === 'mremap' || o.op === 'mmap_fixed' || o.op === 'mbind') {
          const page = o.page ?? 0;
          for (const v of names) {
            const vma = byName.get(v);
            if (vma !== undefined && page + (o.pages ?? 1) > vma.pages) issues.push({ path: [...at, o.pages !== undefined ? 'pages' : 'page'], message: `pages ${page}..${page + (o.pages ?? 1) - 1} are outside VMA '${v}' (${vma.pages} pages)` });
          }
          if (o.op === 'mprotect') ops.push({ op: 'mprotect', vma: names, page, pages: o.pages ?? null, prot: o.prot ?? null });
          else if (o.op === 'mremap') {
            for (const v of names) {
              const vma = byName.get(v);
              if (vma !== undefined && o.to_page !== undefined && o.to_page + o.new_pages > vma.pages) issues.push({ path: [...at, 'to_page'], message: `the MREMAP_FIXED target, pages ${o.to_page}..${o.to_page + o.new_pages - 1}, is outside VMA '${v}' (${vma.pages} pages)` });
            }
            for (const v of names) {
              // The old range keeps the page offsets the moved PTEs went with: the model's per-offset PTE record cannot tell them apart.
              if (o.dontunmap && byName.get(v)?.special.includes('uffd_missing') === true) issues.push({ path: [...at, 'dontunmap'], message: `mremap with dontunmap of the uffd_missing VMA '${v}' is not modelled` });
            }
            ops.push({ op: 'mremap', vma: names, page, pages: o.pages ?? null, new_pages: o.new_pages, maymove: o.maymove, dontunmap: o.dontunmap, to_page: o.to_page ?? null });
          }
          else if (o.op === 'madvise') ops.push({ op: 'madvise', vma: names, advice: o.advice, page, pages: o.pages ?? null });
          else if (o.op === 'mmap_fixed') ops.push({ op: 'mmap_fixed', vma: names, page, pages: o.pages ?? null });
          else if (o.op === 'mbind') ops.push({ op: 'mbind', vma: names, mode: o.mode, page, pages: o.pages ?? null });
          else ops.push({ op: 'munmap', vma: names, page, pages: o.pages ?? null });
        } else if (o.op === 'khugepaged') {
          for (const v of names) {
            const vma = byName.get(v);
            if (vma === undefined) continue;
            if (o.page >= vma.pages) issues.push({ path: [...at, 'page'], message: `page ${o.page} is outside VMA '${v}' (${vma.pages} pages)` });
            if (vma.kind !== (o.collapse === 'anon' ? 'anon' : 'file')) issues.push({ path: [...at, 'vma'], message: `khugepaged's ${o.collapse} collapse takes ${o.collapse} VMAs; '${v}' is ${vma.kind}` });
          }
          ops.push({ op: 'khugepaged', vma: names, page: o.page, collapse: o.collapse });
        } else {
          if (o.op === 'mmap') {
            const prior = ops.some((p) => p.op === 'munmap' && p.vma.join() === names.join());
            if (!prior) issues.push({ path: [...at], message: `mmap of '${names.join()}' must follow a munmap of the same VMA in this thread` });
          }
          ops.push({ op: o.op, vma: names });
        }
      });
      threads.push({ name, process: proc, ops });
    }
  });
  if (threads.length > 24) issues.push({ path: ['threads'], message: `too many threads (${threads.length}, at most 24)` });
  return {
    name: f.name, description: f.description.replace(/\s+/g, ' ').trim(), source: '', params,
    reader_wake: f.mm.reader_wake, swap_synchronous: f.mm.swap_synchronous, max_retries: f.max_retries,
    ...(f.mm.max_map_count !== undefined ? { max_map_count: f.mm.max_map_count } : {}),
    nondet: f.nondet, vmas, threads, processes,
  };
}

/** The userfaultfd ops' checks: pages inside their VMAs; UFFDIO_COPY into a private VMA, UFFDIO_MOVE between anonymous private VMAs of one process. */
function uffdOp(
  o: { op: 'uffdio_copy' | 'uffdio_zeropage'; page: number } | { op: 'uffdio_move'; page: number; src_vma: string; src_page: number },
  names: string[], byName: ReadonlyMap<string, CheckVma>, proc: string, at: Seg[], issues: Array<{ path: Seg[]; message: string }>, ops: CheckOp[],
): void {
  for (const v of names) {
    const vma = byName.get(v);
    if (vma === undefined) continue;
    if (o.page >= vma.pages) issues.push({ path: [...at, 'page'], message: `page ${o.page} is outside VMA '${v}' (${vma.pages} pages)` });
    if (vma.shared) issues.push({ path: [...at, 'vma'], message: `${o.op} into a shared VMA ('${v}') is not modelled (shmem's mfill_atomic_pte); use a private one` });
    if (o.op === 'uffdio_move' && vma.kind !== 'anon') issues.push({ path: [...at, 'vma'], message: `uffdio_move moves anonymous pages; '${v}' is ${vma.kind}` });
  }
  if (o.op !== 'uffdio_move') {
    ops.push({ op: o.op, vma: names, page: o.page });
    return;
  }
  const src = byName.get(o.src_vma);
  if (src === undefined) {
    const hint = didYouMean(o.src_vma, [...byName.keys()]);
    issues.push({ path: [...at, 'src_vma'], message: `unknown VMA '${o.src_vma}'${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (VMAs: ${[...byName.keys()].join(', ')})` });
  } else {
    if ((src.process ?? '') !== proc) issues.push({ path: [...at, 'src_vma'], message: `VMA '${o.src_vma}' belongs to another process than this thread's (UFFDIO_MOVE moves within one mm)` });
    if (o.src_page >= src.pages) issues.push({ path: [...at, 'src_page'], message: `page ${o.src_page} is outside VMA '${o.src_vma}' (${src.pages} pages)` });
    if (src.kind !== 'anon' || src.shared) issues.push({ path: [...at, 'src_vma'], message: `uffdio_move moves anonymous pages of a private VMA; '${o.src_vma}' is ${src.shared ? 'shared' : src.kind}` });
  }
  ops.push({ op: 'uffdio_move', vma: names, page: o.page, src_vma: o.src_vma, src_page: o.src_page });
}
