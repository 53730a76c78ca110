// Whole-model gradient check on the JS spec in float64: every parameter gradient of
// backward() against central finite differences of loss(). Shared by the layer and the
// activation gradient tests.
import { expect } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import { RandomStream } from '../../src/random/streams.js';
import type { RunContext } from '../../src/nn/layer.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import type { GraphOptions, ModelGraph } from '../../src/models/graph.js';
import { uniform } from '../helpers.js';

/** Checks up to 25 entries of every parameter's gradient; returns how many it checked. `prepare` fills other graph inputs (labels). */
export function checkModelGradients(arch: Architecture, options: Omit<GraphOptions, 'batch' | 'training'>, seed = 7, prepare?: (g: ModelGraph, kernels: JsKernels) => void): number {
  const kernels = new JsKernels('f64');
  const model = new Autoencoder(kernels, arch).initialize(seed);
  // Nudge biases off zero so every bias path is exercised.
  for (const p of model.params.list) if (p.name.endsWith('bias')) kernels.heap.write(p.value, uniform(p.size, p.size * 31, -0.1, 0.1));
  model.params.ensureTraining([]);
  const batch = 3;
  const n = 2; // a short last batch: the graph runs fewer rows than it was planned for
  const g = model.compile({ batch, training: true, ...options });
  kernels.heap.write(g.target.offset, uniform(batch * model.inputSize, 99, 0.05, 0.95));
  prepare?.(g, kernels);
  const noise = new RandomStream(1234);
  const ctx: RunContext = { kernels, training: true, noise };
  const f = (): number => {
    noise.counter = 0; // the same noise and eps for every evaluation
    g.forward(ctx, n);
    return g.loss(n);
  };
  f();
  g.backward(ctx, n);
  const h = 1e-6;
  let checked = 0;
  // Non-trainable state (moving statistics) has no gradient: training-mode forwards never read it.
  for (const p of model.params.trainable) {
    const analytic = Float64Array.from(kernels.heap.data.subarray(p.grad, p.grad + p.size));
    const d = kernels.heap.data;
    const stride = Math.max(1, Math.floor(p.size / 25));
    for (let i = 0; i < p.size; i += stride) {
      const w = d[p.value + i]!;
      d[p.value + i] = w + h;
      const up = f();
      d[p.value + i] = w - h;
      const down = f();
      d[p.value + i] = w;
      const numeric = (up - down) / (2 * h);
      const got = analytic[i]!;
      expect(Math.abs(got - numeric), `${p.name}[${i}]: analytic ${got} vs numeric ${numeric}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      checked++;
    }
  }
  g.release();
  model.dispose();
  return checked;
}
