#!/usr/bin/env python3
"""What makes one real fork longer than another (docs/calibration.md "The
fork's spread (thirteenth session)"; an investigation tool, not part of the
build or the tests; needs numpy).

    scripts/trace-fork-growth.py TRACE [TRACE ...]
    scripts/trace-fork-growth.py --faults LOADGEN_OUT

TRACE: an ftrace text dump with sched_switch, sched_wakeup, sched_wakeup_new
and the mmap_lock events around one `faultline real` run of a fork scenario
(the events of /work/traces/take.sh). Per fork of the thread `forker`
(mmap_lock_start_locking write on its mm -> its next voluntary sleep), as
scripts/trace-fork-offcpu.py: dup_mmap (lock start -> unlock), the forker's
time on a CPU, and its child's time on a CPU until it dies (its exit). Each is
fitted, least squares, as a + b ln(gap since the previous fork's unlock, ms)
+ c t (s since the first fork), with standard errors and the lag-1
autocorrelation of the residuals (a slowly varying host speed shows there).

--faults LOADGEN_OUT: the generator's per-op records (`faultline real
--keep`, loadgen.out): fork latency by the child's placement, and the fault
p50 per page state by the time since the last fork ended.
"""
import bisect
import collections
import re
import statistics
import sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+):\s+(\w+):\s*(.*)$')
FIELD = re.compile(r'(\w+)=(\S+)')


def forks_of(path, comm_f='forker'):
    ev = []
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                ev.append((float(m.group(5)) * 1e6, int(m.group(3)), m.group(1), int(m.group(2)), m.group(6), m.group(7)))
    forker = next(pid for t, c, comm, pid, e, r in ev if comm == comm_f and e == 'mmap_lock_start_locking')
    parent_mm, fk, forks, cur, children = None, None, [], {}, {}
    state, since = 'S', 0.0
    for t, c, comm, pid, e, r in ev:
        if e == 'sched_switch':
            d = dict(FIELD.findall(r))
            pp, nn = int(d['prev_pid']), int(d['next_pid'])
            prev = cur.get(c)
            if prev and prev[0] in children:
                children[prev[0]]['on'] += t - prev[1]
            cur[c] = (nn, t)
            if pp == forker:
                if fk is not None:
                    fk['on'] += t - since
                since = t
                state = 'R' if d['prev_state'].startswith('R') else d['prev_state']
                if fk is not None and state == 'S' and 'child' in fk:
                    fk['end'] = t
                    forks.append(fk)
                    fk = None
            if nn == forker:
                since, state = t, 'on'
        elif pid == forker and e == 'mmap_lock_start_locking' and 'write=true' in r and fk is None:
            mm = r.split()[0]
            parent_mm = parent_mm or mm
            if mm == parent_mm:
                fk = dict(start=t, on=0.0)
                since = t
        elif pid == forker and e == 'mmap_lock_released' and 'write=true' in r and fk is not None and r.split()[0] == parent_mm:
            fk.setdefault('unlock', t)
        elif pid == forker and e == 'sched_wakeup_new' and fk is not None:
            fk['child'] = int(dict(FIELD.findall(r))['pid'])
            children[fk['child']] = dict(on=0.0)
    out, prev = [], None
    for f in forks:
        if prev is not None and 'unlock' in f:
            out.append(dict(t=(f['start'] - forks[0]['start']) / 1e6, gap=(f['start'] - prev) / 1e3,
                            dup=f['unlock'] - f['start'], on=f['on'], child=children[f['child']]['on']))
        if 'unlock' in f:
            prev = f['unlock']
    return out


def fit(rows, key):
    import numpy as np
    t = np.array([r['t'] for r in rows])
    gap = np.array([r['gap'] for r in rows])
    y = np.array([r[key] for r in rows])
    X = np.c_[np.ones(len(rows)), np.log(gap), t]
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    res = y - X @ b
    se = np.sqrt((res ** 2).sum() / (len(rows) - 3) * np.linalg.inv(X.T @ X).diagonal())
    ac = np.corrcoef(res[:-1], res[1:])[0, 1]
    return '%-6s p50 %5.0f us = %5.0f + %4.0f (se %3.0f) ln(gap ms) + %4.0f (se %3.0f) t(s); residual lag-1 %.2f' % (
        key, np.median(y), b[0], b[1], se[1], b[2], se[2], ac)


def faults(path):
    forks, fl = [], []
    for line in open(path):
        if not line.startswith('r '):
            continue
        p = line.split()
        op, state, s, e, flags = int(p[2]), int(p[5]), int(p[6]), int(p[7]), int(p[10])
        if op == 5:
            forks.append((s, e, flags))
        elif op == 0:
            fl.append((s, e, state))
    forks.sort()
    for name, sel in (('child first', lambda x: x & 16), ('parent first', lambda x: not x & 16)):
        v = sorted((e - s) / 1e3 for s, e, x in forks if e > s and sel(x))
        if v:
            print('fork %-12s n %3d p50 %5.0f p90 %5.0f max %5.0f us' % (name, len(v), v[len(v) // 2], v[int(0.9 * (len(v) - 1))], v[-1]))
    ends, starts = [e for s, e, x in forks], [s for s, e, x in forks]
    bins = [0, 0.5, 2, 5, 10, 20, float('inf')]
    for st, name in ((1, 'cached'), (2, 'absent'), (3, 'zero')):
        by = collections.defaultdict(list)
        for s, e, state in fl:
            if state != st or e <= s:
                continue
            j = bisect.bisect_right(starts, s) - 1
            if j >= 0 and forks[j][1] > s:
                continue  # inside a fork: waits for its lock
            i = bisect.bisect_right(ends, s) - 1
            since = (s - ends[i]) / 1e6 if i >= 0 else 1e9
            k = next(k for k in range(len(bins) - 1) if bins[k] <= since < bins[k + 1])
            by[k].append((e - s) / 1e3)
        print('%-6s p50 by ms since the last fork ended: %s' % (name, '; '.join(
            '%g-%g: %.2f us (n %d)' % (bins[k], bins[k + 1], statistics.median(by[k]), len(by[k])) for k in sorted(by))))


def main():
    if sys.argv[1] == '--faults':
        faults(sys.argv[2])
        return
    for path in sys.argv[1:]:
        rows = forks_of(path)
        print('%s: %d forks' % (path, len(rows)))
        for key in ('dup', 'on', 'child'):
            print('  ' + fit(rows, key))


if __name__ == '__main__':
    main()
