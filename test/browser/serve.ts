// A localhost server for the Chromium tests: the built bundle from a directory, plus
// bytes the test puts under a path (model files, mutated cases), all with COOP
// `same-origin` + COEP `require-corp` so the page is cross-origin isolated (threads).

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };
const HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store' };
const PAGE = new TextEncoder().encode('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>ae-wasm tests</title>');

export interface TestServer {
  /** http://127.0.0.1:port/ */
  url: string;
  /** Bytes served at a path ("/case/3"), before files under root. */
  files: Map<string, Uint8Array>;
  close(): Promise<void>;
}

/** Serves `root` (the bundle's directory as /browser/) and an empty page at /. */
export async function serveForTests(root: string): Promise<TestServer> {
  const files = new Map<string, Uint8Array>([['/', PAGE]]);
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, body: Uint8Array, file = pathname) => {
      res.writeHead(status, { ...HEADERS, 'Content-Type': TYPES[path.extname(file)] ?? (file === '/' ? TYPES['.html']! : 'application/octet-stream') });
      res.end(body);
    };
    const bytes = files.get(pathname);
    if (bytes) return send(200, bytes);
    const file = path.join(root, path.posix.normalize(pathname.replace(/^\/browser\//, '/')));
    if (!pathname.startsWith('/browser/') || !file.startsWith(root + path.sep)) return send(404, new Uint8Array());
    readFile(file).then((b) => send(200, b, file), () => send(404, new Uint8Array()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    files,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
