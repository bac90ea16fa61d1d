/**
 * A server under test run as a child process (Tidelog's broker, nats-server, redis-server,
 * rabbitmq-server and its epmd, the relay): started with its data in a temporary directory,
 * considered up once its log says so, stopped with a signal (not killed) so that a clean
 * shutdown is part of what is observed.
 * Never a system service: each run starts its own and leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { track } from './children.js';
import { processCpuSeconds, processResidentBytes } from './proc.js';
import { nowMs } from './stats.js';

const START_TIMEOUT_MS = 60_000;
/** Only the end of a chatty server's log is kept: enough to show why it failed. */
const OUTPUT_KEEP = 64 * 1024;

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the stop signal to exit. */
  seconds: number;
}

export interface ServerProcess {
  readonly pid: number;
  /** From spawn to the readiness line: for a restart, the time to recover the stored data. */
  readonly startSeconds: number;
  cpuSeconds(): number;
  residentBytes(): number;
  /** The end of what the server wrote to stdout and stderr. */
  output(): string;
  /** The stop signal (SIGTERM unless the server wants another), then wait for the exit. */
  stop(): Promise<ServerExit>;
  /** SIGKILL: only for cleaning up after a failed run. */
  kill(): void;
}

export async function startServerProcess(
  name: string,
  command: string,
  args: readonly string[],
  /** Its readiness line, or a test of all it printed so far. */
  ready: RegExp | ((output: string) => boolean),
  settings: {
    env?: NodeJS.ProcessEnv;
    /** The signal the server treats as a clean stop, exiting 0 after it. */
    stopSignal?: NodeJS.Signals;
  } = {},
): Promise<ServerProcess> {
  const started = nowMs();
  const stopSignal = settings.stopSignal ?? 'SIGTERM';
  const isReady = ready instanceof RegExp ? (text: string) => ready.test(text) : ready;
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: settings.env ?? process.env }));
  let output = '';
  const append = (data: Buffer): void => {
    output += data.toString();
    if (output.length > 2 * OUTPUT_KEEP) output = output.slice(-OUTPUT_KEEP);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit((exit = { code, signal }))),
  );

  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      if (!isReady(output)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      resolveReady();
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name}: ${error.message}`));
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });

  const pid = child.pid!;
  return {
    pid,
    startSeconds: (nowMs() - started) / 1000,
    cpuSeconds: () => (exit ? NaN : orNaN(() => processCpuSeconds(pid))),
    residentBytes: () => (exit ? NaN : orNaN(() => processResidentBytes(pid))),
    output: () => output,
    async stop() {
      const start = nowMs();
      if (!exit) child.kill(stopSignal);
      const result = await exited;
      return { ...result, seconds: (nowMs() - start) / 1000 };
    },
    kill() {
      if (!exit) child.kill('SIGKILL');
    },
  };
}

/** A process that died a moment ago has no /proc entry, before its exit event says so. */
function orNaN(read: () => number): number {
  try {
    return read();
  } catch {
    return NaN;
  }
}
