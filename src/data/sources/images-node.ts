// Image class folders decoded with sharp (Node only): SOURCE/<label>/*.{png,jpg,jpeg,webp}.
// Validation before allocation, in three passes: list every file (hidden names skipped,
// counted against maxImages), read each one's header (sharp's metadata() decodes no pixels)
// and check its pixel count, format and size, then check the decoded total against the
// budget; only then decode. Decoding: resize to imageSize with fit "fill" (the aspect ratio
// is not kept, as Keras' image_dataset_from_directory does by default) and a bilinear
// kernel; 1 channel is sharp's greyscale (luminance), 3 channels are sRGB; alpha is dropped.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Metadata, OutputInfo } from 'sharp';
import { ArgumentError, DataError, FileError } from '../../errors.js';
import { readFileBytes } from '../../io/file-node.js';
import type { DataLimits, DataSplit } from './types.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;
/**
 * sharp, loaded on first use: it brings libvips (about 0.2 s of CPU), which every CLI start
 * paid when it was a static import, though only image folders need it.
 */
let sharpModule: Promise<(typeof import('sharp'))['default']> | undefined;
const loadSharp = () => (sharpModule ??= import('sharp').then((m) => m.default));

/** Formats sharp may decode here: an SVG or TIFF renamed .png is refused, not rendered. */
const FORMATS = new Set(['png', 'jpeg', 'webp']);
/** Decodes in flight at once: sharp runs each on libuv's pool, so a few keep it busy. */
const CONCURRENCY = 4;

export interface ImageOptions {
  /** [height, width] to resize every image to; default the first image's size, which all must then have. */
  imageSize?: readonly [number, number];
  /** 1 (greyscale) or 3 (RGB); default 1 when every image is greyscale, else 3. */
  channels?: 1 | 3;
}

export interface ImageHeader {
  file: string;
  width: number;
  height: number;
  grey: boolean;
}

export interface ClassFolders {
  /** Sorted class folder names; label i is labelNames[i]. */
  labelNames: string[];
  files: { file: string; label: number }[];
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

function isImageName(name: string): boolean {
  const ext = path.extname(name).toLowerCase();
  return (IMAGE_EXTENSIONS as readonly string[]).includes(ext);
}

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new FileError(`cannot list ${dir}: ${(err as Error).message}`, dir, { cause: err });
  }
}

/**
 * The class folders directly under `dir` and the image files directly in each, sorted.
 * Hidden names are skipped; files of other extensions are ignored; an empty source, a
 * class folder without images and images outside class folders are DataErrors.
 */
export async function listClassFolders(dir: string, maxImages: number): Promise<ClassFolders> {
  const top = (await entries(dir)).filter((e) => !isHidden(e.name));
  const classes = top.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (classes.length === 0) {
    const loose = top.filter((e) => !e.isDirectory() && isImageName(e.name)).length;
    throw new DataError(
      loose > 0
        ? `${dir}: ${loose} image(s) lie directly in the folder; expected class folders ${dir}/<label>/*.png (one folder per label)`
        : `${dir}: no class folders found (the folder is empty); expected image class folders ${dir}/<label>/*.{${IMAGE_EXTENSIONS.map((e) => e.slice(1)).join(',')}} ` +
            `or MNIST-named IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, raw or .gz)`,
    );
  }
  const files: ClassFolders['files'] = [];
  for (const [label, name] of classes.entries()) {
    const folder = path.join(dir, name);
    const images = (await entries(folder))
      .filter((e) => !isHidden(e.name) && !e.isDirectory() && isImageName(e.name))
      .map((e) => e.name)
      .sort();
    if (images.length === 0) {
      throw new DataError(`${folder}: class folder ${JSON.stringify(name)} holds no images; expected files ending ${IMAGE_EXTENSIONS.join(', ')}`);
    }
    if (files.length + images.length > maxImages) {
      throw new DataError(`${dir}: more than ${maxImages} images (the maxImages limit); raise limits.maxImages to load them`);
    }
    for (const image of images) files.push({ file: path.join(folder, image), label });
  }
  return { labelNames: classes, files };
}

