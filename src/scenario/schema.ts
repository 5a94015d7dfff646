/**
 * The scenario *file* format (YAML or JSON), as a zod schema. It checks the
 * shape of the document only; ./load.ts then resolves it (units to ns,
 * defaults, thread expansion) and checks what crosses fields (VMA group
 * references, page states per VMA kind, empirical laws, counts).
 *
 * Every field's meaning is in docs/scenario-format.md; `toJsonSchema()` gives
 * the same format as a JSON Schema (schema/scenario.schema.json) for editors.
 * Building blocks: ./schema-common.ts; op schemas: ./schema-ops.ts.
 */
import { z } from 'zod';
import { COST_NAMES, type CostName } from '../model/cost.js';
import { PAGE_MKWRITE_KINDS, PRIORITY_CLASSES, READAHEAD_MODES } from './types.js';
import {
  Bool, Bounded, doc, DurationSchema, expecting, Int, LawSchema, LIMITS, MAX_SEED, Name, parseDurationSafe, SizeSchema,
} from './schema-common.js';
import { OpSchema } from './schema-ops.js';

export {
  DurationSchema, LawSchema, LIMITS, MAX_SEED, PERCENTILE_KEY_PATTERN, schemaMeta, SIZE_PATTERN, SizeSchema,
} from './schema-common.js';
export { MADVISE_ADVICE, MPROTECT_PROTS, OpSchema } from './schema-ops.js';

export const SPECIALS = ['pfnmap', 'mixedmap', 'uffd_wp', 'guard'] as const;

export const VmaGroupSchema = z.strictObject({
  name: Name('Group name; ops refer to the group by it. Unique.'),
  count: doc(Bounded(1, LIMITS.vmas).optional(), `Number of VMAs in the group (all groups together: at most ${LIMITS.vmas}). Default 1, or the length of \`pages\` when that is a list.`),
  kind: doc(
    z.enum(['file', 'anon'], { error: expecting("'file' or 'anon'") }),
    'file: a file-backed (or shmem) mapping with a page cache; anon: private anonymous memory.',
  ),
  shared: Bool('MAP_SHARED (VM_SHARED). Default false. Not allowed with kind anon (shared anonymous memory is shmem: use kind file).'),
  write: Bool('VM_WRITE at start (mprotect may change it). Default true for anon, false for file.'),
  maywrite: Bool('VM_MAYWRITE. Default true unless shared and not write.'),
  exec: Bool('VM_EXEC. Default false.'),
  anon_vma: Bool('vma->anon_vma is already set at start. Default true for anon, false for file.'),
  special: doc(
    z.array(z.enum(SPECIALS, { error: expecting(`one of: ${SPECIALS.join(', ')}`) }), { error: expecting('a list') }).optional(),
    'Special mapping flags: any of pfnmap (VM_PFNMAP), mixedmap (VM_MIXEDMAP), uffd_wp (userfaultfd write-protect), guard (guard-page markers). Default [].',
  ),
  map_pages: Bool('vm_ops->map_pages present (fault-around). false: a driver ->fault that needs mmap_lock. Default true.'),
  dontcopy: Bool('VM_DONTCOPY (MADV_DONTFORK): fork skips the VMA. Default false.'),
  readahead: doc(
    z.enum(READAHEAD_MODES, { error: expecting(`one of: ${READAHEAD_MODES.join(', ')}`) }).optional(),
    'File readahead on faults (kind file only). normal: read-around of 32 pages (128 KiB) centred on the miss, dropping the lock before submitting; random: MADV_RANDOM (VM_RAND_READ), no readahead, the miss is read in page_not_uptodate; off: read_ahead_kb = 0, as random. Default normal.',
  ),
  page_mkwrite: doc(
    z.enum(PAGE_MKWRITE_KINDS, { error: expecting(`one of: ${PAGE_MKWRITE_KINDS.join(', ')}`) }).optional(),
    "The file's vm_ops->page_mkwrite, run by shared write faults under the fault's VMA or mmap lock (kind file, shared only). none: no callback (shmem, memfd, ashmem); generic: filemap_page_mkwrite or ext4 delalloc (folio lock, mark dirty, no writeback wait); stable: the same on a mapping with stable writes (waits for writeback); f2fs: f2fs_vm_page_mkwrite (always waits for writeback). Default generic.",
  ),
  pages: doc(
    z.union([Bounded(1, LIMITS.pages), z.array(Bounded(1, LIMITS.pages), { error: expecting('a list') }).min(1, { error: 'must not be empty' }).max(LIMITS.vmas, { error: `at most ${LIMITS.vmas} sizes` })], {
      error: expecting('a number of pages >= 1, or a list of per-VMA sizes'),
    }),
    'Size of each VMA in 4 KiB pages: one number for all, or a list with one size per VMA (its length must equal count).',
  ),
  cached: doc(
    z
      .number({ error: expecting('a fraction from 0 to 1') })
      .min(0, { error: expecting('a fraction from 0 to 1') })
      .max(1, { error: expecting('a fraction from 0 to 1') })
      .optional(),
    'With memory: (kind file only): the fraction of each file in the page cache at the start (a warm cache), charged to the memory cgroup. Default 0 (cold).',
  ),
  resident: doc(
    z
      .number({ error: expecting('a fraction from 0 to 1') })
      .min(0, { error: expecting('a fraction from 0 to 1') })
      .max(1, { error: expecting('a fraction from 0 to 1') })
      .optional(),
    'Fraction of pages with a populated PTE (cost of copying at fork and of zapping at munmap). Default 1.',
  ),
});

