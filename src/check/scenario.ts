/**
 * Check scenarios: a handful of threads, each a short fixed list of operations
 * over a few VMAs (no think times, no weights, no latency laws: the checker
 * explores every order instead of drawing one). Files live in
 * `scenarios/check-*.yaml`; the format has its own zod schema here.
 *
 * Templates: a thread with `count: n` (or `count: $param`) is expanded into n
 * threads; in its name and in op fields, `{i}`, `{i%k}` and `{i/k}` stand for
 * the instance number (from 0), its remainder and its integer quotient by k;
 * `{i+k}` is the instance number plus k.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { describeValue, didYouMean, ScenarioError, type ScenarioIssue } from '../scenario/errors.js';
import { formatPath, repoRoot } from '../scenario/load.js';
import { readScenarioText } from '../scenario/read.js';
import { MPOL_MODES, type MpolMode } from '../model/mempolicy.js';

export const FILE_STATES = ['cached', 'absent', 'locked', 'writeback'] as const;
export const ANON_STATES = ['zero', 'swapped', 'swapcache', 'swapcache_locked', 'swapcache_writeback'] as const;
export type CheckPageState = (typeof FILE_STATES)[number] | (typeof ANON_STATES)[number];
export const SPECIALS = ['pfnmap', 'mixedmap', 'uffd_wp', 'guard'] as const;
export const NONDET_SITES = ['vma_start_read_spurious_fail', 'vm_area_reuse'] as const;

const Name = z.string().regex(/^[A-Za-z0-9_.:{}%/+-]+$/, 'expected a name of letters, digits and _.:-');
const NameOrList = z.union([Name, z.array(Name).min(1)]);
const Template = z.union([z.number().int().min(-1), z.string().regex(/^\{i([%/+]\d+)?\}$|^\d+$/)]);

const VmaSchema = z.strictObject({
  name: Name,
  kind: z.enum(['file', 'anon']),
  shared: z.boolean().default(false),
  write: z.boolean().optional(),
  maywrite: z.boolean().default(true),
  exec: z.boolean().default(false),
  anon_vma: z.boolean().default(false),
  special: z.array(z.enum(SPECIALS)).default([]),
  map_pages: z.boolean().default(true),
  dontcopy: z.boolean().default(false),
  /** A stack (VM_GROWSDOWN): a fault up to `STACK_GROWTH` pages below it expands it (expand_downwards). */
  growsdown: z.boolean().default(false),
  /** At most 1024: a khugepaged scenario needs a VMA that covers a whole PMD-aligned range (HPAGE_PMD_NR = 512 pages). */
  pages: z.number().int().min(1).max(1024).default(4),
  /** The process (mm) the VMA belongs to; omitted: the first process. */
  process: Name.optional(),
  description: z.string().optional(),
});

const StateList = z.union([z.string(), z.array(z.string()).min(1)]);
const FaultOp = z.strictObject({
  op: z.literal('fault'),
  vma: NameOrList,
  page: Template.default(0),
  access: z.enum(['read', 'write']).default('read'),
  state: StateList.optional(),
});
const VmaOp = z.strictObject({
  op: z.enum(['mmap', 'madvise_dontneed']),
  vma: NameOrList,
});
/** Protections an mprotect op may set (PROT_READ / PROT_WRITE / PROT_EXEC). */
export const PROTS = ['none', 'r', 'rw', 'rx', 'rwx'] as const;
export type CheckProt = (typeof PROTS)[number];
const MprotectOp = z.strictObject({
  op: z.literal('mprotect'),
  vma: NameOrList,
  page: z.number().int().min(0).optional(),
  pages: z.number().int().min(1).optional(),
  prot: z.enum(PROTS).optional(),
});
const MadviseOp = z.strictObject({
  op: z.literal('madvise'),
  vma: NameOrList,
  advice: z.enum(['random', 'sequential', 'normal']),
  page: z.number().int().min(0).optional(),
  pages: z.number().int().min(1).optional(),
});
const MremapOp = z.strictObject({
  op: z.literal('mremap'),
  vma: NameOrList,
  page: z.number().int().min(0).optional(),
  pages: z.number().int().min(1).optional(),
  new_pages: z.number().int().min(1).max(128),
  maymove: z.boolean().default(true),
  dontunmap: z.boolean().default(false),
  /** MREMAP_FIXED (with MREMAP_MAYMOVE) to this page of the VMA's slot (the model's new_addr); the range must not overlap the source. */
  to_page: z.number().int().min(0).optional(),
});
/** The shape of an op on [page, page + pages) of a VMA's slot (default: to its end). */
function rangeOp<N extends string>(op: N) {
  return z.strictObject({
    op: z.literal(op),
    vma: NameOrList,
    page: z.number().int().min(0).optional(),
    pages: z.number().int().min(1).optional(),
  });
}
/** The shape of an op at one page of a VMA's slot (default: page 0). */
function pageOp<N extends string>(op: N) {
  return z.strictObject({ op: z.literal(op), vma: NameOrList, page: z.number().int().min(0).default(0) });
}
const MunmapOp = rangeOp('munmap');
/** mbind(MPOL_<mode>) of [page, page + pages) (default: to the VMA's end): vma->vm_policy replaced, split and merge (mm/mempolicy.c). */
const MbindOp = rangeOp('mbind').extend({ mode: z.enum(MPOL_MODES).default('bind') });
/** mmap(MAP_FIXED) of a new mapping over [page, page + pages) of a VMA's range (default: to its end). */
const MmapFixedOp = rangeOp('mmap_fixed');
/**
 * khugepaged collapses the file range (HPAGE_PMD_NR pages, PMD-aligned) that
 * holds `page` of a file VMA: khugepaged_scan_mm_slot finds the VMA under
 * mmap_read_lock, then collapse_file -> retract_page_tables
 * (src/model/khugepaged.ts). The thread stands for the khugepaged kthread.
 */
