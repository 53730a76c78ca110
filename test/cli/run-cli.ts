// Runs the ae-wasm command from the TypeScript sources as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI with `args`, from the repo root, without a TTY (so progress is plain lines);
 * `onStdout` sees the output so far (e.g. to send a signal); killed after `timeoutMs`.
 */
export function runCli(args: string[], onStdout?: (text: string, child: ChildProcess) => void, timeoutMs = 50_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    // The sources transpiled once by test/setup/cli-build.ts, or through tsx when run without it.
    const entry = inject('cliEntry');
    const command = entry ? [entry] : ['--import', 'tsx', 'src/cli/main.ts'];
    const child = spawn(process.execPath, [...command, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** runCli with its arguments spread. */
export function cli(...args: string[]): Promise<Run> {
  return runCli(args);
}
