/**
 * The broker under test for the scale benchmark: `node dist/src/cli/main.js broker` as a child
 * process on a chosen loopback port (so a restart comes back where the clients expect it), with
 * what is read about it from the outside: resident memory and open descriptors from /proc, and
 * the start-up times it logs ("opened N partition log(s) in M ms", "started in M ms").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { BROKER_ENV, BROKER_NODE_OPTIONS } from '../broker.js';

const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const START_TIMEOUT_MS = 120_000;
const OUTPUT_KEEP = 64 * 1024;
/** What a log that was not shut down cleanly logs when it opens (storage/log-loader.ts). */
const RECOVERING = /Recovering .* the last shutdown was not clean/;

const running = new Set<ChildProcess>();

/** SIGKILLs every broker still running (an interrupted or failed run). */
export function killBrokers(): void {
  for (const child of running) child.kill('SIGKILL');
}

export interface BrokerChild {
  readonly pid: number;
  readonly port: number;
  /** From spawn to the readiness line. */
  readonly startMs: number;
  /** What the broker logged: time to open (and recover) its partition logs, and to start. */
  readonly logged: { partitionsOpened: number; openMs: number; startedMs: number };
  /** Logs that ran recovery (their last shutdown was not clean), counted until now. */
  recoveredLogs(): number;
  residentBytes(): number;
  /** Peak resident memory since start (VmHWM). */
  peakResidentBytes(): number;
  openDescriptors(): number;
  /** Open descriptors by what they point at: segment files by suffix, sockets, the rest. */
  descriptorKinds(): DescriptorKinds;
  output(): string;
  /** SIGTERM and wait (a clean shutdown). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash: the next start recovers). */
  kill(): Promise<void>;
}

export interface DescriptorKinds {
  total: number;
  log: number;
  index: number;
  timeindex: number;
  otherFiles: number;
  sockets: number;
  other: number;
}

function descriptorKinds(pid: number): DescriptorKinds {
  const kinds: DescriptorKinds = { total: 0, log: 0, index: 0, timeindex: 0, otherFiles: 0, sockets: 0, other: 0 };
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    kinds.total += 1;
    if (target.startsWith('socket:')) kinds.sockets += 1;
    else if (target.endsWith('.log')) kinds.log += 1;
    else if (target.endsWith('.index')) kinds.index += 1;
    else if (target.endsWith('.timeindex')) kinds.timeindex += 1;
    else if (target.startsWith('/')) kinds.otherFiles += 1;
    else kinds.other += 1;
  }
  return kinds;
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Starts a broker on `port` with its data in `dataDir`; `settings` are --set key=value overrides. */
export async function startBroker(dataDir: string, port: number, settings: Record<string, string> = {}): Promise<BrokerChild> {
  const all = { listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': dataDir, ...settings };
  const args = [...BROKER_NODE_OPTIONS, CLI, 'broker', ...Object.entries(all).flatMap(([key, value]) => ['--set', `${key}=${value}`])];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...BROKER_ENV, TIDELOG_LOG_LEVEL: 'info' } });
  running.add(child);
  let output = '';
  // Counted line by line as it comes: the kept output is only the end of a long log.
  let partialLine = '';
  let recoveredLogs = 0;
  const append = (data: Buffer): void => {
    const text = data.toString();
    output += text;
    if (output.length > 2 * OUTPUT_KEEP) output = output.slice(-OUTPUT_KEEP);
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop()!;
    for (const line of lines) if (RECOVERING.test(line)) recoveredLogs += 1;
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      running.delete(child);
      done();
    }),
  );
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!/started in \d+ ms/.test(output)) {
    if (exitedEarly) throw new Error(`the broker exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the broker did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  const startMs = performance.now() - started;
  const opened = /opened (\d+) partition log\(s\) in (\d+) ms/.exec(output);
  const startedLine = /started in (\d+) ms/.exec(output);
  const pid = child.pid!;
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    pid,
    port,
    startMs,
    logged: { partitionsOpened: Number(opened?.[1] ?? 0), openMs: Number(opened?.[2] ?? 0), startedMs: Number(startedLine?.[1] ?? NaN) },
    recoveredLogs: () => recoveredLogs,
    residentBytes: () => statusField(pid, 'VmRSS'),
    peakResidentBytes: () => statusField(pid, 'VmHWM'),
    openDescriptors: () => readdirSync(`/proc/${pid}/fd`).length,
    descriptorKinds: () => descriptorKinds(pid),
    output: () => output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}
