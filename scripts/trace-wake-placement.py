#!/usr/bin/env python3
"""Where the kernel places a task woken while a writer runs, from an ftrace
text dump (docs/calibration.md "What delays a real writer on the idle host,
traced (tenth session)"; an investigation tool, not part of the build or the
tests).

    scripts/trace-wake-placement.py TRACE WRITER_COMM WAKEE_PREFIX[,PREFIX] MODE

MODE is `mprotect` (the writer's sys_mprotect calls), `write-wait` (the
writer's mmap_lock write waits: start_locking to acquire_returned) or `fork`
(the writer's sys_clone calls) or `write-hold` (start_locking to released: a
fork's dup_mmap when the forker calls clone3); the children the writer wakes
(sched_wakeup_new) are reported too.
The trace needs sched_switch, sched_waking, sched_wakeup, sched_wakeup_new,
sched_migrate_task and the syscalls / mmap_lock events of MODE (the events of
/work/traces/take.sh). Times are the trace's, in µs.

For each sched_waking of a wakee (a thread whose comm starts with a prefix)
that falls inside one of the writer's intervals, it prints: the waking CPU
and context (hard interrupt or task), the wakee's previous CPU (waking's
target_cpu), the CPU the wakeup chose (sched_wakeup's target_cpu), what the
writer's CPU and the other CPU ran at that moment (idle, a wakee, the
writer, other), each CPU's runnable count (running + queued, from the
switch/wakeup/migrate events), whether the wakee migrated before it ran and
where it ran, and, when it preempted the writer, how long the writer waited
to run again.
"""
import collections
import re
import sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+):\s+(\w+)(.*)$')


def field(rest, name, pat=r'(\S+)'):
    m = re.search(r'\b' + name + '=' + pat, rest)
    return m.group(1) if m else ''


def pct(a, q):
    a = sorted(a)
    return a[min(len(a) - 1, int(q * len(a)))] if a else float('nan')


