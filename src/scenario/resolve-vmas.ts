/** Resolving `vmas`: VMA groups with their defaults and cross-field checks. */
import { DEFAULTS, type ScenarioFile } from './schema.js';
import type { Special, VmaGroup } from './types.js';
import type { RawIssue } from './issues.js';

export function resolveVmas(f: ScenarioFile, issues: RawIssue[]): VmaGroup[] {
  // VMA groups.
  const vmas: VmaGroup[] = [];
  const firstAt = new Map<string, number>();
  f.vmas.forEach((g, gi) => {
    const at = ['vmas', gi] as const;
    const prev = firstAt.get(g.name);
    if (prev !== undefined) {
      issues.push({ path: [...at, 'name'], message: `duplicate VMA group '${g.name}' (first defined at vmas[${prev}])` });
    } else firstAt.set(g.name, gi);
    let pages: number[];
    let count: number;
    if (Array.isArray(g.pages)) {
      count = g.count ?? g.pages.length;
      if (g.count !== undefined && g.pages.length !== g.count) {
        issues.push({ path: [...at, 'pages'], message: `list has ${g.pages.length} entries but count is ${g.count} (give one size per VMA, or omit count)` });
      }
      pages = g.pages.slice();
    } else {
      count = g.count ?? 1;
      pages = new Array<number>(count).fill(g.pages);
    }
    const anon = g.kind === 'anon';
    const shared = g.shared ?? DEFAULTS.shared;
    if (anon && shared) {
      issues.push({ path: [...at, 'shared'], message: 'a shared anonymous mapping is shmem, which the kernel treats as file-backed: use kind: file with shared: true' });
    }
    const write = g.write ?? anon;
    const maywrite = g.maywrite ?? !(shared && !write);
    if (write && !maywrite) issues.push({ path: [...at, 'maywrite'], message: 'must be true when write is true (VM_WRITE implies VM_MAYWRITE)' });
    const special = (g.special ?? []) as Special[];
    special.forEach((s, si) => {
      if (special.indexOf(s) !== si) issues.push({ path: [...at, 'special', si], message: `'${s}' is listed twice` });
    });
    if (g.readahead !== undefined && anon) {
      issues.push({ path: [...at, 'readahead'], message: 'readahead applies to file VMAs only (kind: file)' });
    }
    if (g.cached !== undefined && anon) {
      issues.push({ path: [...at, 'cached'], message: 'cached applies to file VMAs only (kind: file); the resident share of anonymous memory is `resident`' });
    }
    if (g.page_mkwrite !== undefined && (anon || !shared)) {
      issues.push({ path: [...at, 'page_mkwrite'], message: 'page_mkwrite applies to shared file VMAs only (kind: file, shared: true)' });
    }
    vmas.push({
      name: g.name,
      count,
      kind: g.kind,
      shared,
      write,
      maywrite,
      exec: g.exec ?? DEFAULTS.exec,
      anon_vma: g.anon_vma ?? anon,
      special,
      map_pages: g.map_pages ?? DEFAULTS.map_pages,
      dontcopy: g.dontcopy ?? DEFAULTS.dontcopy,
      pages,
      resident: g.resident ?? DEFAULTS.resident,
      ...(g.readahead !== undefined ? { readahead: g.readahead } : {}),
      ...(g.page_mkwrite !== undefined ? { page_mkwrite: g.page_mkwrite } : {}),
      ...(g.cached !== undefined ? { cached: g.cached } : {}),
    });
  });
  return vmas;
}
