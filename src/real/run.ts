/**
 * One real run of a translated scenario: set up (temporary directory, memory
 * cgroup, zram swap, FUSE delay filesystem, trace instance), start the load
 * generator, wait until it is ready, switch tracing and the read delays on,
 * let it run, collect everything, tear everything down -- in a `finally`, and
 * from SIGINT/SIGTERM too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Distribution, type LatencyStats } from '../metrics/index.js';
import { formatNs } from '../report/index.js';
import type { Law } from '../scenario/types.js';
import { HostError, hostLoad, loadVerdict, probeHost, requireHost, sh, type HostInfo } from './host.js';
import { cleanupStale, isMounted, Resources, sleepSync } from './resources.js';
import {
  buildRealRun, counterDelta, MEMCG_NAMES, parseCounters, parseFuseLog, parseLoadgenResults, VMSTAT_NAMES,
  type FuseRead, type RealExtras, type RealRun,
} from './results.js';
import { analyseMmapLock, openTrace, parseTrace, startTrace, stopTrace, type TraceSession } from './trace.js';
import { parseBenchOutput } from '../calibrate/bench-output.js';
import { empiricalLaw, fileContent, ioPathSynchronous, type IoPath } from './blockdev.js';
import { mappedBytes, renderFuseConfig, renderLoadgenConfig, swapPoolBytes, type Translation } from './translate.js';
import { cgroupFiles, generatorBytes, PAGE_BYTES } from './memcg.js';

export interface RealRunOptions {
  /** Skip the tracefs part (mmap_lock figures become unavailable). */
  trace: boolean;
  /** Run without a memory cgroup. */
  cgroup: boolean;
  /** Keep the temporary directory (configs, raw outputs) and print its path. */
  keep: boolean;
  /** Fork strategy label of the real column. */
  fork: string;
  /** Progress and warnings (stderr). */
  log: (msg: string) => void;
  /** Read path of file-backed regions (src/real/blockdev.ts). Default fuse. */
  io?: IoPath;
  /** Run even when the host's load average is above its CPU count (the output then carries a warning). */
  allowLoaded?: boolean;
}

let runCounter = 0;

