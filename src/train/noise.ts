// Denoising input: input = clip(target + stddev * N(0, 1), 0, 1), fresh noise per call.

import type { Kernels } from '../kernels/kernels.js';
import type { RandomStream } from '../random/streams.js';

export function addInputNoise(kernels: Kernels, target: number, input: number, count: number, stddev: number, stream: RandomStream): void {
  kernels.randNormal(input, count, stream.key, stream.take(count), 0, stddev);
  kernels.add(input, target, input, count);
  kernels.clip(input, 0, 1, input, count);
}
