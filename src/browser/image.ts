// Pictures in and out: a drawing, photo or canvas -> the 28 x 28 input a model expects
// (MNIST's own preparation, src/viz/preprocess.ts), and a model's output -> a canvas.
// Both work with OffscreenCanvas, so a Web Worker can use them too.

import { ArgumentError, ShapeError } from '../errors.js';
import { toMnistInput, type PixelImage, type PreprocessOptions } from '../viz/preprocess.js';

type Canvas = HTMLCanvasElement | OffscreenCanvas;
type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Anything with pixels: ImageData (or {width, height, data}), a canvas, an image or bitmap. */
export type ImageInput = PixelImage | ImageData | Canvas | HTMLImageElement | ImageBitmap;

export type { PreprocessOptions };

/**
 * One digit picture -> Float32Array(784), [28, 28, 1] in [0, 1], the way MNIST was made:
 * grayscale, inverted when dark ink is on a light background, cropped to the ink, scaled
 * to fit 20 x 20, centred by its centre of mass in 28 x 28. Throws DataError when blank.
 */
export function imageToInput(image: ImageInput, options: PreprocessOptions = {}): Float32Array {
  return toMnistInput(pixelsOf(image), options);
}

function pixelsOf(image: ImageInput): PixelImage {
  if ('data' in image && 'width' in image && 'height' in image) return image;
  const { width, height } = sizeOf(image);
  if (!(width > 0 && height > 0)) throw new ShapeError(`imageToInput: the image has no pixels (${width} x ${height}); is it loaded?`);
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
  /** Which image of a batch [n, 28, 28, 1] to draw (default 0). */
  index?: number;
  /** Size of one image (default 28 x 28). */
  width?: number;
  height?: number;
  /** Dark ink on white instead of MNIST's white ink on black. */
  invert?: boolean;
  /** Interpolate when scaling (default false: crisp pixels). */
  smooth?: boolean;
  /** Target rectangle on the canvas (default: all of it). */
  x?: number;
  y?: number;
  w?: number;
  h?: number;
}

/** Draws one grayscale image with values in [0, 1] (clamped) scaled onto a canvas. */
export function drawImage(target: Canvas | Context2D, image: Float32Array | ArrayLike<number>, options: DrawOptions = {}): void {
  const width = options.width ?? 28;
  const height = options.height ?? 28;
  const index = options.index ?? 0;
  const size = width * height;
  if (!Number.isInteger(index) || index < 0 || (index + 1) * size > image.length) {
    throw new ShapeError(`drawImage: image ${index} of ${width} x ${height} needs ${(index + 1) * size} values, found ${image.length}`);
  }
  const ctx = 'canvas' in target ? target : (target.getContext('2d') as Context2D | null);
  if (!ctx) throw new ArgumentError('drawImage: the canvas has no 2D context (it already has a WebGL one?)');
  const pixels = new ImageData(width, height);
  for (let i = 0; i < size; i++) {
    const v = Math.min(1, Math.max(0, image[index * size + i]! || 0));
    const g = Math.round((options.invert ? 1 - v : v) * 255);
    pixels.data[4 * i] = pixels.data[4 * i + 1] = pixels.data[4 * i + 2] = g;
    pixels.data[4 * i + 3] = 255;
  }
  const scratch = scratchContext(width, height);
  scratch.putImageData(pixels, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = options.smooth ?? false;
  ctx.drawImage(scratch.canvas, options.x ?? 0, options.y ?? 0, options.w ?? ctx.canvas.width, options.h ?? ctx.canvas.height);
  ctx.restore();
}
