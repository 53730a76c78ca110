// Seeded permutations for splits and epoch shuffles; reproducible on every platform
// because all randomness comes from the counter-based stream.
import type { RandomStream } from '../random/streams.js';

/** A Fisher-Yates permutation of 0 .. n-1; draws n - 1 values from `stream`. */
export function shuffledIndices(n: number, stream: RandomStream): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = stream.nextInt(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
