/**
 * The page-cache table (src/model/xarray.ts) against JS Map/Set: any sequence
 * of stores, erases and loads gives the same answers, sizes and (sorted)
 * contents; plus the fault-around rule that reads it (filemap_map_pages).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexSet, XArray } from '../src/model/xarray.js';

type Op = { k: 'set' | 'del' | 'get'; i: number; v: number };

/** Indices from a small range (many collisions and probe runs) or anywhere in 31 bits. */
const index = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0x7fffffff }));
const op: fc.Arbitrary<Op> = fc.record({ k: fc.constantFrom('set', 'del', 'get'), i: index, v: fc.integer() });

describe('keysInto / valuesInto (one array reused)', () => {
  it('give keys() / values() for any sequence of tables, whatever the array held before', () => {
    const tables = fc.array(fc.uniqueArray(index, { maxLength: 80 }), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(tables, (lists) => {
      const bx: number[] = [], bs: number[] = [];
      for (const l of lists) {
        const xa = new XArray<number>();
        const is = new IndexSet();
        for (const i of l) { xa.set(i, i); is.add(i); }
        const sorted = [...l].sort((a, b) => a - b);
        expect(xa.keysInto(bx)).toEqual(sorted);
        expect(is.valuesInto(bs)).toEqual(sorted);
        expect(xa.keys()).toEqual(sorted);
        expect(is.values()).toEqual(sorted);
      }
    }));
  });
});

describe('XArray', () => {
  it('behaves like a Map for any sequence of set/delete/get', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const xa = new XArray<number>();
      const m = new Map<number, number>();
      for (const o of ops) {
        if (o.k === 'set') { xa.set(o.i, o.v); m.set(o.i, o.v); }
        else if (o.k === 'del') expect(xa.delete(o.i)).toBe(m.delete(o.i));
        else expect(xa.get(o.i)).toBe(m.get(o.i));
        expect(xa.size).toBe(m.size);
      }
      for (const [k, v] of m) expect(xa.get(k)).toBe(v);
      const keys = [...m.keys()].sort((a, b) => a - b);
      expect(xa.keys()).toEqual(keys);
      expect(xa.values()).toEqual(keys.map((k) => m.get(k)));
    }), { numRuns: 300 });
  });

  it('keeps finding entries whose probe run wraps past the end of the table', () => {
    const xa = new XArray<string>();
    // Fill, erase from the middle of runs, refill: exercises backward-shift deletion.
    for (let i = 0; i < 64; i++) xa.set(i * 8, `v${i}`);
    for (let i = 0; i < 64; i += 3) expect(xa.delete(i * 8)).toBe(true);
    for (let i = 0; i < 64; i++) expect(xa.get(i * 8)).toBe(i % 3 === 0 ? undefined : `v${i}`);
    expect(xa.size).toBe(64 - 22);
    xa.clear();
    expect(xa.size).toBe(0);
    expect(xa.get(8)).toBeUndefined();
  });

  it('rejects indices it cannot store', () => {
    const xa = new XArray<number>();
    expect(() => xa.set(-1, 1)).toThrow(RangeError);
    expect(() => xa.set(1.5, 1)).toThrow(RangeError);
    expect(() => xa.set(2 ** 31, 1)).toThrow(RangeError);
  });
});

describe('IndexSet', () => {
  it('behaves like a Set', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const s = new IndexSet();
      const ref = new Set<number>();
      for (const o of ops) {
        if (o.k === 'set') { s.add(o.i); ref.add(o.i); }
        else if (o.k === 'del') expect(s.delete(o.i)).toBe(ref.delete(o.i));
        else expect(s.has(o.i)).toBe(ref.has(o.i));
      }
      expect(s.size).toBe(ref.size);
      expect(s.values()).toEqual([...ref].sort((a, b) => a - b));
    }), { numRuns: 200 });
  });

  it('a table of its own (keys only): probe runs that wrap, backward-shift deletion, clear, bad indices', () => {
    const s = new IndexSet();
    for (let i = 0; i < 64; i++) s.add(i * 8);
    for (let i = 0; i < 64; i += 3) expect(s.delete(i * 8)).toBe(true);
    for (let i = 0; i < 64; i++) expect(s.has(i * 8)).toBe(i % 3 !== 0);
    expect(s.delete(8 * 3)).toBe(false);
    expect(s.size).toBe(64 - 22);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.has(8)).toBe(false);
    expect(s.values()).toEqual([]);
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(2 ** 31)).toThrow(RangeError);
  });
});
