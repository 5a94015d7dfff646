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
import type { z } from 'zod';
import { describeValue, didYouMean, ScenarioError, type ScenarioIssue } from '../scenario/errors.js';
import { formatPath, repoRoot } from '../scenario/load.js';
import { readScenarioText } from '../scenario/read.js';
import { CheckScenarioSchema, OP_SCHEMAS } from './scenario-schema.js';
import type { CheckScenario } from './scenario-types.js';
import { resolve, type Seg } from './scenario-resolve.js';

export { ANON_STATES, CheckScenarioSchema, FILE_STATES, NONDET_SITES, PROTS, SPECIALS, type CheckPageState, type CheckProt } from './scenario-schema.js';
export type { CheckOp, CheckScenario, CheckThread, CheckVma } from './scenario-types.js';

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

