/** Process entry point of `faultline` (bin/faultline.js imports the built dist/src/cli/bin.js). */
import { relaunch, relaunchExecArgv } from './launch.js';
import { applyV8Tuning } from '../sweep/v8-flags.js';

const argv = process.argv.slice(2);
// `check` runs in a node with a larger young generation (./launch.ts).
const again = relaunchExecArgv(argv, process.env, process.execArgv);
if (again !== null) {
  process.exitCode = await relaunch(again, process.argv[1]!, argv);
} else {
  if (process.env['FAULTLINE_LAUNCH_TRACE'] !== undefined) process.stderr.write(`faultline: in this process, node options: ${process.execArgv.join(' ')}\n`);
  // V8 flags first, before any model code is compiled (src/sweep/v8-flags.ts).
  applyV8Tuning();
  const { processIo } = await import('./io.js');
  const { main } = await import('./main.js');
  process.exitCode = await main(argv, processIo());
}
