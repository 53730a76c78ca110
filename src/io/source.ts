// Bytes from a source given as bytes, a fetch() Response or an absolute URL — the part of
// loading a model file that Node and browsers share. No node: imports.

import { FileError } from '../errors.js';

export type ByteSource = Uint8Array | ArrayBuffer | Response;
/** A model file's place (a path or URL; Node reads paths and file: URLs, browsers resolve against the page) or its bytes. */
export type ModelSource = string | URL | ByteSource;

/**
 * The most bytes read from an HTTP response: the same 1 GiB as readFileBytes' limit for
 * files (DEFAULT_MAX_FILE_BYTES in file-node.ts, which this module cannot import). A
 * server may send an endless body or a false Content-Length; neither gets past it.
 */
export const MAX_RESPONSE_BYTES = 1 << 30;

export function isByteSource(source: unknown): source is ByteSource {
  return source instanceof Uint8Array || source instanceof ArrayBuffer || (typeof Response !== 'undefined' && source instanceof Response);
}

/** The bytes and a name for messages ("<bytes>", or the response's URL). */
export async function readByteSource(source: ByteSource, maxBytes = MAX_RESPONSE_BYTES): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: '<bytes>' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: '<bytes>' };
  const name = source.url || '<response>';
  return { bytes: await readResponse(source, name, maxBytes), name };
}

/** fetch(url)'s body, with a FileError naming the URL when it fails or passes `maxBytes`. */
export async function fetchBytes(url: URL, maxBytes = MAX_RESPONSE_BYTES): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new FileError(`${url.href}: fetch failed (${(err as Error).message})`, url.href, { cause: err });
  }
  return readResponse(res, url.href, maxBytes);
}

/**
 * A response's body, refused when it is over `maxBytes`: first by its Content-Length,
 * before a byte is read, then by counting while streaming, since the header may be
 * missing (chunked encoding) or lie. The body is cancelled as soon as it is refused.
 */
async function readResponse(res: Response, name: string, maxBytes: number): Promise<Uint8Array> {
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new FileError(`${name}: HTTP ${res.status} ${res.statusText}`.trimEnd(), name);
  }
  const tooLarge = (found: string): FileError => new FileError(`${name}: the response is ${found}, over the ${maxBytes}-byte limit`, name);
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(`${declared.trim()} bytes (Content-Length)`);
  }
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`more than ${maxBytes} bytes (counted while reading)`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(`${name}: reading the response failed (${(err as Error).message})`, name, { cause: err });
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}
