// What a model's output looks like on screen (the browser and the CLI's pictures): the values (in the data's units, after
// denormalize) drawn black and white. Pixels of 8-bit pictures keep their own scale, so a
// dark reconstruction stays dark; data of unknown range is stretched to full contrast.
//   no preprocessing (files before it was recorded)  [0, 1]: the model's own [0, 1] pixels
//   scale                                            [0, scale] (255 for 8-bit pictures)
//   minmax, with every min and max within [0, 255]   [0, 255]: 8-bit pixels
//   anything else (none, standard, wider minmax)     the picture's own min and max
// A constant picture of unknown range is drawn mid-grey.

/** What the rule reads of a model's preprocessing (src/data/normalize.ts's Normalization). */
export interface DisplayPreprocessing {
  kind: string;
  scale?: number;
  min?: ArrayLike<number>;
  max?: ArrayLike<number>;
}

const PIXEL_MAX = 255;

/** The [lo, hi] drawn black and white for one picture in the data's units. */
export function displayRange(norm: DisplayPreprocessing | null, picture: ArrayLike<number>): [number, number] {
  if (!norm) return [0, 1];
  if (norm.kind === 'scale') return [0, norm.scale!];
  if (norm.kind === 'minmax' && Array.prototype.every.call(norm.min!, (v: number) => v >= 0) && Array.prototype.every.call(norm.max!, (v: number) => v <= PIXEL_MAX)) return [0, PIXEL_MAX];
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < picture.length; i++) {
    const v = picture[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [0, 1];
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}