export async function runReal(tr: Translation, opts: RealRunOptions, host: HostInfo = probeHost()): Promise<RealRun> {
  const io = opts.io ?? 'fuse';
  const needs = {
    fuse: tr.needs.fuse && io === 'fuse', swap: tr.needs.swap, cgroup: opts.cgroup,
    blockdev: tr.needs.fuse && io !== 'fuse' ? io : null,
  };
  requireHost(host, needs);
  const verdict = loadVerdict(hostLoad(), host.cpus, opts.allowLoaded === true);
  if (verdict.error !== null) throw new HostError(verdict.error);
  const res = new Resources((m) => opts.log(`warning: ${m}`));
  const onSignal = (sig: NodeJS.Signals) => {
    opts.log(`${sig}: tearing down`);
    res.teardown();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onExit = () => res.teardown();
  process.once('exit', onExit);
  try {
    return await runInside(tr, opts, host, res);
  } finally {
    res.teardown();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('exit', onExit);
  }
}

async function runInside(tr: Translation, opts: RealRunOptions, host: HostInfo, res: Resources): Promise<RealRun> {
  const stale = cleanupStale((m) => opts.log(`warning: ${m}`));
  if (stale > 0) opts.log(`cleaned up ${stale} resource(s) left by an earlier run that was killed`);
  const tag = `${process.pid}-${runCounter++}`;
  const tmp = mkdtempSync('/tmp/faultline-real-');
  if (!opts.keep) res.add({ kind: 'dir', path: tmp });
  const notes: string[] = [];

  // Memory cgroup. With the scenario's memory: block its limits are written once the generator has set up.
  let cgroupPath: string | null = null;
  if (tr.memory !== null) {
    if (!opts.cgroup) throw new HostError('real: the scenario has a memory: block, which needs the run\'s memory cgroup: drop --no-cgroup');
    if (host.cgroup === null) throw new HostError('real: the scenario has a memory: block, but no memory cgroup controller is mounted (cgroup v2 with "memory")');
    try {
      cgroupFiles(tr.memory, host.cgroup.version, 0);
    } catch (e) {
      throw new HostError(`real: ${(e as Error).message}`);
    }
  }
  if (opts.cgroup && host.cgroup !== null) {
    cgroupPath = join(host.cgroup.parent, `faultline-real-${tag}`);
    try {
      mkdirSync(cgroupPath);
    } catch (e) {
      throw new HostError(`real: cannot create memory cgroup ${cgroupPath}: ${(e as Error).message} (use --no-cgroup)`);
    }
    res.add({ kind: 'cgroup', path: cgroupPath });
    const limit = Math.ceil((mappedBytes(tr) + 256 * 2 ** 20) / 4096) * 4096;
    const ctl = join(cgroupPath, host.cgroup.version === 1 ? 'memory.limit_in_bytes' : 'memory.max');
    if (!existsSync(ctl)) {
      throw new HostError(`real: the memory controller is not enabled in ${cgroupPath} (no ${ctl}: enable "memory" in the parent's cgroup.subtree_control, or use --no-cgroup)`);
    }
    if (tr.memory !== null) {
      notes.push(`memory cgroup v${host.cgroup.version} ${cgroupPath}: the scenario's memory: limits, written after set-up`);
    } else if (host.cgroup.version === 1) {
      writeFileSync(join(cgroupPath, 'memory.limit_in_bytes'), String(limit));
      try {
        writeFileSync(join(cgroupPath, 'memory.swappiness'), '100');
      } catch {
        // not settable under some parents; MADV_PAGEOUT does not need it
      }
    } else {
      writeFileSync(join(cgroupPath, 'memory.max'), String(limit));
    }
    if (tr.memory === null) notes.push(`memory cgroup v${host.cgroup.version} ${cgroupPath}, limit ${(limit / 2 ** 20).toFixed(0)} MiB`);
  }

  // zram swap.
  if (tr.needs.swap) {
    const id = Number(readFileSync('/sys/class/zram-control/hot_add', 'utf8').trim());
    if (!Number.isInteger(id)) throw new HostError('real: zram hot_add returned no device');
    res.add({ kind: 'zram', id, swapon: false });
    const dev = `/dev/zram${id}`;
    const sys = `/sys/block/zram${id}`;
    const algos = readFileSync(join(sys, 'comp_algorithm'), 'utf8');
    if (/\blz4\b/.test(algos)) writeFileSync(join(sys, 'comp_algorithm'), 'lz4');
    const size = Math.max(128 * 2 ** 20, 2 * swapPoolBytes(tr) + 64 * 2 ** 20);
    writeFileSync(join(sys, 'disksize'), String(size));
    for (let i = 0; i < 200 && !existsSync(dev); i++) sleepSync(10);
    try {
      sh('mkswap', [dev]);
      sh('swapon', ['-p', '32767', dev]);
    } catch (e) {
      throw new HostError(`real: cannot enable zram swap on ${dev}: ${(e as Error).message.split('\n')[0]}`);
    }
    res.update({ kind: 'zram', id, swapon: true });
    const algo = /\[(\w[\w-]*)\]/.exec(readFileSync(join(sys, 'comp_algorithm'), 'utf8'))?.[1] ?? '?';
    notes.push(`zram swap ${dev} (${algo}, ${(size / 2 ** 20).toFixed(0)} MiB, priority 32767)`);
  }

  // Block devices (--io zram | loop): one per file, its read latency measured.
  const io = opts.io ?? 'fuse';
  let filePaths: Map<string, string> | null = null;
  let device: RealExtras['device'] = null;
  if (tr.needs.fuse && io !== 'fuse') {
    const b = setupBlockFiles(tr, io, tmp, res, host);
    filePaths = b.paths;
    device = { io, readLaw: b.law, read: b.read };
    notes.push(b.note);
  }

  // FUSE delay filesystem.
  let fuseDaemon: ChildProcess | null = null;
  const mount = join(tmp, 'mnt');
  const fuseLog = join(tmp, 'fuse.log');
  if (tr.needs.fuse && io === 'fuse') {
    mkdirSync(mount);
    const cfg = join(tmp, 'fuse.cfg');
    writeFileSync(cfg, renderFuseConfig(tr));
    let stderr = '';
    fuseDaemon = spawn(host.binaries.fuse!, [cfg, mount, fuseLog], { stdio: ['ignore', 'ignore', 'pipe'] });
    fuseDaemon.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    res.add({ kind: 'fuse', mount, pid: fuseDaemon.pid! });
    for (let i = 0; i < 500 && !isMounted(mount); i++) {
      if (fuseDaemon.exitCode !== null) break;
      await delay(10);
    }
    if (!isMounted(mount)) throw new HostError(`real: the FUSE filesystem did not mount at ${mount}: ${stderr.trim() || 'no message'}`);
    notes.push(`FUSE delay filesystem at ${mount}: ${tr.files.length} file(s), read delays drawn from io.read`);
  }

  // Trace instance.
  let trace: TraceSession | null = null;
  if (opts.trace) {
    const t = openTrace(res, tag);
    trace = t.session;
    if (t.reason !== null) notes.push(`mmap_lock tracing unavailable: ${t.reason}`);
  }

  // The generator.
  const cfg = join(tmp, 'loadgen.cfg');
  const out = join(tmp, 'loadgen.out');
  writeFileSync(cfg, renderLoadgenConfig(tr, { mount, cgroup: cgroupPath, ...(filePaths !== null ? { filePaths } : {}) }));
  const gen = spawn(host.binaries.loadgen!, [cfg, out], { stdio: ['pipe', 'pipe', 'pipe'] });
  res.add({ kind: 'process', pid: gen.pid! });
  let genErr = '';
  gen.stderr!.on('data', (b: Buffer) => { genErr += b.toString(); });
  const exited = new Promise<number | null>((resolve) => gen.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: gen.stdout! });
  const nextLine = lineReader(lines);
  const ready = await Promise.race([nextLine(), exited.then(() => null), delay(600_000).then(() => null)]);
  if (ready === null || !ready.startsWith('ready ')) {
    throw new Error(`the load generator failed during set-up: ${genErr.trim() || '(no message)'}`);
  }
  const ids = ready.split(' ').slice(1).map(Number);
  const tids = ids.slice(1);
  const swapLine = /swap pool (\d+)\/(\d+)/.exec(genErr);
  if (swapLine !== null && swapLine[1] !== swapLine[2]) {
    notes.push(`only ${swapLine[1]} of ${swapLine[2]} swap-pool pages could be pushed out at set-up`);
  }

  let memcg: RealExtras['memcg'] = null;
  if (tr.memory !== null && cgroupPath !== null && host.cgroup !== null) {
    memcg = applyMemoryLimits(tr, cgroupPath, host.cgroup.version); // reported in its own line (report.ts)
  }
  const vm0 = readCounters('/proc/vmstat');
  const cg0 = cgroupPath !== null ? readMemcgCounters(cgroupPath) : null;
  const loadBefore = hostLoad();
  const loadWarning = loadVerdict(loadBefore, host.cpus, true).warning;
  if (trace !== null) startTrace(trace, tids);
  if (fuseDaemon !== null) fuseDaemon.kill('SIGUSR1');
  gen.stdin!.write('go\n');
  const code = await Promise.race([exited, delay(tr.duration / 1e6 + 300_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') throw new Error('the load generator did not finish in time');
  const traceOut = trace !== null ? stopTrace(trace) : null;
  if (fuseDaemon !== null) fuseDaemon.kill('SIGUSR2');
  if (code !== 0) throw new Error(`the load generator exited with code ${code}: ${genErr.trim() || '(no message)'}`);
  const loadAfter = hostLoad();
  const vm1 = readCounters('/proc/vmstat');
  const cg1 = cgroupPath !== null ? readMemcgCounters(cgroupPath) : null;
  const results = parseLoadgenResults(readFileSync(out, 'utf8'));

  let fuse: FuseRead[] | null = null;
  if (fuseDaemon !== null) {
    res.release('fuse'); // unmount: the daemon writes its log and exits
    fuse = existsSync(fuseLog) ? parseFuseLog(readFileSync(fuseLog, 'utf8')) : null;
    if (fuse === null) notes.push('the FUSE daemon wrote no read log');
  }
  let traceIn: Parameters<typeof buildRealRun>[0]['trace'] = null;
  if (trace !== null && traceOut !== null) {
    const events = parseTrace(traceOut.text);
    traceIn = {
      analysis: analyseMmapLock(events, { contentionEvents: trace.events.contention }),
      events: events.length,
      lost: traceOut.lost,
      contentionEvents: trace.events.contention,
    };
    if (traceOut.lost > 0) notes.push(`the trace lost ${traceOut.lost} events (buffer overrun): mmap_lock figures are low`);
  }
  if (opts.keep) {
    writeFileSync(join(tmp, 'trace.txt'), traceOut?.text ?? '');
    opts.log(`raw outputs kept in ${tmp}`);
  }
  return buildRealRun({
    translation: tr,
    results,
    fuse,
    trace: traceIn,
    counters: {
      vmstat: counterDelta(vm0, vm1, VMSTAT_NAMES),
      memcg: cg0 !== null && cg1 !== null ? counterDelta(cg0, cg1, MEMCG_NAMES) : null,
    },
    memcg,
    host: { kernel: host.kernel, perVmaLock: host.perVmaLock, perVmaLockStats: host.perVmaLockStats },
    load: { before: loadBefore, after: loadAfter, hostCpus: host.cpus },
    loadWarning,
    device,
    fork: opts.fork,
    notes,
  });
}

/** One zram or loop device per file, filled with the file's content; its O_DIRECT read latency measured. */
function setupBlockFiles(tr: Translation, io: 'zram' | 'loop', tmp: string, res: Resources, host: HostInfo): {
  paths: Map<string, string>; law: Law; read: LatencyStats; note: string;
} {
  const paths = new Map<string, string>();
  const chunk = Buffer.alloc(1 << 20);
  tr.files.forEach((f, index) => {
    const bytes = Math.ceil(f.bytes / 4096) * 4096;
    let dev: string;
    let target: string;
    if (io === 'zram') {
      const id = Number(readFileSync('/sys/class/zram-control/hot_add', 'utf8').trim());
      if (!Number.isInteger(id)) throw new HostError('real: zram hot_add returned no device');
      res.add({ kind: 'zram', id, swapon: false });
      const sys = `/sys/block/zram${id}`;
      if (/\blz4\b/.test(readFileSync(join(sys, 'comp_algorithm'), 'utf8'))) writeFileSync(join(sys, 'comp_algorithm'), 'lz4');
      writeFileSync(join(sys, 'disksize'), String(Math.max(bytes, 1 << 20)));
      dev = `/dev/zram${id}`;
      for (let i = 0; i < 200 && !existsSync(dev); i++) sleepSync(10);
      target = dev;
    } else {
      target = join(tmp, `${f.name}.img`);
      dev = '';
    }
    const fd = openSync(target, 'w');
    try {
      for (let off = 0; off < bytes; off += chunk.length) {
        const n = Math.min(chunk.length, bytes - off);
        fileContent(index, off, chunk.subarray(0, n));
        writeSync(fd, chunk, 0, n, off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (io === 'loop') {
      try {
        dev = sh('losetup', ['--find', '--show', target]).trim();
      } catch (e) {
        throw new HostError(`real: losetup failed: ${(e as Error).message.split('\n')[0]}`);
      }
      res.add({ kind: 'loop', dev });
    }
    paths.set(f.name, dev);
  });
  // The device alone: O_DIRECT 4 KiB reads of the first device (they are all alike).
  const first = paths.get(tr.files[0]!.name)!;
  const out = parseBenchOutput(sh(host.binaries.calibrate!, ['pread-direct', first, '2000']));
  const samples = out.samples.get(0) ?? [];
  if (samples.length === 0) throw new HostError(`real: no read of ${first} could be timed`);
  const law = empiricalLaw(samples);
  const dist = new Distribution();
  for (const v of samples) dist.record(v);
  const read = dist.latency()!;
  const kind = io === 'zram' ? 'zram block device' : 'loop device';
  return {
    paths, law, read,
    note: `file regions on ${tr.files.length} ${kind}(s) (${[...paths.values()].join(', ')}); device read (O_DIRECT 4 KiB) p50 ${formatNs(read.p50)}, p99 ${formatNs(read.p99)}: the model's io.read is this law${ioPathSynchronous(io) ? ', run in the faulting task (io.read_synchronous: BLK_FEAT_SYNCHRONOUS, no sleep, no wake-up)' : ''}`,
  };
}

/**
 * Write the scenario's memory limits (src/real/memcg.ts) into the run's
 * cgroup, each raised by what the generator itself holds there at set-up.
 * memory.max below the usage makes the kernel reclaim at once, in the write.
 */
function applyMemoryLimits(tr: Translation, cgroupPath: string, version: 1 | 2): NonNullable<RealExtras['memcg']> {
  const current = readNumber(join(cgroupPath, version === 2 ? 'memory.current' : 'memory.usage_in_bytes'));
  const stat = readCounters(join(cgroupPath, 'memory.stat'));
  const anon = tr.regions.reduce((n, r) => n + (r.kind === 'anon' ? r.resident * PAGE_BYTES : 0), 0);
  const base = generatorBytes(current, stat, anon);
  const files = cgroupFiles(tr.memory!, version, base);
  for (const [f, v] of files) {
    try {
      writeFileSync(join(cgroupPath, f), v);
    } catch (e) {
      throw new HostError(`real: cannot write ${v} to ${join(cgroupPath, f)}: ${(e as Error).message}`);
    }
  }
  return { version, path: cgroupPath, files, generatorBytes: base };
}

function readNumber(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** memory.stat and, on v2, memory.events (as `events.NAME`). */
function readMemcgCounters(cgroupPath: string): Record<string, number> {
  const out = readCounters(join(cgroupPath, 'memory.stat'));
  for (const [k, v] of Object.entries(readCounters(join(cgroupPath, 'memory.events')))) out[`events.${k}`] = v;
  return out;
}

function readCounters(path: string): Record<string, number> {
  try {
    return parseCounters(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
}

function lineReader(rl: ReturnType<typeof createInterface>): () => Promise<string | null> {
  const queue: string[] = [];
  const waiters: Array<(s: string | null) => void> = [];
  let closed = false;
  rl.on('line', (l) => {
    const w = waiters.shift();
    if (w !== undefined) w(l);
    else queue.push(l);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w(null);
  });
  return () => {
    const l = queue.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (closed) return Promise.resolve(null);
    return new Promise((resolve) => waiters.push(resolve));
  };
}
