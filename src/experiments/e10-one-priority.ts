/**
 * Experiment 10. Jan Kara, 2026-05-03 13:13: "BTW I'm not sure I quite
 * understand Barry's priority inversion problem since I'd expect all threads
 * of a task to generally be treated with the same priority..."; 2026-05-04
 * 13:03: "Again, this is a clasification of tasks but not really of threads
 * in a task so at least for VMA lock there's no inversion so have?"
 *
 * Experiment 4's app (throttled background reads) run again with every
 * thread in one class (DEFAULT): how much of the inversion disappears? The
 * inversion figure is 0 by definition then, so the time main and
 * RenderThread spend behind other threads is also measured by class-blind
 * observers, with the original classes used only to label the blockers.
 */
import type { PriorityClass, Scenario } from '../scenario/types.js';
import { frameColumns, throttleBackground } from './e04-chain.js';
import { BlockedBehind } from './observers.js';
import { cellOf, pooled } from './run.js';
import type { Experiment } from './types.js';

/** Every thread in one class (the class map the observers use is taken from `base`). */
export function onePriority(base: Scenario, cls: PriorityClass = 'DEFAULT'): Scenario {
  const sc = structuredClone(base);
  for (const th of sc.threads) th.class = cls;
  return sc;
}

/** The class of each thread in `sc`, by name. */
function originalClasses(sc: Scenario): (comm: string) => PriorityClass {
  const m = new Map(sc.threads.map((t) => [t.name, t.class] as const));
  return (comm) => m.get(comm) ?? 'DEFAULT';
}

const sum = (v: number[] | undefined): number => (v ?? []).reduce((a, b) => a + b, 0);

export const onePriorityExp: Experiment = {
  name: 'one-priority',
  number: 10,
  title: 'all threads of the process in one priority class',
  question: 'When every thread of the app has the same priority, how much of the priority inversion (and of the waiting behind other threads) disappears?',
  source: 'Jan Kara, 2026-05-03 13:13 UTC and 2026-05-04 13:03 UTC',
  scenario: 'exp-frames',
  variants: (base) => {
    const throttled = throttleBackground(base);
    return [
      { label: 'classes', scenario: throttled, base: throttled },
      { label: 'all DEFAULT', scenario: onePriority(throttled), base: throttled },
    ];
  },
  faults: ['mainline', 'hold-io'],
  forks: ['fork-lock-all'],
  seeds: 3,
  seed: 1,
  // The class map is the original one (the variant's base), in both variants.
  extras: (sc, v) => [new BlockedBehind(sc.warmup, originalClasses(v.base ?? sc))],
  tables: [
    {
      title: 'main and RenderThread: inversion, and time asleep behind other threads (per seed)',
      columns: [
        { label: 'UI inverted', unit: 'ns', figure: 'inversion.USER_INTERACTIVE.inverted_time' },
        { label: 'behind others', unit: 'ns', figure: (r) => sum(r.samples['behind_others.USER_INTERACTIVE']) },
        { label: 'behind lower', unit: 'ns', figure: (r) => sum(r.samples['behind_lower.USER_INTERACTIVE']) },
        { label: 'fault p99.9', unit: 'ns', figure: 'ops.all.fault.p99.9' },
      ],
    },
    { title: 'frames of main and RenderThread', columns: frameColumns },
  ],
  notes: [
    'classes: experiment 4\'s app with the background threads\' reads throttled (10-250 ms); all DEFAULT: the same with every thread in class DEFAULT (no preemption between them, no inversion by definition: "UI inverted" is then absent).',
    'behind others: time main and RenderThread slept behind another thread (any wait except on their own I/O); behind lower: the part whose blocking chain, when the wait began, held a thread that is lower than USER_INTERACTIVE in the original classes. Both are class-blind and read the same in both variants.',
    'fault p99.9: over all threads\' faults (with one class there is no USER_INTERACTIVE row to split out).',
  ],
  headline(r) {
    const c = (f: string, v: string) => cellOf(r, f, { variant: v });
    const behind = (f: string, v: string) => sum(pooled(c(f, v), 'behind_lower.USER_INTERACTIVE')) / c(f, v).runs.length;
    const miss = (f: string, v: string) => c(f, v).runs.reduce((s, x) => s + (x.figures.get('frames.any.missed_16.7ms') ?? 0), 0);
    const a = behind('hold-io', 'classes'), b = behind('hold-io', 'all DEFAULT');
    const text = `hold-io: main and RenderThread slept ${(a / 1e6).toFixed(0)} ms/seed behind lower-class threads with classes, ` +
      `${(b / 1e6).toFixed(0)} ms/seed behind the same threads with one class (${((1 - b / Math.max(a, 1)) * 100).toFixed(0)}% less); ` +
      `frames over 16.7 ms: ${miss('hold-io', 'classes')} and ${miss('hold-io', 'all DEFAULT')}; mainline ${miss('mainline', 'classes')} and ${miss('mainline', 'all DEFAULT')}. ` +
      `One priority removes the label "inversion", not the wait.`;
    const holds = a > 0 && b > 0.5 * a && miss('hold-io', 'all DEFAULT') > 0.5 * miss('hold-io', 'classes');
    return { text, holds };
  },
};

