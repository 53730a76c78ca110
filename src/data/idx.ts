// The IDX format of MNIST and Fashion-MNIST, from bytes (no file access: browser-safe).
// Layout: magic [0, 0, type code, number of dims], one big-endian u32 per dim, then the
// values row-major. Only type 0x08 (unsigned byte) occurs in these data sets.
import { FormatError } from '../errors.js';
import { checkLabels, type Dataset } from './dataset.js';

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

function hex32(bytes: Uint8Array): string {
  let s = '0x';
  for (let i = 0; i < 4; i++) s += (bytes[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** Parses an unsigned-byte IDX array with exactly `ndims` dims; `file` names it in errors. */
export function parseIdx(bytes: Uint8Array, file: string, ndims: number): IdxArray {
  const wanted = `0x0000080${ndims}`;
  if (bytes.length < 4) {
    throw new FormatError(`${file}: ${bytes.length} bytes is too short for an IDX header (expected magic ${wanted})`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this is gzip data; give the file a .gz suffix)' : '';
    throw new FormatError(`${file}: not an IDX file: magic is ${hex32(bytes)}, expected ${wanted}${gzip}`);
  }
  const type = bytes[2]!;
  if (type !== 0x08) {
    const typeName = TYPE_NAMES[type] ?? 'unknown';
    throw new FormatError(
      `${file}: IDX type code 0x${type.toString(16).padStart(2, '0')} (${typeName}) is not supported; expected 0x08 (unsigned byte)`,
    );
  }
  if (bytes[3] !== ndims) {
    throw new FormatError(
      `${file}: expected an IDX array with ${ndims} dimensions (magic ${wanted}), found ${bytes[3]} (magic ${hex32(bytes)})`,
    );
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new FormatError(`${file}: IDX header needs ${header} bytes, file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - header;
  if (found !== expected) {
    const what = found < expected ? 'truncated' : 'trailing bytes';
    throw new FormatError(
      `${file}: ${dims.join(' x ')} payload needs ${expected} bytes, found ${found} (${what})`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

// Float32 of b / 255 for every byte value: one rounding, identical everywhere.
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/** An images file (n x height x width) and a labels file (n) as a Dataset, pixels b / 255. */
export function idxDataset(imageBytes: Uint8Array, labelBytes: Uint8Array, imagesFile: string, labelsFile: string): Dataset {
  const images = parseIdx(imageBytes, imagesFile, 3);
  const labels = parseIdx(labelBytes, labelsFile, 1);
  const [n, height, width] = images.dims as [number, number, number];
  if (height === 0 || width === 0) {
    throw new FormatError(`${imagesFile}: images are ${height}x${width}; expected both sizes positive`);
  }
  if (labels.dims[0] !== n) {
    throw new FormatError(`${imagesFile} holds ${n} images but ${labelsFile} holds ${labels.dims[0]} labels`);
  }
  checkLabels(labels.data, labelsFile);
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = BYTE_TO_UNIT[images.data[i]!]!;
  // A copy, as a plain Uint8Array: on Node the input may be a Buffer, whose slice() is a view.
  return { images: pixels, labels: new Uint8Array(labels.data), n, shape: [height, width, 1] };
}
