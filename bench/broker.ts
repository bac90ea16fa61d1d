/**
 * The broker under test: a Tidelog broker started as a child process from the compiled CLI,
 * listening on a free loopback port, with what the benchmark reads about it from the outside
 * (CPU time and resident memory from /proc, bytes in its segment files).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { track } from './children.js';
import { nowMs } from './stats.js';

const CLI = resolve(import.meta.dirname, '../src/cli/main.js');
const START_TIMEOUT_MS = 30_000;

export interface BrokerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to exit: the clean shutdown flushes and closes every log. */
  seconds: number;
}

export interface Broker {
  readonly pid: number;
  readonly bootstrap: string;
  readonly settings: Record<string, string>;
  /** User + system CPU seconds the broker has used so far. */
  cpuSeconds(): number;
  residentBytes(): number;
  /** Bytes in the .log segment files of a topic's partitions. */
  logBytes(topic: string): number;
  /** Everything the broker wrote to stderr. */
  output(): string;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<BrokerExit>;
  /** SIGKILL: only for cleaning up after a failed run. */
  kill(): void;
}

/** Starts a broker on a free port with its data in `dataDir`; resolves once it has logged its port and "started in". */
export async function startBroker(dataDir: string, settings: Record<string, string> = {}): Promise<Broker> {
  const all = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir, ...settings };
  const args = [CLI, 'broker', ...Object.entries(all).flatMap(([key, value]) => ['--set', `${key}=${value}`])];
  // The bound port is only known from the info-level "listening on" line.
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TIDELOG_LOG_LEVEL: 'info' } }));
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit((exit = { code, signal }))),
  );

  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start within ${START_TIMEOUT_MS / 1000} s:\n${stderr}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      const match = /listening on \w+:\/\/[^:\s]+:(\d+)/.exec(stderr);
      if (match && stderr.includes('started in')) {
        clearTimeout(timer);
        child.stderr.off('data', check);
        resolvePort(Number(match[1]));
      }
    };
    child.stderr.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before starting:\n${stderr}`));
    });
  });

  const pid = child.pid!;
  return {
    pid,
    bootstrap: `127.0.0.1:${port}`,
    settings: all,
    cpuSeconds: () => processCpuSeconds(pid),
    residentBytes: () => processResidentBytes(pid),
    logBytes: (topic) => topicLogBytes(dataDir, topic),
    output: () => stderr,
    async stop() {
      const start = nowMs();
      if (!exit) child.kill('SIGTERM');
      const result = await exited;
      return { ...result, seconds: (nowMs() - start) / 1000 };
    },
    kill() {
      if (!exit) child.kill('SIGKILL');
    },
  };
}

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces, so fields are counted from its closing parenthesis:
  // after it come field 3 (state) onwards, and utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

function processResidentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

function topicLogBytes(dataDir: string, topic: string): number {
  let total = 0;
  for (const entry of readdirSync(dataDir)) {
    if (!entry.startsWith(`${topic}-`) || !/^\d+$/.test(entry.slice(topic.length + 1))) continue;
    for (const file of readdirSync(join(dataDir, entry))) {
      if (file.endsWith('.log')) total += statSync(join(dataDir, entry, file)).size;
    }
  }
  return total;
}
