/** Process entry point of `faultline` (bin/faultline.js imports the built dist/src/cli/bin.js). */
import { processIo } from './io.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), processIo());
