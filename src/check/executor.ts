/**
 * One execution of a check scenario: builds the mm, spawns each thread as a
 * generator over the model's kernel paths (src/model, the same code the
 * simulator runs), and runs one step of one task at a time, as the scheduler
 * says.
 *
 * A step resumes a task and runs it to its next effect. Every effect is a
 * scheduling point: POINT, CPU, CPU_LAW and SLEEP leave the task runnable;
 * BLOCK puts it to sleep until the model calls wake_up_process; SUBMIT adds an
 * I/O-completion pseudo-task that is runnable from then on, so the completion
 * may happen at any later step. Folio holders outside the program (reclaim,
 * writeback: page states `locked`, `writeback`) are pseudo-tasks of the same
 * kind. Data choices (a list of page states or VMAs in an op, the model's
 * `nondet` sites) go to the scheduler's nextChoice.
 */
import {
  anon_vma_init_faulted, EffectKind, Folio, hooks, install_model_hooks, next_effect, install_nondet, install_sched, userfault_awaits_userspace,
  install_vm_event_sink, MmStruct, set_current, set_sched_points, VmAreaStruct, VmEvent, populate_pgtables,
  AddressSpace, HPAGE_PMD_NR, exit_mm,
  type Task,
} from '../model/index.js';
import { applyInjections } from './inject.js';
import { checkVmaState, VmaObs, type InvariantName, type Violation } from './invariants.js';
import { vmFlags, type CheckModel, type Slot, type StepOutcome } from './execution-types.js';
import { fold, lanes } from './hash.js';
import { hookOwner, plain, plainHooks, shared, sharedHooks } from './executor-hooks.js';
import { CheckTask, cpuLabel, TState } from './check-task.js';
import { preparePage, program } from './executor-program.js';
import { checkStateTracked, stateHash } from './executor-state.js';
import { lockState } from './lock-state.js';
import type { World } from './world.js';

export { CheckTask, TState };
import { Canon, Tracker, type Footprint } from './track.js';

/** Canonical object ids per checked model (shared by the executions of its search). */
const canons = new WeakMap<CheckModel, Canon>();

export { uninstallCheckHooks, vmFlags, type CheckModel, type Slot, type StepOutcome } from './execution-types.js';

/** vm_pgoff of a growsdown VMA at the start: how far down the model's stack can grow. */
const STACK_PGOFF = 8;

/** Fields per task in saveLanes. */
const LANE_FIELDS = 16;

const LOCK_RELEASE_FNS = ['up_read(', 'up_write(', 'downgrade_write(', 'vma_end_read(', 'folio_unlock('];

export class Execution {
  readonly tasks: CheckTask[] = [];
  readonly tracker: Tracker;
  readonly obs: VmaObs[] = [];
  /** @internal (./check-hooks.ts) */
  readonly obsOf = new Map<VmAreaStruct, VmaObs>();
  /** The first process's mm. */
  readonly mm: MmStruct;
  /** Every process's mm, by process name ('' the first, unnamed one). */
  readonly mms = new Map<string, MmStruct>();
  /** @internal (./executor-program.ts) */
  readonly slots = new Map<string, Slot>();
  /** @internal vm_area_cachep, shared by every mm of the execution (forked children too; ./executor-program.ts). */
  cachep!: VmAreaStruct[];
  /** @internal The task whose step runs (./check-hooks.ts). */
  cur: CheckTask | null = null;
  /** @internal The running step's violations are judged (`step`'s `check`; ./check-hooks.ts HookHost.checking). */
  checking = true;
  /** @internal The scenario has rmap walks (./check-hooks.ts: where a dangling anon_vma is reported). */
  readonly rmapWalks: boolean;
  /** @internal The scenario has try_to_unmap ops (kswapd takes i_mmap_rwsem under fs_reclaim). */
  readonly fileRmap: boolean;
  private hookViolation: Violation | null = null;
  /** @internal (./executor-program.ts) */
  nextPseudo = 0;
  private readonly nthreads: number;
  /** Merge invisible sub-steps into the next (off with CheckModel.fineSteps, for comparison). */
  private readonly coarse: boolean;
  private woke: number[] = [];
  /**
   * Lock-class dependencies seen in this execution (lockdep's graph, for
   * invariant lock-order): "A->B" -> where it was first seen. Not tracked:
   * an edge is a function of its task's own steps (what it holds and takes),
   * so every execution of a trace has the same edges (docs/checker.md).
   */
  readonly lockEdges = new Map<string, string>();
  /** @internal The edges stateHash folds, sorted, while `lockEdges` has `hashedEdgeCount` (./executor-state.ts). */
  hashedEdges: string[] | null = null;
  /** @internal */
  hashedEdgeCount = 0;
  private spawned: number[] = [];
  /** @internal (./executor-program.ts) */
  readonly choose: (n: number) => number;

