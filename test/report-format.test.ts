import { describe, expect, it } from 'vitest';
import { formatCount, formatNs, formatPercent, formatRatio, formatSpread } from '../src/report/index.js';

describe('formatNs: 3 significant digits, largest unit >= 1', () => {
  it.each([
    [0, '0ns'], [812, '812ns'], [999.4, '999ns'], [999.6, '1.00us'], [1000, '1.00us'], [17_700, '17.7us'],
    [177_000, '177us'], [999_400, '999us'], [999_600, '1.00ms'], [1_234_567, '1.23ms'], [2.4e9, '2.40s'],
    [59.99e9, '60.0s'], [3600e9, '3600s'],
  ])('%d ns -> %s', (ns, text) => {
    expect(formatNs(ns)).toBe(text);
  });
});

describe('other formats', () => {
  it('counts, percentages, ratios, spreads', () => {
    expect(formatCount(12)).toBe('12');
    expect(formatCount(12.5)).toBe('12.5');
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatRatio(0.523)).toBe('0.52x');
    expect(formatRatio(12.34)).toBe('12.3x');
    expect(formatRatio(150.2)).toBe('150x');
    expect(formatSpread(0.04)).toBe('±4%');
    expect(formatSpread(0.001)).toBe('±<1%');
    expect(formatSpread(0)).toBe('±0%');
  });
});
