/** Resolving `memory:`: sizes in pages, and the checks it imposes on the rest of the scenario. */
import type { ScenarioFile } from './schema.js';
import type { MemorySpec, VmaGroup } from './types.js';
import type { RawIssue } from './issues.js';
import { dur } from './resolve-common.js';

/** Largest file VMA a memory scenario supports (the LRU's page key, src/model/lruvec.ts). */
const MAX_VMA_PAGES = 1 << 22;

const UNIT_PAGES: Record<string, number> = { KiB: 1 / 4, MiB: 256, GiB: 262144 };

/** A size (number of pages, or "64MiB") in 4 KiB pages, rounded down. */
export function sizeToPages(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9.]+)(KiB|MiB|GiB)$/u.exec(v)!;
  return Math.floor(Number(m[1]) * UNIT_PAGES[m[2]!]!);
}

export function resolveMemory(f: ScenarioFile, vmas: readonly VmaGroup[], issues: RawIssue[]): MemorySpec | undefined {
  const m = f.memory;
  if (m === undefined) {
    vmas.forEach((g, gi) => {
      if (g.cached !== undefined) issues.push({ path: ['vmas', gi, 'cached'], message: 'cached needs a memory: block (without it, page states are drawn per fault: use states)' });
    });
    return undefined;
  }
  const pages = (v: number | string | undefined) => (v === undefined ? null : sizeToPages(v));
  const spec: MemorySpec = {
    max: pages(m.max), high: pages(m.high), total: pages(m.total), other: pages(m.other) ?? 0, swappiness: m.swappiness ?? 60,
    dirty_background_ratio: m.dirty_background_ratio ?? 10, dirty_ratio: m.dirty_ratio ?? 20, // mm/page-writeback.c defaults
    dirty_writeback: m.dirty_writeback === undefined ? 5e9 : dur(m.dirty_writeback),
    dirty_expire: m.dirty_expire === undefined ? 30e9 : dur(m.dirty_expire),
  };
  if (spec.max === null && spec.total === null) {
    issues.push({ path: ['memory'], message: 'needs max (memcg memory.max) or total (RAM), or both' });
  }
  for (const k of ['max', 'high', 'total'] as const) {
    const v = spec[k];
    if (v !== null && v <= spec.other) issues.push({ path: ['memory', k], message: `must be larger than memory.other (${spec.other} pages), got ${v} pages` });
  }
  if (spec.high !== null && spec.max !== null && spec.high > spec.max) {
    issues.push({ path: ['memory', 'high'], message: `must not be above memory.max (${spec.max} pages), got ${spec.high} pages` });
  }
  vmas.forEach((g, gi) => {
    if (g.kind !== 'file') return;
    g.pages.forEach((n) => {
      if (n > MAX_VMA_PAGES) issues.push({ path: ['vmas', gi, 'pages'], message: `with memory:, a file VMA has at most ${MAX_VMA_PAGES} pages, got ${n}` });
    });
  });
  f.threads.forEach((t, ti) => {
    const lists: Array<[readonly unknown[] | undefined, string]> = [[t.ops, 'ops'], [t.frame?.ops, 'frame']];
    for (const [ops, where] of lists) {
      (ops ?? []).forEach((o, oi) => {
        const op = o as { op: string; vma?: string; states?: unknown };
        const at = where === 'ops' ? ['threads', ti, 'ops', oi] : ['threads', ti, 'frame', 'ops', oi];
        const g = vmas.find((v) => v.name === op.vma);
        if ((op.op === 'fault' || op.op === 'gup') && op.states !== undefined && g !== undefined) {
          issues.push({ path: [...at, 'states'], message: 'with memory:, the working set and the limits decide whether a page is resident: remove states' });
        }
        if (op.op === 'madvise_dontneed' && g?.kind === 'anon') {
          issues.push({ path: [...at, 'op'], message: 'madvise_dontneed of anonymous memory is not modelled with memory: yet (it would free and uncharge the pages)' });
        }
        if (op.op === 'mremap') {
          issues.push({ path: [...at, 'op'], message: 'mremap is not modelled with memory: yet (it unmaps and moves VMAs, and the page cache would not follow them)' });
        }
        if (op.op === 'munmap') {
          issues.push({ path: [...at, 'op'], message: 'munmap (and its mmap) is not modelled with memory: yet (the page cache would not follow the file to the new VMA)' });
        }
      });
    }
  });
  return spec;
}