  constructor(
    readonly model: CheckModel,
    /** Ops each thread runs (0: thread left out), by thread index. */
    readonly mask: readonly number[],
    choose: (n: number) => number,
    /** The search's initial state, built by its first execution and restored by the others (./world.ts); none: build it. */
    world?: World,
  ) {
    const sc = model.scenario;
    let canon = canons.get(model);
    if (canon === undefined) canons.set(model, (canon = new Canon()));
    this.tracker = new Tracker(canon);
    this.tracker.inputs = this.tracker.hist = model.stateCache === true;
    // Lock sequences fold by what they decide in every mm when no VMA object
    // can be looked up by another mm: one process (fork children run no
    // lookup) and no object reused across the parent and its children.
    this.tracker.seqPerMm = (sc.processes ?? ['']).length === 1
      && !(sc.nondet.includes('vm_area_reuse') && sc.threads.some((th) => th.ops.some((o) => o.op === 'fork')));
    this.choose = (n: number): number => {
      const v = choose(n);
      this.tracker.choice(n, v);
      return v;
    };
    this.nthreads = sc.threads.length;
    this.rmapWalks = sc.threads.some((th) => th.ops.some((o) => o.op === 'rmap_walk'));
    this.fileRmap = sc.threads.some((th) => th.ops.some((o) => o.op === 'try_to_unmap'));
    this.coarse = model.fineSteps !== true;
    set_sched_points(true);
    install_sched((t) => this.wake(t as CheckTask));
    install_vm_event_sink((ev) => {
      if (ev === VmEvent.FAULT_RETRY && this.cur !== null) this.cur.retries++;
    });
    hookOwner.x = this;
    install_model_hooks(sharedHooks());
    const nondetOn = new Set<string>(sc.nondet);
    install_nondet((site) => nondetOn.has(site) && this.choose(2) === 1);
    applyInjections(model.injections);

    const roots = world?.restore(model, mask, this) ?? null;
    if (roots !== null) {
      this.cachep = roots.cachep;
      this.mm = roots.mm;
    } else {
      this.mm = this.build(mask);
      this.tracker.flush();
      world?.capture(model, mask, this, { mm: this.mm, cachep: this.cachep });
    }
    for (let i = 0; i < this.nthreads; i++) {
      const th = sc.threads[i]!;
      const t = new CheckTask(i, th.name, null);
      const n = mask[i] ?? th.ops.length;
      if (n === 0) t.state = TState.DONE;
      else t.stack.push(program.call(this, t, this.mms.get(th.process ?? '')!, th.ops, n));
      this.tasks.push(t);
    }
    this.tracker.flush();
  }

  /** Build the initial objects (the first execution of a search; later ones restore them: ./world.ts). Returns the first process's mm. */
  private build(mask: readonly number[]): MmStruct {
    const model = this.model, sc = model.scenario;
    // One mm per process; every mm shares one vm_area_cachep (the kernel's
    // slab is global), so an object one mm frees may become another's VMA.
    const procs = sc.processes ?? [''];
    const cachep: VmAreaStruct[] = (this.cachep = []);
    for (let k = 0; k < procs.length; k++) {
      const p = new MmStruct(model.fault, model.fork, sc.reader_wake, cachep, procs[k]!);
      p.swapSynchronous = sc.swap_synchronous;
      if (sc.max_map_count !== undefined) p.max_map_count = sc.max_map_count;
      // Model labels only: the VMAs and anon_vmas of process k are numbered from 100 * k.
      p.nextVmaId = p.nextAnonVmaId = 100 * k;
      // mm_users: one reference per thread of the process that runs (copy_mm's mmget for CLONE_VM).
      // A thread of rmap walks only is a kernel thread (kswapd): no user of the mm.
      p.mm_users = sc.threads.filter((th, i) => (th.process ?? '') === procs[k] && (mask[i] ?? th.ops.length) > 0 && !th.ops.every((o) => o.op === 'rmap_walk' || o.op === 'try_to_unmap')).length || 1;
      this.mms.set(procs[k]!, p);
    }
    const mm = this.mms.get(procs[0]!)!;
    const next = new Map<string, number>();
    // khugepaged scenarios: each file VMA gets its file's address_space (i_mmap_rwsem) and a
    // vm_pgoff that makes it THP-suitable ((vm_start >> PAGE_SHIFT) - vm_pgoff aligned to HPAGE_PMD_NR).
    const khugepaged = sc.threads.some((th) => th.ops.some((o) => o.op === 'khugepaged'));
    // try_to_unmap scenarios: file VMAs get their address_space too (its i_mmap_rwsem: i_mmap.ts).
    const fileRmap = this.fileRmap;
    for (const v of sc.vmas) {
      const vm = this.mms.get(v.process ?? '')!;
      const addr = next.get(v.process ?? '') ?? 0x10; // each address space is laid out from the same address
      const vma = new VmAreaStruct(vm, vm.nextVmaId++, v.name, addr, addr + v.pages, vmFlags(v), v.kind === 'file', v.map_pages, 1);
      // A stack's page state starts at an offset so that it can grow down (page offsets are >= 0).
      if (v.growsdown) vma.vm_pgoff = STACK_PGOFF;
      if (v.anon_vma) {
        anon_vma_init_faulted(vma);
        // resident anonymous pages (a VMA registered for missing userfaults starts with its pages missing)
        if (!v.special.includes('uffd_missing')) for (let p = 0; p < v.pages; p++) this.obsOf.get(vma)!.anonPtes.add(p);
      }
      if (khugepaged && v.kind === 'file') vma.vm_pgoff = addr % HPAGE_PMD_NR;
      if ((khugepaged || fileRmap) && v.kind === 'file') vma.mapping = new AddressSpace(vm, `${v.name}:mapping`);
      vm.link(vma);
      populate_pgtables(vm, vma.vm_start, vma.vm_end); // its resident pages are mapped: their page tables exist
      this.slots.set(v.name, { start: addr, spec: v });
      next.set(v.process ?? '', addr + v.pages + 1);
    }
    return mm;
  }

