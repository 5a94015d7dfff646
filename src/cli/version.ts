/** The faultline version, from the repository's package.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../scenario/index.js';

export function faultlineVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
