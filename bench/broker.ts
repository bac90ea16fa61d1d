/**
 * Tidelog as a system under test: a broker started from the compiled CLI as a child process on a
 * fixed loopback port (so that a restart for a cold read comes back where the clients expect it),
 * with its data in the run's temporary directory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './proc.js';
import { startServerProcess } from './server-process.js';
import { localSystem, type System } from './system.js';

const CLI = resolve(import.meta.dirname, '../src/cli/main.js');

/**
 * The environment every benchmarked broker gets on top of the benchmark's: file I/O through
 * libuv's thread pool, not io_uring, as `npm start` runs it (src/cli/io-uring.ts says why),
 * unless the benchmark itself was started with UV_USE_IO_URING set (to compare the two).
 */
export const BROKER_ENV = { UV_USE_IO_URING: process.env.UV_USE_IO_URING ?? '0' };
/**
 * Node options every benchmarked broker runs with, as `npm start` runs it: V8's old generation
 * starts at 128 MiB instead of growing from a few MiB, so that a small, steady heap is not
 * mark-compacted after nearly every scavenge (docs/PROFILING.md). TIDELOG_BENCH_NODE_OPTIONS
 * replaces them (an empty value: none), to compare.
 */
export const BROKER_NODE_OPTIONS = (process.env.TIDELOG_BENCH_NODE_OPTIONS ?? '--initial-old-space-size=128').split(/\s+/).filter(Boolean);

/** The broker's command line as the reports show it; `nodeArgs` come after BROKER_NODE_OPTIONS. */
export function shownBrokerCommand(brokerArgs: string, nodeArgs: readonly string[] = []): string {
  return `UV_USE_IO_URING=${BROKER_ENV.UV_USE_IO_URING} node ${[...BROKER_NODE_OPTIONS, ...nodeArgs, ''].join(' ')}dist/src/cli/main.js broker ${brokerArgs}`;
}

const PACKAGE = resolve(import.meta.dirname, '../../package.json');

/** Starts a broker with its data in `dataDir`; `settings` are --set key=value overrides. */
export async function startTidelog(dataDir: string, settings: Record<string, string> = {}): Promise<System> {
  const port = await freePort();
  const all = { listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': dataDir, ...settings };
  const args = [...BROKER_NODE_OPTIONS, CLI, 'broker', ...Object.entries(all).flatMap(([key, value]) => ['--set', `${key}=${value}`])];
  const shown = Object.entries(all)
    .map(([key, value]) => `--set ${key}=${key === 'log.dirs' ? '<tmp>/tidelog' : key === 'listeners' ? 'PLAINTEXT://127.0.0.1:<port>' : value}`)
    .join(' ');
  const version = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string }).version;
  return localSystem(
    {
      name: 'Tidelog',
      protocol: 'kafka',
      address: `127.0.0.1:${port}`,
      version,
      setup:
        `\`${shownBrokerCommand(shown)}\`, defaults otherwise: a produce is answered once its bytes ` +
        'are handed to the OS (no fsync)',
    },
    // "started in" is logged once every log is recovered and the listener is bound.
    () => startServerProcess('tidelog broker', process.execPath, args, /started in/, { env: { ...process.env, ...BROKER_ENV, TIDELOG_LOG_LEVEL: 'info' } }),
    (topic) => topicLogBytes(dataDir, topic),
  );
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
