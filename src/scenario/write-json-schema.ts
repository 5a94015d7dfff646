/**
 * Writes schema/scenario.schema.json from the zod schema in ./schema.ts.
 * Run with `npm run schema` (builds first); test/scenario.test.ts checks that
 * the committed file is up to date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './load.js';
import { renderJsonSchema } from './schema.js';

/** Where the JSON Schema lives, relative to the repository root. */
const JSON_SCHEMA_PATH = 'schema/scenario.schema.json';

const out = join(repoRoot(), JSON_SCHEMA_PATH);
mkdirSync(join(repoRoot(), 'schema'), { recursive: true });
writeFileSync(out, renderJsonSchema());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
