/** `faultline real` on a loaded host: refused unless --allow-loaded, and then warned in the output. */
import { describe, expect, it } from 'vitest';
import { formatLoad, loadVerdict } from '../src/real/index.js';

describe('loadVerdict', () => {
  it('lets a run start while the 1-minute load is at most the CPU count', () => {
    expect(loadVerdict([2, 5, 5], 2, false)).toEqual({ error: null, warning: null });
    expect(loadVerdict([0.1, 0, 0], 1, false)).toEqual({ error: null, warning: null });
  });

  it('refuses above the CPU count, naming the load and the override', () => {
    const v = loadVerdict([2.5, 1, 1], 2, false);
    expect(v.warning).toBeNull();
    expect(v.error).toContain('load average 2.50 1.00 1.00 (2 CPUs)');
    expect(v.error).toContain('--allow-loaded');
  });

  it('with --allow-loaded runs and warns instead', () => {
    const v = loadVerdict([3, 1, 1], 2, true);
    expect(v.error).toBeNull();
    expect(v.warning).toContain('the host is loaded');
  });

  it('formats the load with the CPU count', () => {
    expect(formatLoad([1, 0.5, 0.25], 1)).toBe('load average 1.00 0.50 0.25 (1 CPU)');
  });
});
