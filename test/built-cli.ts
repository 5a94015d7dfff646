/**
 * The built command (`node bin/faultline.js`) for tests that need a real
 * process: worker threads run the compiled dist/, and kill -9 needs a child.
 * Builds dist/ first when it is missing or older than src/ or bench/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'faultline.js');
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'bin.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Make sure dist/ is built from the current sources. */
export function ensureBuilt(): void {
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'bench')));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= sources) {
    const sweepWorker = join(ROOT, 'dist', 'src', 'sweep', 'worker.js');
    if (existsSync(sweepWorker) && statSync(sweepWorker).mtimeMs >= newest(join(ROOT, 'src', 'sweep'))) return;
  }
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // tsc emits even with type errors elsewhere; the type check has its own CI step
  }
  if (!existsSync(BUILT)) throw new Error('could not build dist/ (npm run build)');
  // Incremental tsc leaves an unchanged output's old timestamp, so without
  // this every later call would see dist/ as stale and rebuild again.
  const now = new Date();
  for (const f of [BUILT, join(ROOT, 'dist', 'src', 'sweep', 'worker.js')]) if (existsSync(f)) utimesSync(f, now, now);
}

export interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run the built CLI to completion. */
export function runBuilt(args: string[], cwd: string, env?: Record<string, string>): Promise<Run> {
  return new Promise((res) => {
    const child = startBuilt(args, cwd, env);
    let stdout = '', stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
}

export function startBuilt(args: string[], cwd: string, env?: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(env !== undefined ? { env: { ...process.env, ...env } } : {}) });
}
