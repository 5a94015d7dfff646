// Diagnostic (not kept): the bound of restart points below the root (issue 15, thirteenth part;
// docs/checker.md "Restart points at frame checkpoints"). After `npm run build`:
//   node scratch/restart-bound.mjs CONFIG [MAX_EXECUTIONS] [SAMPLE]
// Task codes per level: 0 done / not started; 2 at a do_user_addr_fault checkpoint; 3 at a nested fault
// checkpoint (filemap_fault, lock_mm_and_find_vma); 4 at a dup_mmap / do_mprotect_pkey checkpoint (each:
// nothing read, written, registered or chosen after it in the task's step); 5 asleep in a lock its step took
// from a point coded 0-4; 6 asleep otherwise; 7 not resumable. `bound[k]`: a level is a restart point when every
// task's code is <= k. SAMPLE: every SAMPLE-th fresh level that qualifies (k <= 4) gets a timed World capture.
import { DfsScheduler, INVARIANT_NAMES, loadCheckScenario, search, Execution, Tracker } from '../dist/src/check/index.js';
import { World } from '../dist/src/check/world.js';
import * as model from '../dist/src/model/index.js';
import { faultStrategy, forkStrategy } from '../dist/src/strategies/index.js';

const [name, maxArg, sampleArg] = process.argv.slice(2);
const SAMPLE = Number(sampleArg ?? 97); const capS = []; const eligible = {2: 0, 3: 0, 4: 0, 5: 0, 6: 0};
const policy = name.startsWith('HOLD') ? 'HOLD' : 'DROP';
const nfault = Number(name.split('-')[1]);
const maxExecutions = maxArg ? Number(maxArg) : null;

// ---- raw access counter (every read, write, registration, data choice; not deduplicated) ----
let raw = 0, inEnd = false;
const P = Tracker.prototype;
for (const k of ['read', 'write', 'register', 'choice']) {
  const f = P[k];
  P[k] = function (...a) { if (!inEnd && this.probeReads === null) raw++; return f.apply(this, a); };
}
const end0 = P.end;
P.end = function () { inEnd = true; try { return end0.call(this); } finally { inEnd = false; } };

const KIND = {
  retry_vma: 2, lock_mmap: 2, vma_handle_mm_fault: 2, vma_fault_ret: 2, mmap_handle_mm_fault: 2, mmap_fault_ret: 2, fault_retry_ret: 2,
  lock_mm_locked: 3, filemap_ra: 3, filemap_lock: 3, filemap_locked: 3, filemap_async_ra: 3, filemap_sync_ra: 3, filemap_entry: 3, filemap_dropped: 3,
  dup_mmap_vma: 4, dup_mmap_end: 4, dup_mmap_dup: 4, dup_mmap_copy: 4, mprotect_locked: 4, mprotect_vma_locked: 4,
};
const siteCount = new Map();
let curEx = null;
let patched = null;
let frameCalls = 0; const gap = new Map(); const pendAt = [[]];
function patchFrame() {
  const h = model.hooks;
  if (h === patched || h.frame.__diag) return;
  const f = h.frame;
  const g = function (site, live) {
    const t = curEx?.cur;
    if (t != null && KIND[site] !== undefined) { t.__mark = raw; t.__kind = KIND[site]; t.__site = site; frameCalls++; }
    return f.call(this, site, live);
  };
  g.__diag = true;
  h.frame = g;
  patched = h;
}

// ---- per level state along the current DFS path ----
const codes = [[]];   // codes[i]: per task code after step i (0 not started/done, 2..4 at a checkpoint of that kind, 7 unclean)
const lev = [0];      // max code
const siteAt = [[]];
const node = [0];     // fresh-run id of level i
let nodeSeq = 0;
const KS = [0, 2, 3, 4, 5, 6];
const tot = { exec: 0, steps: 0, replayed: 0, saved: Object.fromEntries(KS.map((k) => [k, 0])), restarts: Object.fromEntries(KS.map((k) => [k, 0])) };
const used = Object.fromEntries(KS.map((k) => [k, new Set()]));
const maxLive = Object.fromEntries(KS.map((k) => [k, 0]));
const hist = Object.fromEntries(KS.map((k) => [k, new Map()]));  // blocking reason histogram: which task code blocks deepest
const blocker = new Map(); // at the replayed prefix's last level, sites/pending of unclean tasks
let exN = 0, exReplay = 0;
let freshNs = 0n, freshCount = 0, replayNs = 0n, replayCount = 0, restoreNs = 0n, restoreCount = 0, captureNs = 0n, captureCount = 0, captureObjs = 0, rootObjs = 0;

function finishExecution() {
  if (curEx === null) return;
  const p = exReplay;
  tot.exec++; tot.steps += exN; tot.replayed += p;
  for (const k of KS) {
    let L = p;
    while (L > 0 && lev[L] > k) L--;
    tot.saved[k] += L;
    if (L > 0) { tot.restarts[k]++; used[k].add(node[L]); }
    let live = 0;
    for (let i = 1; i <= exN; i++) if (lev[i] <= k) live++;
    if (live > maxLive[k]) maxLive[k] = live;
  }
  if (p > 0) {
    // what makes the last replayed level unresumable (for the best bound, k = 4)
    const c = codes[p];
    for (let t = 0; t < c.length; t++) if (c[t] >= 5) {
      const key = `${curEx.tasks[t].comm}: ${pendAt[p][t]}`;
      blocker.set(key, (blocker.get(key) ?? 0) + 1);
    }
  }
}

