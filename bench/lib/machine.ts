// The machine header every suite writes next to its numbers: results are only
// comparable with the CPU, core count, runtime versions and load they were taken on.

import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface MachineInfo {
  cpu: string;
  /** Logical CPUs this process may use. */
  cores: number;
  platform: string;
  arch: string;
  node: string;
  v8: string;
  /** ISO 8601, when the header was taken (the start of the run). */
  date: string;
  /** 1, 5 and 15 minute load averages at the start: > cores means others were running. */
  loadavg: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    platform: os.platform(),
    arch: os.arch(),
    node: process.versions.node,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/**
 * /proc/cpuinfo names the model even where os.cpus() is terse; under a hypervisor the
 * name can be generic ("AMD EPYC"), so the family and model numbers are added, which
 * pin down the microarchitecture (family 25 model 17 is Zen 4). Elsewhere: os.cpus().
 */
function cpuModel(): string {
  try {
    const lines = readFileSync('/proc/cpuinfo', 'utf8').split('\n');
    const field = (key: string) => lines.find((l) => l.split(':')[0]?.trim() === key)?.split(':')[1]?.trim();
    const name = field('model name');
    const family = field('cpu family');
    const model = field('model');
    if (name) return family && model ? `${name} (family ${family}, model ${model})` : name;
  } catch {
    // Not Linux: fall through.
  }
  return os.cpus()[0]?.model.trim() || 'unknown CPU';
}

/** One line for a README or a console banner. */
export function machineLine(m: MachineInfo): string {
  const load = m.loadavg.join(' / ');
  return (
    `${m.cpu}, ${m.cores} logical CPUs, ${m.platform}-${m.arch}; Node ${m.node} (V8 ${m.v8}); ` +
    `${m.date.slice(0, 16).replace('T', ' ')} UTC; load average at start ${load}`
  );
}
