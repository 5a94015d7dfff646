import { describe, expect, it } from 'vitest';
import { doubleArray, doubleFields, mutableFields, objectArray } from '../src/model/shapes.js';
import { vm_fault_alloc } from '../src/model/memory.js';
import { EventHeap } from '../src/sim/heap.js';

describe('model/shapes', () => {
  it('objectArray and doubleArray are new, empty, ordinary arrays every call', () => {
    const a = objectArray<string>(), b = objectArray<string>();
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
    a.push('x');
    expect(b).toEqual([]);
    expect(objectArray()).toEqual([]); // the template stays empty
    const d = doubleArray();
    d.push(-1, 2 ** 40, 0.5);
    expect(d).toEqual([-1, 2 ** 40, 0.5]);
    expect(doubleArray()).toEqual([]);
    expect(Array.isArray(d)).toBe(true);
  });

  it('doubleFields keeps every value, +0 included, and adds no field', () => {
    class T { a = 0; b = 7; c = -3.25; s = 'x'; }
    const t = new T();
    doubleFields(t, ['a', 'b', 'c']);
    expect(Object.is(t.a, 0)).toBe(true);
    expect(t.b).toBe(7);
    expect(t.c).toBe(-3.25);
    expect(Object.keys(t)).toEqual(['a', 'b', 'c', 's']);
  });

  it('mutableFields keeps numbers, booleans, null and objects as they were', () => {
    const o = { n: 0, m: 5, f: false, t: true, z: null as object | null, obj: { k: 1 } as object, s: 'str' };
    const obj = o.obj;
    mutableFields(o, ['n', 'm', 'f', 't', 'z', 'obj', 's']);
    expect(o).toEqual({ n: 0, m: 5, f: false, t: true, z: null, obj: { k: 1 }, s: 'str' });
    expect(o.obj).toBe(obj);
    expect(Object.is(o.n, 0)).toBe(true);
  });

  it('a misspelt field or a field that is not a number throws instead of adding a property', () => {
    const o = { a: 0, s: 'x' };
    expect(() => doubleFields(o, ['b'])).toThrow(/no field b/);
    expect(() => mutableFields(o, ['b'])).toThrow(/no field b/);
    expect(() => doubleFields(o, ['s'])).toThrow(/not a number/);
    expect(o).toEqual({ a: 0, s: 'x' });
  });

  it('the classes that use them start as before', () => {
    const h = new EventHeap();
    expect(h.size).toBe(0);
    expect(Object.is(h.pendTime, 0) && Object.is(h.popTime, 0)).toBe(true);
    h.push(2 ** 40, 1, 2);
    h.push(5, 3, 4);
    expect(h.size).toBe(2);
    h.pop();
    expect([h.popTime, h.popPayload, h.popTag]).toEqual([5, 3, 4]);
    h.pop();
    expect([h.popTime, h.popPayload, h.popTag]).toEqual([2 ** 40, 1, 2]);
    const vmf = vm_fault_alloc(null as never);
    expect(vmf).toEqual({ vma: null, address: 0, pgoff: 0, flags: 0, pt: null, uffd_missing: false });
  });
});