  /** Display name of a task: `T2 fork` / `io1`. */
  name(id: number): string {
    const t = this.tasks[id];
    if (t === undefined) return `#${id}`;
    return t.io !== null ? t.comm : `${t.comm}`;
  }

  /** Runnable tasks, by id (into `out`, emptied first, when given: the search loop reuses one array). */
  runnable(out: number[] = []): number[] {
    let n = 0;
    for (const t of this.tasks) if (t.state === TState.RUNNABLE) out[n++] = t.id;
    out.length = n; // (by index: setting the length to 0 first would drop the array's storage)
    return out;
  }

  isThread(id: number): boolean {
    return id < this.nthreads;
  }

  /** A thread is asleep and nothing can run. */
  deadlock(): Violation | null {
    if (this.tasks.some((t) => t.state === TState.RUNNABLE)) return null;
    const asleep = this.tasks.filter((t) => t.state === TState.BLOCKED);
    if (asleep.length === 0) return null;
    // Faults in handle_userfault on missing pages wait for user space: alone, they are the scenario's unresolved userfaults.
    if (asleep.every((t) => [...this.mms.values()].some((mm) => userfault_awaits_userspace(mm, t)))) return null;
    return {
      invariant: 'deadlock',
      message: 'no task can run: ' + asleep.map((t) => `${t.comm} sleeps in ${t.pending.replace(/^woken in /, '')}`).join('; '),
    };
  }

  /**
   * The tasks' local state that comes from their input histories (state
   * caching): per task the history lanes, the op-start, `lock_mmap` and
   * `*_handle_mm_fault` bases, the declared retry continuation
   * (`fault_retry_cont`), and the three flags the frame checkpoints set.
   * Kept with each step run afresh, so that a replay of the steps before
   * can skip the folding (`step` with `replay`) and restore it.
   */
  saveLanes(): number[] {
    const s = new Array<number>(this.tasks.length * LANE_FIELDS + 1);
    let k = 0;
    for (const t of this.tasks) {
      s[k++] = t.histA; s[k++] = t.histB; s[k++] = t.opA; s[k++] = t.opB;
      s[k++] = t.frameA; s[k++] = t.frameB; s[k++] = t.hmfA; s[k++] = t.hmfB;
      s[k++] = t.inLockMmap ? 1 : 0; s[k++] = t.inHmf ? 1 : 0;
      s[k++] = t.contAddress; s[k++] = t.contAttempts; s[k++] = t.contRetried; s[k++] = t.contMajor; s[k++] = t.contMinor;
      s[k++] = t.inCont ? 1 : 0;
    }
    s[k] = this.subSteps; // of the step just run (see `step`, `subSteps`)
    return s;
  }

