// Rotated checkpoints in a run directory: checkpoint-EEEEEE.safetensors per checkpointed
// epoch (the newest `keep` kept), and checkpoint.safetensors, the latest, as a hard link
// to the newest (a copy where links are refused). Every name is replaced by rename only, so
// a kill -9 at any moment leaves each name holding a whole file: the previous one or the new.

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import { syncDirectory, tempName, writeFileAtomic } from './file-node.js';

export const LATEST_CHECKPOINT = 'checkpoint.safetensors';

const EPOCH_CHECKPOINT = /^checkpoint-(\d{6,})\.safetensors$/;

export function epochCheckpointName(epoch: number): string {
  return `checkpoint-${String(epoch).padStart(6, '0')}.safetensors`;
}

/** checkpoint.safetensors or checkpoint-EEEEEE.safetensors. */
export function isCheckpointName(name: string): boolean {
  return name === LATEST_CHECKPOINT || EPOCH_CHECKPOINT.test(name);
}

/**
 * Writes the checkpoint of `epoch` into `dir` as checkpoint-EEEEEE.safetensors, points
 * checkpoint.safetensors at it, then removes all but the newest `keep` epoch checkpoints.
 */
export async function writeRotatedCheckpoint(dir: string, epoch: number, bytes: Uint8Array, keep: number): Promise<string> {
  const name = epochCheckpointName(epoch);
  await writeFileAtomic(join(dir, name), bytes);
  await linkLatest(dir, name, bytes);
  const epochs = (await fsp.readdir(dir)).filter((n) => EPOCH_CHECKPOINT.test(n)).sort().reverse();
  for (const old of epochs.slice(keep)) await fsp.rm(join(dir, old), { force: true });
  return join(dir, name);
}

/** Replaces checkpoint.safetensors by a link to `name` made under a temp name (rename is the atomic step). */
async function linkLatest(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dir, tempName(LATEST_CHECKPOINT));
  try {
    await fsp.link(join(dir, name), temp);
  } catch {
    // No hard links here (some network and FAT file systems): a copy, written atomically.
    await writeFileAtomic(join(dir, LATEST_CHECKPOINT), bytes);
    return;
  }
  try {
    await fsp.rename(temp, join(dir, LATEST_CHECKPOINT));
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw new FileError(`cannot write ${join(dir, LATEST_CHECKPOINT)}: ${(err as Error).message}`, join(dir, LATEST_CHECKPOINT), { cause: err });
  }
  await syncDirectory(join(dir, LATEST_CHECKPOINT));
}

/**
 * The checkpoints under `dir` (its own, and those of the run directories in it), newest
 * first by modification time; a caller takes the first that loads.
 */
export async function checkpointsUnder(dir: string, isRunDirectory: (name: string) => boolean): Promise<string[]> {
  const found: { file: string; mtime: number; epoch: number }[] = [];
  const scan = async (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const file = join(d, e.name);
      if (e.isFile() && isCheckpointName(e.name)) {
        const stats = await fsp.stat(file).catch(() => null);
        // checkpoint.safetensors ties with the epoch file it links to; either will do.
        if (stats) found.push({ file, mtime: stats.mtimeMs, epoch: Number(EPOCH_CHECKPOINT.exec(e.name)?.[1] ?? Infinity) });
      } else if (depth === 0 && e.isDirectory() && isRunDirectory(e.name)) {
        await scan(file, 1);
      }
    }
  };
  await scan(dir, 0);
  return found.sort((a, b) => b.mtime - a.mtime || b.epoch - a.epoch).map((f) => f.file);
}
