/**
 * Runs a Tidelog broker as a child process for tests that need a real process: real clients,
 * SIGKILL crash tests, clean SIGTERM shutdown. Listens on a free loopback port (port 0) and
 * reports the port it bound from its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../../..');
export const CLI_PATH = join(repoRoot, 'dist/src/cli/main.js');

export interface BrokerProcess {
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the broker wrote to stderr so far. */
  log(): string;
  /** SIGTERM and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export function temporaryDataDir(prefix = 'tidelog-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Stops the broker, when there is one, and removes its data directory. */
export async function stopAndRemove(broker: BrokerProcess | undefined): Promise<void> {
  if (!broker) return;
  await broker.stop();
  removeDir(broker.dataDir);
}

export async function startBrokerProcess(options: { dataDir?: string; config?: Record<string, string>; port?: number } = {}): Promise<BrokerProcess> {
  const dataDir = options.dataDir ?? temporaryDataDir();
  const settings: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${options.port ?? 0}`,
    'log.dirs': dataDir,
    ...options.config,
  };
  const args = [CLI_PATH, 'broker', ...Object.entries(settings).flatMap(([key, value]) => ['--set', `${key}=${value}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, UV_USE_IO_URING: '0', TIDELOG_LOG_LEVEL: process.env.TIDELOG_LOG_LEVEL ?? 'info' } });
  let stderr = '';
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start within 30 s:\n${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on \w+:\/\/[^:\s]+:(\d+)/.exec(stderr);
      if (match && stderr.includes('started in')) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting:\n${stderr}`));
    });
  });
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    child,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
