/** `faultline list`: built-in scenarios and strategy names. */
import { listBuiltinScenarios } from '../scenario/index.js';
import { ALL_FAULT_STRATEGIES, FAULT_OPTIONS, FAULT_STRATEGIES, FORK_STRATEGIES } from '../strategies/index.js';
import type { CliIo } from './io.js';

export function listCommand(io: CliIo): void {
  const scenarios = listBuiltinScenarios();
  const w = Math.max(0, ...scenarios.map((s) => s.name.length));
  const out: string[] = ['scenarios (faultline run NAME, or a file path):'];
  for (const s of scenarios) out.push(`  ${s.name.padEnd(w)}  ${s.description}`.trimEnd());
  if (scenarios.length === 0) out.push('  (none found)');
  out.push('', 'fault strategies (--strategy, comma-separated; default mainline):');
  for (const f of FAULT_STRATEGIES) {
    const opts = FAULT_OPTIONS[f];
    out.push(`  ${f}${opts !== undefined ? `  options: ${opts.map((o) => `+${o}`).join(' ')}` : ''}`);
  }
  out.push(`  all = ${ALL_FAULT_STRATEGIES.join(', ')}`);
  out.push('', 'fork strategies (--fork, comma-separated; default fork-lock-all):');
  for (const f of FORK_STRATEGIES) out.push(`  ${f}`);
  out.push('  all = every fork strategy');
  io.stdout.write(out.join('\n') + '\n');
}
