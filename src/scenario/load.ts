/**
 * Loading a scenario: read the file (or a built-in by name), parse YAML or
 * JSON, check it against ./schema.ts, then resolve it into the `Scenario` the
 * engines consume (integer ns, defaults filled, thread groups expanded) while
 * checking what crosses fields. Every problem becomes a one-line
 * `ScenarioError`: `file:line:col: path: what was expected`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { COST_NAMES, type CostName } from '../model/effects.js';
import { didYouMean, ScenarioError, type ScenarioIssue, type SourcePos, describeValue } from './errors.js';
import { DEFAULT_COSTS, DEFAULT_IO, DEFAULTS, ScenarioFileSchema, type LawInput, type ScenarioFile } from './schema.js';
import {
  ANON_PAGE_STATES,
  FILE_PAGE_STATES,
  type FrameSpec,
  type KillSpec,
  type Law,
  type OpSpec,
  type PageState,
  type Scenario,
  type Special,
  type ThreadIo,
  type ThreadSpec,
  type VmaGroup,
} from './types.js';
import { parseDuration } from './units.js';

export type Format = 'yaml' | 'json';
type PathSeg = string | number;
type Path = readonly PathSeg[];

/** A problem before it is placed in the file. `atKey`: point at the key, not its value. */
interface RawIssue {
  path: Path;
  message: string;
  atKey?: boolean;
}

// ---------------------------------------------------------------------------
// Repository root and built-in scenarios.

let rootCache: string | undefined;

/**
 * The repository root: the nearest ancestor of this module holding the
 * project's package.json (works from src/scenario and from dist/src/scenario).
 */
