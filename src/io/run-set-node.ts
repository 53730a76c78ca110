// A training run's outputs as one set. A run works in a directory of its own inside OUT
// (OUT/run-STAMP-PID/: checkpoints as they are written, then the model, history and
// pictures) and commits by moving its files into OUT, removing the previous set's files
// the new set lacks, and writing OUT/run.json last: the run id, its status and every
// file's size and SHA-256. So OUT holds one run's files, a reader can verify them
// (verifyRunSet), and a run that fails before its commit leaves OUT as it was.
//
// An interrupted run (Ctrl-C, SIGTERM) commits into OUT only when OUT holds no other run's
// complete set; otherwise its set stays in its run directory, which is visible and kept
// (and named in the message) for --resume. A run killed outright leaves its run directory
// behind: with a checkpoint it is kept for --resume, without one the next run removes it;
// killed during its commit, the next run into OUT finishes that commit (commit.json).

import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FileError, FormatError } from '../errors.js';
import { prepareOutputDirectory, processAlive, readFileBytes, removeStaleTempFiles, writeFileAtomic } from './file-node.js';
import { isCheckpointName } from './run-checkpoints-node.js';

export const RUN_MANIFEST = 'run.json';
export const RUN_FORMAT = 'ae-wasm-run/1';

export type RunStatus = 'complete' | 'interrupted';

export interface RunFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** OUT/run.json: which run the files in OUT belong to, and what they are. */
export interface RunManifest {
  format: typeof RUN_FORMAT;
  run_id: string;
  status: RunStatus;
  files: RunFile[];
}

/**
 * The names a run writes into OUT. Only these are ever replaced or removed there; any
 * other file in OUT is the user's and is never touched.
 */
const OUTPUT_NAME = /^(?:(?:model|best|checkpoint(?:-\d{6,})?)\.safetensors|history\.json|(?:reconstructions|loss)\.png)$/;

/** A run directory: run-STAMP-PID (STAMP: UTC time the run started). */
const RUN_DIR = /^run-(\d{8}T\d{6}Z)-([1-9]\d{0,9})$/;

export function isRunDirectoryName(name: string): boolean {
  return RUN_DIR.test(name);
}

export interface Run {
  /** OUT: where a committed set lives. */
  readonly out: string;
  /** The run's own directory inside OUT, where it writes every file before the commit. */
  readonly dir: string;
  readonly id: string;
  /** Whether `dir` is an earlier run's directory this run resumed in (it is not ours to remove). */
  readonly resumed: boolean;
  /** What the start cleaned up: temp files and run directories of dead processes. */
  readonly removed: string[];
  /** Run directories of other, finished processes that hold checkpoints (kept for --resume). */
  readonly unfinished: string[];
  /** Run directories of dead processes killed during their commit, whose commit this start finished. */
  readonly finished: string[];
}

/**
 * Starts a run into `out`: checks it (prepareOutputDirectory), removes what dead processes
 * left there (our temp files, and run directories without a checkpoint), and creates the
 * run's directory — or continues in `resumeDir`, the run directory a resumed checkpoint lives in.
 */
