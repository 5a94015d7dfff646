/**
 * Objects made in the shape they end in, so that V8's optimised code for
 * the model is not thrown away when a later run, or a later part of a run,
 * gives them their final shape (bench/README.md, "Fewer deopts per isolate
 * (eleventh session)").
 *
 * V8 tracks, per hidden class (map), each array's elements kind and each
 * field's representation (small integer, double, any value), its constness
 * (never rewritten yet) and the class of the object it holds. TurboFan's
 * code relies on all of them; a change deoptimises every function compiled
 * with the old assumption (a "wrong map" or "not a Smi" deopt, or "marking
 * dependent code" for a whole batch of the fault path at once), and they
 * are compiled again, once per isolate: with `--jobs 2` twice. The changes
 * that came late were:
 *
 * - An array literal `[]` starts with small-integer elements and changes
 *   map at its first push of an object or a double: an array made anew
 *   every run (a lock's wait queue, a CPU's running list, a collector's
 *   per-task table) changed map in every run, after the code reading it
 *   was optimised for the later map. objectArray() and doubleArray() make
 *   them in their final kind; `slice()` of an empty template copies its
 *   elements kind and allocates no backing store, as `[]` does.
 * - A number field initialised with 0 is a small integer; the first time
 *   it holds a time past 2^31 ns (2.15 s simulated) or a fraction, it
 *   becomes a double and the object's map is replaced. The objects made
 *   before that (the event heap, the tasks, the effects) then have maps
 *   unlike the next run's, and every field that held them changes class.
 *   doubleFields() gives such fields their double form in the constructor.
 * - A field written once is "constant" until a second, different value is
 *   written, possibly runs later on a rare path (a VMA writer's first
 *   wait, the fault fast path's first use); mutableFields() writes a field
 *   twice in the constructor, keeping its value.
 *
 * Both field helpers keep every field's value: only V8's bookkeeping
 * changes, once, at the first object of the class in an isolate.
 */

const NO_OBJECTS: unknown[] = [undefined];
NO_OBJECTS.pop();
const NO_DOUBLES: number[] = [0.5];
NO_DOUBLES.pop();

/** An empty array for objects, strings or booleans (PACKED_ELEMENTS from the start). */
export function objectArray<T>(): T[] {
  return NO_OBJECTS.slice() as T[];
}

/** An empty array for numbers that need not be small integers, e.g. times in ns (PACKED_DOUBLE_ELEMENTS). */
export function doubleArray(): number[] {
  return NO_DOUBLES.slice();
}

/** Any object other than the fields' values: what mutableFields writes before putting a value back. */
const OTHER = Object.freeze({});

function field(obj: object, key: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) throw new Error(`shapes: no field ${key}`);
  return (obj as Record<string, unknown>)[key];
}

/**
 * Give the number fields `keys` of `obj` (a new object) the double
 * representation, keeping their values: call in the constructor, after the
 * fields are initialised.
 */
export function doubleFields(obj: object, keys: readonly string[]): void {
  const o = obj as Record<string, unknown>;
  for (const k of keys) {
    const v = field(obj, k);
    if (typeof v !== 'number') throw new Error(`shapes: field ${k} is not a number`);
    o[k] = 0.5;
    o[k] = v;
  }
}

/**
 * Make the fields `keys` of `obj` (a new object) not constant for V8,
 * keeping their values: call in the constructor, after the fields are
 * initialised. A number field stays a small integer if it is one; a field
 * that holds an object then holds any class (as it would after a value of
 * another class).
 */
export function mutableFields(obj: object, keys: readonly string[]): void {
  const o = obj as Record<string, unknown>;
  for (const k of keys) {
    const v = field(obj, k);
    o[k] = typeof v === 'number' ? (v === 0 ? 1 : 0) : typeof v === 'boolean' ? !v : OTHER;
    o[k] = v;
  }
}
