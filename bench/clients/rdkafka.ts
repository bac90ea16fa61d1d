/**
 * The load generator: bench/clients/rdkafka-perf.c, compiled with gcc against the system's
 * librdkafka (found through pkg-config) into the run's temporary build directory, and run once
 * per step. A C client on librdkafka puts as little of its own cost as possible between the
 * broker and the machine's limits, and it is the client most Kafka deployments meet.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { track } from '../children.js';

const SOURCE = resolve(import.meta.dirname, '../../../bench/clients/rdkafka-perf.c');

/** The JSON line `rdkafka-perf produce` prints. Bytes count record values only. */
export interface ProduceResult {
  records: number;
  failed: number;
  first_error: string;
  bytes: number;
  /** From the first produce() to the last delivery report. */
  seconds: number;
  latency_us_p50: number;
  latency_us_p99: number;
  latency_us_max: number;
  queue_full: number;
  cpu_user_s: number;
  cpu_sys_s: number;
}

/** The JSON line `rdkafka-perf consume` prints. */
export interface ConsumeResult {
  records: number;
  bytes: number;
  errors: number;
  /** From assign() to the last record. */
  seconds: number;
  first_record_s: number;
  cpu_user_s: number;
  cpu_sys_s: number;
}

export interface ProduceSettings {
  topic: string;
  size: number;
  acks: '1' | 'all';
  compression: 'none' | 'lz4';
  lingerMs: number;
  batchBytes: number;
  /** The run ends at whichever bound it meets first; at least one must be given. */
  count?: number;
  durationS?: number;
}

export class RdkafkaPerf {
  private constructor(readonly binary: string, readonly librdkafkaVersion: string) {}

  /** Compiles the client into `buildDir`; fails with gcc's message when librdkafka-dev is missing. */
  static build(buildDir: string): RdkafkaPerf {
    mkdirSync(buildDir, { recursive: true });
    const binary = join(buildDir, 'rdkafka-perf');
    let flags: string[];
    try {
      flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
    } catch {
      throw new Error('pkg-config does not know rdkafka: install librdkafka-dev (and pkg-config)');
    }
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', binary, SOURCE, ...flags], { stdio: ['ignore', 'inherit', 'inherit'] });
    const version = execFileSync(binary, ['version'], { encoding: 'utf8' }).trim();
    return new RdkafkaPerf(binary, version);
  }

  async createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
    await this.run(['create-topic', '--bootstrap', bootstrap, '--topic', topic, '--partitions', String(partitions)]);
  }

  produce(bootstrap: string, s: ProduceSettings): Promise<ProduceResult> {
    if (s.count === undefined && s.durationS === undefined) throw new Error('produce needs a record count or a duration');
    const bounds = [
      ...(s.count !== undefined ? ['--count', String(s.count)] : []),
      ...(s.durationS !== undefined ? ['--duration', String(s.durationS)] : []),
    ];
    return this.run([
      'produce', '--bootstrap', bootstrap, '--topic', s.topic, '--size', String(s.size), ...bounds,
      '--acks', s.acks, '--compression', s.compression, '--linger-ms', String(s.lingerMs), '--batch-size', String(s.batchBytes),
    ]);
  }

  /** Reads `count` records from the beginning of every partition of `topic`. */
  consume(bootstrap: string, topic: string, count: number): Promise<ConsumeResult> {
    return this.run(['consume', '--bootstrap', bootstrap, '--topic', topic, '--count', String(count)]);
  }

  /** Runs one step; its stderr (librdkafka warnings) passes through, its stdout's last line is the result. */
  private run<T>(args: string[]): Promise<T> {
    return new Promise((resolveRun, reject) => {
      const child = track(spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
      let stdout = '';
      child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        if (code !== 0 || !line.startsWith('{')) {
          reject(new Error(`rdkafka-perf ${args[0]} exited with ${code ?? signal}${stdout ? `:\n${stdout}` : ''}`));
          return;
        }
        resolveRun(JSON.parse(line) as T);
      });
    });
  }
}
