/**
 * The JSON Schema of the scenario file format (schema/scenario.schema.json),
 * rendered from the zod schema of ./schema.ts with a stable keyword order.
 * Re-exported by ./schema.ts.
 */
import { z } from 'zod';
import { ScenarioFileSchema, schemaMeta } from './schema.js';

/** Sorts keywords for a stable file; keeps `properties` in definition order. */
function canonical(v: unknown, parentKey?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => canonical(x));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v as object);
  const order = parentKey === 'properties' || parentKey === '$defs' ? keys : [...keys].sort(keywordOrder);
  const out: Record<string, unknown> = {};
  for (const k of order) out[k] = canonical((v as Record<string, unknown>)[k], k);
  return out;
}
const FIRST = ['$schema', '$id', '$ref', 'title', 'description', 'type'];
function keywordOrder(a: string, b: string): number {
  const ia = FIRST.indexOf(a), ib = FIRST.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The scenario file format as a JSON Schema (draft 2020-12) object. */
export function toJsonSchema(): Record<string, unknown> {
  const js = z.toJSONSchema(ScenarioFileSchema, {
    target: 'draft-2020-12',
    io: 'input',
    metadata: schemaMeta,
    unrepresentable: 'throw',
  }) as Record<string, unknown>;
  const { $schema, ...rest } = js;
  return canonical({
    $schema,
    title: 'faultline scenario',
    ...rest,
  }) as Record<string, unknown>;
}

/** `toJsonSchema()` as the text of schema/scenario.schema.json. */
export function renderJsonSchema(): string {
  return JSON.stringify(toJsonSchema(), null, 2) + '\n';
}
