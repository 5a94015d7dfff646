/**
 * Resolution: a schema-checked scenario file becomes the `Scenario` the
 * engines consume (integer ns, defaults filled, thread groups expanded),
 * with the checks that cross fields. One module per section.
 */
import { COST_NAMES, type CostName } from '../model/cost.js';
import { loadProfile, sleepPoints, type CostProfile } from '../calibrate/profile.js';
import { DEFAULT_COSTS, DEFAULT_IO, DEFAULTS, type LawInput, type ScenarioFile } from './schema.js';
import type { KillSpec, Scenario } from './types.js';
import { dur, normaliseParagraph, resolveLaw } from './resolve-common.js';
import { resolveMemory } from './resolve-memory.js';
import { resolveThreads } from './resolve-threads.js';
import { resolveVmas } from './resolve-vmas.js';
import type { RawIssue } from './issues.js';

export function resolve(f: ScenarioFile, issues: RawIssue[]): Scenario | undefined {
  const duration = dur(f.duration);
  const warmup = f.warmup === undefined ? DEFAULTS.warmup : dur(f.warmup);
  if (duration <= 0) issues.push({ path: ['duration'], message: 'must be > 0' });
  if (warmup >= duration && duration > 0) {
    issues.push({ path: ['warmup'], message: `must be shorter than duration (${String(f.duration)}), got ${String(f.warmup)}` });
  }

  if (f.sched?.vcpu_pack === true && f.sched.runqueues !== 'per-cpu') {
    issues.push({ path: ['sched', 'vcpu_pack'], message: 'needs runqueues: per-cpu (wake-up packing places a thread on a CPU\'s own run queue)' });
  }

  const costs = { ...DEFAULT_COSTS } as Record<CostName, number>;
  const costMap = typeof f.costs === 'string' ? undefined : f.costs;
  const profileName = typeof f.costs === 'string' ? f.costs : f.costs?.profile;
  let profile: CostProfile | undefined;
  if (profileName !== undefined) {
    try {
      profile = loadProfile(profileName);
    } catch (e) {
      issues.push({ path: typeof f.costs === 'string' ? ['costs'] : ['costs', 'profile'], message: (e as Error).message });
    }
  }
  for (const n of COST_NAMES) {
    const v = costMap?.[n];
    if (v !== undefined) costs[n] = dur(v);
    else if (profile !== undefined) costs[n] = profile.costs[n].value;
  }

  const io = f.io ?? {};
  const law = (v: LawInput | undefined, name: 'read' | 'swap' | 'writeback' | 'folio_lock_hold') =>
    v === undefined ? structuredClone(DEFAULT_IO[name]) : resolveLaw(v, ['io', name], issues);
  const vmas = resolveVmas(f, issues);
  const threads = resolveThreads(f, duration, vmas, issues);
  const memory = resolveMemory(f, vmas, issues);

  let kill: KillSpec | undefined;
  if (f.kill !== undefined) {
    const at = dur(f.kill.at);
    if (at >= duration && duration > 0) {
      issues.push({ path: ['kill', 'at'], message: `must be before the end of the run (duration ${String(f.duration)}), got ${String(f.kill.at)}` });
    }
    kill = {
      at,
      reaper: f.kill.reaper ?? 'oom_reaper',
      reaper_delay: f.kill.reaper_delay === undefined ? 0 : dur(f.kill.reaper_delay),
      reaper_class: f.kill.reaper_class ?? DEFAULTS.class,
    };
  }

  // The profile's refill-by-sleep points, for the costs the scenario does not set itself.
  const afterSleep = profile === undefined ? undefined
    : sleepPoints(profile, new Set(COST_NAMES.filter((n) => costMap?.[n] !== undefined)));
  const sc: Scenario = {
    name: f.name,
    description: normaliseParagraph(f.description),
    source: '',
    cpus: f.cpus === undefined ? DEFAULTS.cpus : f.cpus === 'unlimited' ? null : f.cpus,
    preempt: f.preempt ?? DEFAULTS.preempt,
    ...(f.sched?.runqueues === 'per-cpu'
      ? { sched: { runqueues: 'per-cpu' as const, ...(f.sched.vcpu_pack === true ? { vcpu_pack: true } : {}) } } : {}),
    duration,
    warmup,
    seed: f.seed ?? DEFAULTS.seed,
    mmap_lock: { reader_wake: f.mmap_lock?.reader_wake ?? DEFAULTS.reader_wake, ...(f.mmap_lock?.writer_spin === true ? { writer_spin: true } : {}), ...(f.mmap_lock?.lock_steal === false ? { lock_steal: false } : {}) },
    costs,
    ...(profile !== undefined ? { cost_profile: profile.name } : {}),
    ...(afterSleep !== undefined ? { after_sleep_points: afterSleep } : {}),
    io: {
      read: law(io.read, 'read'),
      read_synchronous: io.read_synchronous ?? DEFAULT_IO.read_synchronous,
      swap: io.swap === undefined && profile?.io.swap != null ? structuredClone(profile.io.swap.law) : law(io.swap, 'swap'),
      swap_synchronous: io.swap_synchronous ?? DEFAULT_IO.swap_synchronous,
      writeback: law(io.writeback, 'writeback'),
      folio_lock_hold: law(io.folio_lock_hold, 'folio_lock_hold'),
      ...(io.read_bandwidth !== undefined ? { read_bandwidth: io.read_bandwidth } : {}),
    },
    vmas,
    threads,
  };
  if (kill !== undefined) sc.kill = kill;
  if (memory !== undefined) sc.memory = memory;
  return issues.length > 0 ? undefined : sc;
}
