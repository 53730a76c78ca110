// Node-only file access for model files, checkpoints, IDX and PNG inputs: capped reads of
// regular files whose errors name the path, and atomic writes. A writer killed midway (crash, power loss, Ctrl-C) must
// leave either the old file or the new one, never half of either, so we write a temp
// file in the same directory (rename is atomic only within one file system), fsync
// it, rename it over the target, then fsync the directory so the rename itself is
// durable.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError } from '../errors.js';

/** Directory fsync is refused on some platforms and file systems; that is not a failure. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

/**
 * The largest file readFileBytes reads unless told otherwise: well above any model file
 * or MNIST-sized IDX file, well below what would exhaust memory.
 */
export const DEFAULT_MAX_FILE_BYTES = 1 << 30;

/**
 * Reads a whole regular file of at most `maxBytes` bytes; anything else (missing,
 * unreadable, a directory, a device such as /dev/zero, a FIFO, too large) is a FileError
 * naming `path` and what it is. Checked on the open descriptor, so the file that is
 * measured is the one that is read, and a file that grows while we read is cut off.
 */
export async function readFileBytes(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array<ArrayBuffer>> {
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    handle = await fsp.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new FileError(`cannot read ${path}: ${reason(err)}`, path, { cause: err });
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new FileError(`cannot read ${path}: ${REASONS['EISDIR']} (EISDIR)`, path);
    if (!stats.isFile()) throw new FileError(`cannot read ${path}: it is ${fileKind(stats)}, not a regular file`, path);
    if (stats.size > maxBytes) {
      throw new FileError(`cannot read ${path}: it is ${stats.size} bytes, over the ${maxBytes}-byte limit for this kind of file`, path);
    }
    // One byte more than the size: finding it means the file grew since fstat.
    const bytes = new Uint8Array(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(bytes, length, bytes.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === bytes.length) throw new FileError(`cannot read ${path}: it grew while being read (expected ${stats.size} bytes)`, path);
    }
    return bytes.subarray(0, length);
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(`cannot read ${path}: ${reason(err)}`, path, { cause: err });
  } finally {
    await handle.close();
  }
}

function fileKind(stats: fs.Stats): string {
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Replaces `path` with `bytes` (a string is written as UTF-8) atomically, creating
 * parent directories. On failure the temp file is removed, an existing file at `path`
 * is untouched, and a FileError names `path`.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  let tempExists = false;
  try {
    await makeDirectory(dir);
    // 'wx' fails rather than reuse a name another writer holds.
    const handle = await fsp.open(temp, 'wx');
    tempExists = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, path);
    tempExists = false;
  } catch (err) {
    if (tempExists) await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw writeError(path, err);
  }
  await syncDirectory(path);
}

/** Makes a rename or removal of `path` durable: fsync of its directory, where the platform allows it. */
export async function syncDirectory(path: string): Promise<void> {
  let dirHandle: fsp.FileHandle | undefined;
  try {
    dirHandle = await fsp.open(dirname(path), 'r');
    await dirHandle.sync();
  } catch (err) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(errorCode(err))) throw directorySyncError(path, err);
  } finally {
    await dirHandle?.close();
  }
}

/**
 * Synchronous writeFileAtomic, for code that cannot await: a SIGINT handler writing a
 * last checkpoint before the process exits.
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  let tempExists = false;
  try {
    makeDirectorySync(dir);
    const fd = fs.openSync(temp, 'wx');
    tempExists = true;
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, path);
    tempExists = false;
  } catch (err) {
    if (tempExists) {
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // The original error is the one worth reporting.
      }
    }
    throw writeError(path, err);
  }
  let dirFd: number | undefined;
  try {
    dirFd = fs.openSync(dir, 'r');
    fs.fsyncSync(dirFd);
  } catch (err) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(errorCode(err))) throw directorySyncError(path, err);
  } finally {
    if (dirFd !== undefined) fs.closeSync(dirFd);
  }
}

/** A hidden sibling of `path`, unique across processes and concurrent writes. */
function tempPathFor(path: string): string {
  // Truncated so the temp name stays under the usual 255-byte name limit.
  const base = basename(path).slice(0, 100);
  return join(dirname(path), tempName(base));
}

