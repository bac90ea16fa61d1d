/**
 * NATS JetStream as a peer: Debian's nats-server (2.9) started here with JetStream on file
 * storage in the run's temporary directory. Each Kafka partition of a workload becomes one stream
 * with one subject (bench/clients/nats.ts), since a stream is JetStream's unit of ordering, like a
 * partition. JetStream acknowledges a publish once the message is written to its file store, and
 * fsyncs on its own timer (sync_interval, 2 minutes by default), much as Tidelog answers a produce
 * once its bytes are handed to the OS: the durability both promise here is the page cache's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort } from '../proc.js';
import { startServerProcess } from '../server-process.js';
import { localSystem, type System } from '../system.js';

const BINARY = 'nats-server';

/** The server's version when it is installed, else undefined. */
export function natsVersion(): string | undefined {
  try {
    return execFileSync(BINARY, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().replace(/^nats-server:\s*/, '');
  } catch {
    return undefined;
  }
}

export async function startNats(dir: string): Promise<System> {
  const version = natsVersion();
  if (!version) throw new Error(`${BINARY} is not installed (Debian package nats-server)`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = ['--addr', '127.0.0.1', '--port', String(port), '--jetstream', '--store_dir', dir];
  return localSystem(
    {
      name: 'NATS',
      protocol: 'nats',
      address: `127.0.0.1:${port}`,
      version,
      setup:
        `\`nats-server --addr 127.0.0.1 --port <port> --jetstream --store_dir <tmp>/nats\`; one stream per partition, ` +
        'file storage, one replica, no limits; fsync every 2 minutes (its default sync_interval)',
    },
    // SIGINT: on SIGTERM nats-server shuts down just as cleanly but exits with status 1.
    () => startServerProcess('nats-server', BINARY, args, /Server is ready/, { stopSignal: 'SIGINT' }),
  );
}

