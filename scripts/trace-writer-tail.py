#!/usr/bin/env python3
"""What ran inside a writer's mprotect calls and the readers' mmap_lock holds,
from an ftrace text dump (docs/calibration.md "What interrupts a real writer,
traced"; an investigation tool, not part of the build or the tests).

    scripts/trace-writer-tail.py TRACE [WRITER_COMM [READER_PREFIX]]

TRACE is `cat $I/trace` of a tracefs instance with sched_switch,
sched_wakeup, mmap_lock_{start_locking,acquire_returned,released},
irq_handler_entry/exit, softirq_entry/exit, hrtimer_expire_entry,
irq_vectors:{local_timer,reschedule,call_function,call_function_single,
irq_work}_{entry,exit} and syscalls:sys_{enter,exit}_mprotect, around one
`faultline real` run (defaults: the writer thread `gc`, readers `reader*`).
Times are the trace's (µs). Per mprotect of the writer: the hard interrupts
that began on its CPU while it ran (by kind; a local timer by the hrtimer
functions it expired), the softirqs, and its deschedules (by whom, for how
long, in which state); the same for read holds above 10 µs; every write
lock wait of 2 µs or more with what happened inside it.
"""
import bisect
import collections
import re
import statistics
import sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+):\s+(\w+)(.*)$')
PAIRS = {'local_timer_entry': 'local_timer_exit', 'reschedule_entry': 'reschedule_exit',
         'call_function_single_entry': 'call_function_single_exit', 'call_function_entry': 'call_function_exit',
         'irq_work_entry': 'irq_work_exit', 'irq_handler_entry': 'irq_handler_exit'}
EXITS = {v: k for k, v in PAIRS.items()}


def pct(a, q):
    return a[min(len(a) - 1, int(q * len(a)))]


def field(rest, name, pat=r'(\S+)'):
    m = re.search(name + '=' + pat, rest)
    return m.group(1) if m else ''


