/**
 * `faultline check` runs in a second node with a larger young generation
 * (src/cli/launch.ts): which commands and environments relaunch, and, with
 * the real built command, that the relaunch passes on the arguments, the
 * exit status, standard input and output through pipes and SIGTERM, and
 * happens once.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECK_SEMI_SPACE_MB, relaunchExecArgv } from '../src/cli/launch.js';
import { BIN, ensureBuilt, ROOT } from './built-cli.js';

const FLAG = `--max-semi-space-size=${CHECK_SEMI_SPACE_MB}`;

describe('relaunchExecArgv', () => {
  it('relaunches check with its node options and the flag', () => {
    expect(relaunchExecArgv(['check', 'check-chain'], {}, [])).toEqual([FLAG]);
    expect(relaunchExecArgv(['check', 'x'], { NODE_OPTIONS: '--enable-source-maps' }, ['--stack-size=2000'])).toEqual(['--stack-size=2000', FLAG]);
  });
  it('not other commands, help, --list, a young-generation flag of the user (command line or NODE_OPTIONS), FAULTLINE_V8_FLAGS', () => {
    for (const argv of [[], ['run', 'android-app'], ['sweep', 'android-app'], ['list'], ['check', '--help'], ['check', '-h'], ['check', '--list'], ['--version']]) {
      expect(relaunchExecArgv(argv, {}, [])).toBeNull();
    }
    expect(relaunchExecArgv(['check', 'x'], {}, ['--max-semi-space-size=16'])).toBeNull();
    expect(relaunchExecArgv(['check', 'x'], {}, ['--max_semi_space_size=16'])).toBeNull();
    expect(relaunchExecArgv(['check', 'x'], { NODE_OPTIONS: '--semi-space-growth-factor=4' }, [])).toBeNull();
    expect(relaunchExecArgv(['check', 'x'], { NODE_OPTIONS: '--max-young-generation-size=64' }, [])).toBeNull();
    expect(relaunchExecArgv(['check', 'x'], { FAULTLINE_V8_FLAGS: '' }, [])).toBeNull();
  });
});

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

/** The built command with `nodeArgs` before the script (or the `shell` command line), stdin `input`, the launcher's trace on. */
function runBin(nodeArgs: string[], args: string[], input: string, env: Record<string, string> = {}, onStart?: (pid: number, out: () => string) => void, shell?: string): Promise<Run> {
  const e: Record<string, string | undefined> = { ...process.env, FAULTLINE_LAUNCH_TRACE: '1', ...env };
  if (env['NODE_OPTIONS'] === undefined) delete e['NODE_OPTIONS'];
  delete e['FAULTLINE_V8_FLAGS'];
  return new Promise((res) => {
    const child = shell !== undefined
      ? spawn('/bin/sh', ['-c', shell], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: e })
      : spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: e });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdin.end(input);
    child.on('close', (code, signal) => res({ code, signal, out, err }));
    onStart?.(child.pid!, () => out + err);
  });
}

const relaunches = (r: Run): number => r.err.split('\n').filter((l) => l.startsWith('faultline: relaunch with')).length;
const inProcess = (r: Run): string[] => r.err.split('\n').filter((l) => l.startsWith('faultline: in this process'));

