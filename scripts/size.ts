// Gzipped sizes of the browser bundles and each .wasm build, and what a page downloads to
// run a model: the bundle plus the one build it selects. The budget is 60 KB gzipped.
//
//   npm run size [-- DIR]     (DIR defaults to dist/browser; `npm run build` first)
//
// Prints a Markdown table (the README's) and exits 1 when a page would exceed the budget.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BUILDS } from '../src/kernels/builds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUDGET_BYTES = 60 * 1024;

export interface SizeRow {
  file: string;
  bytes: number;
  gzip: number;
}

export interface SizeReport {
  files: SizeRow[];
  /** For comparison: what a page downloads to run the same models with a peer (from node_modules; absent when not installed). */
  peers: { what: string; files: string[]; bytes: number; gzip: number }[];
  /** Bundle + one single-threaded build (each must fit the budget), and the inline bundle alone. */
  pages: { what: string; gzip: number }[];
  worstPage: number;
}

/** gzip -9, as a server's static compression would serve it. */
export const gzipSize = (bytes: Uint8Array): number => gzipSync(bytes, { level: 9 }).length;

export async function measure(dir: string): Promise<SizeReport> {
  const names = (await readdir(dir)).filter((f) => /^ae-wasm(\.inline)?\.js$|\.wasm$/.test(f)).sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const files: SizeRow[] = [];
  for (const file of names) {
    const bytes = await readFile(path.join(dir, file));
    files.push({ file, bytes: bytes.length, gzip: gzipSize(bytes) });
  }
  const get = (f: string) => files.find((r) => r.file === f);
  const js = get('ae-wasm.js');
  if (!js) throw new Error(`${dir} has no ae-wasm.js: run \`npm run build\` first`);
  // A page runs one single-threaded build; the threads builds serve the worker pool.
  const pages = BUILDS.filter((b) => !b.threads)
    .map((b) => b.name)
    .filter((w) => get(w))
    .map((w) => ({ what: `ae-wasm.js + ${w}`, gzip: js.gzip + get(w)!.gzip }));
  const inline = get('ae-wasm.inline.js');
  if (inline) pages.push({ what: 'ae-wasm.inline.js alone', gzip: inline.gzip });
  // The inline bundle carries both builds by design, so it is reported but not held to the budget.
  return { files, pages, peers: await peerDownloads(), worstPage: Math.max(...pages.filter((p) => !p.what.includes('inline')).map((p) => p.gzip)) };
}

/**
 * The minimal files each peer's page needs for inference on the wasm backend, from the
 * installed packages: ONNX Runtime Web's wasm-only ESM bundle, its loader and its one
 * (SIMD, threaded) .wasm; TF.js core + layers + the wasm backend (minified UMD bundles,
 * as a CDN serves them) and its SIMD .wasm.
 */
const PEERS: { what: string; files: string[] }[] = [
  {
    what: 'onnxruntime-web (wasm)',
    files: ['onnxruntime-web/dist/ort.wasm.min.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'],
  },
  {
    what: 'TF.js core + layers + wasm backend',
    files: [
      '@tensorflow/tfjs-core/dist/tf-core.min.js', '@tensorflow/tfjs-layers/dist/tf-layers.min.js',
      '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    ],
  },
];

async function peerDownloads(): Promise<SizeReport['peers']> {
  const out: SizeReport['peers'] = [];
  for (const peer of PEERS) {
    try {
      const all = await Promise.all(peer.files.map((f) => readFile(path.join(ROOT, 'node_modules', f))));
      out.push({ ...peer, bytes: all.reduce((n, b) => n + b.length, 0), gzip: all.reduce((n, b) => n + gzipSize(b), 0) });
    } catch {
      // Not installed (a production install has no devDependencies): nothing to compare.
    }
  }
  return out;
}

function order(file: string): number {
  return file === 'ae-wasm.js' ? 0 : file.endsWith('.js') ? 1 : file.includes('threads') ? 3 : 2;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function formatReport(r: SizeReport): string {
  const lines = ['| file | size | gzipped |', '|---|---:|---:|'];
  for (const f of r.files) lines.push(`| \`${f.file}\` | ${kb(f.bytes)} | ${kb(f.gzip)} |`);
  lines.push('', '| a page downloads | gzipped | budget |', '|---|---:|---:|');
  for (const p of r.pages) lines.push(`| ${p.what} | ${kb(p.gzip)} | ${p.what.includes('inline') ? '— (carries both builds)' : kb(BUDGET_BYTES)} |`);
  if (r.peers.length > 0) {
    lines.push('', '| for comparison, a page running a peer downloads | size | gzipped |', '|---|---:|---:|');
    const mb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : kb(n));
    for (const p of r.peers) lines.push(`| ${p.what}: ${p.files.map((f) => `\`${path.basename(f)}\``).join(' + ')} | ${mb(p.bytes)} | ${mb(p.gzip)} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'browser'));
  const report = await measure(dir);
  console.log(formatReport(report));
  if (report.worstPage > BUDGET_BYTES) {
    console.error(`\nover budget: a page downloads ${kb(report.worstPage)} gzipped, the budget is ${kb(BUDGET_BYTES)}`);
    process.exit(1);
  }
}
