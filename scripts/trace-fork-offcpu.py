#!/usr/bin/env python3
"""Where a real forker's fork() time goes, on and off its CPU, from an ftrace
text dump (docs/calibration.md "The forker off its CPU (twelfth session)";
an investigation tool, not part of the build or the tests).

    scripts/trace-fork-offcpu.py TRACE [FORKER_COMM]

The trace needs sched_switch, sched_wakeup, sched_wakeup_new and the
mmap_lock events (the events of /work/traces/take.sh); FORKER_COMM defaults
to `forker`. Times are the trace's, in µs.

A fork is taken from the forker's mmap_lock_start_locking (write) on its own
mm (dup_mmap's mmap_write_lock_killable(oldmm)) to the forker's next
voluntary sleep (sched_switch prev_state=S: its think time after fork()
returned), with dup_mmap's mmap_write_unlock(oldmm) (mmap_lock_released,
write) and wake_up_new_task (sched_wakeup_new from the forker) marked. Per
fork it sums the forker's time on a CPU, runnable off it (switched out with
prev_state R: preempted) and blocked (any other state), the runnable time
inside dup_mmap (before the unlock) separately, and who ran on the forker's
CPU while it was runnable. A fork whose forker was runnable for more than
50 µs after the unlock is "child first" (its child, queued on the parent's
CPU, ran before the parent got back to user space); the others "parent
first".
"""
import collections
import re
import statistics
import sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+):\s+(\w+):\s*(.*)$')
FIELD = re.compile(r'(\w+)=(\S+)')


def q(v):
    if not v:
        return '-'
    v = sorted(v)
    return 'p50 %7.0f  p90 %7.0f  max %7.0f' % (statistics.median(v), v[int(0.9 * (len(v) - 1))], v[-1])


def main():
    path = sys.argv[1]
    comm_f = sys.argv[2] if len(sys.argv) > 2 else 'forker'
    events = []
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                events.append((float(m.group(5)) * 1e6, int(m.group(3)), m.group(1), int(m.group(2)), m.group(6), m.group(7)))
    forker = next((pid for t, c, comm, pid, e, r in events if comm == comm_f and e == 'mmap_lock_start_locking'), None)
    if forker is None:
        sys.exit('no mmap_lock_start_locking by %s' % comm_f)
    cur = {}          # CPU -> (comm, pid, since)
    state, since, fcpu = 'S', 0.0, -1
    parent_mm = None
    fk = None
    forks = []
    for t, c, comm, pid, e, r in events:
        if e == 'sched_switch':
            d = dict(FIELD.findall(r))
            pp, nn = int(d['prev_pid']), int(d['next_pid'])
            prev = cur.get(c)
            if prev and fk is not None and state == 'R' and fcpu == c and prev[1] != forker:
                fk['who'][prev[0] if prev[1] != 0 else 'idle'] += t - prev[2]
            cur[c] = (d['next_comm'], nn, t)
            if pp == forker:
                if fk is not None:
                    fk['on'] += t - since
                since, fcpu = t, c
                ps = d['prev_state']
                state = 'R' if ps.startswith('R') else ps
                if fk is not None:
                    if state == 'S' and 'new' in fk:
                        fk['end'] = t
                        forks.append(fk)
                        fk = None
                    elif state == 'R':
                        fk['preempted'] += 1
            if nn == forker:
                if fk is not None:
                    k = 'runnable' if state == 'R' else 'blocked'
                    fk[k] += t - since
                    if k == 'runnable' and 'unlock' not in fk:
                        fk['runnable_in_dup_mmap'] += t - since
                since, state, fcpu = t, 'on', c
        elif e == 'sched_wakeup' and int(dict(FIELD.findall(r)).get('pid', -1)) == forker:
            if state not in ('on', 'R'):
                if fk is not None:
                    fk['blocked'] += t - since
                since, state = t, 'R'
                fcpu = int(dict(FIELD.findall(r))['target_cpu'])
        elif pid == forker and e == 'mmap_lock_start_locking' and 'write=true' in r and fk is None:
            mm = r.split()[0]
            parent_mm = parent_mm or mm
            if mm == parent_mm:
                fk = dict(start=t, on=0.0, runnable=0.0, blocked=0.0, runnable_in_dup_mmap=0.0,
                          preempted=0, who=collections.Counter())
                since = t
        elif pid == forker and e == 'mmap_lock_released' and 'write=true' in r and fk is not None and r.split()[0] == parent_mm:
            fk.setdefault('unlock', t)
        elif pid == forker and e == 'sched_wakeup_new' and fk is not None:
            fk['new'] = t
            fk['child_on_parent_cpu'] = int(dict(FIELD.findall(r))['target_cpu']) == c
    print('forker pid %d: %d forks' % (forker, len(forks)))
    rows = [
        ('lock start -> next sleep', [f['end'] - f['start'] for f in forks]),
        ('  on a CPU', [f['on'] for f in forks]),
        ('  runnable, off its CPU', [f['runnable'] for f in forks]),
        ('  of it inside dup_mmap', [f['runnable_in_dup_mmap'] for f in forks]),
        ('  blocked', [f['blocked'] for f in forks]),
        ('lock start -> unlock (dup_mmap)', [f['unlock'] - f['start'] for f in forks if 'unlock' in f]),
        ('unlock -> wakeup_new', [f['new'] - f['unlock'] for f in forks if 'unlock' in f]),
    ]
    for name, v in rows:
        print('%-34s %s' % (name, q(v)))
    print('forks preempted inside dup_mmap: %d' % sum(1 for f in forks if f['runnable_in_dup_mmap'] > 0))
    print('child queued on the parent\'s CPU: %d' % sum(1 for f in forks if f.get('child_on_parent_cpu')))
    cf = [f for f in forks if f['runnable'] - f['runnable_in_dup_mmap'] > 50]
    pf = [f for f in forks if f['runnable'] - f['runnable_in_dup_mmap'] <= 50]
    for name, v in (('child first', cf), ('parent first', pf)):
        print('%s: %d forks; lock start -> sleep %s; on a CPU %s; off it %s' % (
            name, len(v), q([f['end'] - f['start'] for f in v]), q([f['on'] for f in v]), q([f['runnable'] for f in v])))
    who = collections.Counter()
    for f in forks:
        who.update(f['who'])
    print('ran on the forker\'s CPU while it was runnable (µs, all forks):',
          ', '.join('%s %.0f' % (k, v) for k, v in who.most_common(8)))


if __name__ == '__main__':
    main()
