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

/** The machine's CPU time so far (Linux /proc/stat) and this process's, in seconds. */
export interface CpuSnapshot {
  wallMs: number;
  /** All CPUs: user, nice, system, irq, softirq. */
  busy: number;
  /** Time the hypervisor ran something else while our vCPUs wanted to run. */
  steal: number;
  self: number;
}

/** null where /proc/stat is missing (not Linux). */
export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const tick = 100; // USER_HZ, 100 on every Linux architecture Node runs on
    const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    const u = process.cpuUsage();
    return { wallMs: performance.now(), busy: (user + nice + system + irq + softirq) / tick, steal: steal / tick, self: (u.user + u.system) / 1e6 };
  } catch {
    return null;
  }
}

/** CPUs kept busy elsewhere, on average over `seconds`. */
export interface Busy {
  /** By other processes. */
  others: number;
  /** By the hypervisor running something else while our vCPUs wanted to run. */
  steal: number;
  seconds: number;
}

/**
 * How many CPUs, on average between two snapshots, other processes kept busy and the
 * hypervisor took away (steal): a thread-count comparison taken while either was near
 * 1 on this 2-vCPU machine measured the neighbours, not the threads.
 */
export function busyElsewhere(a: CpuSnapshot | null, b: CpuSnapshot | null): Busy | null {
  if (!a || !b) return null;
  const seconds = (b.wallMs - a.wallMs) / 1000;
  if (!(seconds > 0)) return null;
  return { others: Math.max(0, b.busy - a.busy - (b.self - a.self)) / seconds, steal: (b.steal - a.steal) / seconds, seconds };
}

/** Busy over two intervals together. */
export function addBusy(x: Busy | null | undefined, y: Busy | null): Busy | null {
  if (!x || !y) return x ?? y;
  const seconds = x.seconds + y.seconds;
  const mean = (f: (b: Busy) => number) => (f(x) * x.seconds + f(y) * y.seconds) / seconds;
  return { others: mean((b) => b.others), steal: mean((b) => b.steal), seconds };
}
