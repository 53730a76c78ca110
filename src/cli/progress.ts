// Training progress: a live bar on a terminal, one plain line per epoch otherwise, and
// nothing with --quiet (errors still go to stderr).

import cliProgress from 'cli-progress';
import { terminalText } from '../io/terminal-text.js';
import type { BatchInfo, Callbacks, EpochRecord } from '../train/trainer.js';

export interface Reporter extends Callbacks {
  /** Stops the bar (on completion, interruption or error). */
  stop(): void;
  /** One line, escaped (it may quote a checkpoint's preset or a data path). */
  log(line: string): void;
}

const fmtLoss = (v: number) => (Number.isFinite(v) ? v.toFixed(5) : 'n/a');
const fmtAccuracy = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');
const fmtRate = (v: number) => Math.round(v).toLocaleString('en-US');

export function epochLine(r: EpochRecord, epochs: number): string {
  const parts = [
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}`,
    `loss ${fmtLoss(r.loss)}`,
    `test_mse ${fmtLoss(r.test_mse)}`,
  ];
  if (r.val_loss !== undefined) parts.push(`val_loss ${fmtLoss(r.val_loss)}`);
  // A model with a classifier: its reconstruction MSE and accuracy on each split measured.
  if (r.mse !== undefined) parts.push(`mse ${fmtLoss(r.mse)}`);
  if (r.accuracy !== undefined) parts.push(`accuracy ${fmtAccuracy(r.accuracy)}`);
  if (r.val_accuracy !== undefined) parts.push(`val_accuracy ${fmtAccuracy(r.val_accuracy)}`);
  if (r.test_accuracy !== undefined) parts.push(`test_accuracy ${fmtAccuracy(r.test_accuracy)}`);
  parts.push(`${r.seconds.toFixed(1)}s`, `${fmtRate(r.samples_per_sec)} samples/s`);
  return parts.join('  ');
}

export function createReporter(mode: 'tty' | 'plain' | 'quiet', stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (mode === 'quiet') return { stop() {}, log() {} };
  let epochs = 0;
  if (mode === 'plain') {
    return {
      onTrainBegin: (i) => {
        epochs = i.epochs;
      },
      onEpochEnd: (r) => {
        process.stdout.write(epochLine(r, epochs) + '\n');
      },
      stop() {},
      log: (line) => process.stdout.write(terminalText(line) + '\n'),
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'epoch {epoch}/{epochs} {bar} {value}/{total} steps | {rate} samples/s | loss {loss} | ETA {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  return {
    onTrainBegin: (i) => {
      epochs = i.epochs;
    },
    onBatchEnd: (b: BatchInfo) => {
      if (!active) {
        bar.start(b.steps, 0, { epoch: b.epoch, epochs: b.epochs, rate: '-', loss: '-' });
        active = true;
      }
      bar.update(b.step, { epoch: b.epoch, epochs: b.epochs, rate: fmtRate(b.samplesPerSec), loss: fmtLoss(b.loss) });
    },
    onEpochEnd: (r) => {
      if (active) {
        bar.stop();
        active = false;
      }
      stream.write(epochLine(r, epochs) + '\n');
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
    log: (line) => stream.write(terminalText(line) + '\n'),
  };
}