  /** Restore what `saveLanes` kept after the same steps (the end of a replayed prefix). */
  restoreLanes(s: readonly number[]): void {
    if (s.length !== this.tasks.length * LANE_FIELDS + 1) throw new Error(`check: replayed prefix has ${this.tasks.length} tasks, the kept state ${(s.length - 1) / LANE_FIELDS}`);
    let k = 0;
    for (const t of this.tasks) {
      t.histA = s[k++]!; t.histB = s[k++]!; t.opA = s[k++]!; t.opB = s[k++]!;
      t.frameA = s[k++]!; t.frameB = s[k++]!; t.hmfA = s[k++]!; t.hmfB = s[k++]!;
      t.inLockMmap = s[k++] === 1; t.inHmf = s[k++] === 1;
      t.contAddress = s[k++]!; t.contAttempts = s[k++]!; t.contRetried = s[k++]!; t.contMajor = s[k++]!; t.contMinor = s[k++]!;
      t.inCont = s[k++] === 1;
    }
    this.lanesStale = false;
  }

  /** @internal (./executor-state.ts) Steps were replayed without folding histories and `restoreLanes` has not run since. */
  lanesStale = false;

  /**
   * Run one step of task `id`. `tracked`: compute its footprint; `check`:
   * evaluate invariants after it; `replay`: the step replays one run
   * before with the same prefix (deterministic model), so its input history
   * is not folded: the caller restores the histories (`restoreLanes`) before
   * the next step that is not replayed. `subSteps` (with `replay`): the
   * sub-steps the step ran when it ran afresh (the last entry of what
   * `saveLanes` kept with it); then no field access is logged, since the
   * step ends after that many sub-steps (`resume`), and its footprint is
   * not wanted (docs/checker.md, "Cheaper executions").
   */
  step(id: number, tracked: boolean, check: boolean, replay = false, subSteps = 0): StepOutcome {
    const t = this.tasks[id]!;
    t.steps++;
    this.hookViolation = null;
    const woke: number[] = (this.woke = []);
    const spawned: number[] = (this.spawned = []);
    let err: unknown = null;
    let fp: Footprint | null = null;
    const obsBefore = this.obs.length;
    const known = replay && !tracked && subSteps > 0;
    this.tracker.begin(tracked, !known);
    if (replay && this.tracker.inputs) this.lanesStale = true;
    else if (this.lanesStale) throw new Error('check: a step after a replayed prefix without restoreLanes');
    const inputs = (this.tracker.hist = this.tracker.inputs && !replay);
    this.checking = check;
    // (Only over this module's own hooks: a caller that installed others after the constructor keeps them.)
    const own = hooks === shared || hooks === plain;
    if (own) install_model_hooks(inputs ? sharedHooks() : plainHooks());
    if (inputs) {
      lanes.a = t.histA;
      lanes.b = t.histB;
      fold(0x57e9); // a step: with the inputs, this fixes where in its code the task is
    }
    try {
      if (t.io !== null) {
        t.from = t.pending;
        this.cur = null;
        set_current(null as unknown as Task);
        this.subSteps = 0;
        t.io.fn(t.io.folio);
        t.state = TState.DONE;
      } else {
        this.cur = t;
        set_current(t);
        this.resume(t, known ? subSteps : 0);
      }
    } catch (e) {
      err = e;
    } finally {
      const f = this.tracker.end();
      if (inputs) {
        t.histA = lanes.a;
        t.histB = lanes.b;
      }
      this.tracker.hist = this.tracker.inputs;
      if (own && !inputs) install_model_hooks(sharedHooks()); // outside a step, as before
      this.checking = true;
      if (tracked) fp = f;
      this.tracker.flush();
    }
    if (known && t.io === null && this.subSteps !== subSteps) throw new Error(`check: the model is not deterministic: a replayed step of ${t.comm} ran ${this.subSteps} sub-steps, ${subSteps} when it ran afresh`);
    if (err !== null) {
      const msg = err instanceof Error ? err.message : String(err);
      const release = LOCK_RELEASE_FNS.some((f) => msg.startsWith(f));
      if (release && !this.model.invariants.has('lock-release')) return { fp, violation: null, aborted: true, woke, spawned };
      return { fp, violation: { invariant: release ? 'lock-release' : 'model-assertion', message: `${t.comm}: ${msg}` }, aborted: false, woke, spawned };
    }
    if (!check) return { fp, violation: null, aborted: false, woke, spawned };
    if (this.hookViolation !== null) return { fp, violation: this.hookViolation, aborted: false, woke, spawned };
    const on = this.model.invariants;
    if (on.has('bounded-retries') && t.retries > this.model.scenario.max_retries) {
      // t.retries is the task's own counter: a function of its own steps only.
      const violation: Violation = { invariant: 'bounded-retries', message: `${t.comm}'s ${t.opLabel} returned VM_FAULT_RETRY ${t.retries} times (bound: ${this.model.scenario.max_retries})` };
      return { fp, violation, aborted: false, woke, spawned };
    }
    if (fp === null) return { fp, violation: checkVmaState(this.obs, on, this.nameOf), aborted: false, woke, spawned };
    const s = checkStateTracked.call(this, fp, obsBefore);
    return { fp: s.fp, violation: s.violation, aborted: false, woke, spawned };
  }