def main():
    path, wcomm, prefixes, mode = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(',')), sys.argv[4]
    ev = []
    for line in open(path):
        m = LINE.match(line)
        if m:
            comm, pid, cpu, flags, ts, name, rest = m.groups()
            ev.append((float(ts) * 1e6, int(cpu), comm, int(pid), flags, name, rest))
    ev.sort(key=lambda e: e[0])
    wpid = next(e[3] for e in ev if e[2] == wcomm)
    wakees = {e[3] for e in ev if e[2].startswith(prefixes) and e[3] != wpid}
    for e in ev:
        if e[5] in ('sched_waking', 'sched_wakeup') and field(e[6], 'comm', r'(.+?) pid').startswith(prefixes):
            wakees.add(int(field(e[6], 'pid')))
    wakees.discard(wpid)

    # the writer's intervals
    iv, st = [], None
    for t, cpu, comm, pid, fl, name, rest in ev:
        if pid != wpid:
            continue
        if mode == 'mprotect' and name == 'sys_mprotect':
            if rest.startswith('('):
                st = t
            elif st is not None:
                iv.append((st, t))
                st = None
        elif mode == 'fork' and name == 'sys_clone':
            if rest.startswith('('):
                st = t
            elif st is not None:
                iv.append((st, t))
                st = None
        elif mode == 'write-hold' and name == 'mmap_lock_start_locking' and 'write=true' in rest:
            st = t
        elif mode == 'write-hold' and name == 'mmap_lock_released' and 'write=true' in rest and st is not None:
            iv.append((st, t))
            st = None
        elif mode == 'write-wait' and name == 'mmap_lock_start_locking' and 'write=true' in rest:
            st = t
        elif mode == 'write-wait' and name == 'mmap_lock_acquire_returned' and 'write=true' in rest and st is not None:
            iv.append((st, t))
            st = None
    starts = [a for a, _ in iv]

    def within(t):
        import bisect
        k = bisect.bisect_right(starts, t) - 1
        return k if k >= 0 and iv[k][0] <= t <= iv[k][1] else -1

    # replay: current task per CPU, runnable set per CPU
    curr = {0: 0, 1: 0}
    where = {}          # pid -> cpu it is queued or running on (runnable only)
    lastcpu = {}
    rows = []           # one per wakee waking inside an interval
    pending = {}        # wakee pid -> row awaiting its wakeup / first run
    wout = None         # (t, row) writer preempted by a wakee, waiting to run again
    wwaits = []
    new_rows = []

    def nr(c):
        return sum(1 for p, x in where.items() if x == c)

    def kind(p):
        if p == 0:
            return 'idle'
        if p == wpid:
            return 'writer'
        if p in wakees:
            return 'wakee'
        return 'other'

    sw_in = {}
    allpend, allrows = {}, []
    for t, cpu, comm, pid, fl, name, rest in ev:
        if name != 'sched_switch':
            curr[cpu] = pid         # an event's pid is the CPU's current task, in an interrupt too
        if name == 'sched_switch':
            pp, np_ = int(field(rest, 'prev_pid')), int(field(rest, 'next_pid'))
            ps = field(rest, 'prev_state')
            if sw_in.get(cpu) not in (pp, 0, None):
                # a task whose own switch-out the trace does not show (the VM's agent): it left the CPU unseen
                where.pop(sw_in[cpu], None)
            sw_in[cpu] = np_
            if pp:
                lastcpu[pp] = cpu
                if ps.startswith('R'):
                    where[pp] = cpu
                else:
                    where.pop(pp, None)
            if np_:
                where[np_] = cpu
            curr[cpu] = np_
            if pp == wpid and ps.startswith('R') and np_ in wakees:
                k = within(t)
                if k >= 0:
                    wout = [t, np_, k]
            if np_ == wpid and wout is not None:
                wwaits.append((t - wout[0], wout[1], wout[2]))
                wout = None
            if np_ in pending:
                r = pending.pop(np_)
                r['ran_cpu'] = cpu
                r['delay'] = t - r['t']
                r['preempted_writer'] = pp == wpid and ps.startswith('R')
        elif name == 'sched_waking':
            p = int(field(rest, 'pid'))
            if p in wakees:
                pv = int(field(rest, 'target_cpu'))
                allpend[p] = [kind(curr.get(pv, 0)), kind(curr.get(1 - pv, 0)), nr(pv), nr(1 - pv),
                              'hardirq' if 'h' in fl[:3] else 'task', cpu == pv, pv, within(t) >= 0,
                              cpu, nr(cpu), nr(1 - cpu), curr.get(cpu) == p]
                k = within(t)
                if k >= 0:
                    wc = lastcpu.get(wpid)
                    r = {'t': t, 'k': k, 'wcpu': cpu, 'hard': 'h' in fl[:3], 'prev': int(field(rest, 'target_cpu')),
                         'writer_cpu': wc, 'writer_on': curr.get(wc) == wpid,
                         'other': kind(curr.get(1 - wc, 0)) if wc is not None else '?',
                         'nr': {c: nr(c) for c in (0, 1)}, 'target': None, 'migrated': False, 'ran_cpu': None}
                    rows.append(r)
                    pending[p] = r
        elif name == 'sched_wakeup':
            p = int(field(rest, 'pid'))
            if p in allpend:
                a = allpend.pop(p)
                a.append(int(field(rest, 'target_cpu')))
                allrows.append(a)
            where[p] = int(field(rest, 'target_cpu'))
            if p in pending and pending[p]['target'] is None:
                pending[p]['target'] = int(field(rest, 'target_cpu'))
        elif name == 'sched_wakeup_new':
            p = int(field(rest, 'pid'))
            tc = int(field(rest, 'target_cpu'))
            if pid == wpid:
                wc = cpu
                new_rows.append({'t': t, 'target': tc, 'parent_cpu': wc, 'other': kind(curr.get(1 - wc, 0)),
                                 'nr': {c: nr(c) for c in (0, 1)}})
            where[p] = tc
        elif name == 'sched_migrate_task':
            p = int(field(rest, 'pid'))
            if p in where:
                where[p] = int(field(rest, 'dest_cpu'))
            if p in pending:
                pending[p]['migrated'] = True

    d = [b - a for a, b in iv]
    print(f'writer {wcomm} ({wpid}); wakees {sorted(wakees)}; {mode} intervals {len(iv)}: '
          f'p50 {pct(d, .5):.0f} p90 {pct(d, .9):.0f} p99 {pct(d, .99):.0f} µs, total {sum(d):.0f} µs')
    rows = [r for r in rows if r['target'] is not None]
    print(f'wakee wakings inside an interval: {len(rows)}')
    tab = collections.Counter()
    for r in rows:
        on_w = r['target'] == r['writer_cpu']
        tab[('placed on the writer\'s CPU' if on_w else 'placed on the other CPU',
             'prev=writer CPU' if r['prev'] == r['writer_cpu'] else 'prev=other CPU',
             'waker on writer CPU' if r['wcpu'] == r['writer_cpu'] else 'waker on other CPU',
             'hardirq' if r['hard'] else 'task',
             'other CPU ' + r['other'])] += 1
    for k, n in sorted(tab.items(), key=lambda x: -x[1]):
        print(f'  {n:5d}  ' + ' | '.join(k))
    onw = [r for r in rows if r['target'] == r['writer_cpu'] and r['writer_on']]
    print(f'placed on the writer\'s CPU while the writer ran there: {len(onw)}; '
          f'the other CPU then: {dict(collections.Counter(r["other"] for r in onw))}')
    print('  runnable (running + queued) on (writer CPU, other CPU) before the wake-up: ',
          dict(collections.Counter((r['nr'][r['writer_cpu']], r['nr'][1 - r['writer_cpu']]) for r in onw).most_common(8)))
    print('  migrated before it ran:', sum(r['migrated'] for r in onw),
          '; ran on the other CPU:', sum(1 for r in onw if r['ran_cpu'] is not None and r['ran_cpu'] != r['writer_cpu']),
          '; preempted the writer:', sum(1 for r in onw if r.get('preempted_writer')))
    dl = [r['delay'] for r in onw if r.get('delay') is not None]
    print(f'  waking to running: p50 {pct(dl, .5):.1f} p90 {pct(dl, .9):.1f} max {max(dl) if dl else 0:.1f} µs')
    oth = [r for r in rows if r['target'] != r['writer_cpu']]
    dl = [r['delay'] for r in oth if r.get('delay') is not None]
    print(f'placed on the other CPU: {len(oth)}; other CPU then {dict(collections.Counter(r["other"] for r in oth))}; '
          f'waking to running p50 {pct(dl, .5):.1f} p90 {pct(dl, .9):.1f} µs')
    ws = [w for w, _, _ in wwaits]
    print(f'writer preempted by a wakee inside an interval: {len(ws)} times in {len({k for _, _, k in wwaits})} intervals; '
          f'off-CPU p50 {pct(ws, .5):.1f} p90 {pct(ws, .9):.1f} max {max(ws) if ws else 0:.1f} µs, total {sum(ws):.0f} µs')
    hit = {k for _, _, k in wwaits}
    dh = [iv[k][1] - iv[k][0] for k in hit]
    dn = [iv[k][1] - iv[k][0] for k in range(len(iv)) if k not in hit]
    print(f'  interval with a preemption: p50 {pct(dh, .5):.0f} p90 {pct(dh, .9):.0f} µs; without: p50 {pct(dn, .5):.0f} '
          f'p90 {pct(dn, .9):.0f} p99 {pct(dn, .99):.0f} µs')
    if new_rows:
        print(f'\nchildren woken by the writer (sched_wakeup_new): {len(new_rows)}')
        print('  ', dict(collections.Counter(('on the parent\'s CPU' if r['target'] == r['parent_cpu'] else 'on the other CPU',
                                              'other CPU ' + r['other'], 'nr %d/%d' % (r['nr'][r['parent_cpu']], r['nr'][1 - r['parent_cpu']]))
                                             for r in new_rows).most_common(10)))
    # all wakee wake-ups, whatever the writer did: the placement by the CPUs' state at the waking
    print('\nall wakee wake-ups: (previous CPU runs, its runnable count; other CPU runs, its count; context; '
          'waker on the previous CPU?) -> stays on the previous CPU / moved')
    tab = collections.defaultdict(lambda: [0, 0])
    for a, b, na, nb, ctx, wk, pv, ins, wc, nw, no, selfw, tc in allrows:
        tab[(f'prev {a} nr {na}', f'other {b} nr {nb}', ctx, 'waker on prev' if wk else 'waker on other')][tc != pv] += 1
    for k, (st, mv) in sorted(tab.items(), key=lambda x: -sum(x[1]))[:16]:
        print(f'  {st:5d} stay {mv:5d} moved  ' + ' | '.join(k))
    # the rule by the waking CPU (the CPU the sched_waking event is on: try_to_wake_up's)
    print('\nby the waking CPU\'s runnable count (nr_running, the waker or interrupted task counted) and the other CPU\'s:'
          ' placed on the waking CPU / elsewhere')
    tab = collections.defaultdict(lambda: [0, 0])
    for a, b, na, nb, ctx, wk, pv, ins, wc, nw, no, selfw, tc in allrows:
        key = (f'waking CPU nr {min(nw, 3)}', 'other CPU idle' if no == 0 else f'other CPU nr {min(no, 3)}',
               'wakee itself current on the waking CPU' if selfw else '')
        tab[key][tc != wc] += 1
    for k, (on, off) in sorted(tab.items()):
        print(f'  {on:5d} on {off:5d} elsewhere  ' + ' | '.join(x for x in k if x))

if __name__ == '__main__':
    main()
