/**
 * Loading a scenario: read the file (or a built-in by name), parse YAML or
 * JSON, check it against ./schema.ts, then resolve it (./resolve.ts) into the
 * `Scenario` the engines consume. Every problem becomes a one-line
 * `ScenarioError`: `file:line:col: path: what was expected` (./issues.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { didYouMean, ScenarioError, type SourcePos } from './errors.js';
import { builtinDir, builtinFiles, SCENARIO_EXT } from './files.js';
import { explain, place, sortIssues, zodMessage, type RawIssue } from './issues.js';
import { resolve } from './resolve.js';
import { ScenarioFileSchema } from './schema.js';
import type { Scenario } from './types.js';
import { readScenarioText } from './read.js';

export { builtinDir, builtinScenarioPath, listBuiltinScenarios, repoRoot } from './files.js';
export { formatPath } from './issues.js';

export type Format = 'yaml' | 'json';

/**
 * Loads a scenario from a file path, or a built-in by name ("android-app").
 * A path that exists wins over a built-in of the same name.
 */
export function loadScenario(pathOrName: string): Scenario {
  let file: string;
  let display: string;
  const exists = existsSync(pathOrName);
  if (exists) {
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
  const text = readScenarioText(file, display);
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
    // JSON.parse keeps the last of two equal keys silently; YAML files refuse them, so JSON files do too.
    const dup = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }).errors.find((er) => er.code === 'DUPLICATE_KEY');
    if (dup !== undefined) fail(source, `JSON error: ${lowerFirst(dup.message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, ''))}`, lineCounter.linePos(dup.pos[0]));
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
