#!/usr/bin/env node
// Builds README.md from docs/README.template.md by replacing each line
// `<!-- include: PATH -->` with the file at PATH, so every section has one
// source. Before that, the list of built-in scenarios in
// docs/scenario-format.md (between `<!-- begin: scenarios -->` and
// `<!-- end: scenarios -->`) is regenerated from the `description` of each
// scenarios/*.yaml, so it cannot drift from the files. `--check` exits 1 when
// either file is out of date (used by the tests).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FORMAT = join(root, 'docs/scenario-format.md');

/** Wrap `text` at `width` columns, continuation lines indented by `indent`. */
function wrap(text, width, indent) {
  const out = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(line);
  return out.join('\n');
}

/** The generated list: one bullet per built-in run scenario (check-* scenarios are in docs/checker.md). */
export function scenarioList() {
  const files = readdirSync(join(root, 'scenarios')).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('check-')).sort();
  return files.map((f) => {
    const doc = parse(readFileSync(join(root, 'scenarios', f), 'utf8'));
    const name = f.replace(/\.ya?ml$/, '');
    return wrap(`- \`${name}\`: ${String(doc.description ?? '').replace(/\s+/g, ' ').trim()}`, 80, '  ');
  }).join('\n');
}

export function buildFormat() {
  const text = readFileSync(FORMAT, 'utf8');
  return text.replace(/(<!-- begin: scenarios -->\n)[^]*?(<!-- end: scenarios -->)/, (_m, a, b) => `${a}${scenarioList()}\n${b}`);
}

export function buildReadme(format = buildFormat()) {
  const tpl = readFileSync(join(root, 'docs/README.template.md'), 'utf8');
  return tpl.replace(/^<!-- include: (\S+) -->$/gm, (_m, p) => (join(root, p) === FORMAT ? format : readFileSync(join(root, p), 'utf8')).trimEnd());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const format = buildFormat();
  const out = buildReadme(format);
  if (process.argv.includes('--check')) {
    let stale = false;
    if (readFileSync(FORMAT, 'utf8') !== format) {
      console.error('docs/scenario-format.md: the list of built-in scenarios is out of date: run `npm run readme`');
      stale = true;
    }
    if (readFileSync(join(root, 'README.md'), 'utf8') !== out) {
      console.error('README.md is out of date: run `npm run readme`');
      stale = true;
    }
    if (stale) process.exit(1);
  } else {
    writeFileSync(FORMAT, format);
    writeFileSync(join(root, 'README.md'), out);
  }
}
