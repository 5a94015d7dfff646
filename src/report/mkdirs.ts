/**
 * `mkdir -p` that always ends: Node's `mkdirSync(dir, { recursive: true })`
 * loops forever under /proc (mkdir returns ENOENT for a path whose parent
 * exists). This creates one component at a time and turns failures into one
 * clear error naming the directory.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

/** Create `dir` and its missing parents; throws OutputPathError if it cannot be a writable directory. */
export function mkdirs(dir: string): void {
  const path = resolve(dir);
  const missing: string[] = [];
  let p = path;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      const up = dirname(p);
      if (up === p) break;
      missing.push(p);
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new OutputPathError(`cannot create ${dir}: ${p} exists and is not a directory`);
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      if (code === 'EEXIST') continue;
      throw new OutputPathError(`cannot create directory ${m} (${code})`);
    }
  }
}
