/**
 * The task call stack both engines run: resume the top path until it yields
 * an effect other than CALL. A CALL pushes the nested path; a finished path is
 * popped and its return value becomes the result of its caller's `yield`.
 * Engines handle every other effect themselves.
 */
import { EffectKind, type Effect, type KPath } from './effects.js';

/**
 * %GeneratorPrototype%.next, called directly. Every generator function has
 * its own prototype object, so the generator objects of the model's many
 * paths have many maps, and `gen.next` would be a megamorphic property load
 * on every resume.
 */
const generatorNext = (Object.getPrototypeOf(function* () {}) as { prototype: Generator }).prototype.next as
  (this: KPath<unknown>, value: unknown) => IteratorResult<Effect, unknown>;

/** What the last path of a stack returned when next_effect emptied it (last_return). */
let lastReturn: unknown = undefined;

/**
 * The return value of the path whose return emptied a stack in the last
 * next_effect call that returned null: the simulator's thread loops that
 * are not generators (sim/thread-loop.ts ThreadLoop.next) run below the
 * stack and take a CALL's result from here.
 */
export function last_return(): unknown {
  const v = lastReturn;
  lastReturn = undefined;
  return v;
}

/**
 * The next effect of the task whose stack is `stack`, resuming the top path
 * with `value`; null when the last path returned (the task ended, or the
 * thread loop below the stack goes on with last_return()).
 */
export function next_effect(stack: Array<KPath<unknown>>, value: unknown): Effect | null {
  let gen = stack[stack.length - 1]!;
  let val = value;
  for (;;) {
    const r = generatorNext.call(gen, val);
    val = undefined;
    if (r.done === true) {
      stack.pop();
      if (stack.length === 0) {
        lastReturn = r.value;
        return null;
      }
      gen = stack[stack.length - 1]!;
      val = r.value;
      continue;
    }
    const e = r.value;
    if (e.k !== EffectKind.CALL) return e;
    stack.push(e.path);
    gen = e.path;
  }
}
