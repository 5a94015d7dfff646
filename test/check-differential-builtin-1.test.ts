/**
 * Differential test, built-in scenarios, shard 1 of 3 (the tests are in
 * check-differential-builtin-shard.ts).
 */
import { describeBuiltinShard } from './check-differential-builtin-shard.js';

describeBuiltinShard(0);
