// ae-wasm eval: reconstruction metrics of a model on the test split.

import { Command } from 'commander';
import { evaluate, type Metrics } from '../train/evaluate.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom } from './context.js';
import { addModelOption, modelFrom } from './model-option.js';

interface EvalFlags {
  model: string;
  data?: string;
  backend: 'wasm' | 'js';
  json?: boolean;
}

const LABELS: Record<keyof Metrics, string> = {
  n: 'test images',
  mse: 'MSE per pixel',
  bce: 'BCE per pixel',
  denoise_mse: 'denoising MSE per pixel',
  nelbo: 'negative ELBO (nats/image)',
};

export function evalCommand(): Command {
  const cmd = new Command('eval').description('evaluate a model on the test split (MSE, BCE; denoising MSE and negative ELBO where they apply)');
  addModelOption(cmd);
  addDataOption(cmd);
  addBackendOption(cmd);
  cmd.option('--json', 'print the metrics as one JSON object');
  return cmd.action(async (flags: EvalFlags) => {
    const kernels = await backendFrom(flags);
    const model = await modelFrom(flags, kernels);
    const splits = await dataFrom(flags);
    const metrics = evaluate(model, splits.test, { noise: model.training?.noise ?? 0 });
    if (flags.json) {
      process.stdout.write(JSON.stringify(metrics) + '\n');
      return;
    }
    const rows = (Object.keys(metrics) as (keyof Metrics)[]).map((key) => {
      const v = metrics[key]!;
      return [LABELS[key], key === 'n' ? String(v) : key === 'nelbo' ? v.toFixed(2) : v.toFixed(6)] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`${flags.model} on ${splits.source}\n`);
    for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(w)}  ${value}\n`);
  });
}
