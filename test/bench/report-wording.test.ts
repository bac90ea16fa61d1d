/**
 * The generated sections of docs/BENCHMARKS.md name only the systems a run drove
 * (bench/report/wording.ts): a run with RabbitMQ as its one peer says how RabbitMQ was driven and
 * says nothing about NATS or Redis, and one with every peer lists each of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompareRun } from '../../bench/compare.js';
import type { LatencyRun } from '../../bench/latency.js';
import { parseOptions } from '../../bench/options.js';
import { compareMarkdown } from '../../bench/report/compare.js';
import { latencyMarkdown } from '../../bench/report/latency.js';
import type { BenchResult, SystemInfo } from '../../bench/report/result.js';
import { SIZES } from '../../bench/sizes.js';
import type { Protocol } from '../../bench/system.js';

function resultOf(systems: [name: string, protocol: Protocol][]): BenchResult {
  const infos: SystemInfo[] = systems.map(([name, protocol]) => ({ name, protocol, version: '1.0', setup: `${name} as configured`, local: true, residentBytes: 0 }));
  const compare: CompareRun[] = infos.map((s) => ({
    system: s.name,
    results: [
      {
        cell: { size: SIZES[0]!, partitions: 1 },
        name: 'tl-node-1k-p1',
        produce: { records: 1000, bytes: 1_024_000, perPartition: [1000], seconds: 1, cpuS: 0.5 },
        produceServerCpuS: 0.5,
        warm: { outcome: { records: 1000, bytes: 1_024_000, seconds: 0.5, cpuS: 0.2 }, serverCpuS: 0.1 },
      },
    ],
  }));
  const read = { records: 100, p50Ms: 1, p99Ms: 2, p999Ms: 3, maxMs: 4, meanMs: 1.5, cpuS: 0.1 };
  const latency: LatencyRun[] = infos.map((s) => ({
    system: s.name,
    results: SIZES.map((size) => ({ size, read, write: { records: 100, seconds: 1, maxLagMs: 1, cpuS: 0.1 }, serverCpuS: 0.1 })),
  }));
  return {
    date: '2026-01-01T00:00:00.000Z',
    command: 'node dist/bench/run.js --quick',
    options: parseOptions(['--quick']),
    machine: {
      cores: 2,
      cpuModel: 'a CPU',
      memoryBytes: 2 ** 34,
      kernel: 'Linux 6',
      node: 'v20.0.0',
      librdkafka: 'not used',
      filesystem: 'ext4',
      commit: 'abc1234',
      nodeClients: { kafka: '1.35.0', nats: '2.29.3', redis: '5.11.1', rabbitmq: '2.3.1' },
    },
    systems: infos,
    matrix: [],
    compare,
    latency,
    latencySettings: { rate: 10_000, seconds: 1.5, warmupS: 0.3 },
    throughputWarmupS: 0.5,
    totalSeconds: 60,
  };
}

test('a run with RabbitMQ as its only peer words every sentence for Tidelog and RabbitMQ alone', () => {
  const result = resultOf([['Tidelog', 'kafka'], ['RabbitMQ', 'rabbitmq']]);
  const text = `${compareMarkdown(result)}\n${latencyMarkdown(result)}`;
  assert.doesNotMatch(text, /NATS|JetStream|Redis|XADD|ioredis/);
  assert.match(text, /Kafka-API systems through @platformatic\/kafka 1\.35\.0, RabbitMQ through amqplib 2\.3\.1, the relay through node:net\./);
  assert.match(text, /\(acks=1 or its equivalent: a RabbitMQ publisher confirm\)/);
  assert.match(text, /into a fresh log \(a Kafka topic; one RabbitMQ stream per partition\)/);
  assert.match(text, /Durability is not the same: Tidelog answers once the bytes are handed to the OS, RabbitMQ once written/);
  assert.match(text, /\(Kafka: Fetch with no consumer group; RabbitMQ: a stream consumer from the first offset\)/);
  assert.match(text, /- RabbitMQ 1\.0: RabbitMQ as configured\./);
});

test('a run with every peer lists each one, in the order they ran', () => {
  const result = resultOf([['Tidelog', 'kafka'], ['NATS', 'nats'], ['Redis', 'redis'], ['RabbitMQ', 'rabbitmq']]);
  const text = `${compareMarkdown(result)}\n${latencyMarkdown(result)}`;
  assert.match(text, /\(acks=1 or its equivalent: a JetStream PubAck, an XADD reply, a RabbitMQ publisher confirm\)/);
  assert.match(text, /NATS through nats 2\.29\.3, Redis through ioredis 5\.11\.1, RabbitMQ through amqplib 2\.3\.1/);
  assert.match(text, /\(one Produce request, a burst of JetStream publishes, one XADD pipeline, a burst of publishes on a confirm channel\)/);
  assert.match(text, /Redis replays its append-only file into memory/);
});

test('Tidelog alone has no peer sentences', () => {
  const text = compareMarkdown(resultOf([['Tidelog', 'kafka']]))!;
  assert.match(text, /\(acks=1\), /);
  assert.doesNotMatch(text, /Durability is not the same|acks=all and lz4/);
});
