/** Process entry point of `faultline` (bin/faultline.js imports the built dist/src/cli/bin.js). */
import { applyV8Tuning } from '../sweep/v8-flags.js';

// V8 flags first, before any model code is compiled (src/sweep/v8-flags.ts).
applyV8Tuning();
const { processIo } = await import('./io.js');
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2), processIo());
