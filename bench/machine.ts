/** What the figures were measured on, for the report: a figure means little without its machine. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  node: string;
  librdkafka: string;
  /** The filesystem holding the broker's data directory and the disk measurement. */
  filesystem: string;
  /** The Tidelog commit measured, and whether src/ had uncommitted changes. */
  commit: string;
  /** Versions of the Node client libraries that drove the Node-client workloads. */
  nodeClients: { kafka: string; nats: string; redis: string; rabbitmq: string };
}

export function describeMachine(dataDir: string, librdkafka: string): Machine {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: `Linux ${release()}`,
    node: process.version,
    librdkafka,
    filesystem: filesystemOf(dataDir),
    commit: commitOf(),
    nodeClients: {
      kafka: packageVersion('@platformatic/kafka'),
      nats: packageVersion('nats'),
      redis: packageVersion('ioredis'),
      rabbitmq: packageVersion('amqplib'),
    },
  };
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(resolve(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** The longest mount point containing `path`, from /proc/mounts. */
function filesystemOf(path: string): string {
  try {
    let best = { point: '', text: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device, point, type] = line.split(' ');
      if (!device || !point || !type) continue;
      const inside = point === '/' || path === point || path.startsWith(`${point}/`);
      if (inside && point.length >= best.point.length) best = { point, text: `${type} on ${device} (mounted at ${point})` };
    }
    return best.text;
  } catch {
    return 'unknown';
  }
}

export function commitOf(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} with uncommitted changes under src/` : commit;
  } catch {
    return 'unknown';
  }
}
