#!/usr/bin/env node
// Builds README.md from docs/README.template.md by replacing each line
// `<!-- include: PATH -->` with the file at PATH, so every section has one
// source. `--check` exits 1 when README.md is out of date (used by the tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export function buildReadme() {
  const tpl = readFileSync(join(root, 'docs/README.template.md'), 'utf8');
  return tpl.replace(/^<!-- include: (\S+) -->$/gm, (_m, p) => readFileSync(join(root, p), 'utf8').trimEnd());
}
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = buildReadme();
  if (process.argv.includes('--check')) {
    const cur = readFileSync(join(root, 'README.md'), 'utf8');
    if (cur !== out) {
      console.error('README.md is out of date: run `npm run readme`');
      process.exit(1);
    }
  } else {
    writeFileSync(join(root, 'README.md'), out);
  }
}
