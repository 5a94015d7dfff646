/**
 * The exhaustive search's DPOR race handling (./dfs.ts; split out of it):
 * races found on each step (./races.ts), the events kept across replayed
 * prefixes, and the races of a pruned state's subtree summary. DfsScheduler
 * extends this class and owns the state it reads.
 */
import type { ThreadId, StepInfo } from './scheduler.js';
import type { Races, DporEvent } from './races.js';
import type { DporStats } from './dfs-stats.js';
import type { Summaries, Summary } from './summary.js';
import type { Footprint } from './track.js';
import type { CutTree, WalkFrom } from './cut-tree.js';
import { NondeterminismError, type Level, type ThreadLevel } from './dfs-levels.js';

export abstract class DfsRaces {
  protected abstract readonly levels: Level[];
  /** Levels below this index replay the previous execution. */
  protected abstract prefixEnd: number;
  protected abstract lastThreadLevel: number;
  protected abstract readonly summaries: Summaries | null;
  protected abstract races: Races;
  /** Precise cut summaries (./cut-tree.ts), or null: the coarse rule. */
  protected abstract readonly tree: CutTree | null;
  /** The final subtree summary of a stored state by entry number (null: DPOR without summaries). */
  protected abstract sumOfEntry(n: number): Summary | undefined;
  abstract readonly keepsReplayed: boolean;
  abstract readonly dporStats: DporStats;
  /** Races reported by a pruned state's summary are being handled (for dporStats). */
  private inPrune = false;

  /**
   * DPOR with state caching, at a pruned state: the races its subtree's
   * steps would have had with the current path (./races.ts), and the
   * subtree's summary joins the current path's.
   */
  protected prune(sum: Summary, runnable: readonly ThreadId[], entry: number): void {
    const sums = this.summaries!;
    this.inPrune = true;
    const tree = this.tree;
    // Precise cut summaries: walk the stored states only for the tasks the
    // coarse rule would add to the racing level's backtrack set.
    const precise = tree === null ? null : (e: DporEvent, coarse: readonly ThreadId[], from: () => WalkFrom): readonly ThreadId[] | null => {
      const bt = (this.levels[e.level] as ThreadLevel).backtrack;
      let want = 0;
      for (const u of coarse) if (bt !== null && !bt.has(u) && u <= 30) want |= 1 << u;
      if (want === 0) return null; // nothing to add (the coarse rule adds nothing either)
      if (coarse.some((u) => u > 30)) {
        this.dporStats.preciseFallback++;
        this.dporStats.fallbackWhy.wide++;
        return null;
      }
      const f = from();
      f.want = want;
      const m = tree.walk(entry, f, sums, (n) => this.sumOfEntry(n));
      if (m === null) {
        this.dporStats.preciseFallback++;
        this.dporStats.fallbackWhy[tree.gaveUp]++;
        return null;
      }
      this.dporStats.precise++;
      return coarse.filter((u) => (m & (1 << u)) !== 0);
    };
    this.races.pruned(sum, sums, runnable, (e, q, exact) => this.race(e, q, exact), precise);
    this.inPrune = false;
    const p = this.lastThreadLevel >= 0 ? (this.levels[this.lastThreadLevel] as ThreadLevel) : null;
    if (p !== null) sums.union(p.sum ??= sums.empty(), sum);
  }

  /**
   * DPOR, at the start of an execution: keep the race detector's events of
   * the previous execution's steps that this one replays as they were
   * recorded (./races.ts `truncate`), instead of recording them again. A
   * replayed step is recorded with its level's footprint (the union over
   * its data choices, `fps`), so an event is kept only while it is exactly
   * that object: the state is then the one replaying would build, and the
   * steps from the first other event on are recorded as before.
   */
  protected keepRaces(): void {
    const r = this.races;
    let k = 0;
    for (; this.keepsReplayed && k < r.size; k++) {
      const e = r.event(k);
      if (e.level >= this.prefixEnd) break;
      const l = this.levels[e.level];
      if (l === undefined || l.kind !== 't' || l.taken !== e.tid || l.fps.get(e.tid) !== e.fp) break;
    }
    r.truncate(k);
    this.raceStep = 0;
  }

  /** Steps of the current execution seen by the race detector (DPOR). */
  private raceStep = 0;

  /** Race detection for the step just run (./races.ts). */
  protected detectRaces(t: ThreadId, fp: Footprint | null, info: StepInfo): void {
    const li = this.lastThreadLevel;
    const j = this.raceStep++;
    if (j < this.races.size) {
      // Kept from the previous execution (keepRaces): a replayed step.
      const e = this.races.event(j);
      if (fp !== null || e.tid !== t || e.level !== li) throw new NondeterminismError(`check: the race detector's kept step ${j} (task ${e.tid} at level ${e.level}) is not the replayed one (task ${t} at level ${li})`);
      return;
    }
    const l = this.levels[li] as ThreadLevel;
    const f = fp ?? l.fps.get(t);
    if (f === undefined) throw new Error(`check: no footprint recorded for task ${t} at level ${li}`);
    this.races.step(t, li, f, fp !== null, info, (e, q, exact) => this.race(e, q, exact));
  }

  /**
   * Event `e` races with the step just run; `initials` can start the race's
   * reversal at e's level (null: any task). Source sets (./races.ts): if one
   * of them is in the level's backtrack set (run, running or to run there),
   * the reversal is explored already; else one is added, the first not
   * asleep there. Every runnable task when the initials are unknown; every
   * one of `initials` when it only contains them (`exact` false).
   */
  private race(e: DporEvent, initials: readonly ThreadId[] | null, exact: boolean): void {
    const l = this.levels[e.level] as ThreadLevel;
    const bt = l.backtrack;
    if (bt === null) return;
    const n = bt.size;
    const init = initials?.filter((u) => l.runnable.includes(u));
    if (init === undefined || (exact && init.length === 0)) for (const u of l.runnable) bt.add(u);
    else if (!exact) for (const u of init) bt.add(u);
    else if (!init.some((u) => bt.has(u))) bt.add(init.find((u) => !l.sleep.has(u)) ?? init[0]!);
    this.dporStats.added += bt.size - n;
    if (this.inPrune) this.dporStats.addedPruned += bt.size - n;
  }
}
