/**
 * The checker's young generation (docs/checker.md, "The collector and the
 * restore"). A complete search keeps its state table, summaries and levels
 * alive, so every scavenge of V8's default 16 MB semi-space copies many
 * survivors; `--max-semi-space-size=64` halves the scavenges and saves about
 * a tenth of `faultline check`'s CPU time. V8 sizes the main thread's young
 * generation when node starts (v8.setFlagsFromString later leaves the
 * scavenges as they were), so `faultline check` starts node once more with
 * the flag: the same script, the same arguments, the same environment, the
 * standard streams inherited, and the child's exit status (or the signal
 * that ended it) passed on. The child runs in a process group of its own,
 * and SIGINT, SIGTERM and SIGHUP that reach the first process are passed to
 * it once: check stops its search at the first SIGINT or SIGTERM with a
 * partial report and quits at once at the second, so a signal sent to the
 * whole group (a terminal's Ctrl-C, `timeout`) must not reach it twice.
 * What is lost: SIGKILL of the first process leaves the child running to
 * its end, and Ctrl-Z suspends only the first process.
 *
 * No relaunch when: the command is not one that gains (only `check`; `run`
 * and `sweep` do not: docs/checker.md); it only prints help or lists; the
 * user gave node a young-generation flag of their own (on node's command
 * line or in NODE_OPTIONS, which the child then has too, so it never
 * relaunches again); FAULTLINE_V8_FLAGS is set (the user chose faultline's
 * V8 flags: src/sweep/v8-flags.ts).
 */
import { spawn } from 'node:child_process';
import { flagName } from '../sweep/v8-flags.js';

/** The semi-space `faultline check` runs with, in MB (V8's default on 64-bit: 16). */
export const CHECK_SEMI_SPACE_MB = 64;

/** Subcommands that run with the larger young generation. */
export const RELAUNCH_COMMANDS: ReadonlySet<string> = new Set(['check']);

/** Flags that size the young generation: given by the user, they are kept and nothing is added. */
const YOUNG_FLAGS: ReadonlySet<string> = new Set([
  'max-semi-space-size', 'min-semi-space-size', 'semi-space-growth-factor', 'max-young-generation-size',
]);

/**
 * node's options for the relaunched process (its own options, then the
 * flag), or null to run in this process. Pure, for the tests.
 */
export function relaunchExecArgv(
  argv: readonly string[], env: Readonly<Record<string, string | undefined>>, execArgv: readonly string[],
): string[] | null {
  const cmd = argv[0];
  if (cmd === undefined || !RELAUNCH_COMMANDS.has(cmd)) return null;
  const rest = argv.slice(1);
  if (rest.some((a) => a === '--help' || a === '-h' || a === '--list')) return null;
  if (env['FAULTLINE_V8_FLAGS'] !== undefined) return null;
  const given = [...execArgv, ...(env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((f) => f.startsWith('-')).map(flagName);
  if (given.some((f) => YOUNG_FLAGS.has(f))) return null;
  return [...execArgv, `--max-semi-space-size=${CHECK_SEMI_SPACE_MB}`];
}

/** Signals passed on to the relaunched process. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Run `script` with `argv` in a new node with `execArgv`, streams inherited;
 * resolves to its exit status, or ends this process with the signal that
 * ended the child.
 */
export function relaunch(execArgv: readonly string[], script: string, argv: readonly string[]): Promise<number> {
  if (process.env['FAULTLINE_LAUNCH_TRACE'] !== undefined) process.stderr.write(`faultline: relaunch with ${execArgv.join(' ')}\n`);
  const child = spawn(process.execPath, [...execArgv, script, ...argv], { stdio: 'inherit', detached: true });
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      for (const s of FORWARDED) process.off(s, forward);
      process.stderr.write(`faultline: cannot start node again (${e.message})\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      if (signal !== null) {
        // The same end as the child's: default action of the same signal.
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 1);
    });
  });
}
