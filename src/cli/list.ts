/** `faultline list`: built-in scenarios and strategy names. */
import { listBuiltinScenarios } from '../scenario/index.js';
import { ALL_FAULT_STRATEGIES, FAULT_OPTIONS, FAULT_STRATEGIES, FORK_STRATEGIES } from '../strategies/index.js';
import { wrap } from '../report/lkml.js';
import type { CliIo } from './io.js';

const LIST_WIDTH = 80;

export function listCommand(io: CliIo): void {
  const scenarios = listBuiltinScenarios();
  const out: string[] = ['scenarios (faultline run NAME or a file; checker: faultline check --list):'];
  // Each description wrapped to 80 columns under its name.
  for (const s of scenarios) {
    out.push(`  ${s.name}`);
    if (s.description !== '') out.push(...wrap(`      ${s.description}`, LIST_WIDTH, '      '));
  }
  if (scenarios.length === 0) out.push('  (none found)');
  out.push('', 'fault strategies (--strategy, comma-separated; default mainline):');
  for (const f of FAULT_STRATEGIES) {
    const opts = FAULT_OPTIONS[f];
    out.push(`  ${f}${opts !== undefined ? `  options: ${opts.map((o) => `+${o}`).join(' ')}` : ''}`);
  }
  out.push(...wrap(`  all = ${ALL_FAULT_STRATEGIES.join(', ')}`, LIST_WIDTH, '        '));
  out.push('', 'fork strategies (--fork, comma-separated; default fork-lock-all):');
  for (const f of FORK_STRATEGIES) out.push(`  ${f}`);
  out.push('  all = every fork strategy');
  io.stdout.write(out.join('\n') + '\n');
}
