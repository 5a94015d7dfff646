/**
 * Empty arrays made in the elements kind they end in (V8's "elements
 * kinds": small integers, doubles, or any value).
 *
 * An array literal `[]` starts with small-integer elements; the first push
 * of an object (or of a double) gives it another map. An array made anew
 * for every run (a lock's wait queue, a CPU's running list, a collector's
 * per-task table) then changes map during every run: the code that reads
 * it, optimised for the later map in the first run, meets the earlier one
 * in the next run and is deoptimised ("wrong map", "not a Smi") and
 * compiled again, once per isolate. Instances of one class whose arrays
 * were or were not pushed to also differ in map, and the code that reads
 * them turns polymorphic. An array made here has its final kind from the
 * start (bench/README.md, "Fewer deopts per isolate").
 *
 * `slice()` of an empty template copies its elements kind and allocates no
 * backing store, as `[]` does.
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
