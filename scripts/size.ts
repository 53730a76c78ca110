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
  return { files, pages, worstPage: Math.max(...pages.filter((p) => !p.what.includes('inline')).map((p) => p.gzip)) };
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