/** `.BASE.PID.RAND.tmp`: the pid tells a later run whether the writer is still alive. */
export function tempName(base: string): string {
  return `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

const TEMP_NAME = /^\.(.+)\.([1-9][0-9]{0,9})\.[0-9a-f]{12}\.tmp$/;

/** The pid in one of our temp names (tempName), or null for any other name. */
export function tempNamePid(name: string): number | null {
  const m = TEMP_NAME.exec(name);
  return m ? Number(m[2]) : null;
}

/** Whether process `pid` exists (EPERM: it exists but is another user's). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/**
 * Removes the temp files (tempName) in `dir` whose writing process is gone — left by a
 * kill -9 or a power loss during a write — and returns their names. Any other file, and a
 * live process's temp file, is left alone; a vanished file or unreadable directory is not an error.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempNamePid(name);
    if (pid === null || processAlive(pid)) continue;
    const file = join(dir, name);
    const stats = await fsp.lstat(file).catch(() => null);
    if (!stats?.isFile()) continue;
    await fsp.rm(file, { force: true });
    removed.push(name);
  }
  return removed;
}

/** stat's answers for a path that does not exist; ENOTDIR: a file further up, found as we walk up. */
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR']);

/** The nearest existing ancestor of a path (itself included) and the levels below it that are missing. */
export interface ExistingAncestor {
  /** The nearest existing level, or the root when nothing exists. */
  at: string;
  /** Its stats (following links), null when even the root is missing. */
  stats: fs.Stats | null;
  /** The missing levels, deepest first. */
  missing: string[];
}

/**
 * Walks up from `path` with stat until a level exists; a path has finitely many levels, so
 * the walk ends at the root. A stat failure other than "not there" goes to `fail` with the
 * level it happened at.
 */
export function nearestExisting(path: string, fail: (at: string, err: unknown) => never): ExistingAncestor {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    let stats: fs.Stats | undefined;
    try {
      stats = fs.statSync(at, { throwIfNoEntry: false });
    } catch (err) {
      if (!NOT_THERE.has(errorCode(err))) fail(at, err);
    }
    if (stats) return { at, stats, missing };
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) return { at, stats: null, missing };
    at = parent;
  }
}

/**
 * `mkdir -p` that cannot hang: walks up to the nearest existing ancestor (nearestExisting),
 * checks it is a directory, then creates each missing level downward. Node's recursive mkdir
 * loops forever at 100% CPU where mkdir keeps answering ENOENT for a parent that exists
 * (procfs); here that is a FileError naming the path. Synchronous inside: a few stat and
 * mkdir calls, not worth a round trip each through the thread pool.
 */
export async function makeDirectory(dir: string): Promise<void> {
  makeDirectorySync(dir);
}

/** makeDirectory for code that cannot await. */
export function makeDirectorySync(dir: string): void {
  const { at, stats, missing } = nearestExisting(dir, (level, err) => {
    throw directoryError(dir, level, err);
  });
  if (stats && !stats.isDirectory()) throw notADirectory(dir, at, stats);
  for (const level of missing.reverse()) {
    try {
      fs.mkdirSync(level);
    } catch (err) {
      checkMkdirFailure(dir, level, err, fs.statSync(level, { throwIfNoEntry: false }) ?? null);
    }
  }
}

/** A mkdir that failed is fine only if a directory appeared there meanwhile (a concurrent run); the rest is a FileError. */
function checkMkdirFailure(dir: string, level: string, err: unknown, now: fs.Stats | null): void {
  if (errorCode(err) === 'EEXIST' && now?.isDirectory()) return;
  if (errorCode(err) === 'ENOENT') {
    // Its parent exists (we just found or made it): a file system that refuses new entries this way.
    throw new FileError(`cannot create directory ${dir}: ${dirname(level)} accepts no new entries (mkdir ${basename(level)} says ENOENT; a virtual file system such as /proc?)`, dir, { cause: err });
  }
  throw directoryError(dir, level, err);
}

function notADirectory(dir: string, at: string, stats: fs.Stats): FileError {
  const what = stats.isFile() ? 'a regular file' : fileKind(stats);
  return new FileError(`cannot use ${dir} as a directory: ${at === resolve(dir) ? 'it' : at} is ${what}, not a directory`, dir);
}

function directoryError(dir: string, at: string, err: unknown): FileError {
  return new FileError(`cannot create directory ${dir}${at === resolve(dir) ? '' : ` (at ${at})`}: ${reason(err)}`, dir, { cause: err });
}

/**
 * Makes `dir` ready to receive output files, before any work is done: creates it (and its
 * parents) if missing and proves it writable by creating and removing a temp file there, so
 * a file in the way, a read-only or virtual file system (/proc, /sys) or a missing permission
 * is a FileError at once rather than after an hour of training. Returns the directory.
 */
export async function prepareOutputDirectory(dir: string): Promise<string> {
  await makeDirectory(dir);
  const probe = join(dir, tempName('write-probe'));
  try {
    const handle = await fsp.open(probe, 'wx');
    await handle.close();
  } catch (err) {
    throw new FileError(`cannot write into ${dir}: ${reason(err)}`, dir, { cause: err });
  }
  await fsp.rm(probe, { force: true });
  return dir;
}

function writeError(path: string, err: unknown): FileError {
  return new FileError(`cannot write ${path}: ${reason(err)}; any previous file there is unchanged`, path, { cause: err });
}

function directorySyncError(path: string, err: unknown): FileError {
  return new FileError(`wrote ${path} but could not sync its directory: ${reason(err)}`, path, { cause: err });
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent path is not a directory',
  EEXIST: 'a parent path exists and is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'the name is too long',
};

/** The OS reason in words, with its code; the temp file's name never appears. */
function reason(err: unknown): string {
  const code = errorCode(err);
  const words = REASONS[code];
  if (words) return `${words} (${code})`;
  return err instanceof Error ? err.message : String(err);
}
