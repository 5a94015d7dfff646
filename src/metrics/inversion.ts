/**
 * Priority inversion and blocking chains.
 *
 * A blocked task's blocking chain is every task it waits behind: the tasks
 * `res.blockers(task)` returns for the resource it sleeps on, and, for each of
 * those that is itself blocked, the tasks behind which that one waits, and so
 * on (self-references and cycles are skipped). The task is *inverted* while
 * any task on its chain has a larger priority rank (lower priority) than its
 * own. Chains are re-evaluated at every `blocked` and `woken` event; between
 * events they are taken as constant.
 */
import type { Task, WaitResource } from '../model/index.js';
import { doubleFields, objectArray } from '../model/shapes.js';
import type { PriorityClass } from '../scenario/types.js';
import type { WaitClass } from '../sim/observer.js';
import type { ChainRecord, ClassInversion, InversionMetrics } from './types.js';

interface Blocked {
  task: Task;
  cls: PriorityClass;
  res: WaitResource;
  wait: WaitClass;
  /** From the last evaluation. */
  inverted: boolean;
  chainLength: number;
  chain: Task[];
}

export class InversionTracker {
  private readonly blocked = new Map<number, Blocked>();
  private readonly prios = new Set<number>();
  private readonly byClass = new Map<PriorityClass, ClassInversion>();
  private longest: ChainRecord | null = null;
  private lastEval = 0;
  private readonly scratch: Task[] = objectArray();

  constructor(private readonly warmup: number) {
    doubleFields(this, ['lastEval']); // a time in ns, past 2^31 in a long run (model/shapes.ts)
  }

  /** A task of this priority exists (chains only matter with two or more). */
  notePriority(prio: number): void {
    this.prios.add(prio);
  }

  get analysed(): boolean {
    return this.prios.size > 1;
  }

  blockedOn(t: number, task: Task, cls: PriorityClass, res: WaitResource, wait: WaitClass): void {
    this.notePriority(task.prio);
    if (!this.analysed) {
      // A holder may not have shown itself in any event yet: look at it now.
      const out = this.scratch;
      out.length = 0;
      res.blockers(task, out);
      for (const b of out) this.notePriority(b.prio);
    }
    this.advance(t);
    this.blocked.set(task.id, { task, cls, res, wait, inverted: false, chainLength: 1, chain: [task] });
    this.evaluate();
  }

  woken(t: number, task: Task): void {
    this.advance(t);
    this.blocked.delete(task.id);
    this.evaluate();
  }

  finish(t: number): void {
    this.advance(t);
  }

  result(classes: readonly PriorityClass[]): InversionMetrics {
    const byClass: Partial<Record<PriorityClass, ClassInversion>> = {};
    for (const c of classes) byClass[c] = { ...this.stats(c) };
    return { analysed: this.analysed, byClass, longestChain: this.longest };
  }

  /** Account the interval [lastEval, t) with the chains of the last evaluation. */
  private advance(t: number): void {
    if (t > this.warmup && this.analysed) {
      // The later of the two read from the double field (not Math.max's small integer): the subtraction's feedback is a double's.
      const last = this.lastEval, warmup = this.warmup;
      const from = last > warmup ? last : warmup;
      for (const b of this.blocked.values()) {
        const s = this.stats(b.cls);
        if (b.inverted && t > from) s.invertedTime += t - from;
        if (b.chainLength > s.maxChain) s.maxChain = b.chainLength;
        if (this.longest === null || b.chainLength > this.longest.length) {
          this.longest = { length: b.chainLength, chain: this.render(b.chain), at: from };
          doubleFields(this.longest, ['at']); // a time in ns: not a small-integer field that a later record's time turns double
        }
      }
    }
    this.lastEval = t;
  }

  private evaluate(): void {
    if (!this.analysed) return;
    const memo = new Map<number, Task[]>();
    for (const b of this.blocked.values()) {
      const path = this.longestPath(b.task, new Set([b.task.id]), memo).path;
      b.chain = path;
      b.chainLength = path.length;
      b.inverted = this.hasLowerPriority(b.task);
    }
  }

  /** Is any task on `root`'s chain of lower priority than `root`? */
  private hasLowerPriority(root: Task): boolean {
    const seen = new Set<number>([root.id]);
    const stack: Task[] = [root];
    while (stack.length !== 0) {
      const w = stack.pop()!;
      for (const b of this.blockersOf(w)) {
        if (seen.has(b.id)) continue;
        if (b.prio > root.prio) return true;
        seen.add(b.id);
        stack.push(b);
      }
    }
    return false;
  }

  /**
   * The longest chain from `w` (w first), not revisiting tasks on `onPath`.
   * Memoised per evaluation, which keeps a queue of many writers (each behind
   * all those ahead) linear instead of exponential. A result cut short by a
   * cycle depends on the path it was reached by, so it is not memoised.
   */
  private longestPath(w: Task, onPath: Set<number>, memo: Map<number, Task[]>): { path: Task[]; cut: boolean } {
    const known = memo.get(w.id);
    if (known !== undefined) return { path: known, cut: false };
    let best: Task[] = [];
    let cut = false;
    for (const b of this.blockersOf(w)) {
      if (onPath.has(b.id)) {
        cut = true;
        continue;
      }
      onPath.add(b.id);
      const r = this.longestPath(b, onPath, memo);
      onPath.delete(b.id);
      cut ||= r.cut;
      if (r.path.length > best.length) best = r.path;
    }
    const path = [w, ...best];
    if (!cut) memo.set(w.id, path);
    return { path, cut };
  }

  /** Tasks `w` waits behind directly (none unless w is blocked), self excluded. */
  private blockersOf(w: Task): Task[] {
    const b = this.blocked.get(w.id);
    if (b === undefined) return [];
    const out = this.scratch;
    out.length = 0;
    b.res.blockers(w, out);
    return out.filter((x) => x.id !== w.id);
  }

  private render(chain: Task[]): string {
    const names = chain.map((t) => t.comm);
    const last = this.blocked.get(chain[chain.length - 1]!.id);
    if (last !== undefined && last.wait === 'io') names.push('io');
    return names.join(' -> ');
  }

  private stats(cls: PriorityClass): ClassInversion {
    let s = this.byClass.get(cls);
    if (s === undefined) {
      this.byClass.set(cls, s = { invertedTime: 0, maxChain: 0 });
      doubleFields(s, ['invertedTime']); // a sum of times in ns: a double from the first class on
    }
    return s;
  }
}