export function repoRoot(): string {
  if (rootCache !== undefined) return rootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'faultline') return (rootCache = dir);
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('faultline: cannot find the repository root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Directory of the built-in scenarios. */
export function builtinDir(): string {
  return join(repoRoot(), 'scenarios');
}

const SCENARIO_EXT = ['.yaml', '.yml', '.json'];

function builtinFiles(): Array<{ name: string; file: string }> {
  let entries: string[];
  try {
    entries = readdirSync(builtinDir());
  } catch {
    return [];
  }
  const out: Array<{ name: string; file: string }> = [];
  for (const f of entries.sort()) {
    const ext = SCENARIO_EXT.find((e) => f.endsWith(e));
    if (ext === undefined) continue;
    const name = f.slice(0, -ext.length);
    if (name.startsWith('check-')) continue; // check scenarios: `faultline check` (src/check/scenario.ts)
    if (!out.some((o) => o.name === name)) out.push({ name, file: f });
  }
  return out;
}

/** Built-in scenarios (files in `<repo>/scenarios`, except `check-*`), sorted by name. */
export function listBuiltinScenarios(): Array<{ name: string; description: string }> {
  return builtinFiles().map(({ name, file }) => {
    let description = '';
    try {
      const text = readFileSync(join(builtinDir(), file), 'utf8');
      const v: unknown = file.endsWith('.json') ? JSON.parse(text) : parseDocument(text).toJS();
      const d = (v as { description?: unknown } | null)?.description;
      if (typeof d === 'string') description = normaliseParagraph(d);
    } catch {
      // listed without a description; loading it reports the problem
    }
    return { name, description };
  });
}

/** Path of a built-in scenario file, or undefined. */
export function builtinScenarioPath(name: string): string | undefined {
  const f = builtinFiles().find((b) => b.name === name);
  return f === undefined ? undefined : join(builtinDir(), f.file);
}

/**
 * Loads a scenario from a file path, or a built-in by name ("android-app").
 * A path that exists wins over a built-in of the same name.
 */
export function loadScenario(pathOrName: string): Scenario {
  let file: string;
  let display: string;
  const exists = existsSync(pathOrName);
  if (exists) {
    if (statSync(pathOrName).isDirectory()) fail(pathOrName, 'is a directory, not a scenario file');
    file = pathOrName;
    display = pathOrName;
  } else {
    const builtin = /^[A-Za-z0-9_.-]+$/.test(pathOrName) && !SCENARIO_EXT.some((e) => pathOrName.endsWith(e))
      ? builtinFiles().find((b) => b.name === pathOrName)
      : undefined;
    if (builtin === undefined) {
      const names = builtinFiles().map((b) => b.name);
      const looksLikeName = !/[\\/]/.test(pathOrName) && !SCENARIO_EXT.some((e) => pathOrName.endsWith(e));
      if (looksLikeName) {
        const hint = didYouMean(pathOrName, names);
        fail(
          pathOrName,
          `file not found, and no built-in scenario of that name${hint !== undefined ? ` (did you mean '${hint}'?)` : ''} (built-ins: ${names.join(', ') || 'none'})`,
        );
      }
      fail(pathOrName, 'file not found');
    }
    file = join(builtinDir(), builtin.file);
    display = `scenarios/${builtin.file}`;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    fail(display, `cannot read file${code !== undefined ? ` (${code})` : ''}`);
  }
  return parseScenario(text, display, file.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
}

function fail(source: string, message: string, pos?: SourcePos): never {
  throw new ScenarioError({ source, path: '', message, ...(pos !== undefined ? { pos } : {}) });
}

// ---------------------------------------------------------------------------
// Parsing.

/** Parses scenario text (YAML or JSON); `source` names it in messages. */
export function parseScenario(text: string, source: string, format: Format): Scenario {
  const lineCounter = new LineCounter();
  let data: unknown;
  let document: Document | undefined;
  if (format === 'json') {
    try {
      data = JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const at = /at position (\d+)/.exec(msg);
      const pos = at !== null ? offsetToPos(text, Number(at[1])) : undefined;
      const clean = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/, '');
      fail(source, `JSON syntax error: ${clean}`, pos);
    }
  } else {
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
    const err = doc.errors[0];
    if (err !== undefined) {
      const pos = lineCounter.linePos(err.pos[0]);
      const what =
        err.code === 'MULTIPLE_DOCS'
          ? 'a scenario file holds one YAML document, but a second one starts here'
          : lowerFirst(err.message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, ''));
      fail(source, `YAML syntax error: ${what}`, pos);
    }
    document = doc;
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      fail(source, `YAML error: ${lowerFirst((e as Error).message.split('\n')[0]!)}`);
    }
  }
  if ((data === null || data === undefined) && text.trim().replace(/^#.*$/gm, '').trim() === '') {
    fail(source, 'the file is empty (expected a scenario mapping)');
  }
  const { issues, scenario } = build(data);
  if (scenario === undefined) {
    // Positions: for JSON, read the text again as YAML (JSON is YAML flow syntax) to find nodes.
    let doc = document;
    if (doc === undefined) {
      const d = parseDocument(text, { lineCounter, prettyErrors: false });
      if (d.errors.length === 0) doc = d;
    }
    throw new ScenarioError(issues.map((i) => place(i, source, doc, lineCounter)));
  }
  scenario.source = source;
  return scenario;
}

/**
 * Resolves a scenario given as a plain object (already parsed), e.g. built in
 * code for a sweep. Problems are reported without line numbers.
 */
export function scenarioFromObject(data: unknown, source = '(object)'): Scenario {
  const { issues, scenario } = build(data);
  if (scenario === undefined) throw new ScenarioError(issues.map((i) => place(i, source, undefined, undefined)));
  scenario.source = source;
  return scenario;
}

/** Checks the shape, then resolves; `scenario` is undefined when there are issues. */
function build(data: unknown): { issues: RawIssue[]; scenario?: Scenario } {
  const r = ScenarioFileSchema.safeParse(data, { reportInput: true, error: zodMessage });
  if (!r.success) return { issues: sortIssues(r.error.issues.flatMap((i) => explain(i, []))) };
  const issues: RawIssue[] = [];
  const scenario = resolve(r.data, issues);
  return issues.length > 0 || scenario === undefined ? { issues } : { issues, scenario };
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function offsetToPos(text: string, offset: number): SourcePos {
  let line = 1, col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, col };
}

// ---------------------------------------------------------------------------
// Zod issues to messages.

