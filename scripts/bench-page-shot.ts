// The README's screenshot of the benchmark page (docs/bench-page.png): builds the demo site,
// serves it, runs the page in headless Chromium (the browser tests' set-up,
// test/browser/chromium.ts) and saves the finished page; prints the table it showed, with
// the load average, since figures from a shared machine mean little without it.
//
//   npx tsx scripts/bench-page-shot.ts [--query 'presets=dense&infer=1,256&train=256&n=5'] [--out docs/bench-page.png]

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HAVE_CHROMIUM, INSTALL_HINT, openPage } from '../test/browser/chromium.js';
import { buildDemo } from './build-demo.js';
import { startDemoServer } from './demo-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    query: { type: 'string', default: 'presets=dense,deep,conv,vae&infer=1,256&train=256&n=5' },
    out: { type: 'string', default: 'docs/bench-page.png' },
  },
});
if (!HAVE_CHROMIUM) {
  console.error(INSTALL_HINT);
  process.exit(1);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'ae-wasm-bench-page-'));
const site = await buildDemo(path.join(work, 'site'));
await mkdir(path.join(work, 'runs'));
const server = await startDemoServer({ root: site, runsDir: path.join(work, 'runs') });
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const loadBefore = load();
const browser = await openPage(`${server.url}bench.html?${values.query}&autorun=1`);
try {
  await browser.page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 15 * 60_000 });
  const out = path.resolve(ROOT, values.out);
  await mkdir(path.dirname(out), { recursive: true });
  await browser.page.screenshot({ path: out, fullPage: true });
  const rows = await browser.page.$$eval('#results tr', (trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
  console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
  console.log(`\n${await browser.page.textContent('#status')}; load average ${loadBefore} before, ${load()} after; wrote ${path.relative(ROOT, out)}`);
  if (browser.problems.length) console.log(`page problems:\n${browser.problems.join('\n')}`);
} finally {
  await browser.close();
  await server.close();
  await rm(work, { recursive: true, force: true });
}