describe('the built command', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('check --replay - and /dev/stdin read a schedule from a socket stdin (node spawn\'s pipes); an unreadable path exits 2 in one line', async () => {
    const args = ['check', 'check-fork-uffd-wp', '--fork', 'fork-lock-cow', '--no-save'];
    const v = await runBin([], args, '');
    expect(v.code).toBe(1);
    const schedule = /--replay (fl1\.\S+)/.exec(v.out)![1]!;
    for (const arg of ['-', '/dev/stdin']) {
      const r = await runBin([], [...args, '--replay', arg], `${schedule}\n`);
      expect(r.err).not.toMatch(/ENXIO|at readSchedule/);
      expect(r.code).toBe(1);
      expect(r.out).toContain(schedule);
    }
    const bad = await runBin([], [...args, '--replay', '/root'], '');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--replay \/root: cannot read it \(EISDIR\)/);
  }, 60_000);

  it('check: one relaunch with the flag; exit 1 (a violation), 2 (bad input), 3 (incomplete) passed on; a schedule read from stdin through a pipe', async () => {
    const args = ['check', 'check-fork-uffd-wp', '--fork', 'fork-lock-cow', '--no-save'];
    const v = await runBin([], args, '');
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/VIOLATION of fork-copy-stability/);
    expect(relaunches(v)).toBe(1);
    expect(inProcess(v)).toEqual([`faultline: in this process, node options: ${FLAG}`]);
    const schedule = /--replay (fl1\.\S+)$/m.exec(v.out)![1]!;
    // A pipe made by the shell (node's own stdio pipes are sockets, which /dev/stdin cannot open).
    const replay = await runBin([], [], '', {}, undefined, `printf '%s\\n' ${schedule} | "${process.execPath}" "${BIN}" ${[...args, '--replay', '/dev/stdin'].join(' ')}`);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain(`--replay ${schedule}`);
    expect(relaunches(replay)).toBe(1);
    const bad = await runBin([], ['check', 'no-such-scenario'], '');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/faultline check: no-such-scenario: file not found/);
    const part = await runBin([], ['check', 'check-spin-anchor', '--max-executions', '3', '--no-hunt', '--no-save'], '');
    expect(part.code).toBe(3);
    expect(part.out).toMatch(/explored: 3 executions/);
  }, 60_000);

  it('no relaunch with the user\'s own flag (node\'s command line or NODE_OPTIONS), nor for run', async () => {
    const own = await runBin(['--max-semi-space-size=32'], ['check', 'check-chain', '--max-executions', '1', '--no-save'], '');
    expect(relaunches(own)).toBe(0);
    expect(inProcess(own)).toEqual(['faultline: in this process, node options: --max-semi-space-size=32']);
    const opts = await runBin([], ['check', 'check-chain', '--max-executions', '1', '--no-save'], '', { NODE_OPTIONS: '--max-semi-space-size=32' });
    expect(relaunches(opts)).toBe(0);
    const list = await runBin([], ['list'], '');
    expect(list.code).toBe(0);
    expect(relaunches(list)).toBe(0);
    expect(inProcess(list)).toEqual(['faultline: in this process, node options: ']);
  }, 60_000);

  it('SIGTERM to the first process reaches the search: partial report, exit 3', async () => {
    let sent = false;
    const r = await runBin([], ['check', 'check-spin-anchor', '--param', 'nfault=3', '--no-hunt', '--no-save', '--time-limit', '0'], '', {}, (pid, seen) => {
      // Once the relaunched process searches (its first progress line is out), stop it through the first one.
      const poll = setInterval(() => {
        if (!sent && /check check-spin-anchor \S+: [0-9,]+ executions/.test(seen())) {
          sent = true;
          process.kill(pid, 'SIGTERM');
          clearInterval(poll);
        }
      }, 20);
    });
    expect(sent).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCOMPLETE/);
    expect(r.err).toMatch(/SIGTERM: stopping at the next execution boundary/);
  }, 60_000);

  it('SIGINT to the whole process group reaches the search once: partial report, exit 3', async () => {
    // As a terminal's Ctrl-C or `timeout` send it: the relaunched process has a group of its own.
    const child = spawn(process.execPath, [BIN, 'check', 'check-spin-anchor', '--param', 'nfault=3', '--no-hunt', '--no-save', '--time-limit', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '', err = '', sent = false;
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!sent && /executions/.test(err)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(3);
    expect(out).toMatch(/INCOMPLETE/);
    expect(err.match(/SIGINT: stopping/g)).toHaveLength(1);
  }, 60_000);
});