export const ThreadGroupSchema = z.strictObject({
  name: doc(
    z.string({ error: expecting('a thread name') }).min(1, { error: 'must not be empty' }),
    'Thread name; "{i}" expands to 1..count ("Binder:{i}"). Expanded names must be unique.',
  ),
  group: doc(
    z.string({ error: expecting('a group name') }).min(1, { error: 'must not be empty' }).optional(),
    'Group name used in reports. Default: the name without "{i}" and the separator before it ("Binder:{i}" -> "Binder").',
  ),
  count: doc(Bounded(1, LIMITS.threads).optional(), `Number of threads in the group (all groups together: at most ${LIMITS.threads}). Default 1.`),
  class: doc(
    z.enum(PRIORITY_CLASSES, { error: expecting(`one of: ${PRIORITY_CLASSES.join(', ')}`) }).optional(),
    'Priority class: USER_INTERACTIVE (nice -10 / FIFO), USER_INITIATED (-4/-2), DEFAULT (0), UTILITY (+4), BACKGROUND (+10). Default DEFAULT.',
  ),
  start: doc(DurationSchema.optional(), 'Time of the first think pause (or, for a frame thread, of the first vsync). Default 0.'),
  think: doc(LawSchema.clone().optional(), 'Pause before each op (user-space time, off the CPU). Required unless the thread has a frame.'),
  ops: doc(
    z.array(OpSchema, { error: expecting('a list of ops') }).min(1, { error: 'must not be empty (a thread needs at least one op)' }).optional(),
    'Operation mix: after each think pause the thread picks one op by weight. Required unless the thread has a frame.',
  ),
  io: doc(
    z
      .strictObject({
        read: doc(LawSchema.optional(), "File read latency of the page-cache misses this thread's faults submit. Default: the scenario's io.read."),
        swap: doc(LawSchema.optional(), "Swap-in latency of the swap-ins this thread's faults start. Default: the scenario's io.swap."),
      }, { error: expecting('a mapping with read and/or swap laws') })
      .optional(),
    'Per-thread I/O latency laws for I/O the thread submits (e.g. a cgroup whose I/O is throttled), overriding the scenario-wide io.',
  ),
  frame: doc(
    z
      .strictObject({
        period: doc(
          DurationSchema.clone().refine((v) => typeof v !== 'number' && typeof v !== 'string' ? true : parseDurationSafe(v) >= LIMITS.minFramePeriodNs, {
            error: `a frame period must be at least 100us (10,000 frames a second)`,
          }),
          'Vsync period, e.g. 16.67ms (60 Hz); at least 100us.',
        ),
        deadlines: doc(
          z.array(DurationSchema, { error: expecting('a list of durations') }).min(1, { error: 'must not be empty' }).optional(),
          'Deadlines a frame is checked against (a frame misses one when its work ends later than that after its vsync). Default [period].',
        ),
        ops: doc(
          z.array(OpSchema, { error: expecting('a list of ops') }).min(1, { error: 'must not be empty (a frame needs at least one op)' }),
          'Per-frame work: every op runs in order at each vsync (repeat times, gap between repetitions); weight is not allowed.',
        ),
      }, { error: expecting('a mapping {period, deadlines, ops}') })
      .optional(),
    'Frame thread: at every vsync run the frame ops in order, instead of think + ops.',
  ),
});