const step0 = Execution.prototype.step;
Execution.prototype.step = function (id, tracked, check, replay = false, subSteps = 0) {
  if (this !== curEx) {
    finishExecution();
    curEx = this; exN = 0; exReplay = 0;
  }
  patchFrame();
  const i = ++exN;
  if (replay) {
    exReplay = i;
    const t0 = process.hrtime.bigint();
    const out = step0.call(this, id, tracked, check, replay, subSteps);
    replayNs += process.hrtime.bigint() - t0; replayCount++;
    return out;
  }
  const t = this.tasks[id];
  t.__mark = -1;
  const f0 = process.hrtime.bigint();
  const out = step0.call(this, id, tracked, check, replay, subSteps);
  freshNs += process.hrtime.bigint() - f0; freshCount++;
  const rawEnd = raw; // (end()'s container writes are not counted)
  const prev = codes[i - 1];
  const c = new Array(this.tasks.length).fill(0);
  for (let k = 0; k < prev.length; k++) c[k] = prev[k];
  if (t.state === 2 /* DONE */) c[id] = 0;
  else if (t.__mark >= 0 && t.__mark === rawEnd) c[id] = t.__kind;
  else c[id] = t.state === 1 /* BLOCKED */ ? ((prev[id] ?? 0) <= 4 ? 5 : 6) : 7;
  if (t.__mark >= 0) { const key = `${t.__site} +${rawEnd - t.__mark} -> ${t.pending}`; gap.set(key, (gap.get(key) ?? 0) + 1); }
  codes[i] = c; lev[i] = Math.max(...c); node[i] = ++nodeSeq;
  for (const k of [2, 3, 4, 5, 6]) if (lev[i] <= k) eligible[k]++;
  const pa = this.tasks.map((o, k) => k === id ? (c[k] === 7 ? `${o.pending} (${t.__mark >= 0 ? t.__site + ' +' + (rawEnd - t.__mark) : 'no checkpoint in the step'})` : '') : pendAt[i - 1]?.[k] ?? '');
  pendAt[i] = pa;
  if (lev[i] <= 4 && i > 0 && (nodeSeq % SAMPLE) === 0) {
    // a snapshot of this state's World (what a restart point must keep), timed
    const w = new World();
    const t0 = process.hrtime.bigint();
    w.capture(this.model, this.mask, this, { mm: this.mm, cachep: this.cachep });
    const dt = process.hrtime.bigint() - t0; capS.push(Number(dt) / 1e3); captureNs += dt; captureCount++; captureObjs += this.tracker.objects.length;
  }
  return out;
};
const restore0 = World.prototype.restore;
World.prototype.restore = function (...a) {
  const t0 = process.hrtime.bigint();
  const r = restore0.apply(this, a);
  if (r !== null) { restoreNs += process.hrtime.bigint() - t0; restoreCount++; rootObjs = a[2].tracker.objects.length; }
  return r;
};

const scenario = loadCheckScenario('check-spin-anchor', { nfault });
const m = { scenario, fault: faultStrategy(policy === 'HOLD' ? 'hold-io+mmap' : 'mainline'), fork: forkStrategy('fork-lock-all'), injections: [], invariants: new Set(INVARIANT_NAMES), stateCache: true };
const mask = scenario.threads.map((t) => t.ops.length);
const sched = new DfsScheduler({ nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache: true, preciseCuts: true });
const s0 = process.hrtime.bigint();
const out = search(m, sched, { maxSteps: 4000, maxExecutions });
const searchNs = process.hrtime.bigint() - s0;
finishExecution();
const pct = (a, b) => (100 * a / b).toFixed(2) + ' %';
const res = {
  config: name, executions: out.stats.executions, steps: out.stats.steps, new_steps: out.stats.newSteps, stored: out.stats.stored,
  diag_steps: tot.steps, replayed: tot.replayed,
  bound: Object.fromEntries(KS.map((k) => [k, { saved: tot.saved[k], share: pct(tot.saved[k], tot.replayed), executions_restarting: tot.restarts[k], distinct_restart_states: used[k].size, max_on_path: maxLive[k] }])),
  search_s: Number(searchNs) / 1e9, replayed_steps_s: Number(replayNs) / 1e9, fresh_steps_s: Number(freshNs) / 1e9, root_restores_s: Number(restoreNs) / 1e9,
  replay_step_us: Number(replayNs / BigInt(Math.max(1, replayCount))) / 1e3,
  root_restore_us: Number(restoreNs / BigInt(Math.max(1, restoreCount))) / 1e3, root_objects: rootObjs,
  capture_median_us: capS.sort((a, b) => a - b)[capS.length >> 1], eligible_fresh_levels: eligible,
  capture_us: Number(captureNs / BigInt(Math.max(1, captureCount))) / 1e3, capture_samples: captureCount, capture_objects_mean: captureObjs / Math.max(1, captureCount),
};
console.log(JSON.stringify(res, null, 1));
const top = [...blocker].sort((a, b) => b[1] - a[1]).slice(0, 25);
console.log('frame calls', frameCalls); for (const [k, n] of [...gap].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(String(n).padStart(8), k);
console.log('unresumable tasks at the last replayed level (task: pending):');
for (const [k, n] of top) console.log(`${String(n).padStart(8)}  ${k}`);