def main():
    path = sys.argv[1]
    wcomm = sys.argv[2] if len(sys.argv) > 2 else 'gc'
    rprefix = sys.argv[3] if len(sys.argv) > 3 else 'reader'
    ev = []
    for line in open(path):
        m = LINE.match(line)
        if m:
            comm, pid, cpu, _flags, ts, name, rest = m.groups()
            ev.append((float(ts) * 1e6, int(cpu), comm, int(pid), name, rest))
    ev.sort(key=lambda e: e[0])
    wpid = next(e[3] for e in ev if e[2] == wcomm)
    rpids = {e[3] for e in ev if e[2].startswith(rprefix)}
    # interrupts: [cpu, start, end, kind, details, pid interrupted]
    open_irq, irqs, open_si, softirqs = {}, [], {}, []
    for t, cpu, comm, pid, name, rest in ev:
        if name in PAIRS:
            kind = 'dev:' + field(rest, 'name') if name == 'irq_handler_entry' else name[:-6]
            open_irq[cpu] = [cpu, t, None, kind, [], pid]
        elif name in EXITS and cpu in open_irq:
            o = open_irq.pop(cpu)
            o[2] = t
            irqs.append(o)
        elif name == 'hrtimer_expire_entry' and cpu in open_irq:
            open_irq[cpu][4].append(field(rest, 'function'))
        elif name == 'sched_wakeup' and cpu in open_irq:
            open_irq[cpu][4].append('wake:' + field(rest, 'comm', r'(.+?) pid'))
        elif name == 'softirq_entry':
            open_si[cpu] = (t, field(rest, r'\[action', r'(\w+)'))
        elif name == 'softirq_exit' and cpu in open_si:
            s = open_si.pop(cpu)
            softirqs.append((cpu, s[0], t, s[1]))

    def label(i):
        if i[3] != 'local_timer':
            return i[3]
        f = sorted({x for x in i[4] if not x.startswith('wake:')})
        return 'local_timer(' + ('+'.join(f) or 'none') + ')'

    # on-CPU intervals per pid, from sched_switch
    oncpu, start_on = collections.defaultdict(list), {}
    running = {0: [], 1: []}
    for t, cpu, comm, pid, name, rest in ev:
        if name != 'sched_switch':
            continue
        pp, np_ = int(field(rest, 'prev_pid')), int(field(rest, 'next_pid'))
        if pp in start_on:
            oncpu[pp].append((start_on.pop(pp)[0], t, cpu, rest))
        start_on[np_] = (t, cpu)
        running.setdefault(cpu, []).append((t, np_))
    ours = rpids | {wpid}

    def other_cpu_foreign(cpu, s, e):
        """Share of [s, e] in which CPU `cpu` ran a task that is neither idle nor the scenario's."""
        tl = running.get(cpu, [])
        ts = [x[0] for x in tl]
        i = bisect.bisect_right(ts, s) - 1
        cur = tl[i][1] if i >= 0 else 0
        busy, t, j = 0.0, s, i + 1
        while True:
            nxt = tl[j][0] if j < len(tl) and tl[j][0] < e else e
            if cur != 0 and cur not in ours:
                busy += nxt - t
            if nxt >= e:
                return busy / max(e - s, 1e-9)
            cur, t, j = tl[j][1], nxt, j + 1

    def inside(pid, s, e, c):
        runs = [(max(a, s), min(b, e), cpu, rest) for a, b, cpu, rest in oncpu[pid] if not (b < s or a > e)]
        if not runs:
            runs = [(s, e, c, '')]
        ks = []
        for a, b, cpu, _ in runs:
            ks += [(label(i), i[2] - i[1]) for i in irqs if i[0] == cpu and a <= i[1] <= b]
            ks += [('softirq:' + si[3], si[2] - si[1]) for si in softirqs if si[0] == cpu and a <= si[1] <= b]
        offs = [(runs[k + 1][0] - runs[k][1], field(runs[k][3], 'prev_state'), field(runs[k][3], 'next_comm', r'(.+?) next_pid'))
                for k in range(len(runs) - 1)]
        return ks, offs

    def report(title, intervals, pid):
        print(f'\n== {title}: {len(intervals)}')
        kinds, kdur, hard, desched, rows = collections.Counter(), collections.defaultdict(list), collections.Counter(), collections.Counter(), []
        for s, e, c in intervals:
            ks, offs = inside(pid, s, e, c)
            for k, d in ks:
                kinds[k] += 1
                kdur[k].append(d)
            hard[len([k for k, _ in ks if not k.startswith('softirq')])] += 1
            for d, st, who in offs:
                desched[(st, who)] += 1
            rows.append((e - s, ks, offs))
        for k, n in kinds.most_common():
            print(f'  {k:55s} {n:5d}  in-guest handler p50 {statistics.median(kdur[k]):.0f} µs, max {max(kdur[k]):.0f}')
        print('  hard interrupts per interval:', dict(sorted(hard.items())))
        print('  intervals descheduled:', sum(1 for r in rows if r[2]), ' by (state, next task):', dict(desched.most_common(8)))
        return rows

    mp, st = [], None
    for t, cpu, comm, pid, name, rest in ev:
        if pid == wpid and name == 'sys_mprotect':
            if rest.startswith('('):
                st = (t, cpu)
            elif st:
                mp.append((st[0], t, st[1]))
                st = None
    d = sorted(e - s for s, e, _ in mp)
    p50, p90 = pct(d, .5), pct(d, .9)
    print(f'writer {wcomm} ({wpid}), readers {sorted(rpids)}; mprotects {len(mp)}: p50 {p50:.0f} p90 {p90:.0f} p99 {pct(d, .99):.0f} max {d[-1]:.0f} µs')
    fo = [other_cpu_foreign(1 - c, s, e) for s, e, c in mp]
    print(f'  mprotects with the other CPU running other load more than half the time: {sum(f > .5 for f in fo)}')
    report(f'mprotects above p90 ({p90:.0f} µs)', [m for m in mp if m[1] - m[0] > p90], wpid)
    report('mprotects p50..p90', [m for m in mp if p50 < m[1] - m[0] <= p90], wpid)
    rows = report('all mprotects', mp, wpid)
    by = collections.defaultdict(list)
    for dur, ks, offs in rows:
        if not offs:
            by[len([k for k, _ in ks if not k.startswith('softirq')])].append(dur)
    print('  not descheduled, duration by hard interrupts inside:',
          {n: f'n={len(v)} p50 {pct(sorted(v), .5):.0f} p90 {pct(sorted(v), .9):.0f}' for n, v in sorted(by.items())})
    nd = sorted(dur for dur, _, offs in rows if not offs)
    print(f'  not descheduled: p50 {pct(nd, .5):.0f} p90 {pct(nd, .9):.0f} p99 {pct(nd, .99):.0f} µs')
    # expiries: whom the local timer interrupts woke, and how many inside a writer's mprotect on its CPU
    starts = [m[0] for m in mp]
    tot, inmp = collections.Counter(), collections.Counter()
    for i in irqs:
        if i[3] != 'local_timer':
            continue
        w = [x[5:] for x in i[4] if x.startswith('wake:')]
        who = w[0] if w else ('tick' if any('tick' in x for x in i[4]) else 'other')
        tot[who] += 1
        k = bisect.bisect_right(starts, i[1]) - 1
        if k >= 0 and mp[k][0] <= i[1] <= mp[k][1] and i[5] == wpid:
            inmp[who] += 1
    print('\nlocal timer interrupts by the task they woke (all CPUs):', dict(tot.most_common(8)))
    print('  of them inside a writer mprotect, on its CPU:', dict(inmp.most_common(8)))
    # read holds and write waits
    holds, openr, waits, wstart = [], {}, [], None
    for t, cpu, comm, pid, name, rest in ev:
        if pid in rpids and name == 'mmap_lock_acquire_returned' and 'write=false' in rest:
            openr[pid] = (t, cpu)
        elif pid in rpids and name == 'mmap_lock_released' and 'write=false' in rest and pid in openr:
            a, c = openr.pop(pid)
            holds.append((a, t, c, pid))
        elif pid == wpid and name == 'mmap_lock_start_locking' and 'write=true' in rest:
            wstart = (t, cpu)
        elif pid == wpid and name == 'mmap_lock_acquire_returned' and 'write=true' in rest and wstart:
            waits.append((wstart[0], t, wstart[1]))
            wstart = None
    hd = sorted(b - a for a, b, _, _ in holds)
    print(f'\nread holds {len(hd)}: p50 {pct(hd, .5):.0f} p99 {pct(hd, .99):.0f} max {hd[-1]:.0f} µs')
    for p in sorted(rpids):
        report(f'read holds above 10 µs, reader {p}', [(a, b, c) for a, b, c, q in holds if q == p and b - a > 10], p)
    ww = [w for w in waits if w[1] - w[0] >= 2]
    print(f'\nwrite lock acquisitions {len(waits)}; waits of 2 µs or more: {len(ww)}, total {sum(b - a for a, b, _ in ww):.0f} µs')
    for a, b, c in ww:
        ks, offs = inside(wpid, a, b, c)
        held = [f'{q}: {h1 - a:.0f}..{h2 - a:.0f}' for h1, h2, _, q in holds if h1 <= b and h2 >= a]
        print(f'  {b - a:.0f} µs: inside {ks} deschedules {offs}; read holds overlapping (µs from the wait start) {held}')


if __name__ == '__main__':
    main()