const costShape = Object.fromEntries(
  COST_NAMES.map((n) => [n, DurationSchema.optional()]),
) as Record<CostName, z.ZodOptional<typeof DurationSchema>>;

export const ScenarioFileSchema = doc(
  z.strictObject({
    $schema: doc(z.string().optional(), 'Optional: URL or path of this JSON Schema, for editors.'),
    name: Name('Scenario name.'),
    description: doc(
      z.string({ error: expecting('a string') }).min(1, { error: 'must not be empty' }),
      'One paragraph: what the scenario models and where its numbers come from.',
    ),
    seed: doc(Int(0, `an integer from 0 to ${MAX_SEED}`).max(MAX_SEED, { error: expecting(`an integer from 0 to ${MAX_SEED}`) }).optional(), `Seed of the run's random numbers (0 to ${MAX_SEED}; --seeds N runs seed..seed+N-1). Default 1.`),
    duration: doc(DurationSchema.clone(), 'Simulated time of one run.'),
    warmup: doc(DurationSchema.optional(), 'Metrics ignore ops that start before this time. Default 0. Must be < duration.'),
    cpus: doc(
      z.union([Bounded(1, LIMITS.cpus), z.literal('unlimited')], { error: expecting(`an integer from 1 to ${LIMITS.cpus} or "unlimited"`) }).optional(),
      'Number of CPUs, or "unlimited" (every runnable thread runs). Default 8.',
    ),
    preempt: Bool('A thread that becomes runnable preempts a running thread of a lower priority class. Default true.'),
    sched: doc(
      z
        .strictObject({
          runqueues: doc(
            z.enum(['global', 'per-cpu'], { error: expecting("'global' or 'per-cpu'") }).optional(),
            "global: one run queue ordered by priority class, then FIFO; a CPU that becomes free takes its head. per-cpu (with a number of cpus): one EEVDF run queue per CPU (kernel/sched/fair.c): a woken thread goes to an idle CPU (select_idle_sibling) or is queued on its previous CPU, preempts the thread running there at that thread's next preemption point when EEVDF picks it (nice weights from the classes; `preempt` is not used), and a CPU going idle pulls a queued thread that has not run for 0.5 ms from another CPU. Default global.",
          ),
          vcpu_pack: Bool(
            "With runqueues: per-cpu only. The calibration host's wake-up packing (its kernel's non-mainline `sched_vcpu_pack` boot parameter; docs/calibration.md \"What delays a real writer on the idle host, traced\"): a woken thread is queued on the waking CPU (the waker's, or for a timer or I/O wake-up the thread's previous CPU) when exactly one thread runs there and none is queued, even if another CPU is idle; otherwise placement is per-cpu's. A host policy read from traces, not from source. Default false.",
          ),
        })
        .optional(),
      'Scheduler options (docs/fidelity.md "Scheduling").',
    ),
    mmap_lock: doc(
      z
        .strictObject({
          reader_wake: doc(
            z.enum(['all', 'prefix'], { error: expecting("'all' or 'prefix'") }).optional(),
            'all: a reader wake-up wakes every queued reader (up to 256; kernel rwsem_mark_wake). prefix: only the readers ahead of the first queued writer. Default all.',
          ),
          writer_spin: Bool(
            'Writer optimistic spinning (kernel rwsem_optimistic_spin, CONFIG_RWSEM_SPIN_ON_OWNER): in the simulator a writer that must wait spins on a free CPU while a running writer holds the lock, or readers hold it, up to (20 + readers) / 2 us; then it sleeps. While it spins it is off the wait list (readers take a reader-owned lock past it) and it takes the lock when it is free, before waiters queued meanwhile. Simulator only: the checker does not change. Default false (writers sleep at once, as the model did before).',
          ),
          lock_steal: Bool(
            'Lock stealing and hand-off (kernel/locking/rwsem.c: rwsem_down_read_slowpath "Reader optimistic lock stealing", rwsem_mark_wake, rwsem_try_write_lock, RWSEM_FLAG_HANDOFF): in the simulator a release wakes a writer at the head of the queue without giving it the lock; until it runs, a reader that finds the lock free (no writer, no other reader) takes it past the queue, and the writer, finding it taken, sleeps again. A writer first in the queue for more than RWSEM_WAIT_TIMEOUT (4 ms) sets the hand-off: no reader steals, the next release gives it the lock. Simulator only: the checker does not change. Default true; false gives the lock to the woken writer at release (the model before the thirteenth session, docs/calibration.md "Readers too long, writers too short").',
          ),
        })
        .optional(),
      'mmap_lock (rwsem) options.',
    ),
    costs: doc(
      z.union([
        z.string().min(1),
        z.strictObject({
          ...costShape,
          profile: doc(z.string().min(1).optional(), 'A cost profile (shipped name or path) whose values the other keys override.'),
        }),
      ], { error: expecting('a cost profile name or path, or a mapping from cost name to duration (with an optional profile)') }).optional(),
      'CPU cost of kernel steps: a cost profile (a shipped name such as calib-host or phone, or a path; docs/calibration.md), or a mapping from cost name to duration, every key optional (defaults in the docs), with an optional `profile` the keys override.',
    ),
    io: doc(
      z
        .strictObject({
          read: doc(LawSchema.optional(), 'File read I/O latency on a page-cache miss. Default: UFS 4K QD1 random read (empirical).'),
          read_synchronous: Bool(
            'The file read device is BLK_FEAT_SYNCHRONOUS (zram, brd, pmem): a read completes in the submitting task, the read law is CPU time of the faulting task (no sleep, no wake-up). Default false (UFS, NVMe, loop: completion by interrupt or worker, the reader sleeps on the folio lock).',
          ),
          swap: doc(LawSchema.optional(), 'Swap-in latency per page. Default 17.7us (zram lz4).'),
          swap_synchronous: Bool(
            'Swap device is SWP_SYNCHRONOUS_IO (zram): the swap law is CPU time on the faulting CPU with the lock held. Default true.',
          ),
          writeback: doc(LawSchema.optional(), 'How long a folio stays under writeback. Default: UFS 4K QD1 random write (empirical).'),
          folio_lock_hold: doc(
            LawSchema.optional(),
            'How long a non-fault holder (reclaim, migration) keeps an uptodate folio locked. Default uniform 5us..50us (assumption).',
          ),
          read_bandwidth: doc(
            z.number({ error: expecting('a bandwidth in MB/s > 0') }).positive({ error: expecting('a bandwidth in MB/s > 0') }).optional(),
            'Device sequential read bandwidth in MB/s: a read of n pages (a readahead window) takes the read law plus (n - 1) x 4 KiB / bandwidth. E.g. 2100 (UFS 3.1), 4200 (UFS 4.0), 250 (eMMC 5.1) [C, parameters.md §8.3]. Default: none, every read takes the read law whatever its size.',
          ),
        })
        .optional(),
      'I/O latency laws.',
    ),
    vmas: doc(
      z.array(VmaGroupSchema, { error: expecting('a list of VMA groups') }).min(1, { error: 'must not be empty' }),
      'VMA groups: the address space.',
    ),
    threads: doc(
      z.array(ThreadGroupSchema, { error: expecting('a list of thread groups') }).min(1, { error: 'must not be empty' }),
      'Thread groups.',
    ),
    memory: doc(
      z
        .strictObject({
          max: doc(SizeSchema.optional(), 'memcg memory.max: a charge over it reclaims in the charging task (try_charge_memcg), holding the fault lock it holds.'),
          high: doc(SizeSchema.optional(), 'memcg memory.high: pages charged over it are reclaimed on return to user space, then the task sleeps the memory.high penalty (mem_cgroup_handle_over_high).'),
          total: doc(SizeSchema.optional(), 'Memory of the zone (RAM): below its low watermark kswapd is woken, below min the allocating task reclaims (direct reclaim).'),
          other: doc(SizeSchema.optional(), 'Other resident memory charged alongside and never reclaimed here (other apps, unreclaimable memory). Default 0.'),
          swappiness: doc(
            z.number({ error: expecting('an integer from 0 to 200') }).int({ error: expecting('an integer from 0 to 200') })
              .min(0, { error: expecting('an integer from 0 to 200') }).max(200, { error: expecting('an integer from 0 to 200') }).optional(),
            'vm.swappiness (memory.swappiness): reclaim scans anonymous and file folios in the ratio swappiness : 200 - swappiness; 0 never swaps. Default 60 (kernel default; Android vendors use 100-150).',
          ),
          dirty_background_ratio: doc(
            z.number({ error: expecting('a percentage from 0 to 100') }).min(0, { error: expecting('a percentage from 0 to 100') }).max(100, { error: expecting('a percentage from 0 to 100') }).optional(),
            'vm.dirty_background_ratio: the flusher writes dirty page cache back while it is above this share of the memcg\'s dirtyable memory (its file pages plus headroom). Default 10 (kernel default).',
          ),
          dirty_ratio: doc(
            z.number({ error: expecting('a percentage from 0 to 100') }).min(0, { error: expecting('a percentage from 0 to 100') }).max(100, { error: expecting('a percentage from 0 to 100') }).optional(),
            'vm.dirty_ratio: the dirty limit; only its effect on the background threshold (bg >= limit: bg = limit / 2) is modelled, not balance_dirty_pages\' throttling. Default 20 (kernel default).',
          ),
          dirty_writeback: doc(DurationSchema.optional(), 'vm.dirty_writeback_centisecs: how often the flusher wakes to write back expired dirty inodes. Default 5s (kernel default).'),
          dirty_expire: doc(DurationSchema.optional(), 'vm.dirty_expire_centisecs: the age at which a dirty inode is written back by the periodic pass. Default 30s (kernel default; older Android init.rc set 2s).'),
        })
        .optional(),
      'Memory limits and reclaim. With it, the working set and the limits decide whether a page is resident (fault ops take no `states`). At least one of max and total.',
    ),
    kill: doc(
      z
        .strictObject({
          at: doc(DurationSchema.clone(), 'When SIGKILL reaches every thread of the process (must be < duration).'),
          reaper: doc(
            z.enum(['oom_reaper', 'process_mrelease', 'none'], { error: expecting("'oom_reaper', 'process_mrelease' or 'none'") }).optional(),
            'Who frees the anonymous memory: the OOM reaper kthread (mmap_read_trylock, up to 10 tries 100 ms apart), lmkd calling process_mrelease (mmap_read_lock_killable), or nobody (only exit_mmap). Default oom_reaper.',
          ),
          reaper_delay: doc(DurationSchema.optional(), 'From the kill to the first reap attempt. Default 0.'),
          reaper_class: doc(
            z.enum(PRIORITY_CLASSES, { error: expecting(`one of: ${PRIORITY_CLASSES.join(', ')}`) }).optional(),
            'Priority class of the reaper task. Default DEFAULT.',
          ),
        }, { error: expecting('a mapping {at, reaper, reaper_delay, reaper_class}') })
        .optional(),
      'Process death: SIGKILL at a given time, then reaping and exit.',
    ),
  }, { error: expecting('a mapping') }).superRefine((f, ctx) => {
    // Totals over groups (each group's count is bounded above on its own).
    let vmas = 0, threads = 0;
    for (const g of f.vmas) vmas += g.count ?? (Array.isArray(g.pages) ? g.pages.length : 1);
    for (const t of f.threads) threads += t.count ?? 1;
    if (vmas > LIMITS.vmas) ctx.addIssue({ code: 'custom', path: ['vmas'], message: `${vmas} VMAs in all: at most ${LIMITS.vmas}` });
    if (threads > LIMITS.threads) ctx.addIssue({ code: 'custom', path: ['threads'], message: `${threads} threads in all: at most ${LIMITS.threads}` });
  }),
  'A faultline scenario: threads, VMAs, operation mix and latency laws.',
);

export type ScenarioFile = z.input<typeof ScenarioFileSchema>;
export type LawInput = z.input<typeof LawSchema>;

// Defaults (documented in docs/scenario-format.md): ./defaults.ts.
export { DEFAULT_COSTS, DEFAULT_IO, DEFAULTS } from './defaults.js';

// JSON Schema of the file format: ./json-schema.ts.
export { renderJsonSchema, toJsonSchema } from './json-schema.js';