const KhugepagedOp = pageOp('khugepaged').extend({ collapse: z.enum(['file', 'anon']).default('file') });
/**
 * fork(): dup_mmap builds the child mm. `child: exit` spawns the child as a
 * task that exits at once (exit_mm -> mmput -> exit_mmap), racing with what
 * runs after the fork; `idle` (the default) keeps it alive and idle.
 */
const ForkOp = z.strictObject({ op: z.literal('fork'), child: z.enum(['idle', 'exit']).default('idle') });
/**
 * Reclaim's rmap walk (folio_referenced) of the anonymous folio mapped at a
 * page of a VMA's slot when the op starts: a kernel thread (kswapd), which
 * takes no mmap_lock and no VMA lock.
 */
const RmapWalkOp = pageOp('rmap_walk');
/**
 * Reclaim's try_to_unmap of the folio at a page of a VMA's slot, by kswapd
 * holding lockdep's fs_reclaim: a file VMA's page-cache folio
 * (rmap_walk_file under the file's i_mmap_rwsem, src/model/i_mmap.ts), an
 * anonymous VMA's folio (rmap_walk_anon under the root anon_vma's rwsem,
 * src/model/rmap_walk.ts).
 */
const TryToUnmapOp = pageOp('try_to_unmap');
/** The thread exits (exit_mm -> mmput); the last op of its thread. */
const ExitOp = z.strictObject({ op: z.literal('exit') });
const OpSchema = z.union([FaultOp, MprotectOp, MadviseOp, MremapOp, MunmapOp, MmapFixedOp, MbindOp, VmaOp, KhugepagedOp, ForkOp, ExitOp, RmapWalkOp, TryToUnmapOp]);

const ThreadSchema = z.strictObject({
  name: Name,
  count: z.union([z.number().int().min(1).max(16), z.string().regex(/^\$[A-Za-z_][A-Za-z0-9_]*$/)]).default(1),
  /** The process (mm) the thread belongs to; omitted: the first process. */
  process: Name.optional(),
  ops: z.array(OpSchema).min(1),
});

const ParamSchema = z.strictObject({
  default: z.number().int(),
  min: z.number().int(),
  max: z.number().int(),
  description: z.string().optional(),
});

export const CheckScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: Name,
  description: z.string().min(1),
  params: z.record(z.string(), ParamSchema).default({}),
  mm: z.strictObject({
    reader_wake: z.enum(['all', 'prefix']).default('all'),
    swap_synchronous: z.boolean().default(false),
    /** sysctl_max_map_count (default DEFAULT_MAX_MAP_COUNT, 65530): split_vma, munmap's split and mmap fail with -ENOMEM at it. */
    max_map_count: z.number().int().min(1).optional(),
  }).default({ reader_wake: 'all', swap_synchronous: false }),
  max_retries: z.number().int().min(0).default(3),
  nondet: z.array(z.enum(NONDET_SITES)).default([]),
  vmas: z.array(VmaSchema).min(1),
  threads: z.array(ThreadSchema).min(1),
});

export interface CheckVma {
  name: string;
  kind: 'file' | 'anon';
  shared: boolean;
  write: boolean;
  maywrite: boolean;
  exec: boolean;
  anon_vma: boolean;
  special: Array<(typeof SPECIALS)[number]>;
  map_pages: boolean;
  dontcopy: boolean;
  growsdown: boolean;
  pages: number;
  /** Its process ('' or omitted: the first; scenarios without `process` keys have only that one). */
  process?: string;
}

