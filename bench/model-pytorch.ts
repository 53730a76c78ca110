// PyTorch as an optional peer: when `python3 -c "import torch"` works, bench/peers/pytorch.py
// runs the same cases (architectures from the same layer records, one thread) on the
// same digits and prints one record per line; otherwise the run notes why it is absent.
// Nothing is installed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../src/data/dataset.js';
import { ADAM, INFER_BATCHES, SEED, TRAIN_BATCHES, type ModelCase, type ModelRecord } from './model-cases.js';
import type { ModelSettings } from './model-suite.js';

const SCRIPT = fileURLToPath(new URL('./peers/pytorch.py', import.meta.url));
const PYTHON = process.env['BENCH_PYTHON'] ?? 'python3';

/** torch's version, or why it cannot be imported. */
export function probeTorch(): { version: string } | { reason: string } {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { reason: `${PYTHON} did not run (${r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit status ${r.status}`;
    return { reason: `\`${PYTHON} -c "import torch"\` failed: ${last}` };
  }
  return { version: r.stdout.trim() };
}

export async function runPytorch(
  cases: ModelCase[],
  s: ModelSettings,
  splits: { train: Dataset; test: Dataset },
): Promise<{ records: ModelRecord[]; notes: string[] }> {
  const probe = probeTorch();
  if ('reason' in probe) return { records: [], notes: [`pytorch: not run, ${probe.reason} (not installed by the benchmark).`] };
  const dir = mkdtempSync(path.join(tmpdir(), 'ae-wasm-bench-'));
  try {
    // Raw little-endian float32: the training images, then the test images.
    const data = path.join(dir, 'digits.f32');
    const all = new Float32Array(splits.train.images.length + splits.test.images.length);
    all.set(splits.train.images, 0);
    all.set(splits.test.images, splits.train.images.length);
    writeFileSync(data, new Uint8Array(all.buffer));
    const config = {
      data,
      train_n: splits.train.n,
      test_n: splits.test.n,
      cases: cases.map((c) => ({ preset: c.preset, arch: c.arch, loss: c.loss, noise: c.noise, beta: c.beta })),
      train_batches: [...TRAIN_BATCHES],
      infer_batches: [...INFER_BATCHES],
      adam: ADAM,
      seed: SEED,
      timing: {
        quick: s.quick,
        warmup_ms: s.warmup.minMs, warmup_max_ms: s.warmup.maxMs, warmup_min_calls: s.warmup.minCalls,
        budget_ms: s.budgetMs, min_samples: s.minSamples, max_samples: s.maxSamples, min_sample_ms: s.minSampleMs,
        slow_ms: s.slowMs, slow_samples: s.slowSamples,
      },
    };
    const configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    console.log(`pytorch ${probe.version}: running ${SCRIPT}`);
    const r = spawnSync(PYTHON, [SCRIPT, configFile], { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
    const records: ModelRecord[] = [];
    for (const line of (r.stdout ?? '').split('\n')) {
      if (line.startsWith('{')) records.push(JSON.parse(line) as ModelRecord);
    }
    const notes = r.status === 0 ? [] : [`pytorch: ${SCRIPT} exited with status ${r.status}${r.error ? ` (${r.error.message})` : ''}; ${records.length} records kept.`];
    return { records, notes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
