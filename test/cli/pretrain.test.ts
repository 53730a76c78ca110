// train --pretrain greedy from the command line: the layers it reports, the record it
// writes, and the flags it refuses.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { idxFiles } from './idx-fixture.js';
import { inProcess } from './in-process.js';

let tmp: string;
let data: string[];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-pretrain-'));
  const s = await loadBundledSplits();
  for (const [stem, ds, n] of [['train', s.train, 300], ['t10k', s.test, 40]] as const) {
    const { images, labels } = idxFiles(ds, n);
    await writeFile(join(tmp, `${stem}-images-idx3-ubyte`), images);
    await writeFile(join(tmp, `${stem}-labels-idx1-ubyte`), labels);
  }
  data = ['--data', tmp];
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('train --pretrain greedy', () => {
  it('pre-trains each Dense layer, reports it, records the method and epochs, then trains the model', async () => {
    const out = join(tmp, 'deep');
    const r = await inProcess('train', '--preset', 'deep', '--latent', '16', '--pretrain', 'greedy', '--pretrain-epochs', '2', '--epochs', '1', ...data, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pre-training greedily, 2 epochs per layer/);
    expect(r.stdout).toMatch(/layer 1\/3: 784 -> 256 -> 784, mse \d/);
    expect(r.stdout).toMatch(/layer 3\/3: 128 -> 16 -> 128, mse \d/);
    const file = decodeSafetensors(await readFile(join(out, 'model.safetensors')), 'model');
    const training = JSON.parse(file.metadata!['training']!);
    expect(training).toMatchObject({ preset: 'deep', pretrain: 'greedy', pretrain_epochs: 2 });
  });

  it('refuses a model it cannot pre-train, --pretrain-epochs alone, and an unknown method', async () => {
    const conv = await inProcess('train', '--preset', 'conv', '--pretrain', 'greedy', ...data, '--out', join(tmp, 'conv'));
    expect(conv.code).toBe(2);
    expect(conv.stderr).toMatch(/greedy pre-training needs an encoder and a decoder of mirrored Dense layers .*encoder layer 0 is Conv2D/);
    const alone = await inProcess('train', '--preset', 'deep', '--pretrain-epochs', '3', ...data, '--out', join(tmp, 'x'));
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--pretrain-epochs goes with --pretrain greedy/);
    const unknown = await inProcess('train', '--pretrain', 'stacked', ...data, '--out', join(tmp, 'y'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--pretrain.*greedy/);
  });
});
