/** Run the CLI in-process with captured output. */
import { main } from '../src/cli/main.js';

export interface CliResult { code: number; stdout: string; stderr: string }

export async function cli(...argv: string[]): Promise<CliResult> {
  let stdout = '', stderr = '';
  let clock = 0;
  const code = await main(argv, {
    stdout: { write: (s: string) => { stdout += s; } },
    stderr: { write: (s: string) => { stderr += s; }, isTTY: false },
    now: () => (clock += 10),
  });
  return { code, stdout, stderr };
}
