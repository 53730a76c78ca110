// HTTP bodies are read with a cap: a Content-Length over it is refused before reading,
// and the body is counted while streaming, so a missing or lying header and an endless
// chunked body stop at the limit with a FileError naming the URL. A local server; no
// internet needed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../src/io/file-node.js';
import { fetchBytes, MAX_RESPONSE_BYTES, readByteSource } from '../../src/io/source.js';

const LIMIT = 64 * 1024;
let server: http.Server;
let base: string;
/** Bytes each endless response had written when its connection closed. */
const endlessWritten: number[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/small') {
      res.writeHead(200, { 'content-length': '5' }).end('hello');
    } else if (req.url === '/declared-huge') {
      // Claims a body over the limit, then sends only a little: refused from the header.
      res.writeHead(200, { 'content-length': String(LIMIT + 1) });
      res.write('x');
    } else if (req.url === '/endless') {
      // Chunked (no Content-Length), never ends: only counting can stop it.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 7);
      let written = 0;
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => endlessWritten.push(written));
      pump();
    } else if (req.url === '/exact') {
      res.writeHead(200, { 'content-length': String(LIMIT) }).end(Buffer.alloc(LIMIT, 1));
    } else {
      res.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function refusal(p: Promise<unknown>): Promise<FileError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FileError);
  return err as FileError;
}

describe('HTTP reads are capped', () => {
  it('uses the same limit as files', () => {
    expect(MAX_RESPONSE_BYTES).toBe(DEFAULT_MAX_FILE_BYTES);
  });

  it('reads a body up to the limit exactly', async () => {
    expect(new TextDecoder().decode(await fetchBytes(new URL(`${base}/small`), LIMIT))).toBe('hello');
    expect((await fetchBytes(new URL(`${base}/exact`), LIMIT)).length).toBe(LIMIT);
  });

  it('refuses a Content-Length over the limit before reading the body', async () => {
    const err = await refusal(fetchBytes(new URL(`${base}/declared-huge`), LIMIT));
    expect(err.message).toBe(`${base}/declared-huge: the response is ${LIMIT + 1} bytes (Content-Length), over the ${LIMIT}-byte limit`);
    expect(err.path).toBe(`${base}/declared-huge`);
  });

  it('stops an endless chunked body at the limit and closes the connection', async () => {
    const err = await refusal(fetchBytes(new URL(`${base}/endless`), LIMIT));
    expect(err.message).toBe(`${base}/endless: the response is more than ${LIMIT} bytes (counted while reading), over the ${LIMIT}-byte limit`);
    // The server sees the connection close: the body was cancelled, not drained.
    await expect.poll(() => endlessWritten.length).toBe(1);
  });

  it('counts a Response whose Content-Length lies (readByteSource)', async () => {
    const res = await fetch(`${base}/endless`);
    const lying = new Response(res.body, { headers: { 'content-length': '10' } });
    Object.defineProperty(lying, 'url', { value: `${base}/endless` });
    const err = await refusal(readByteSource(lying, LIMIT));
    expect(err.message).toMatch(/endless: the response is more than 65536 bytes \(counted while reading\)/);
    // A hand-made endless stream too, with no URL to name.
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({ pull: (c) => void (pulled++, c.enqueue(new Uint8Array(1000))) });
    const err2 = await refusal(readByteSource(new Response(stream, { headers: { 'content-length': '3' } }), LIMIT));
    expect(err2.message).toMatch(/^<response>: the response is more than 65536 bytes/);
    expect(pulled).toBeLessThan(LIMIT / 1000 + 5);
  });

  it('names the URL and status of an HTTP error', async () => {
    const err = await refusal(fetchBytes(new URL(`${base}/missing`)));
    expect(err.message).toBe(`${base}/missing: HTTP 404 Not Found`);
  });
});
