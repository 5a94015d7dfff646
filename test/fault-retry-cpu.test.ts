/**
 * The retried attempt of a fault charges `fault_retry` and handle_mm_fault in
 * one CPU step (do_user_addr_fault: nothing between taking the lock and
 * handle_mm_fault's work sleeps or schedules), so on a busy CPU set the task
 * keeps its CPU across both: a task queued meanwhile runs after the whole
 * retry, not between its parts.
 */
import { describe, expect, it } from 'vitest';
import { Cost, cpu_then, do_user_addr_fault, VM_FAULT_MAJOR } from '../src/model/index.js';
import { burn, lanes } from './lanes.js';
import { us } from './helpers.js';

describe('the retry of a major fault is one CPU step', () => {
  it('1 CPU, no preemption: a burner queued during the retry runs after it', () => {
    // handle_mm_fault 1 us, fault_retry 2 us; read I/O is a constant 10 ms (helpers.scenario).
    const h = lanes({ cpus: 1, preempt: false, costs: { fault_retry: us(2) } });
    const miss = h.addr(0);
    h.vma[0]!.evicted.add(miss - h.vma[0]!.vm_start);
    let ret = -1;
    h.lane('fault', 0, function* () {
      ret = yield* do_user_addr_fault(h.mm, miss, false);
      h.mark('done');
    });
    h.lane('burn', 10_002, function* () {
      yield* burn(5);
      h.mark('done');
    });
    h.run();
    expect(ret & VM_FAULT_MAJOR).toBe(0); // the retry's page-cache hit: fault-around mapped it
    // First attempt 0-1 us, I/O 1-10001, retry 10001-10004 (2 + 1 us), then the burner.
    expect(h.rec.cpu).toEqual([
      ['fault', 'start', 0], ['fault', 'stop', 1],
      ['fault', 'start', 10_001], ['burn', 'queued', 10_002], ['fault', 'stop', 10_004],
      ['burn', 'start', 10_004], ['burn', 'stop', 10_009],
    ]);
    expect(h.marks).toEqual([['fault', 'done', 10_004], ['burn', 'done', 10_009]]);
  });

  it('cpu_then effects are preallocated per pair and carry both costs', () => {
    const e = cpu_then(Cost.fault_retry, Cost.handle_mm_fault);
    expect(cpu_then(Cost.fault_retry, Cost.handle_mm_fault)).toBe(e);
    expect([e.cost, e.n, e.then]).toEqual([Cost.fault_retry, 1, Cost.handle_mm_fault]);
  });
});