export async function startRun(out: string, resumeDir?: string): Promise<Run> {
  await prepareOutputDirectory(out);
  const removed = (await removeStaleTempFiles(out)).map((n) => join(out, n));
  const unfinished: string[] = [];
  const finished: string[] = [];
  for (const entry of await fsp.readdir(out, { withFileTypes: true })) {
    const pid = runDirectoryPid(entry.name);
    if (pid === null || !entry.isDirectory()) continue;
    const dir = join(out, entry.name);
    removed.push(...(await removeStaleTempFiles(dir)).map((n) => join(dir, n)));
    if (dir === resumeDir || processAlive(pid)) continue;
    const intent = await readCommitIntent(dir);
    if (intent) {
      await finishCommit(out, dir, intent);
      finished.push(dir);
    } else if ((await fsp.readdir(dir)).some(isCheckpointName)) {
      unfinished.push(dir);
    } else {
      await fsp.rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  if (resumeDir) return { out, dir: resumeDir, id: basename(resumeDir).slice('run-'.length), resumed: true, removed, unfinished, finished };
  const id = `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${process.pid}`;
  const dir = join(out, `run-${id}`);
  try {
    await fsp.mkdir(dir);
  } catch (err) {
    throw new FileError(`cannot create the run directory ${dir}: ${(err as Error).message}`, dir, { cause: err });
  }
  return { out, dir, id, resumed: false, removed, unfinished, finished };
}

function runDirectoryPid(name: string): number | null {
  const m = RUN_DIR.exec(name);
  return m ? Number(m[2]) : null;
}

/** A failed run: its own directory goes, so OUT is as it was (a resumed-in directory keeps its checkpoints). */
export async function abandonRun(run: Run): Promise<void> {
  if (!run.resumed) await fsp.rm(run.dir, { recursive: true, force: true });
}

/**
 * Commits the run's files as one set and returns the directory that now holds them: OUT,
 * or for an interrupted run next to another run's complete set, the run's own directory.
 */
export async function commitRun(run: Run, status: RunStatus): Promise<string> {
  const names = (await fsp.readdir(run.dir)).filter((n) => OUTPUT_NAME.test(n)).sort();
  const manifest: RunManifest = { format: RUN_FORMAT, run_id: run.id, status, files: await Promise.all(names.map((n) => describeFile(run.dir, n))) };
  const text = JSON.stringify(manifest, null, 2) + '\n';
  if (status === 'interrupted' && (await holdsCompleteSet(run.out))) {
    await writeFileAtomic(join(run.dir, RUN_MANIFEST), text);
    return run.dir;
  }
  const previous = (await previousSetFiles(run.out)).filter((n) => !names.includes(n));
  // The intent first: a run killed from here on is finished by the next run into OUT
  // (finishCommit), so OUT never stays a mix of two sets.
  const intent: CommitIntent = { manifest, remove: previous };
  await writeFileAtomic(join(run.dir, COMMIT_INTENT), JSON.stringify(intent) + '\n');
  await finishCommit(run.out, run.dir, intent);
  return run.out;
}

/** A run's commit in progress: the manifest OUT will get and the previous set's files to remove. */
interface CommitIntent {
  manifest: RunManifest;
  remove: string[];
}

/** In a run directory: the commit this run started (written before the first file moves). */
const COMMIT_INTENT = 'commit.json';

/**
 * Carries out a commit; every step can be repeated, so a commit cut short by a kill is
 * finished by running it again: files still in the run directory move into OUT, the old
 * set's leftovers go, then OUT/run.json, then the run directory.
 */
async function finishCommit(out: string, dir: string, intent: CommitIntent): Promise<void> {
  // Without run.json, OUT is visibly between sets until the new manifest lands.
  await fsp.rm(join(out, RUN_MANIFEST), { force: true });
  for (const { name } of intent.manifest.files) {
    if (await fileExists(join(dir, name))) await fsp.rename(join(dir, name), join(out, name));
  }
  for (const name of intent.remove) await fsp.rm(join(out, name), { force: true });
  await writeFileAtomic(join(out, RUN_MANIFEST), JSON.stringify(intent.manifest, null, 2) + '\n');
  await fsp.rm(dir, { recursive: true, force: true });
}

/** The commit intent a dead run left in `dir`, checked like a manifest; null when it left none. */
async function readCommitIntent(dir: string): Promise<CommitIntent | null> {
  const where = join(dir, COMMIT_INTENT);
  const text = await readRecordText(where);
  if (text === null) return null;
  const r = parseJsonRecord(text, where, 'commit record') as Partial<CommitIntent> | null;
  if (typeof r !== 'object' || r === null || !Array.isArray(r.remove) || !r.remove.every((n) => typeof n === 'string' && OUTPUT_NAME.test(n))) {
    throw new FormatError(`${where}: expected {manifest, remove: [the previous set's file names]}`);
  }
  return { manifest: checkManifest(r.manifest, `${where} (its manifest)`), remove: r.remove };
}

async function describeFile(dir: string, name: string): Promise<RunFile> {
  const bytes = await readFileBytes(join(dir, name));
  return { name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Whether `out` holds a finished run's set: run.json says complete (or cannot be read), or an older ae-wasm left a model there. */
async function holdsCompleteSet(out: string): Promise<boolean> {
  const manifest = await readManifestText(out);
  if (manifest === null) return fileExists(join(out, 'model.safetensors'));
  try {
    return parseManifest(manifest, out).status === 'complete';
  } catch {
    return true;
  }
}

/** The files of the set in `out` now: our output names only, whether or not run.json lists them. */
async function previousSetFiles(out: string): Promise<string[]> {
  return (await fsp.readdir(out)).filter((n) => OUTPUT_NAME.test(n));
}

async function readManifestText(dir: string): Promise<string | null> {
  return readRecordText(join(dir, RUN_MANIFEST));
}

/** The largest run.json or commit.json read: far above any real one (a few hundred bytes). */
const MAX_RECORD_BYTES = 1 << 20;

/** A small JSON record file's text (a regular file, capped: never a FIFO or /dev/zero); null when it is not there. */
async function readRecordText(file: string): Promise<string | null> {
  const bytes = await readFileBytes(file, MAX_RECORD_BYTES).catch((err: unknown) => {
    if (errorCodeOf(err) === 'ENOENT') return null;
    throw err;
  });
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/** The OS error code behind a FileError (its cause), if any. */
function errorCodeOf(err: unknown): string | undefined {
  const code = ((err as { cause?: { code?: unknown } } | null)?.cause)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseJsonRecord(text: string, where: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError(`${where}: expected a JSON ${what}, found text that is not JSON`);
  }
}

async function fileExists(file: string): Promise<boolean> {
  return (await fsp.lstat(file).catch(() => null)) !== null;
}

function parseManifest(text: string, dir: string): RunManifest {
  const where = join(dir, RUN_MANIFEST);
  return checkManifest(parseJsonRecord(text, where, 'run manifest'), where);
}

/** A parsed manifest checked field by field; `where` starts every message. */
function checkManifest(value: unknown, where: string): RunManifest {
  const r = value as Partial<RunManifest> | null;
  if (typeof r !== 'object' || r === null || r.format !== RUN_FORMAT) throw new FormatError(`${where}: expected "format": "${RUN_FORMAT}"`);
  if (typeof r.run_id !== 'string') throw new FormatError(`${where}: expected a string "run_id"`);
  if (r.status !== 'complete' && r.status !== 'interrupted') throw new FormatError(`${where}: expected "status" complete or interrupted, found ${JSON.stringify(r.status)}`);
  if (!Array.isArray(r.files)) throw new FormatError(`${where}: expected a "files" array`);
  for (const [i, f] of r.files.entries()) {
    const ok = typeof f === 'object' && f !== null && typeof f.name === 'string' && OUTPUT_NAME.test(f.name) &&
      Number.isSafeInteger(f.bytes) && f.bytes >= 0 && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256);
    if (!ok) throw new FormatError(`${where}: files[${i}]: expected {name: one of the run's file names, bytes, sha256}, found ${JSON.stringify(f).slice(0, 200)}`);
  }
  return r as RunManifest;
}

/**
 * Reads `dir`/run.json and checks that every file it lists is there with its size and
 * SHA-256; returns the manifest, or a FormatError naming the first file that differs.
 */
export async function verifyRunSet(dir: string): Promise<RunManifest> {
  const text = await readManifestText(dir);
  if (text === null) throw new FormatError(`${dir}: no ${RUN_MANIFEST}; the directory holds no committed run (or one being committed)`);
  const manifest = parseManifest(text, dir);
  for (const expected of manifest.files) {
    // Only a file that is not there is "missing"; a FIFO or device in its place is a FileError, never read.
    const found = await describeFile(dir, expected.name).catch((err: unknown) => {
      if (errorCodeOf(err) === 'ENOENT') return null;
      throw err;
    });
    if (!found) throw new FormatError(`${dir}: ${expected.name} is listed in ${RUN_MANIFEST} but missing`);
    if (found.bytes !== expected.bytes || found.sha256 !== expected.sha256) {
      throw new FormatError(`${dir}: ${expected.name} differs from ${RUN_MANIFEST} (expected ${expected.bytes} bytes, sha256 ${expected.sha256.slice(0, 12)}…; found ${found.bytes} bytes, ${found.sha256.slice(0, 12)}…)`);
    }
  }
  return manifest;
}
