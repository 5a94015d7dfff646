/**
 * The `faultline` command line. `main(argv, io)` parses argv (without the
 * node and script paths), writes to the injected streams and returns the exit
 * code; it never exits the process. The process entry point is ./bin.ts.
 */
import { Command, CommanderError } from 'commander';
import { checkCommand } from '../check/cli.js';
import { ExitCode } from './exit-codes.js';
import { OutputPathError } from '../report/mkdirs.js';
import { addExperimentCommand } from './experiment.js';
import { UsageError, type CliIo } from './io.js';
import { listCommand } from './list.js';
import { realCommand, type RealOptions } from './real.js';
import { calibrateCommand, type CalibrateOptions } from './calibrate.js';
import { addRunOutputOptions } from './output-options.js';
import { runCommand, type RunOptions } from './run.js';
import { addSweepCommands, ExitError } from './sweep.js';
import { faultlineVersion } from './version.js';
import { oneLine } from '../scenario/errors.js';


function program(io: CliIo, version: string): Command {
  const p = new Command('faultline')
    .description('Simulate Linux page-fault locking (mmap_lock, per-VMA locks, folio locks) under several kernel strategies.')
    .version(version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
    });
  addRunOutputOptions(p.command('run')
    .description('run SCENARIO (a built-in name or a file) under each strategy combination and seed; print a comparison table')
    .argument('<scenario>', 'built-in scenario name (see `faultline list`) or a .yaml/.json file')
    .option('--strategy <list>', "fault strategies, comma-separated, with +options; 'all' for every one", 'mainline')
    .option('--fork <list>', "fork strategies, comma-separated; 'all' for every one", 'fork-lock-all')
    .option('--seeds <n>', 'number of seeds per combination (default 1)')
    .option('--seed <s>', "first seed (default: the scenario's seed)")
    .option('--duration <d>', 'simulated duration, overriding the scenario (e.g. 2s, 500ms)')
    .option('--json', 'print a JSON document with every figure and per-seed values instead of the table')
    .option('--costs <profile>', 'cost profile (shipped name or path; docs/calibration.md): its costs and swap-in law replace the scenario\'s'))
    .action((scenario: string, opts: RunOptions) => runCommand(scenario, opts, io, version));
  p.command('list')
    .description('list the built-in scenarios and the strategy names')
    .action(() => listCommand(io));
  p.command('real')
    .description("run SCENARIO for real on this host's kernel (root; FUSE, zram, cgroup) and print it beside the model's mainline prediction")
    .argument('<scenario>', 'built-in scenario name or a .yaml/.json file')
    .option('--seed <s>', "seed of the schedules and the model (default: the scenario's seed)")
    .option('--runs <n>', 'real runs, seeds s, s+1, ... (default 1); the real column is their median')
    .option('--model-seeds <n>', 'model seeds (default max(runs, 3))')
    .option('--duration <d>', 'duration, overriding the scenario (e.g. 2s, 500ms)')
    .option('--json', 'print the JSON document of `faultline run` plus a "real" section')
    .option('--no-trace', 'do not trace mmap_lock (tracefs)')
    .option('--no-cgroup', 'run without a memory cgroup')
    .option('--keep', 'keep the temporary directory with configs and raw outputs')
    .option('--dry-run', 'print the translation (regions, schedules, substitutions) and run nothing; no root needed')
    .option('--costs <profile>', 'cost profile for the model\'s side (shipped name or path; docs/calibration.md)')
    .option('--io <path>', 'read path of file-backed VMAs: fuse (the scenario\'s io.read delays, FUSE overhead), zram or loop (a block device per file, the device\'s own latency, given to the model too); default fuse')
    .option('--allow-loaded', 'run even when the load average is above the CPU count (refused otherwise); the output then carries a warning')
    .action((scenario: string, opts: RealOptions) => realCommand(scenario, opts, io, version));
  p.command('calibrate')
    .description("run micro-benchmarks on this host's kernel (root; zram), fit the model's costs, write a cost profile and print the fit table")
    .option('--out <file>', 'where to write the profile (default NAME.costs.yaml)')
    .option('--name <name>', 'profile name (default host)')
    .option('--record <dir>', 'also write the bench outputs (KEY.txt: the samples as counts per value, but for the benches whose fit reads their order) and host.json there')
    .option('--compact <dir>', 'rewrite a recording of bench outputs (DIR/KEY.txt or DIR/round-K) in place as --record writes it, after checking the fit reads the same from it; prints the sizes (no root)')
    .option('--from <dir>', 'fit recorded outputs from DIR instead of running the benches (no root; DIR/round-K for each round of a recording of several rounds; repeat --from to fit several recordings as rounds); with --validate, summarise recorded documents', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--rounds <n>', 'run the whole suite N times, one round after the other, and fit each cost as the median of the rounds\' own fits (default 5; docs/calibration.md "A fit that reproduces")')
    .option('--validate', 'held-out validation: faultline real on the calib-* scenarios beside the model with --costs; prints a markdown summary')
    .option('--runs <n>', 'with --validate: real runs per scenario (default 3)')
    .option('--io <path>', 'with --validate: read path of file VMAs (default zram)')
    .option('--costs <profile>', 'with --validate: the cost profile of the model side (default calib-host)')
    .option('--allow-loaded', 'with --validate: run even on a loaded host (the summary says so)')
    .option('--model-from <dir>', 'with --validate: the recorded documents in DIR with the model\'s side recomputed by the current model (no root; --costs overrides the recorded profile)')
    .option('--drift-retry <n>', 'with --validate: repeat a real run whose host probe (getppid, anon-write, run before each real run) is off the profile by more than ±15 %, up to N times; only in-band runs are kept when there is one (default 0: every run kept, the probe recorded and printed)')
    .action((opts: CalibrateOptions) => calibrateCommand(opts, io, version));
  addSweepCommands(p, io, version);
  addExperimentCommand(p, io, version);
  p.command('check')
    .description('explore the interleavings of a check scenario (scenarios/check-*.yaml) for invariant violations and deadlocks; `faultline check --help`')
    .allowUnknownOption()
    .argument('[args...]');
  return p;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // `check` parses its own options and has its own exit codes (0/1/2/3).
  if (argv[0] === 'check') return checkCommand(argv.slice(1), io);
  try {
    await program(io, faultlineVersion()).parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return ExitCode.OK;
      if (e.code === 'commander.help') return ExitCode.BAD_INPUT;
      io.stderr.write(`faultline: ${oneLine(e.message.replace(/^error: /, ''))}\n`);
      return ExitCode.BAD_INPUT;
    }
    if (e instanceof ExitError) {
      io.stderr.write(`faultline: ${e.message}\n`);
      return e.code;
    }
    if (e instanceof UsageError || e instanceof OutputPathError) {
      io.stderr.write(`faultline: ${oneLine(e.message)}\n`);
      return ExitCode.BAD_INPUT;
    }
    if (e instanceof Error && e.name === 'SimLimitError') {
      // A scenario whose run cannot end (src/sim/engine.ts): bad input, not a bug.
      io.stderr.write(`faultline: ${oneLine(e.message)}\n`);
      return ExitCode.BAD_INPUT;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`faultline: internal error: ${oneLine(err.message)} (a bug; set FAULTLINE_DEBUG=1 for the stack)\n`);
    if (process.env.FAULTLINE_DEBUG === '1' && err.stack !== undefined) io.stderr.write(err.stack + '\n');
    return ExitCode.INTERNAL;
  }
}
