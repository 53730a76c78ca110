// Pictures in and out: a drawing, photo or canvas -> one sample of a model's input shape,
// and a model's output -> a canvas. For 28 x 28 x 1 (MNIST-like) models a picture becomes
// a centred digit, the way MNIST was made (src/viz/preprocess.ts); for any other H x W x C
// it is resized and converted to grey or RGB (src/viz/resize.ts). Both work with
// OffscreenCanvas, so a Web Worker can use them too. BrowserModel.imageToInput and
// drawOutput add the model's own preprocessing on top of these.

import { ArgumentError, ShapeError } from '../errors.js';
import { toMnistInput, type PixelImage, type PreprocessOptions } from '../viz/preprocess.js';
import { checkImageShape, toImageSample, type ImageFit } from '../viz/resize.js';

type Canvas = HTMLCanvasElement | OffscreenCanvas;
type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Anything with pixels: ImageData (or {width, height, data}), a canvas, an image or bitmap. */
export type ImageInput = PixelImage | ImageData | Canvas | HTMLImageElement | ImageBitmap;

export type { PreprocessOptions, ImageFit };

export const MNIST_SHAPE: readonly number[] = [28, 28, 1];
/** Full scale of the pixel units imageToPixels returns. */
const PIXEL_SCALE = 255;

export interface ImageOptions extends PreprocessOptions {
  /** The sample shape [H, W, C] to make, C 1 (grey) or 3 (RGB); default [28, 28, 1]. */
  shape?: readonly number[];
  /**
   * 'digit' (the default for [28, 28, 1], and only there): MNIST's preparation, a digit
   * cropped to its ink and centred. 'fill' (the default for other shapes): the whole picture
   * stretched to H x W, as the image-folder training data were. 'crop': the largest centred
   * window of H:W's aspect ratio, resized. `invert` and `threshold` apply to 'digit' only.
   */
  fit?: ImageFit | 'digit';
}

const isMnistShape = (shape: readonly number[]) => shape.length === 3 && shape.every((d, i) => d === MNIST_SHAPE[i]);
const FITS: readonly (ImageFit | 'digit')[] = ['digit', 'fill', 'crop'];

/**
 * One picture -> Float32Array [H, W, C] of pixel values in [0, 255] (the data's units for
 * 8-bit pictures). 'digit' fit: grayscale, inverted when dark ink is on a light background,
 * cropped to the ink, scaled to fit 20 x 20, centred by its centre of mass in 28 x 28
 * (throws DataError when blank). Otherwise resized to H x W (area averaging when shrinking,
 * bilinear when enlarging), RGB or Rec. 601 grey, alpha over white.
 */
export function imageToPixels(image: ImageInput, options: ImageOptions = {}): Float32Array {
  const { values, digit } = prepare(image, options, 'imageToPixels');
  return digit ? values.map((v) => v * PIXEL_SCALE) : values;
}

/**
 * One picture -> Float32Array [H, W, C] in [0, 1]: imageToPixels / 255, the input of a
 * model trained on pixels scaled by 255 (preprocessing "scale", and every model file
 * written before files recorded their preprocessing). For any model, model.imageToInput
 * applies the model's own preprocessing instead.
 */
export function imageToInput(image: ImageInput, options: ImageOptions = {}): Float32Array {
  const { values, digit } = prepare(image, options, 'imageToInput');
  return digit ? values : values.map((v) => v / PIXEL_SCALE);
}

/** The digit in [0, 1] ('digit' fit) or the resized picture in pixel units. */
function prepare(image: ImageInput, options: ImageOptions, what: string): { values: Float32Array; digit: boolean } {
  const shape = options.shape ?? MNIST_SHAPE;
  checkImageShape(shape, what);
  const fit = options.fit ?? (isMnistShape(shape) ? 'digit' : 'fill');
  if (!FITS.includes(fit)) throw new ArgumentError(`${what}: fit must be one of ${FITS.join(', ')}, found ${JSON.stringify(fit)}`);
  if (fit !== 'digit') return { values: toImageSample(pixelsOf(image, what), shape, fit), digit: false };
  if (!isMnistShape(shape)) throw new ArgumentError(`${what}: fit "digit" makes 28 x 28 x 1 MNIST digits, the shape is [${shape.join(', ')}]; use "fill" or "crop"`);
  return { values: toMnistInput(pixelsOf(image, what), options), digit: true };
}

