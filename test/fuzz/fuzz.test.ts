// A short run of the fuzz suite (`npm run fuzz` runs thousands of cases per parser): each
// parser and loader, fed mutations of real files, either accepts the input or rejects it
// with an AeError, within the time and memory limits. fast-check shrinks a failure to a
// minimal mutation and prints the seed that reproduces it.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernels } from '../helpers.js';
import { describeOutcome, fuzzCase, runCase } from './harness.js';
import { targets, type Target } from './targets.js';

const RUNS: Record<string, number> = {
  safetensors: 250, 'model file': 250, 'model (JS)': 100, 'graph model': 200, checkpoint: 200, 'IDX raw': 400, 'IDX gzip': 100, PNG: 300,
  npy: 300, CSV: 300, 'image (sharp)': 200, preprocessing: 200, aec: 300, 'TF.js import': 300, 'Keras import': 300,
};

let all: Target[];
beforeAll(async () => {
  all = await targets(await wasmKernels());
});

describe('fuzz: mutated real files are accepted or rejected with an AeError, never crash, hang or over-allocate', () => {
  it.each(Object.keys(RUNS))('%s', async (name) => {
    const target = all.find((t) => t.name === name)!;
    const verdicts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fuzzCase(target), async (c) => {
        const outcome = await runCase(target, c);
        verdicts.set(outcome.verdict, (verdicts.get(outcome.verdict) ?? 0) + 1);
        if (outcome.verdict !== 'accepted' && outcome.verdict !== 'rejected') throw new Error(describeOutcome(target, c, outcome));
      }),
      { numRuns: RUNS[name]!, seed: 11 },
    );
    // The mutations reach both sides: some inputs still parse, most are refused.
    expect(verdicts.get('rejected') ?? 0).toBeGreaterThan(0);
    expect(verdicts.get('accepted') ?? 0).toBeGreaterThan(0);
  });
});
