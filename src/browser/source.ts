// A model source -> its bytes and a name for messages: a URL (string or URL, resolved
// against the page or worker), a fetch() Response, or the bytes themselves.

import { ArgumentError } from '../errors.js';
import { fetchBytes, isByteSource, readByteSource, type ModelSource } from '../io/source.js';
import { resolveUrl } from './builds.js';

/** The browser's reader: strings and URLs are fetched (Node's readModelSource also reads paths). */
export async function fetchModelSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (isByteSource(source)) return readByteSource(source);
  if (typeof source === 'string' || source instanceof URL) {
    const url = resolveUrl(source, 'loadModel');
    return { bytes: await fetchBytes(url), name: url.href };
  }
  throw new ArgumentError('loadModel: expected a URL, a Response, an ArrayBuffer or a Uint8Array of a .safetensors model file');
}
