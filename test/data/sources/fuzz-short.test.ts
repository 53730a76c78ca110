// A short run of the data-source fuzz targets (npy, CSV, image via sharp); `npm run fuzz` runs thousands.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmKernels } from '../../helpers.js';
import { describeOutcome, fuzzCase, runCase } from '../../fuzz/harness.js';
import { targets } from '../../fuzz/targets.js';

const RUNS: Record<string, number> = { npy: 300, CSV: 300, 'image (sharp)': 150 };

describe('fuzz: data sources accept or reject mutated real files with an AeError', () => {
  it.each(Object.keys(RUNS))('%s', async (name) => {
    const target = targets(await wasmKernels()).find((t) => t.name === name)!;
    const verdicts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fuzzCase(target), async (c) => {
        const outcome = await runCase(target, c);
        verdicts.set(outcome.verdict, (verdicts.get(outcome.verdict) ?? 0) + 1);
        if (outcome.verdict !== 'accepted' && outcome.verdict !== 'rejected') throw new Error(describeOutcome(target, c, outcome));
      }),
      { numRuns: RUNS[name]!, seed: 12 },
    );
    expect(verdicts.get('rejected') ?? 0).toBeGreaterThan(0);
    expect(verdicts.get('accepted') ?? 0).toBeGreaterThan(0);
  });
});