/** Messages for zod issues that the schema did not word itself. */
function zodMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      const what = EXPECTED[iss.expected] ?? `a ${iss.expected}`;
      return input === undefined ? `missing required field (expected ${what})` : `expected ${what}, got ${describeValue(input)}`;
    }
    case 'unrecognized_keys': {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      const allowed = shape !== undefined ? Object.keys(shape).filter((k) => k !== '$schema') : [];
      // One message per key, split again in explain().
      return iss.keys
        .map((key) => {
          const hint = didYouMean(key, allowed);
          return hint !== undefined ? `unknown key (did you mean '${hint}'?)` : `unknown key (expected one of: ${allowed.join(', ')})`;
        })
        .join(KEY_SEP);
    }
    case 'invalid_union': {
      if ('note' in iss && iss.note === 'No matching discriminator') {
        const options = ((iss as { options?: unknown[] }).options ?? []).map(String);
        const disc = (iss as { discriminator?: string }).discriminator ?? '';
        const got = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[disc] : undefined;
        if (got === undefined) return `missing required field (expected one of: ${options.join(', ')})`;
        const hint = typeof got === 'string' ? didYouMean(got, options) : undefined;
        return `expected one of: ${options.join(', ')}, got ${describeValue(got)}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`;
      }
      return undefined;
    }
    case 'invalid_value': {
      const values = iss.values.map((v) => String(v));
      const hint = typeof input === 'string' ? didYouMean(input, values) : undefined;
      return `expected ${values.length === 1 ? `'${values[0]}'` : `one of: ${values.join(', ')}`}, got ${describeValue(input)}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`;
    }
    case 'too_small':
    case 'too_big': {
      const cmp = iss.code === 'too_small' ? (iss.inclusive ? '>=' : '>') : iss.inclusive ? '<=' : '<';
      const bound = iss.code === 'too_small' ? iss.minimum : iss.maximum;
      if (iss.origin === 'array') return `expected ${iss.code === 'too_small' ? 'at least' : 'at most'} ${bound} items`;
      if (iss.origin === 'string') return `expected ${iss.code === 'too_small' ? 'at least' : 'at most'} ${bound} characters`;
      return `expected a number ${cmp} ${bound}, got ${describeValue(input)}`;
    }
    default:
      return undefined;
  }
}

const KEY_SEP = '\u0000';

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  null: 'null',
};

type FinalIssue = z.core.$ZodIssue & { input?: unknown };

/** A union branch that failed only because the value has another type altogether. */
function wrongTypeBranch(branch: readonly FinalIssue[]): boolean {
  if (branch.length !== 1) return false;
  const i = branch[0]!;
  if (i.path.length !== 0) return false;
  if (i.code === 'invalid_type' || i.code === 'invalid_value') return true;
  if (i.code === 'invalid_union') return i.errors.length > 0 && i.errors.every((b) => wrongTypeBranch(b as FinalIssue[]));
  return false;
}

/** Turns a zod issue into RawIssues, descending into the union branch that fits the value. */
function explain(iss: FinalIssue, prefix: Path): RawIssue[] {
  const path = [...prefix, ...(iss.path as PathSeg[])];
  if (iss.code === 'invalid_union' && iss.errors.length > 0 && iss.input !== undefined) {
    const fitting = iss.errors.filter((b) => !wrongTypeBranch(b as FinalIssue[]));
    if (fitting.length === 1 && fitting[0]!.length > 0) return fitting[0]!.flatMap((i) => explain(i as FinalIssue, path));
  }
  if (iss.code === 'unrecognized_keys') {
    const messages = iss.message.split(KEY_SEP);
    return iss.keys.map((k, n) => ({ path: [...path, k], message: messages[n] ?? messages[0]!, atKey: true }));
  }
  if (iss.code === 'invalid_key') {
    const inner = iss.issues[0];
    return [{ path, message: inner !== undefined ? inner.message : iss.message, atKey: true }];
  }
  return [{ path, message: iss.message }];
}

/** Unknown keys first (a typo explains the "missing field" next to it), otherwise document order. */
function sortIssues(issues: RawIssue[]): RawIssue[] {
  return issues
    .map((i, n) => ({ i, n }))
    .sort((a, b) => Number(b.i.atKey === true && b.i.message.startsWith('unknown key')) - Number(a.i.atKey === true && a.i.message.startsWith('unknown key')) || a.n - b.n)
    .map((x) => x.i);
}

// ---------------------------------------------------------------------------
// Paths and positions.

