/**
 * Problems found while loading a scenario: zod issues turned into one-line
 * messages, and paths placed at their line and column in the file.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { didYouMean, type ScenarioIssue, describeValue } from './errors.js';

export type PathSeg = string | number;
export type Path = readonly PathSeg[];

/** A problem before it is placed in the file. `atKey`: point at the key, not its value. */
export interface RawIssue {
  path: Path;
  message: string;
  atKey?: boolean;
}

// ---------------------------------------------------------------------------
// Zod issues to messages.

/** Messages for zod issues that the schema did not word itself. */
export function zodMessage(iss: z.core.$ZodRawIssue): string | undefined {
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
export function explain(iss: FinalIssue, prefix: Path): RawIssue[] {
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
export function sortIssues(issues: RawIssue[]): RawIssue[] {
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

export function place(raw: RawIssue, source: string, doc: Document | undefined, lc: LineCounter | undefined): ScenarioIssue {
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
