// rocPlot (src/viz/roc.ts): the curve and the chance diagonal land where the axes say, and bad input is refused.
import { describe, expect, it } from 'vitest';
import { rocPlot } from '../../src/viz/roc.js';

const isWhite = (c: readonly number[]) => c[0] === 255 && c[1] === 255 && c[2] === 255;

describe('rocPlot', () => {
  it('draws a perfect curve up the left edge and along the top, and the dashed diagonal between', () => {
    const r = rocPlot({ fpr: [0, 0, 1], tpr: [0, 1, 1], auc: 1, title: 'perfect' });
    expect([r.width, r.height]).toEqual([560, 560]);
    // The diagonal: some pixels near the middle of the square are grey, not white.
    let grey = 0;
    for (let d = -20; d <= 20; d++) {
      const x = 300 + d;
      for (let y = 0; y < r.height; y++) {
        const c = r.getPixel(x, y);
        // Darker than the grid lines (0xe6): the dashes (0x88 blended), not the grid.
        if (!isWhite(c) && c[0] < 200 && c[0] === c[1] && c[1] === c[2] && Math.abs(x + y - 560) < 120) grey++;
      }
    }
    expect(grey).toBeGreaterThan(10);
  });

  it('takes thousands of points (thinned to a pixel apart) and refuses rates outside [0, 1] or mismatched arrays', () => {
    const n = 20_000;
    const fpr = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
    const tpr = fpr.map((v) => Math.sqrt(v));
    expect(rocPlot({ fpr, tpr, auc: 2 / 3 }).width).toBe(560);
    expect(() => rocPlot({ fpr: [0, 1.5], tpr: [0, 1], auc: 1 })).toThrow(/point 1 is \(1.5, 1\); rates must lie in \[0, 1\]/);
    expect(() => rocPlot({ fpr: [0, NaN], tpr: [0, 1], auc: 1 })).toThrow(/rates must lie/);
    expect(() => rocPlot({ fpr: [0, 1], tpr: [0], auc: 1 })).toThrow(/one length >= 2/);
    expect(() => rocPlot({ fpr: [0, 1], tpr: [0, 1], auc: 1, size: 10 })).toThrow(/size in 200..4096/);
  });
});
