// A small static server for the demo page, on localhost only. It sends COOP
// `same-origin` + COEP `require-corp` so the page is cross-origin isolated (threads can
// use SharedArrayBuffer once the thread pool runs in browsers), serves .wasm as application/wasm
// (needed by streaming compilation), and offers the models under a runs directory:
//
//   /                         the built site (scripts/build-demo.ts), with the benchmark page at /bench.html
//   /models.json              [{name, url, bytes}] for each RUNS/<name>/model.safetensors
//   /runs/<name>/<file>       .safetensors files from RUNS

import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
const ALWAYS = {
  'X-Content-Type-Options': 'nosniff',
  // Always revalidate: a rebuilt bundle must never meet a stale .wasm from the cache.
  'Cache-Control': 'no-cache',
};

export interface DemoServerOptions {
  /** The built site. */
  root: string;
  /** Where model directories live (each with a model.safetensors). */
  runsDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** false: no COOP / COEP, so pages run as most sites serve them (one thread); tests use it. Default true. */
  isolated?: boolean;
}

export interface DemoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ModelEntry {
  name: string;
  url: string;
  bytes: number;
}

/** The models in runsDir, `dense` first (the page's default), then by name. */
export async function listModels(runsDir: string): Promise<ModelEntry[]> {
  const dirs = await readdir(runsDir, { withFileTypes: true }).catch(() => []);
  const out: ModelEntry[] = [];
  for (const d of dirs) {
    if (!d.isDirectory()) continue;
    const file = path.join(runsDir, d.name, 'model.safetensors');
    const s = await stat(file).catch(() => null);
    if (s?.isFile()) out.push({ name: d.name, url: `runs/${encodeURIComponent(d.name)}/model.safetensors`, bytes: s.size });
  }
  return out.sort((a, b) => Number(b.name === 'dense') - Number(a.name === 'dense') || a.name.localeCompare(b.name));
}

/** The file a URL path names inside base, or null when it escapes base. */
function inside(base: string, urlPath: string): string | null {
  const file = path.resolve(base, '.' + path.posix.normalize('/' + urlPath));
  return file === base || file.startsWith(base + path.sep) ? file : null;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: DemoServerOptions, headers: Record<string, string>): Promise<void> {
  const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { ...headers, 'Content-Type': type });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return send(400, 'bad request');
  }
  if (pathname === '/models.json') return send(200, JSON.stringify(await listModels(options.runsDir)), MIME['.json']);
  let file: string | null;
  if (pathname.startsWith('/runs/')) {
    file = pathname.endsWith('.safetensors') ? inside(path.resolve(options.runsDir), pathname.slice('/runs'.length)) : null;
  } else {
    file = inside(path.resolve(options.root), pathname.endsWith('/') ? pathname + 'index.html' : pathname);
  }
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) return send(404, `not found: ${pathname}`);
  res.writeHead(200, {
    ...headers,
    'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  const headers = options.isolated === false ? ALWAYS : { ...ISOLATION, ...ALWAYS };
  const server = http.createServer((req, res) => {
    handle(req, res, options, headers).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { ...headers, 'Content-Type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