export type CheckOp =
  | { op: 'fault'; vma: string[]; page: number; access: 'read' | 'write'; state: CheckPageState[] | null }
  /**
   * mprotect: without `prot`, the model before VMA splits (the VMA at the
   * first page is write-locked, nothing else changes); with it, pages
   * [page, page + pages) (default: to the VMA's end) get `prot`, splitting
   * and merging VMAs as the kernel does. munmap: without `page`/`pages` the
   * whole VMA.
   */
  | { op: 'mprotect'; vma: string[]; page: number; pages: number | null; prot: CheckProt | null }
  | { op: 'munmap'; vma: string[]; page: number; pages: number | null }
  /** mmap(MAP_FIXED) of a new mapping (the VMA's kind and flags, a page state of its own) over [page, page + pages) (default: to the VMA's end). */
  | { op: 'mmap_fixed'; vma: string[]; page: number; pages: number | null }
  /**
   * mremap of [page, page + pages) (default: to the VMA's end) to new_pages:
   * in place, or moved above every VMA, or with `to_page` (MREMAP_FIXED) to
   * that page of the VMA's slot.
   */
  | { op: 'mremap'; vma: string[]; page: number; pages: number | null; new_pages: number; maymove: boolean; dontunmap: boolean; to_page: number | null }
  /** madvise(MADV_RANDOM / SEQUENTIAL / NORMAL) of [page, page + pages) (default: to the VMA's end): vm_flags change, split and merge. */
  | { op: 'madvise'; vma: string[]; advice: 'random' | 'sequential' | 'normal'; page: number; pages: number | null }
  /** mbind of [page, page + pages) (default: to the VMA's end) with policy `mode` (the checker only; the simulator has no mbind). */
  | { op: 'mbind'; vma: string[]; mode: MpolMode; page: number; pages: number | null }
  | { op: 'mmap' | 'madvise_dontneed'; vma: string[] }
  /** khugepaged's collapse of the PMD-aligned file range holding `page` (retract_page_tables). */
  | { op: 'khugepaged'; vma: string[]; page: number; collapse: 'file' | 'anon' }
  | { op: 'fork'; child: 'idle' | 'exit' }
  /** folio_referenced of the anonymous folio mapped at `page` of the VMA's slot (nothing if none is). */
  | { op: 'rmap_walk'; vma: string[]; page: number }
  /** try_to_unmap of the folio at `page` of the VMA's slot (file: page cache; anon: the folio mapped there; nothing if none is). */
  | { op: 'try_to_unmap'; vma: string[]; page: number }
  | { op: 'exit' };

export interface CheckThread {
  name: string;
  /** Its process ('' or omitted: the first). */
  process?: string;
  ops: CheckOp[];
}

/** A check scenario after validation, parameter substitution and thread expansion. */
export interface CheckScenario {
  name: string;
  description: string;
  source: string;
  params: Record<string, number>;
  reader_wake: 'all' | 'prefix';
  swap_synchronous: boolean;
  /** sysctl_max_map_count of every process; omitted: the kernel's default. */
  max_map_count?: number;
  max_retries: number;
  nondet: Array<(typeof NONDET_SITES)[number]>;
  vmas: CheckVma[];
  threads: CheckThread[];
  /** The processes (mms) in order of first appearance, VMAs first ('' the unnamed one); omitted: one. */
  processes?: string[];
}

// ---------------------------------------------------------------------------

/** Directory of the built-in check scenarios. */
export function checkScenarioDir(): string {
  return join(repoRoot(), 'scenarios');
}

/** Built-in check scenarios (`scenarios/check-*.yaml`), sorted by name. */
export function listCheckScenarios(): Array<{ name: string; description: string }> {
  let files: string[];
  try {
    files = readdirSync(checkScenarioDir()).filter((f) => /^check-.*\.ya?ml$/.test(f)).sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    let description = '';
    try {
      const d = (parseDocument(readFileSync(join(checkScenarioDir(), f), 'utf8')).toJS() as { description?: unknown }).description;
      if (typeof d === 'string') description = d.replace(/\s+/g, ' ').trim();
    } catch {
      // listed without description
    }
    return { name: f.replace(/\.ya?ml$/, ''), description };
  });
}

function fail(source: string, message: string, path = ''): never {
  throw new ScenarioError({ source, path, message });
}

/**
 * Load a check scenario from a file, or a built-in by name (`check-chain`).
 * `params` overrides the file's parameter defaults (`--param nfault=4`).
 */
