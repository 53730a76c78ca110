// Tick choice and labels: 1-2-5 steps, decades on log axes, consistent decimals.
import { describe, expect, it } from 'vitest';
import { formatTicks, linearTicks, logTicks, niceStep } from '../../src/viz/ticks.js';

describe('ticks', () => {
  it('picks 1-2-5 steps', () => {
    expect([0.7, 1, 1.3, 2, 3, 5, 7, 0.02, 0.021].map(niceStep)).toEqual([1, 1, 2, 2, 5, 5, 10, 0.02, 0.05]);
  });

  it('places linear ticks inside the range without float drift', () => {
    expect(linearTicks(0.012, 0.036, 5)).toEqual([0.015, 0.02, 0.025, 0.03, 0.035]);
    expect(linearTicks(0.05, 0.35, 3)).toEqual([0.1, 0.2, 0.3]);
    expect(linearTicks(0.5, 10.5, 10, 1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(linearTicks(0.5, 1.5, 10, 1)).toEqual([1]);
  });

  it('puts log ticks on decades, or on 1-2-5 multiples for short ranges', () => {
    expect(logTicks(0.0009, 2, 6)).toEqual([0.001, 0.01, 0.1, 1]);
    expect(logTicks(0.008, 0.3, 6)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2]);
    expect(logTicks(1e-8, 1e4, 4)).toEqual([1e-8, 1e-4, 1, 1e4]);
    const narrow = logTicks(0.011, 0.0135, 6);
    expect(narrow.length).toBeGreaterThanOrEqual(2);
    expect(narrow.every((t) => t >= 0.011 && t <= 0.0135)).toBe(true);
  });

  it('labels with shared decimals, exponents only at extremes', () => {
    expect(formatTicks([0.1, 0.15, 0.2])).toEqual(['0.10', '0.15', '0.20']);
    expect(formatTicks([-1, 0, 1])).toEqual(['-1', '0', '1']);
    expect(formatTicks([0.01, 0.02, 0.05, 0.1], true)).toEqual(['0.01', '0.02', '0.05', '0.1']);
    expect(formatTicks([1e-4, 1e-3, 1e-2], true)).toEqual(['1e-4', '1e-3', '1e-2']);
    expect(formatTicks([0, 200000, 400000])).toEqual(['0', '2e5', '4e5']);
  });
});