/** `threads[2].ops[0].vma`, `io.read.points["p99.9"]`. */
export function formatPath(path: Path): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

function place(raw: RawIssue, source: string, doc: Document | undefined, lc: LineCounter | undefined): ScenarioIssue {
  const issue: ScenarioIssue = { source, path: formatPath(raw.path), message: raw.message };
  if (doc !== undefined && lc !== undefined) {
    const offset = locate(doc, raw.path, raw.atKey === true);
    if (offset !== undefined) issue.pos = lc.linePos(offset);
  }
  return issue;
}

/** Offset of the node at `path` (or of its nearest existing ancestor). */
function locate(doc: Document, path: Path, atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (pair === undefined) return offset;
      const keyStart = rangeStart(pair.key);
      if (last && atKey) return keyStart ?? offset;
      const valueStart = rangeStart(pair.value);
      if (valueStart === undefined) return keyStart ?? offset;
      node = pair.value;
      offset = valueStart;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      const start = rangeStart(item);
      if (start === undefined) return offset;
      node = item;
      offset = start;
    } else {
      return offset;
    }
    if (isAlias(node)) node = node.resolve(doc) ?? node;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | null | undefined)?.range;
  return r === undefined || r === null ? undefined : r[0];
}

// ---------------------------------------------------------------------------
// Resolution and the checks that cross fields.

function normaliseParagraph(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function dur(v: number | string): number {
  return parseDuration(v);
}

function resolveLaw(v: LawInput, path: Path, issues: RawIssue[]): Law {
  if (typeof v === 'number' || typeof v === 'string') return { law: 'constant', value: dur(v) };
  switch (v.law) {
    case 'constant':
      return { law: 'constant', value: dur(v.value) };
    case 'exponential':
      return { law: 'exponential', mean: dur(v.mean) };
    case 'lognormal':
      return { law: 'lognormal', median: dur(v.median), sigma: v.sigma };
    case 'uniform': {
      const min = dur(v.min), max = dur(v.max);
      if (max < min) issues.push({ path: [...path, 'max'], message: `must be >= min (${String(v.min)}), got ${String(v.max)}` });
      return { law: 'uniform', min, max };
    }
    case 'empirical':
      return { law: 'empirical', points: resolvePoints(v.points, [...path, 'points'], issues) };
  }
}

function resolvePoints(points: Extract<LawInput, { law: 'empirical' }>['points'], path: Path, issues: RawIssue[]): Array<[number, number]> {
  const pts: Array<{ p: number; ns: number; at: Path; label: string }> = [];
  if (Array.isArray(points)) {
    points.forEach(([p, d], i) => {
      if (p < 0 || p > 100) issues.push({ path: [...path, i, 0], message: `expected a percentile from 0 to 100, got ${p}` });
      pts.push({ p, ns: dur(d), at: [...path, i], label: `[${p}, ${String(d)}]` });
    });
    for (let i = 1; i < pts.length; i++) {
      if (pts[i]!.p <= pts[i - 1]!.p) {
        issues.push({ path: pts[i]!.at, message: `percentiles must increase: ${pts[i]!.p} comes after ${pts[i - 1]!.p}` });
        return [];
      }
    }
  } else {
    const keys = Object.keys(points);
    if (keys.length === 0) {
      issues.push({ path, message: 'must not be empty (expected pN: duration entries ending with max)' });
      return [];
    }
    for (const k of keys) {
      const p = k === 'max' ? 100 : Number(k.slice(1));
      if (!(p >= 0 && p <= 100)) {
        issues.push({ path: [...path, k], message: `percentile ${k.slice(1)} is out of range (expected pN with N from 0 to 100, or max)`, atKey: true });
        continue;
      }
      const dup = pts.find((x) => x.p === p);
      if (dup !== undefined) {
        issues.push({ path: [...path, k], message: `same percentile as ${dup.label.split(' ')[0]}`, atKey: true });
        continue;
      }
      pts.push({ p, ns: dur(points[k]!), at: [...path, k], label: `${k} (${String(points[k])})` });
    }
    pts.sort((a, b) => a.p - b.p);
  }
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!, b = pts[i]!;
    if (b.ns < a.ns) {
      issues.push({ path: b.at, message: `empirical points must not decrease: ${b.label} is below ${a.label}` });
      return [];
    }
  }
  const last = pts[pts.length - 1];
  if (last !== undefined && last.p !== 100) {
    issues.push({ path, message: `the last point must be p100 (write it as max), but the highest is ${last.label.split(' ')[0]}` });
  }
  return pts.map((x) => [x.p, x.ns]);
}

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