/** The header of an image file's bytes; anything sharp cannot read, or too many pixels, is a DataError naming `file`. */
export async function readImageHeader(bytes: Uint8Array, file: string, maxPixels: number): Promise<ImageHeader> {
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new DataError(`${file}: not a readable PNG, JPEG or WebP image (${(err as Error).message})`, { cause: err });
  }
  if (!FORMATS.has(meta.format)) throw new DataError(`${file}: is a ${meta.format} image; expected PNG, JPEG or WebP`);
  const { width, height } = meta;
  if (!(width >= 1 && height >= 1)) throw new DataError(`${file}: image header gives size ${height}x${width}; expected positive sizes`);
  if (width * height > maxPixels) {
    throw new DataError(`${file}: image is ${height}x${width} = ${width * height} pixels, over the ${maxPixels}-pixel limit (limits.maxImagePixels)`);
  }
  // Grey with or without alpha (any depth); a palette PNG reports its palette's 3 channels.
  return { file, width, height, grey: meta.channels <= 2 };
}

/** Decodes an image's bytes to `height` x `width` x `channels` uint8 pixels (HWC), resizing when its size differs. */
export async function decodeImage(
  bytes: Uint8Array,
  header: ImageHeader,
  height: number,
  width: number,
  channels: 1 | 3,
  maxPixels: number,
): Promise<Uint8Array> {
  const { file } = header;
  const sharp = await loadSharp();
  let out: { data: Buffer; info: OutputInfo };
  try {
    let img = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' });
    if (header.height !== height || header.width !== width) img = img.resize(width, height, { fit: 'fill', kernel: 'linear' });
    img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    out = await img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataError(`${file}: cannot decode the image (${(err as Error).message})`, { cause: err });
  }
  const { info, data } = out;
  if (info.width !== width || info.height !== height || info.channels !== channels || data.length !== width * height * channels) {
    throw new DataError(`${file}: decoded to ${info.height}x${info.width}x${info.channels}, expected ${height}x${width}x${channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export interface DecodedFolders {
  split: DataSplit;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** Checks `options` before any file is read. */
export function checkImageOptions(options: ImageOptions): void {
  const size = options.imageSize;
  if (size !== undefined && (!Array.isArray(size) || size.length !== 2 || !size.every((s) => Number.isSafeInteger(s) && s >= 1))) {
    throw new ArgumentError(`imageSize must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  if (options.channels !== undefined && options.channels !== 1 && options.channels !== 3) {
    throw new ArgumentError(`channels must be 1 or 3, got ${JSON.stringify(options.channels)}`);
  }
}

/**
 * Decodes the listed files into one split. Every header is read and checked (size
 * agreement, pixel cap, the decoded total against maxTotalBytes) before any decoding;
 * `reserved` bytes of the budget are already spent by another part of the source.
 */
export async function decodeFiles(
  files: ClassFolders['files'],
  options: ImageOptions,
  limits: DataLimits,
  reserved = 0,
): Promise<DecodedFolders> {
  checkImageOptions(options);
  const headers: ImageHeader[] = [];
  for (const { file } of files) {
    headers.push(await readImageHeader(await readFileBytes(file, limits.maxImageFileBytes), file, limits.maxImagePixels));
  }
  const first = headers[0]!;
  const [height, width] = options.imageSize ?? [first.height, first.width];
  if (options.imageSize === undefined) {
    const odd = headers.find((h) => h.height !== height || h.width !== width);
    if (odd) {
      throw new DataError(
        `${odd.file}: image is ${odd.height}x${odd.width} but ${first.file} is ${height}x${width}; every image must have the first image's size unless imageSize (--image-size HxW) is given`,
      );
    }
  }
  const channels = options.channels ?? (headers.every((h) => h.grey) ? 1 : 3);
  const sample = height * width * channels;
  if (height * width > limits.maxImagePixels) {
    throw new DataError(`imageSize ${height}x${width} is over the ${limits.maxImagePixels}-pixel limit (limits.maxImagePixels)`);
  }
  const total = reserved + files.length * sample;
  if (total > limits.maxTotalBytes) {
    throw new DataError(`${files.length} images of ${height}x${width}x${channels} need ${total} bytes, over the ${limits.maxTotalBytes}-byte budget (limits.maxTotalBytes)`);
  }
  const data = new Uint8Array(files.length * sample);
  for (let start = 0; start < files.length; start += CONCURRENCY) {
    const batch = files.slice(start, start + CONCURRENCY);
    const pixels = await Promise.all(
      batch.map(async ({ file }, j) => decodeImage(await readFileBytes(file, limits.maxImageFileBytes), headers[start + j]!, height, width, channels, limits.maxImagePixels)),
    );
    pixels.forEach((p, j) => data.set(p, (start + j) * sample));
  }
  return { split: { n: files.length, data, labels: Int32Array.from(files, (f) => f.label) }, height, width, channels };
}
