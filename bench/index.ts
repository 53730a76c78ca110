// The benchmark: the kernel suite, then training and inference of the presets on our
// WASM builds (the threads build at 1, 2, ... threads too), our JS baseline, TF.js (cpu,
// wasm) and PyTorch when installed; then the multi-core bars (bench/threads.ts).
//
//   npm run bench                      full run (about 12 min): bench/results/{kernels,train,
//                                      infer,heap,bench.meta}.json and the kernels, threads,
//                                      training and inference sections of bench/README.md
//   npm run bench -- --quick           under two minutes: fewer repeats, TF.js cpu skips the
//                                      conv step at batch 256; writes *-quick.json only
//   npm run bench -- --quick --check   also compares the speed ratios with the committed
//                                      results; exits 1 if a WASM/JS ratio dropped by > 1/3
//   ... --skip-kernels                 model suites only; with --runtimes ae-wasm,tfjs-wasm just
//                                      those runtimes (partial runs print but write nothing);
//                                      `--runtimes threads`: our threads build at 1, 2, ... threads
//
// `npm run bench` runs node with --expose-gc (exact heap figures) and
// --experimental-wasm-relaxed-simd (Node 20 validates kernels-relaxed.wasm only with it).

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { isThreadRecord } from './kernel-report.js';
import { runKernelSuite, type KernelSuiteResult } from './kernel-suite.js';
import { machineInfo, machineLine } from './lib/machine.js';
import { updateMarkedSection } from './lib/markdown.js';
import { writeResults } from './lib/results.js';
import { now } from './lib/timing.js';
import { inferenceSection, trainingSection, type ReportInfo } from './model-report.js';
import { FULL_MODELS, QUICK_MODELS, runModelSuites } from './model-suite.js';
import { compareWithBaseline, KEEP, loadBaseline } from './regression.js';
import { RUNTIMES, type RuntimeSelector } from './model-cases.js';
import { barsSection, barStatus, measureHandOff, threadBars } from './threads.js';

const README = fileURLToPath(new URL('./README.md', import.meta.url));

async function main(): Promise<number> {
  const start = now();
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'skip-kernels': { type: 'boolean', default: false },
      runtimes: { type: 'string' },
    },
  });
  const only = values.runtimes?.split(',').map((x) => x.trim()) as RuntimeSelector[] | undefined;
  const selectors: RuntimeSelector[] = [...RUNTIMES, 'threads'];
  const unknown = only?.filter((r) => !selectors.includes(r));
  if (unknown?.length) throw new Error(`--runtimes: unknown ${unknown.join(', ')}; expected some of ${selectors.join(', ')}`);
  // A partial run (some suites or runtimes left out) prints its tables but writes nothing.
  const partial = values['skip-kernels'] || only !== undefined;
  const quick = values.quick;
  const machine = machineInfo();
  const command = `npm run bench${quick ? ' -- --quick' : ''}`;
  const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
  console.log(`benchmark (${quick ? 'quick' : 'full'}): ${machineLine(machine)}; global.gc ${gcExposed ? 'available' : 'NOT available (run with node --expose-gc)'}`);
  // Read before anything is written: a full run with --check replaces these files.
  const baseline = values.check ? loadBaseline() : null;

  let kernels: KernelSuiteResult | null = null;
  if (!values['skip-kernels']) kernels = await runKernelSuite({ quick, command, machine });

  const models = await runModelSuites(quick ? QUICK_MODELS : FULL_MODELS, only);
  const totalSeconds = (now() - start) / 1000;
  const suffix = quick ? '-quick' : '';
  const names = { train: 'train' + suffix, infer: 'infer' + suffix, heap: 'heap' + suffix, meta: 'bench' + suffix + '.meta' };
  const info: ReportInfo = { machine, command, totalSeconds, kernelsIncluded: kernels !== null, names, tfjsVersion: tf.version_core };

  const training = trainingSection(models, info);
  const inference = inferenceSection(models, info);
  const bars = threadBars(kernels?.records.filter(isThreadRecord) ?? null, models.records);
  const handOff = only === undefined || only.includes('threads') ? await measureHandOff() : null;
  const threads = barsSection(bars, command, machine, handOff);
  console.log('\n' + training + '\n\n' + inference + '\n\n' + threads + '\n');

  const byName = (suite: string) => models.records.filter((r) => r.suite === suite);
  if (partial) {
    console.log('--skip-kernels / --runtimes: partial run, nothing written');
  } else {
    console.log(`wrote ${await writeResults(names.train, byName('train'))}`);
    console.log(`wrote ${await writeResults(names.infer, byName('infer'))}`);
    console.log(`wrote ${await writeResults(names.heap, models.heap)}`);
    const meta = {
      machine, command, totalSeconds: Math.round(totalSeconds), gcExposed,
      kernelSeconds: kernels ? Math.round(kernels.totalSeconds) : null,
      modelSeconds: Math.round(models.totalSeconds),
      tfjs: tf.version_core, notes: models.notes, firstStepLosses: models.losses, poolHandOff: handOff,
    };
    console.log(`wrote ${await writeResults(names.meta, meta)}`);
  }
  // The README keeps the full run's numbers; a quick run is only a check.
  if (!quick && !partial) {
    await updateMarkedSection(README, 'training', training);
    await updateMarkedSection(README, 'inference', inference);
    await updateMarkedSection(README, 'threads', threads);
    console.log(`updated the training, inference and threads sections of ${README}`);
  }

  let status = 0;
  if (kernels && kernels.failed.length > 0) status = 1;
  if (baseline) {
    const r = compareWithBaseline(baseline, { kernels: kernels?.records ?? null, models: models.records });
    console.log(`\n--check against ${baseline.sources.join(', ')}: ${r.compared} ratios compared (fail: a WASM/JS ratio below ${KEEP.toFixed(2)}x the committed one by wall and CPU time)`);
    for (const l of r.lines) console.log('  ' + l);
    if (r.compared === 0) console.log('  nothing to compare: no committed results with the same cases');
    if (r.warnings.length) console.log(`${r.warnings.length} report-only ratio(s) (peers, threads) dropped by more than a third (reported, not failing)`);
    if (r.failures.length) {
      console.error(`--check FAILED: ${r.failures.length} WASM/JS ratio(s) dropped by more than a third:\n  ${r.failures.join('\n  ')}`);
      status = 1;
    } else {
      console.log('--check passed');
    }
  }
  // Report-only: on this shared host a bar can be missed for reasons outside the code.
  console.log(`multi-core bars (2 threads): ${bars.map((b) => `${b.what}: ${barStatus(b).replace(/\*/g, '')}`).join('; ')}`);
  console.log(`total ${totalSeconds.toFixed(1)} s (kernels ${kernels ? kernels.totalSeconds.toFixed(1) : '—'} s, models ${models.totalSeconds.toFixed(1)} s)`);
  return status;
}

process.exitCode = await main();
