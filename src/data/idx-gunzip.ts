// Inflating a gzipped IDX file without trusting it: a few hundred KB of gzip can inflate
// to gigabytes, so we stream, read the IDX header as soon as it arrives, and stop soon after
// the output passes the size that header declares (header + product of the dims). The
// parser then sees exactly what the header promised or gets a FormatError naming why not.
import { createGunzip } from 'node:zlib';
import { FormatError } from '../errors.js';

/** The most an IDX file may inflate to, whatever its header claims. */
export const MAX_IDX_BYTES = 1 << 30;

/**
 * Output past the declared size that is still handed to parseIdx, so a few stray bytes
 * get its exact "found N (trailing bytes)" message; more than this is rejected here.
 */
const TRAILING_SLACK = 1 << 16;

/** The inflated bytes of gzip `bytes`; `file` names it in errors. */
export function gunzipIdx(bytes: Uint8Array, file: string, maxBytes = MAX_IDX_BYTES): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    let declared = -1;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      gunzip.destroy();
      reject(err);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      total += chunk.length;
      if (declared < 0 && total >= 4) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        const ndims = head[3]!;
        const headerBytes = 4 + 4 * ndims;
        if (total >= headerBytes) {
          let count = 1;
          for (let d = 0; d < ndims; d++) count *= head.readUInt32BE(4 + 4 * d);
          declared = headerBytes + count;
          if (declared > maxBytes) {
            return fail(new FormatError(`${file}: IDX header declares ${declared} bytes, over the ${maxBytes}-byte limit`));
          }
        }
      }
      if (total > (declared < 0 ? maxBytes : declared + TRAILING_SLACK)) {
        const what = declared < 0 ? `the ${maxBytes}-byte limit` : `the ${declared} bytes its IDX header declares by over ${TRAILING_SLACK}`;
        fail(new FormatError(`${file}: gzip data inflates to more than ${what} (trailing bytes)`));
      }
    });
    gunzip.on('error', (e) => fail(new FormatError(`${file}: corrupt gzip stream (${e.message})`, { cause: e })));
    gunzip.on('end', () => {
      if (done) return;
      done = true;
      const out = Buffer.concat(chunks, total);
      resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
    gunzip.end(bytes);
  });
}