  /** @internal (./executor-program.ts) */
  readonly preparePage = preparePage;

  /** @internal (./executor-state.ts) */
  readonly nameOf = (id: number): string => this.name(id);

  /**
   * The state at a step boundary, hashed to 64 bits (./executor-state.ts).
   */
  stateHash(): [number, number] {
    return stateHash.call(this);
  }

  /** The state invariants on the initial state (before any step). */
  initialViolation(): Violation | null {
    return checkVmaState(this.obs, this.model.invariants, this.nameOf);
  }

  /**
   * Run task `t` to the end of its next visible sub-step. A sub-step runs the
   * task from one effect to the next; one that read or wrote no shared field
   * (only task-local work: the code between a CPU charge and a POINT, say) is
   * independent of every other task's steps, so it is merged into the task's
   * next sub-step instead of ending a step: every interleaving of the finer
   * steps is equivalent to one where the invisible sub-step runs right before
   * the next (docs/checker.md, "Coarser steps"). Blocking, I/O submission and
   * the end of the program always end a step. `t.from` is the kernel step the
   * visible sub-step resumed from, for counterexamples.
   */
  private resume(t: CheckTask, known: number): void {
    this.subSteps = 0;
    for (;;) {
      this.subSteps++;
      t.from = t.pending;
      const before = this.tracker.accesses;
      const e = next_effect(t.stack, t.resumeValue);
      t.resumeValue = undefined;
      if (e === null) {
        t.state = TState.DONE;
        t.pending = 'exit';
        return;
      }
      switch (e.k) {
        case EffectKind.POINT:
          t.pending = e.what;
          break;
        case EffectKind.CPU:
          t.pending = e.then === -1 ? cpuLabel(e.cost) : `${cpuLabel(e.cost)}; ${cpuLabel(e.then)}`;
          break;
        case EffectKind.CPU_LAW:
          t.pending = 'swap_read_folio(folio, synchronous)';
          break;
        case EffectKind.SLEEP:
          t.pending = 'schedule_timeout';
          break;
        case EffectKind.BLOCK:
          t.state = TState.BLOCKED;
          t.pending = `woken in ${e.what}(${e.res.label})`;
          return;
        case EffectKind.SUBMIT: {
          this.spawnPseudo(`io${this.nextPseudo}`, e.end_io, e.folio);
          t.pending = `submit_bio: read ${e.folio.label} submitted`;
          return;
        }
      }
      if (known > 0 ? this.subSteps === known : !this.coarse || this.tracker.accesses !== before) return;
    }
  }

  /**
   * Sub-steps (effects) the last step's task ran (`resume`): kept with a step
   * run afresh (`saveLanes`), so that its replay runs as many without
   * logging field accesses. 0 for an I/O completion.
   */
  private subSteps = 0;

  /** @internal (./executor-program.ts) */
  spawnPseudo(comm: string, fn: (f: Folio) => void, folio: Folio): void {
    this.nextPseudo++;
    this.spawned.push(this.tasks.length);
    this.tasks.push(new CheckTask(this.tasks.length, comm, { fn, folio }));
  }

  /** @internal The forked child, a task of its own from fork's return: it exits at once (do_exit -> exit_mm -> mmput; ./executor-program.ts). */
  spawnChild(comm: string, mm: MmStruct): void {
    const t = new CheckTask(this.tasks.length, comm, null);
    t.opLabel = 'exit()';
    t.stack.push(exit_mm(mm));
    this.spawned.push(t.id);
    this.tasks.push(t);
  }

  private wake(t: CheckTask): void {
    if (t.state !== TState.BLOCKED) throw new Error(`wake_up_process(${t.comm}): task is not sleeping (lost or double wake-up)`);
    t.state = TState.RUNNABLE;
    this.woke.push(t.id);
  }

  // ---- observation hooks (src/model/custom.ts) ----

  /** @internal */
  record(inv: InvariantName, message: string): void {
    if (this.hookViolation === null && this.model.invariants.has(inv)) this.hookViolation = { invariant: inv, message };
  }

  /** @internal */
  who(): string {
    return this.cur !== null ? this.cur.comm : 'I/O completion';
  }


  /** Lock state after a step, compactly, for counterexamples. */
  lockState(): string {
    return lockState.call(this);
  }
}