export function loadCheckScenario(pathOrName: string, params: Record<string, number> = {}): CheckScenario {
  let file = pathOrName;
  let display = pathOrName;
  if (!existsSync(pathOrName)) {
    const names = listCheckScenarios().map((s) => s.name);
    if (!names.includes(pathOrName)) {
      const hint = didYouMean(pathOrName, names);
      fail(pathOrName, `file not found, and no built-in check scenario of that name${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (built-ins: ${names.join(', ')})`);
    }
    const f = readdirSync(checkScenarioDir()).find((x) => x.replace(/\.ya?ml$/, '') === pathOrName)!;
    file = join(checkScenarioDir(), f);
    display = `scenarios/${f}`;
  }
  return parseCheckScenario(readScenarioText(file, display), display, params);
}

/** Parse check-scenario text (YAML or JSON). */
export function parseCheckScenario(text: string, source: string, params: Record<string, number> = {}): CheckScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    const p = lineCounter.linePos(err.pos[0]);
    throw new ScenarioError({ source, pos: { line: p.line, col: p.col }, path: '', message: `YAML syntax error: ${err.message.split('\n')[0]!}` });
  }
  return checkScenarioFromObject(doc.toJS(), source, params, doc, lineCounter);
}

type Seg = string | number;

/** Resolve an already-parsed object (tests build scenarios in code). */
export function checkScenarioFromObject(
  data: unknown, source = '(object)', params: Record<string, number> = {},
  doc?: Document, lc?: LineCounter,
): CheckScenario {
  const issues: Array<{ path: Seg[]; message: string }> = [];
  const r = CheckScenarioSchema.safeParse(data);
  if (!r.success) {
    for (const i of r.error.issues) {
      if (i.code === 'invalid_union') issues.push(...opIssues(valueAt(data, i.path as Seg[]), i.path as Seg[]) ?? [{ path: i.path as Seg[], message: zodText(i) }]);
      else issues.push({ path: i.path as Seg[], message: zodText(i) });
    }
  }
  const place = (i: { path: Seg[]; message: string }): ScenarioIssue => {
    const out: ScenarioIssue = { source, path: formatPath(i.path), message: i.message };
    const node = doc?.getIn(i.path, true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined && lc !== undefined) {
      const p = lc.linePos(node.range[0]);
      out.pos = { line: p.line, col: p.col };
    }
    return out;
  };
  if (!r.success) throw new ScenarioError(issues.map(place));
  const f = r.data;
  const sc = resolve(f, params, issues);
  if (issues.length > 0) throw new ScenarioError(issues.map(place));
  sc.source = source;
  return sc;
}

const OP_SCHEMAS: Record<string, z.ZodType> = {
  fault: FaultOp, mprotect: MprotectOp, madvise: MadviseOp, mremap: MremapOp, munmap: MunmapOp, mmap_fixed: MmapFixedOp, mbind: MbindOp, mmap: VmaOp, madvise_dontneed: VmaOp, khugepaged: KhugepagedOp, fork: ForkOp, exit: ExitOp, rmap_walk: RmapWalkOp, try_to_unmap: TryToUnmapOp,
};

function valueAt(data: unknown, path: readonly Seg[]): unknown {
  let v = data;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/**
 * An op that matched none of the op shapes: name the op if it is unknown,
 * else the problems of the shape its `op` selects. Null if `v` is not an op.
 */
function opIssues(v: unknown, at: Seg[]): Array<{ path: Seg[]; message: string }> | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !('op' in v)) return null;
  const op = (v as { op: unknown }).op;
  const known = Object.keys(OP_SCHEMAS);
  if (typeof op !== 'string' || !(op in OP_SCHEMAS)) {
    const hint = typeof op === 'string' ? didYouMean(op, known) : undefined;
    return [{ path: [...at, 'op'], message: `unknown op ${typeof op === 'string' ? `'${op}'` : describeValue(op)}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (expected one of: ${known.join(', ')})` }];
  }
  const r = OP_SCHEMAS[op]!.safeParse(v);
  if (r.success) return null;
  return r.error.issues.map((i) => ({ path: [...at, ...(i.path as Seg[])], message: `${op}: ${zodText(i)}` }));
}

function zodText(i: z.core.$ZodIssue): string {
  const input = (i as { input?: unknown }).input;
  if (i.code === 'invalid_type') return input === undefined ? `missing required field (expected ${i.expected})` : `expected ${i.expected}, got ${describeValue(input)}`;
  if (i.code === 'unrecognized_keys') return `unknown key(s): ${i.keys.join(', ')}`;
  if (i.code === 'invalid_union') return 'not a valid entry (see docs/checker.md for the op and VMA fields)';
  return i.message;
}

function resolve(f: z.output<typeof CheckScenarioSchema>, overrides: Record<string, number>, issues: Array<{ path: Seg[]; message: string }>): CheckScenario {
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
