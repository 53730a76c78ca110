// The README's "Denoising, measured" table: `conv` and `dense` trained on the bundled digits
// at each noise kind and level (seed 0, Adam, batch 32), then the whole test split (2,000
// digits) corrupted by the same kind and level and denoised — what
// `ae-wasm denoise --model M --n 2000 --json` reports for each model (denoiseSamples, noise
// seed 0). Beside them the same preset trained without noise, on the same noisy digits.
// Each preset's own loss (conv: BCE, dense: MSE), as `ae-wasm train` picks it.
//
//   npm run denoise-table [-- --epochs 10 --presets conv,dense]
//
// PSNR in dB, peak 1 (255 in pixel units).
import { parseArgs } from 'node:util';
import { denoiseSamples } from '../src/cli/denoise.js';
import { loadSplits } from '../src/data/load.js';
import { createKernels } from '../src/kernels/node.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture, presetDefaults } from '../src/models/presets.js';
import type { NoiseKind } from '../src/train/noise.js';
import { Adam } from '../src/train/optimizers.js';
import { train } from '../src/train/trainer.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '10' }, presets: { type: 'string', default: 'conv,dense' } } });
const epochs = Number(values.epochs);
const presets = values.presets.split(',');
const NOISES: { kind: NoiseKind; level: number }[] = [
  { kind: 'gaussian', level: 0.3 },
  { kind: 'gaussian', level: 0.5 },
  { kind: 'salt-pepper', level: 0.1 },
  { kind: 'salt-pepper', level: 0.2 },
  { kind: 'mask', level: 0.25 },
  { kind: 'mask', level: 0.5 },
];

const kernels = await createKernels();
const splits = await loadSplits();

async function trained(preset: string, noise: { kind: NoiseKind; level: number } | null): Promise<Autoencoder> {
  const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(0);
  model.preprocessing = splits.normalization;
  const t0 = performance.now();
  await train(model, splits, {
    epochs, batchSize: 32, seed: 0, loss: presetDefaults(preset, 'sigmoid').loss, optimizer: new Adam(), evaluateTest: false,
    noise: noise?.level ?? 0, noiseKind: noise?.kind ?? 'gaussian',
  });
  process.stderr.write(`${preset} ${noise ? `${noise.kind} ${noise.level}` : 'clean'}: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return model;
}

const dB = (v: number | undefined): string => (v === undefined ? 'n/a' : v.toFixed(2));
const lines = [
  `| preset | noise | noisy | denoised | clean reconstruction | denoised by the same preset trained without noise |`,
  `|---|---|---:|---:|---:|---:|`,
];
for (const preset of presets) {
  const plain = await trained(preset, null);
  for (const noise of NOISES) {
    const model = await trained(preset, noise);
    const o = { ...noise, seed: 0 };
    const f = denoiseSamples(model, splits.test.images, splits.test, o, preset).figures;
    const base = denoiseSamples(plain, splits.test.images, splits.test, o, preset).figures;
    lines.push(`| \`${preset}\` | ${noise.kind} ${noise.level} | ${dB(f.psnr_noisy)} | ${dB(f.psnr_denoised)} | ${dB(f.psnr_clean)} | ${dB(base.psnr_denoised)} |`);
    model.dispose();
  }
  plain.dispose();
}
console.log(lines.join('\n'));