function pixelsOf(image: ImageInput, what: string): PixelImage {
  if ('data' in image && 'width' in image && 'height' in image) return image;
  const { width, height } = sizeOf(image);
  if (!(width > 0 && height > 0)) throw new ShapeError(`${what}: the image has no pixels (${width} x ${height}); is it loaded?`);
  // A canvas with a 2D context reads directly; anything else is drawn onto a scratch canvas.
  const own = isCanvas(image) ? (image.getContext('2d') as Context2D | null) : null;
  if (own) return own.getImageData(0, 0, width, height);
  const ctx = scratchContext(width, height);
  ctx.drawImage(image as CanvasImageSource, 0, 0);
  return ctx.getImageData(0, 0, width, height);
}

function sizeOf(image: Exclude<ImageInput, PixelImage | ImageData>): { width: number; height: number } {
  if (typeof HTMLImageElement !== 'undefined' && image instanceof HTMLImageElement) return { width: image.naturalWidth, height: image.naturalHeight };
  return { width: image.width, height: image.height };
}

function isCanvas(v: unknown): v is Canvas {
  return (typeof HTMLCanvasElement !== 'undefined' && v instanceof HTMLCanvasElement) || (typeof OffscreenCanvas !== 'undefined' && v instanceof OffscreenCanvas);
}

function scratchContext(width: number, height: number): Context2D {
  const canvas: Canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d') as Context2D | null;
  if (!ctx) throw new ArgumentError('cannot get a 2D canvas context');
  return ctx;
}

export interface DrawOptions {
  /** Which image of a batch [n, H, W, C] to draw (default 0). */
  index?: number;
  /** One image's shape [H, W, C], C 1 (grey) or 3 (RGB); default [height, width, 1]. */
  shape?: readonly number[];
  /** Size of one grey image when no shape is given (default 28 x 28). */
  width?: number;
  height?: number;
  /** The values drawn black and white: [lo, hi], default [0, 1]; values beyond are clamped. */
  range?: readonly [number, number];
  /** Dark ink on white instead of MNIST's white ink on black (negates every channel). */
  invert?: boolean;
  /** Interpolate when scaling (default false: crisp pixels). */
  smooth?: boolean;
  /** Target rectangle on the canvas (default: all of it). */
  x?: number;
  y?: number;
  w?: number;
  h?: number;
}

/** Draws one grey or RGB image [H, W, C] (values mapped from `range`, clamped) scaled onto a canvas. */
export function drawImage(target: Canvas | Context2D, image: Float32Array | ArrayLike<number>, options: DrawOptions = {}): void {
  const [height, width, channels] = checkImageShape(options.shape ?? [options.height ?? 28, options.width ?? 28, 1], 'drawImage');
  const [lo, hi] = options.range ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new ArgumentError(`drawImage: range must be two finite numbers [lo, hi] with hi > lo, found [${lo}, ${hi}]`);
  const index = options.index ?? 0;
  const size = width * height * channels;
  if (!Number.isInteger(index) || index < 0 || (index + 1) * size > image.length) {
    throw new ShapeError(`drawImage: image ${index} of [${height}, ${width}, ${channels}] needs ${(index + 1) * size} values, found ${image.length}`);
  }
  const ctx = 'canvas' in target ? target : (target.getContext('2d') as Context2D | null);
  if (!ctx) throw new ArgumentError('drawImage: the canvas has no 2D context (it already has a WebGL one?)');
  const pixels = new ImageData(width, height);
  const start = index * size;
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) {
      const t = Math.min(1, Math.max(0, (image[start + p * channels + (channels === 1 ? 0 : k)]! - lo) / (hi - lo) || 0));
      pixels.data[4 * p + k] = Math.round((options.invert ? 1 - t : t) * 255);
    }
    pixels.data[4 * p + 3] = 255;
  }
  const scratch = scratchContext(width, height);
  scratch.putImageData(pixels, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = options.smooth ?? false;
  ctx.drawImage(scratch.canvas, options.x ?? 0, options.y ?? 0, options.w ?? ctx.canvas.width, options.h ?? ctx.canvas.height);
  ctx.restore();
}
