/**
 * Host resources of one real run, each torn down in reverse order of set-up:
 * always, on success, failure, Ctrl-C or an uncaught error. Teardown is
 * synchronous so it can run from a signal or exit handler. Each live resource
 * is also listed in /run/faultline-real/PID.json, so that a run killed
 * outright (SIGKILL) is cleaned up by the next one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDir, pidAlive } from './host.js';

export type Resource =
  | { kind: 'dir'; path: string }
  | { kind: 'cgroup'; path: string }
  | { kind: 'zram'; id: number; swapon: boolean }
  | { kind: 'loop'; dev: string }
  | { kind: 'fuse'; mount: string; pid: number }
  | { kind: 'process'; pid: number }
  | { kind: 'trace-instance'; path: string }
  | { kind: 'tracefs-mount'; path: string };

const STATE_DIR = '/run/faultline-real';

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleepBuf, 0, 0, ms);
}

function quiet(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

function writeQuiet(path: string, text: string): boolean {
  try {
    writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
}

function waitGone(pid: number, ms: number): boolean {
  const until = Date.now() + ms;
  while (pidAlive(pid)) {
    if (Date.now() > until) return false;
    sleepSync(10);
  }
  return true;
}

/** Undo one resource; returns a warning, or null when it went cleanly. */
export function undo(r: Resource): string | null {
  switch (r.kind) {
    case 'dir':
      try {
        rmSync(r.path, { recursive: true, force: true });
        return null;
      } catch (e) {
        return `cannot remove ${r.path}: ${(e as Error).message}`;
      }
    case 'process':
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        return null;
      }
      waitGone(r.pid, 5000);
      return null;
    case 'fuse': {
      if (!quiet('fusermount3', ['-u', r.mount]) && !quiet('umount', [r.mount])) quiet('umount', ['-l', r.mount]);
      if (!waitGone(r.pid, 5000)) {
        try {
          process.kill(r.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        waitGone(r.pid, 2000);
      }
      return isMounted(r.mount) ? `FUSE filesystem still mounted at ${r.mount}` : null;
    }
    case 'zram': {
      const dev = `/dev/zram${r.id}`;
      if (r.swapon && isSwapOn(dev) && !quiet('swapoff', [dev])) return `swapoff ${dev} failed`;
      writeQuiet(`/sys/block/zram${r.id}/reset`, '1');
      if (!writeQuiet('/sys/class/zram-control/hot_remove', String(r.id)) && existsSync(`/sys/block/zram${r.id}`)) {
        return `cannot remove zram device ${r.id}`;
      }
      return null;
    }
    case 'loop':
      return quiet('losetup', ['-d', r.dev]) ? null : `losetup -d ${r.dev} failed`;
    case 'cgroup': {
      for (let i = 0; i < 100; i++) {
        try {
          rmdirSync(r.path);
          return null;
        } catch (e) {
          if ((e as { code?: string }).code === 'ENOENT') return null;
          sleepSync(20);
        }
      }
      return `cannot remove cgroup ${r.path}`;
    }
    case 'trace-instance':
      writeQuiet(join(r.path, 'tracing_on'), '0');
      writeQuiet(join(r.path, 'events', 'enable'), '0');
      try {
        rmdirSync(r.path);
        return null;
      } catch (e) {
        return (e as { code?: string }).code === 'ENOENT' ? null : `cannot remove trace instance ${r.path}`;
      }
    case 'tracefs-mount':
      return quiet('umount', [r.path]) ? null : `cannot unmount tracefs at ${r.path}`;
  }
}

export function isMounted(path: string): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === path);
  } catch {
    return false;
  }
}

function isSwapOn(dev: string): boolean {
  try {
    return readFileSync('/proc/swaps', 'utf8').split('\n').some((l) => l.split(/\s+/)[0] === dev);
  } catch {
    return false;
  }
}

export class Resources {
  private readonly list: Resource[] = [];
  private readonly stateFile: string | null;
  private done = false;

  constructor(private readonly warn: (msg: string) => void) {
    let f: string | null = join(STATE_DIR, `${process.pid}.json`);
    try {
      mkdirSync(STATE_DIR, { recursive: true });
    } catch {
      f = null;
    }
    this.stateFile = f;
  }

  add(r: Resource): void {
    this.list.push(r);
    this.save();
  }

  /** Replace the last resource of the same kind (e.g. swapon done). */
  update(r: Resource): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (this.list[i]!.kind === r.kind) {
        this.list[i] = r;
        break;
      }
    }
    this.save();
  }

  /** Undo everything, newest first. Idempotent. */
  teardown(): void {
    if (this.done) return;
    this.done = true;
    while (this.list.length > 0) {
      const r = this.list.pop()!;
      const w = undo(r);
      if (w !== null) this.warn(w);
      this.save();
    }
    if (this.stateFile !== null) {
      try {
        unlinkSync(this.stateFile);
      } catch {
        // never written
      }
    }
  }

  /** Undo the newest resource of a kind now (e.g. unmount FUSE to get its log). */
  release(kind: Resource['kind']): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (this.list[i]!.kind !== kind) continue;
      const [r] = this.list.splice(i, 1);
      const w = undo(r!);
      if (w !== null) this.warn(w);
      this.save();
      return;
    }
  }

  private save(): void {
    if (this.stateFile === null) return;
    writeQuiet(this.stateFile, JSON.stringify({ pid: process.pid, resources: this.list }) + '\n');
  }
}

/** Tear down what earlier runs that died without cleaning up left behind. Returns what was cleaned. */
export function cleanupStale(warn: (msg: string) => void): number {
  let n = 0;
  for (const f of listDir(STATE_DIR)) {
    const m = /^(\d+)\.json$/.exec(f);
    if (m === null || pidAlive(Number(m[1]))) continue;
    const path = join(STATE_DIR, f);
    try {
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { resources?: Resource[] };
      for (const r of [...(doc.resources ?? [])].reverse()) {
        const w = undo(r);
        if (w !== null) warn(`stale run ${m[1]}: ${w}`);
        n++;
      }
      unlinkSync(path);
    } catch {
      // unreadable: leave it
    }
  }
  return n;
}