function resolve(f: ScenarioFile, issues: RawIssue[]): Scenario | undefined {
  const duration = dur(f.duration);
  const warmup = f.warmup === undefined ? DEFAULTS.warmup : dur(f.warmup);
  if (duration <= 0) issues.push({ path: ['duration'], message: 'must be > 0' });
  if (warmup >= duration && duration > 0) {
    issues.push({ path: ['warmup'], message: `must be shorter than duration (${String(f.duration)}), got ${String(f.warmup)}` });
  }

  const costs = { ...DEFAULT_COSTS } as Record<CostName, number>;
  for (const n of COST_NAMES) {
    const v = f.costs?.[n];
    if (v !== undefined) costs[n] = dur(v);
  }

  const io = f.io ?? {};
  const law = (v: LawInput | undefined, name: 'read' | 'swap' | 'writeback' | 'folio_lock_hold') =>
    v === undefined ? structuredClone(DEFAULT_IO[name]) : resolveLaw(v, ['io', name], issues);

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
    });
  });
  const groupNames = [...firstAt.keys()];
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
          const allowed: readonly PageState[] = g?.kind === 'anon' ? ANON_PAGE_STATES : FILE_PAGE_STATES;
          let states: Array<[PageState, number]> = [];
          if (o.states === undefined) states = g?.kind === 'anon' ? [['zero', 1]] : [['cached', 1]];
          else {
            for (const [s, w] of Object.entries(o.states) as Array<[PageState, number | undefined]>) {
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
          }
          if (g !== undefined && access === 'write' && !g.write) {
            issues.push({
              path: [...oat, 'access'],
              message: `write fault on VMA group '${g.name}', which has write: false (the kernel would raise SIGSEGV; set write: true on the group or use access: read)`,
            });
          }
          ops.push({ op: 'fault', vma: o.vma, access, states, ...base });
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
          ops.push({ op: o.op, vma: o.vma, pages: o.pages, ...base });
          return;
        }
        case 'munmap':
          ops.push({ op: 'munmap', vma: o.vma, ...base });
          return;
      }
    });
    return ops;
  }

  let kill: KillSpec | undefined;
  if (f.kill !== undefined) {
    const at = dur(f.kill.at);
    if (at >= duration && duration > 0) {
      issues.push({ path: ['kill', 'at'], message: `must be before the end of the run (duration ${String(f.duration)}), got ${String(f.kill.at)}` });
    }
    kill = {
      at,
      reaper: f.kill.reaper ?? 'oom_reaper',
      reaper_delay: f.kill.reaper_delay === undefined ? 0 : dur(f.kill.reaper_delay),
      reaper_class: f.kill.reaper_class ?? DEFAULTS.class,
    };
  }

  const sc: Scenario = {
    name: f.name,
    description: normaliseParagraph(f.description),
    source: '',
    cpus: f.cpus === undefined ? DEFAULTS.cpus : f.cpus === 'unlimited' ? null : f.cpus,
    preempt: f.preempt ?? DEFAULTS.preempt,
    duration,
    warmup,
    seed: f.seed ?? DEFAULTS.seed,
    mmap_lock: { reader_wake: f.mmap_lock?.reader_wake ?? DEFAULTS.reader_wake },
    costs,
    io: {
      read: law(io.read, 'read'),
      swap: law(io.swap, 'swap'),
      swap_synchronous: io.swap_synchronous ?? DEFAULT_IO.swap_synchronous,
      writeback: law(io.writeback, 'writeback'),
      folio_lock_hold: law(io.folio_lock_hold, 'folio_lock_hold'),
      ...(io.read_bandwidth !== undefined ? { read_bandwidth: io.read_bandwidth } : {}),
    },
    vmas,
    threads,
  };
  if (kill !== undefined) sc.kill = kill;
  return issues.length > 0 ? undefined : sc;
}
