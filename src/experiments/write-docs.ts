/**
 * Regenerates the result tables in docs/experiments.md: every block between
 * `<!-- output: NAME -->` and `<!-- /output -->` becomes the output of
 * `faultline experiment NAME` (default seeds). Run after `npm run build`:
 *
 *   node dist/src/experiments/write-docs.js [NAME...]
 *
 * With names, only those blocks are rerun. `--check` exits 1 when a block
 * differs from a fresh run instead of writing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../scenario/index.js';
import { findExperiment } from './index.js';
import { runExperiment } from './run.js';
import { renderExperimentTable } from './table.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.filter((a) => a !== '--check');
const file = join(repoRoot(), 'docs/experiments.md');
const text = readFileSync(file, 'utf8');
let stale = 0;
const out = text.replace(/<!-- output: (\S+) -->\n[\s\S]*?<!-- \/output -->/g, (block, name: string) => {
  if (only.length !== 0 && !only.includes(name)) return block;
  const exp = findExperiment(name);
  if (exp === undefined) throw new Error(`docs/experiments.md: unknown experiment '${name}'`);
  const fresh = `<!-- output: ${name} -->\n\`\`\`text\n$ faultline experiment ${name}\n${renderExperimentTable(runExperiment(exp))}\`\`\`\n<!-- /output -->`;
  if (fresh !== block) stale++;
  process.stderr.write(`${name}: ${fresh === block ? 'unchanged' : check ? 'differs' : 'updated'}\n`);
  return fresh;
});
if (check) process.exit(stale === 0 ? 0 : 1);
writeFileSync(file, out);
