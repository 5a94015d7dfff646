/** The repository root and the built-in scenarios (scenarios/*.yaml|yml|json). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { normaliseParagraph } from './resolve-common.js';

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

export const SCENARIO_EXT = ['.yaml', '.yml', '.json'];

export function builtinFiles(): Array<{ name: string; file: string }> {
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
