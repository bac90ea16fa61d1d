/**
 * `tidelog perf` run as a child process against an in-process broker, with small counts: produce
 * creates the topic, prints kafka-producer-perf-test's lines and writes the JSON report with the
 * right counts; the records are really in the topic; consume reads them back; e2e at a fixed
 * throughput receives every record it sent; several producers and consumers, keys and a codec;
 * usage errors exit 2. No timing is asserted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin.js';
import { CLI_PATH, removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { run } from '../helpers/external-tools.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';

let broker: InProcessBroker;
let bootstrap: string;
let admin: Admin;
let dir: string;

before(async () => {
  broker = await startInProcessBroker();
  bootstrap = `127.0.0.1:${broker.port}`;
  admin = new Admin({ bootstrapServers: bootstrap });
  dir = temporaryDataDir('tidelog-perf-test-');
});

after(async () => {
  await admin?.close();
  await broker?.stop();
  removeDir(dir);
});

async function perf(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await run(process.execPath, [CLI_PATH, 'perf', ...args, '--bootstrap-server', bootstrap, '--timeout', '10000'], {
    env: { ...process.env, TIDELOG_LOG_LEVEL: 'warn' },
    timeoutMs: 120_000,
  });
  return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const TOTAL_LINE = /^(\d+) records (sent|consumed|received), [\d.]+ records\/sec \([\d.]+ MB\/sec\)(, [\d.]+ ms avg latency, [\d.]+ ms max latency, [\d.]+ ms 50th, [\d.]+ ms 95th, [\d.]+ ms 99th, [\d.]+ ms 99\.9th)?\.$/m;

test('perf produce: creates the topic, prints the totals, writes the JSON report; the records are in the topic', async () => {
  const json = join(dir, 'produce.json');
  const result = await perf('produce', '--topic', 'perf-produce', '--partitions', '3', '--num-records', '5000', '--record-size', '100', '--acks', '1', '--json', json);
  assert.equal(result.code, 0, result.stderr);
  const match = TOTAL_LINE.exec(result.stdout);
  assert.ok(match, result.stdout);
  assert.equal(match[1], '5000');
  assert.equal(match[2], 'sent');
  assert.ok(match[3], 'latency figures');

  const report = readJson(json);
  assert.equal(report.mode, 'produce');
  assert.equal(report.topic, 'perf-produce');
  assert.equal(report.records, 5000);
  assert.equal(report.bytes, 500_000);
  assert.equal(report.failedRecords, 0);
  assert.equal(report.latencyMs.count, 5000);
  for (const key of ['avg', 'max', 'p50', 'p95', 'p99', 'p999']) assert.equal(typeof report.latencyMs[key], 'number', key);
  assert.ok(report.recordsPerSec > 0 && report.mbPerSec > 0);
  assert.equal(report.settings.acks, 1);
  assert.equal(report.settings.recordSize, 100);

  const [topic] = await admin.describeTopics(['perf-produce']);
  assert.equal(topic!.partitions.length, 3);
  const ends = await admin.listOffsets([0, 1, 2].map((partition) => ({ topic: 'perf-produce', partition, spec: 'latest' as const })));
  assert.equal(
    ends.reduce((sum, end) => sum + end.offset, 0),
    5000,
  );
});

test('perf consume: reads the records back, with two consumers', async () => {
  const json = join(dir, 'consume.json');
  const result = await perf('consume', '--topic', 'perf-produce', '--num-records', '5000', '--consumers', '2', '--json', json);
  assert.equal(result.code, 0, result.stderr);
  const match = TOTAL_LINE.exec(result.stdout);
  assert.ok(match, result.stdout);
  assert.equal(match[1], '5000');
  assert.equal(match[2], 'consumed');
  const report = readJson(json);
  assert.equal(report.records, 5000);
  assert.equal(report.bytes, 500_000);
  assert.equal(report.partitions, 3);
  assert.equal(report.failedRecords, 0);
});

test('perf consume without --num-records stops after --idle-timeout; a missing topic is an error', async () => {
  const result = await perf('consume', '--topic', 'perf-produce', '--idle-timeout', '500');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^5000 records consumed/m);
  const missing = await perf('consume', '--topic', 'perf-no-such-topic', '--idle-timeout', '500');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
});

test('perf e2e: every record sent is received, with end-to-end latency', async () => {
  const json = join(dir, 'e2e.json');
  const result = await perf('e2e', '--topic', 'perf-e2e', '--partitions', '2', '--num-records', '1000', '--throughput', '2000', '--record-size', '64', '--linger-ms', '0', '--json', json);
  assert.equal(result.code, 0, result.stderr);
  const match = TOTAL_LINE.exec(result.stdout);
  assert.ok(match, result.stdout);
  assert.equal(match[1], '1000');
  assert.equal(match[2], 'received');
  const report = readJson(json);
  assert.equal(report.records, 1000);
  assert.equal(report.latencyMs.count, 1000);
  assert.equal(report.produce.records, 1000);
  assert.equal(report.produce.latencyMs.count, 1000);
  assert.equal(report.failedRecords, 0);
  assert.equal(report.settings.throughput, 2000);
});

test('several producers, keys and a codec; window lines at the reporting interval', async () => {
  const json = join(dir, 'keyed.json');
  const result = await perf(
    'produce',
    '--topic',
    'perf-keyed',
    '--partitions',
    '4',
    '--duration',
    '1.5',
    '--throughput',
    '4000',
    '--producers',
    '2',
    '--keys',
    '10',
    '--compression',
    'lz4',
    '--reporting-interval',
    '500',
    '--json',
    json,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\d+ records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency\.$/m);
  const report = readJson(json);
  assert.ok(report.records > 0);
  assert.ok(report.windows.length >= 1);
  assert.equal(report.settings.producers, 2);
  assert.equal(report.settings.compression, 'lz4');
  // Every acknowledged record is in the topic.
  const ends = await admin.listOffsets([0, 1, 2, 3].map((partition) => ({ topic: 'perf-keyed', partition, spec: 'latest' as const })));
  assert.equal(
    ends.reduce((sum, end) => sum + end.offset, 0),
    report.records,
  );
});

test('usage errors exit 2', async () => {
  for (const args of [
    ['produce', '--topic', 't'],
    ['produce', '--num-records', '10'],
    ['produce', '--topic', 't', '--num-records', '10', '--acks', '2'],
    ['produce', '--topic', 't', '--num-records', '10', '--compression', 'brotli'],
    ['e2e', '--topic', 't', '--num-records', '10', '--throughput', '-1'],
    ['consume', '--topic', 't', '--record-size', '10'],
    ['sideways', '--topic', 't'],
  ]) {
    const result = await perf(...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^tidelog: /);
  }
});
