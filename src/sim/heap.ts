/**
 * The event list: a binary min-heap over parallel typed arrays, ordered by
 * (time, insertion sequence). Equal times come out in insertion order, so runs
 * are reproducible (SimPy's (time, priority, eid) rule with one priority).
 * Each entry carries an int payload and an int generation tag.
 *
 * In front of the heap sits one slot holding the minimum when it arrived as
 * the minimum: an event pushed earlier than everything pending (a short CPU
 * step, a wake-up with nothing else due) is popped next without a sift up
 * and a sift down. The slot is always <= every heap entry, so the order is
 * exactly the heap's.
 */
import { doubleFields } from '../model/shapes.js';
export class EventHeap {
  private time = new Float64Array(64);
  private seq = new Float64Array(64);
  private payload = new Int32Array(64);
  private tag = new Int32Array(64);
  private n = 0;
  private nextSeq = 0;
  private hasFront = false;
  private frontTime = 0;
  private frontSeq = 0;
  private frontPayload = 0;
  private frontTag = 0;
  /**
   * push()'s time on its way to pushBehind and heapPush. A time past 2^30 ns
   * (1.07 s simulated) is no small integer: passed as an argument to a call
   * that is not inlined it would be boxed in a new HeapNumber at every push,
   * while a double field is written in place.
   */
  pendTime = 0;
  /** Filled by pop(). */
  popTime = 0;
  popPayload = 0;
  popTag = 0;

  constructor() {
    doubleFields(this, ['frontTime', 'pendTime', 'popTime']); // times pass 2^31 ns (model/shapes.ts)
  }

  get size(): number {
    return this.hasFront ? this.n + 1 : this.n;
  }
  peekTime(): number {
    return this.hasFront ? this.frontTime : this.time[0]!;
  }

  push(t: number, payload: number, tag: number): void {
    // The common case first, small enough for TurboFan to inline into the
    // engine's callers under faultline's inlining budget (src/sweep/v8-flags.ts):
    // nothing in front and the new entry earlier than the heap's top.
    if (!this.hasFront && (this.n === 0 || t < this.time[0]!)) {
      this.hasFront = true;
      this.frontTime = t; this.frontSeq = this.nextSeq++; this.frontPayload = payload; this.frontTag = tag;
      return;
    }
    this.pendTime = t;
    this.pushBehind(payload, tag);
  }

  /**
   * push() with its time in pendTime, set just before: for a caller whose
   * inlining budget has no room left for push (the engine's `step` at a
   * SLEEP), where the time, passed as an argument, would be boxed.
   */
  pushPending(payload: number, tag: number): void {
    const t = this.pendTime;
    if (!this.hasFront && (this.n === 0 || t < this.time[0]!)) {
      this.hasFront = true;
      this.frontTime = t; this.frontSeq = this.nextSeq++; this.frontPayload = payload; this.frontTag = tag;
      return;
    }
    this.pushBehind(payload, tag);
  }

  /** push() when an entry is in front or the new one is not earlier than the heap's top (its time in pendTime). */
  private pushBehind(payload: number, tag: number): void {
    const t = this.pendTime;
    const s = this.nextSeq++;
    if (this.hasFront && t < this.frontTime) {
      // A later sequence number: the new entry goes in front only if strictly earlier.
      this.pendTime = this.frontTime;
      this.heapPush(this.frontSeq, this.frontPayload, this.frontTag);
      this.frontTime = t; this.frontSeq = s; this.frontPayload = payload; this.frontTag = tag;
    } else {
      this.heapPush(s, payload, tag);
    }
  }

  /** The sift-up of an entry at time pendTime. */
  private heapPush(s: number, payload: number, tag: number): void {
    const t = this.pendTime;
    if (this.n === this.time.length) this.grow();
    const time = this.time, seq = this.seq, pl = this.payload, tg = this.tag;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = time[p]!;
      if (pt < t || (pt === t && seq[p]! < s)) break;
      time[i] = pt; seq[i] = seq[p]!; pl[i] = pl[p]!; tg[i] = tg[p]!;
      i = p;
    }
    time[i] = t; seq[i] = s; pl[i] = payload; tg[i] = tag;
  }

  pop(): void {
    // The front slot inline, the sift-down out of line: small enough for
    // TurboFan to inline into the event loop under faultline's inlining budget.
    if (this.hasFront) {
      this.hasFront = false;
      this.popTime = this.frontTime;
      this.popPayload = this.frontPayload;
      this.popTag = this.frontTag;
      return;
    }
    this.popHeap();
  }

  /** pop() with nothing in front: the heap's top, then a sift-down. */
  private popHeap(): void {
    const time = this.time, seq = this.seq, pl = this.payload, tg = this.tag;
    this.popTime = time[0]!;
    this.popPayload = pl[0]!;
    this.popTag = tg[0]!;
    const n = --this.n;
    if (n === 0) return;
    const t = time[n]!, s = seq[n]!, p0 = pl[n]!, g0 = tg[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (time[r]! < time[c]! || (time[r] === time[c] && seq[r]! < seq[c]!))) c = r;
      const ct = time[c]!;
      if (t < ct || (t === ct && s < seq[c]!)) break;
      time[i] = ct; seq[i] = seq[c]!; pl[i] = pl[c]!; tg[i] = tg[c]!;
      i = c;
    }
    time[i] = t; seq[i] = s; pl[i] = p0; tg[i] = g0;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const t = new Float64Array(cap); t.set(this.time); this.time = t;
    const s = new Float64Array(cap); s.set(this.seq); this.seq = s;
    const p = new Int32Array(cap); p.set(this.payload); this.payload = p;
    const g = new Int32Array(cap); g.set(this.tag); this.tag = g;
  }
}
