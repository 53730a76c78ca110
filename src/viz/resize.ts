// Any picture -> one sample of an image model's input shape H x W x C, in 8-bit pixel
// units (0..255 as float32, not rounded): what an image-folder data set holds for training
// (src/data/sources/images-node.ts), so the model's own preprocessing applies to it as to
// its training data. For models that are not MNIST-like; 28 x 28 x 1 digit models take
// toMnistInput's centred digit instead.
//   fit 'fill' (default)  stretch the whole picture to H x W (the aspect ratio is not kept),
//                         as the image-folder source and Keras' image_dataset_from_directory do
//   fit 'crop'            cut the largest centred window of H:W's aspect ratio, then resize
// Resampling averages each output pixel's footprint when shrinking and interpolates
// linearly when enlarging (preprocess.ts's resample). C = 3 keeps RGB; C = 1 is the Rec. 601
// luminance. Alpha is composited over white (a transparent canvas is blank paper).
import { ArgumentError, ShapeError } from '../errors.js';
import type { PixelImage } from './decode-png.js';
import { checkPixels, luma, resample } from './preprocess.js';

export type ImageFit = 'fill' | 'crop';
export const IMAGE_FITS: readonly ImageFit[] = ['fill', 'crop'];
/** Pixel units: the full scale of 8-bit samples, and the background behind transparency. */
const WHITE = 255;

/** Checks an image sample shape [H, W, C] with C 1 (grey) or 3 (RGB); `what` names the caller. */
export function checkImageShape(shape: readonly number[], what: string): [number, number, 1 | 3] {
  const [h, w, c] = shape;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(`${what}: expected an image shape [height, width, channels] of positive integers, found [${shape.join(', ')}]`);
  }
  if (c !== 1 && c !== 3) throw new ShapeError(`${what}: pictures convert to 1 (grey) or 3 (RGB) channels, the shape [${shape.join(', ')}] has ${c}`);
  return [h!, w!, c];
}

/** One picture as a Float32Array [H, W, C] (row-major, channels interleaved) of pixel values in [0, 255]. */
export function toImageSample(image: PixelImage, shape: readonly number[], fit: ImageFit = 'fill'): Float32Array {
  const [th, tw, tc] = checkImageShape(shape, 'toImageSample');
  if (!IMAGE_FITS.includes(fit)) throw new ArgumentError(`toImageSample: fit must be one of ${IMAGE_FITS.join(', ')}, found ${JSON.stringify(fit)}`);
  const { width, height } = image;
  const planes = colourPlanes(image, tc);
  let x0 = 0, y0 = 0, bw = width, bh = height;
  if (fit === 'crop') {
    // The widest window of the target's aspect that fits, centred (at least 1 pixel).
    if (width * th > height * tw) bw = Math.max(1, Math.round((height * tw) / th));
    else bh = Math.max(1, Math.round((width * th) / tw));
    x0 = Math.floor((width - bw) / 2);
    y0 = Math.floor((height - bh) / 2);
  }
  const out = new Float32Array(th * tw * tc);
  planes.forEach((plane, c) => {
    const resized = resample(plane, width, x0, y0, bw, bh, tw, th);
    for (let p = 0; p < resized.length; p++) out[p * tc + c] = resized[p]!;
  });
  return out;
}

/** The picture's C planes (grey, or R, G, B) in pixel units, alpha composited over white. */
function colourPlanes(image: PixelImage, planes: 1 | 3): Float32Array[] {
  const { data } = image;
  const { n, channels, max } = checkPixels(image, 'toImageSample');
  const colour = channels >= 3;
  const hasAlpha = channels === 2 || channels === 4;
  const unit = WHITE / max;
  const out = Array.from({ length: planes }, () => new Float32Array(n));
  for (let p = 0; p < n; p++) {
    const i = p * channels;
    const a = hasAlpha ? data[i + channels - 1]! / max : 1;
    const r = data[i]!, g = colour ? data[i + 1]! : r, b = colour ? data[i + 2]! : r;
    const over = (v: number) => v * unit * a + WHITE * (1 - a);
    if (planes === 1) out[0]![p] = over(colour ? luma(r, g, b) : r);
    else {
      out[0]![p] = over(r);
      out[1]![p] = over(g);
      out[2]![p] = over(b);
    }
  }
  return out;
}
