// `npm run demo`: builds the demo page, trains a few small models first when runs/ has
// none, and serves the page on localhost.
//
//   npm run demo [-- --port 8080] [-- --runs DIR]

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDemo } from './build-demo.js';
import { listModels, startDemoServer, type DemoServer } from './demo-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Small models for an empty runs/: quick to train, one of each kind the page shows off. */
const STARTERS = [
  { name: 'dense', args: ['--preset', 'dense', '--epochs', '5'] },
  { name: 'conv', args: ['--preset', 'conv', '--epochs', '3'] },
  { name: 'vae', args: ['--preset', 'vae', '--latent', '2', '--epochs', '8'] },
];

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

async function trainStarters(runsDir: string): Promise<void> {
  console.log(`No models under ${path.relative(ROOT, runsDir) || runsDir}/: training ${STARTERS.map((s) => s.name).join(', ')} for the demo (well under a minute).`);
  for (const s of STARTERS) {
    console.log(`\n== ${s.name} ==`);
    await run([path.join(ROOT, 'dist', 'cli', 'main.js'), 'train', ...s.args, '--out', path.join(runsDir, s.name)]);
  }
}

/** The asked-for port, or the next free one when it is taken. */
async function listen(root: string, runsDir: string, port: number): Promise<DemoServer> {
  for (let p = port; ; p++) {
    try {
      return await startDemoServer({ root, runsDir, port: p });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || p >= port + 20) throw err;
    }
  }
}

const { values } = parseArgs({
  options: { port: { type: 'string', default: process.env['PORT'] ?? '8080' }, runs: { type: 'string', default: 'runs' } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port: expected an integer in [0, 65535], found ${values.port}`);
  process.exit(2);
}
const runsDir = path.resolve(ROOT, values.runs);
if ((await listModels(runsDir)).length === 0) await trainStarters(runsDir);
const root = await buildDemo();
const server = await listen(root, runsDir, port);
const models = await listModels(runsDir);
console.log(`\nae-wasm demo: ${server.url}  (models: ${models.map((m) => m.name).join(', ')}; Ctrl-C stops)`);
console.log(`benchmark page: ${server.url}bench.html  (ae-wasm against TF.js and ONNX Runtime Web in your browser)`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void server.close().then(() => process.exit(0));
  });
}
