/**
 * Redis Streams as a peer: Debian's redis-server (7.0) started here with the append-only file on
 * (appendfsync everysec) and RDB snapshots off, so its streams are file-backed: a restart replays
 * the AOF, which is what a cold read after a restart measures for Redis. Each Kafka partition of
 * a workload becomes one stream key (bench/clients/redis.ts). Redis answers XADD once the command
 * is applied in memory and queued for the AOF; the AOF is fsynced once a second. Unlike the
 * others it holds every record in memory as well.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort } from '../proc.js';
import { startServerProcess } from '../server-process.js';
import { localSystem, type System } from '../system.js';

const BINARY = 'redis-server';

/** The server's version when it is installed, else undefined. */
export function redisVersion(): string | undefined {
  try {
    const text = execFileSync(BINARY, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
  } catch {
    return undefined;
  }
}

export async function startRedis(dir: string): Promise<System> {
  const version = redisVersion();
  if (!version) throw new Error(`${BINARY} is not installed (Debian package redis-server)`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  // Every setting on the command line, none from /etc/redis: the machine's config must not matter.
  const settings: [string, string][] = [
    ['bind', '127.0.0.1'],
    ['port', String(port)],
    ['dir', dir],
    ['appendonly', 'yes'],
    ['appendfsync', 'everysec'],
    ['save', ''],
    ['daemonize', 'no'],
    ['logfile', ''],
  ];
  const args = settings.flatMap(([key, value]) => [`--${key}`, value]);
  const shown = settings
    .map(([key, value]) => `--${key} ${key === 'dir' ? '<tmp>/redis' : key === 'port' ? '<port>' : value === '' ? "''" : value}`)
    .join(' ');
  return localSystem(
    {
      name: 'Redis',
      protocol: 'redis',
      address: `127.0.0.1:${port}`,
      version,
      setup: `\`redis-server ${shown}\`; one stream key per partition; AOF fsynced every second, AOF rewrites at its defaults; every record is also held in memory`,
    },
    // Logged after the AOF has been loaded, so a restart's start time is its recovery time.
    () => startServerProcess('redis-server', BINARY, args, /Ready to accept connections/),
  );
}
