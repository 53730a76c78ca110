// int8 inference figures (README "int8 models"): test-split reconstruction MSE of float32
// models and their int8 copies (every Dense layer; first or last kept in float32), and
// inference samples/s at batch 1 and 256, float vs int8, paired in one process: ABBA rounds
// on one backend, medians of the per-round ratios.
//   npx tsx scripts/int8-figures.mts MODEL.safetensors... [--build kernels.wasm] [--rounds 8]
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { loadSplits } from '../src/data/load.js';
import { createKernels } from '../src/kernels/node.js';
import type { Autoencoder } from '../src/models/autoencoder.js';
import { decodeModel } from '../src/models/model-file.js';
import { quantizeModel } from '../src/models/quantize.js';
import { RandomStream } from '../src/random/streams.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1]! : fallback;
};
const build = flag('--build', '');
const rounds = Number(flag('--rounds', '8'));
const files = args;
if (files.length === 0) throw new Error('usage: int8-figures.mts MODEL.safetensors... [--build NAME] [--rounds N]');

const kernels = await createKernels({ backend: 'wasm', ...(build ? { build } : {}) });
const splits = await loadSplits();
const test = splits.test;
console.log(`build ${kernels.build}; test split ${test.n} samples of ${splits.source}; load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);

function mse(model: Autoencoder): number {
  const x = test.images;
  const y = model.reconstruct(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (y[i]! - x[i]!) ** 2;
  return s / x.length;
}

/** Seconds per forward pass of `batch` samples, over enough passes to take about 50 ms. */
function secondsPerPass(model: Autoencoder, batch: number, passes: number): number {
  const g = model.compile({ batch, training: false, loss: 'mse' });
  try {
    kernels.heap.write(g.input.offset, test.images.subarray(0, batch * model.inputSize));
    const ctx = { kernels, training: false, noise: new RandomStream(0) };
    g.forward(ctx, batch, false);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < passes; i++) g.forward(ctx, batch, false);
    return Number(process.hrtime.bigint() - t0) / 1e9 / passes;
  } finally {
    g.release();
  }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

for (const file of files) {
  const float = decodeModel(readFileSync(file), kernels, file).model;
  const dense = [...float.chains].flatMap(([part, c]) => c.layers.map((l, i) => (l.className === 'Dense' ? `${part}.${i}` : null)).filter((n): n is string => n !== null));
  const name = float.training?.preset ?? file;
  const base = mse(float);
  console.log(`\n${name}: float32 test MSE ${base.toFixed(6)}; Dense layers ${dense.join(', ')}`);
  const variants: [string, string[]][] = [['all Dense int8', []], [`first (${dense[0]}) float`, [dense[0]!]], [`last (${dense.at(-1)}) float`, [dense.at(-1)!]]];
  for (const [label, keepFloat] of variants) {
    const q = quantizeModel(float, { keepFloat });
    const m = mse(q);
    console.log(`  ${label.padEnd(28)} MSE ${m.toFixed(6)}  (${m >= base ? '+' : ''}${(((m - base) / base) * 100).toFixed(2)}%)`);
    q.dispose();
  }
  const q = quantizeModel(float);
  for (const batch of [1, 256]) {
    const passes = batch === 1 ? 2000 : 20;
    const f: number[] = [];
    const i8: number[] = [];
    const ratio: number[] = [];
    secondsPerPass(float, batch, passes);
    secondsPerPass(q, batch, passes); // warm-up (tier-up) of both paths
    for (let r = 0; r < rounds; r++) {
      // ABBA: float, int8, int8, float.
      const a1 = secondsPerPass(float, batch, passes);
      const b1 = secondsPerPass(q, batch, passes);
      const b2 = secondsPerPass(q, batch, passes);
      const a2 = secondsPerPass(float, batch, passes);
      f.push(batch / ((a1 + a2) / 2));
      i8.push(batch / ((b1 + b2) / 2));
      ratio.push((a1 + a2) / (b1 + b2));
    }
    console.log(
      `  batch ${String(batch).padStart(3)}: float ${Math.round(median(f)).toLocaleString('en-US')} samples/s, int8 ${Math.round(median(i8)).toLocaleString('en-US')} samples/s, ` +
        `int8 / float ${median(ratio).toFixed(2)}x (median of ${rounds} ABBA rounds; min ${Math.min(...ratio).toFixed(2)}, max ${Math.max(...ratio).toFixed(2)})`,
    );
  }
  q.dispose();
  float.dispose();
}
console.log(`\nload average at the end ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
