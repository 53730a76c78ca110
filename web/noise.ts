// A fixed Gaussian noise pattern per test digit (seeded, so the slider scales one pattern
// instead of redrawing a new one at every step, which would flicker).

/** mulberry32: a tiny seeded PRNG; quality is ample for a picture's noise. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard normal values (Box-Muller) from a seed. */
export function gaussianField(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed * 2654435761);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** clip(clean + sigma * field, 0, 1), as the trainer's --noise does. */
export function addNoise(clean: Float32Array, field: Float32Array, sigma: number): Float32Array {
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) out[i] = Math.min(1, Math.max(0, clean[i]! + sigma * field[i]!));
  return out;
}
