/**
 * kcat (librdkafka 2.0.2 from Debian) against a Tidelog broker: metadata listing, keyed
 * produce with each compression codec, and reading back from the beginning, byte-exact, in
 * order per partition.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hasKcat, run } from '../helpers/external-tools.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

const skip = !hasKcat() && 'kcat is not installed (apt-get install kcat)';
let broker: BrokerProcess;

before(async () => {
  if (skip) return;
  broker = await startBrokerProcess({ config: { 'num.partitions': '3' } });
});

after(async () => {
  if (skip) return;
  assert.equal(await broker.stop(), 0, 'broker exits 0 on SIGTERM');
  removeDir(broker.dataDir);
});

test('kcat -L lists this broker as the controller and the topics', { skip }, async () => {
  await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'listed', '-K:'], { input: 'k:v\n' });
  const result = await run('kcat', ['-b', broker.bootstrap, '-L', '-J']);
  assert.equal(result.code, 0, result.stderr);
  const metadata = JSON.parse(result.stdout.toString()) as {
    brokers: { id: number; name: string }[];
    controllerid: number;
    topics: { topic: string; partitions: { partition: number; leader: number; isrs: number[] }[] }[];
  };
  assert.deepEqual(metadata.brokers, [{ id: 1, name: broker.bootstrap }]);
  assert.equal(metadata.controllerid, 1);
  const listed = metadata.topics.find((topic) => topic.topic === 'listed');
  assert.ok(listed, 'auto-created topic is listed');
  assert.equal(listed.partitions.length, 3);
  for (const partition of listed.partitions) assert.equal(partition.leader, 1);
});

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`kcat produces with -z ${codec} and reads back byte-exact, in order per partition`, { skip }, async () => {
    const topic = `kcat-${codec}`;
    const messages: { key: string; value: string }[] = [];
    for (let i = 0; i < 600; i++) {
      // Repetitive values so that every codec really compresses.
      messages.push({ key: `key-${i % 7}`, value: `value-${i}-${'x'.repeat(i % 50)}-${'é'.repeat(i % 3)}` });
    }
    const input = messages.map((message) => `${message.key}\t${message.value}`).join('\n') + '\n';
    const started = Date.now();
    const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-K', '\t', '-z', codec, '-H', 'origin=kcat', '-H', 'codec=' + codec], { input });
    const finished = Date.now();
    assert.equal(produced.code, 0, produced.stderr);
    assert.doesNotMatch(produced.stderr, /not compressing|does not support compression/i, 'librdkafka really compressed');

    const consumed = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%p\t%o\t%T\t%k\t%s\t%h\n']);
    assert.equal(consumed.code, 0, consumed.stderr);
    const lines = consumed.stdout.toString().split('\n').filter((line) => line !== '');
    assert.equal(lines.length, messages.length);
    const byPartition = new Map<number, { offset: number; key: string; value: string }[]>();
    for (const line of lines) {
      const [partition, offset, timestamp, key, value, headers] = line.split('\t');
      assert.ok(Number(timestamp) >= started - 1000 && Number(timestamp) <= finished + 1000, `timestamp ${timestamp} is the produce time`);
      assert.equal(headers, `origin=kcat,codec=${codec}`);
      const list = byPartition.get(Number(partition)) ?? [];
      list.push({ offset: Number(offset), key: key!, value: value! });
      byPartition.set(Number(partition), list);
    }
    // Same key -> same partition; offsets dense from 0; order per key as produced.
    const partitionOfKey = new Map<string, number>();
    for (const [partition, records] of byPartition) {
      records.forEach((record, index) => assert.equal(record.offset, index, 'offsets are dense from 0'));
      for (const record of records) {
        assert.equal(partitionOfKey.get(record.key) ?? partition, partition, `key ${record.key} stays in one partition`);
        partitionOfKey.set(record.key, partition);
      }
    }
    for (let k = 0; k < 7; k++) {
      const key = `key-${k}`;
      const expected = messages.filter((message) => message.key === key).map((message) => message.value);
      const actual = byPartition.get(partitionOfKey.get(key)!)!.filter((record) => record.key === key).map((record) => record.value);
      assert.deepEqual(actual, expected, `values of ${key} in produce order`);
    }
  });
}

test('kcat reads a single partition from an offset and from a timestamp', { skip }, async () => {
  const topic = 'kcat-offsets';
  const input = Array.from({ length: 20 }, (_, i) => `v${i}`).join('\n') + '\n';
  const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0'], { input });
  assert.equal(produced.code, 0, produced.stderr);
  const fromOffset = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '15', '-e', '-f', '%o:%s\n']);
  assert.equal(fromOffset.stdout.toString(), 'v15\nv16\nv17\nv18\nv19\n'.replace(/v(\d+)/g, '$1:v$1'));
  const lastTwo = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '-2', '-e', '-f', '%s\n']);
  assert.equal(lastTwo.stdout.toString(), 'v18\nv19\n');
  const byTime = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 's@0', '-e', '-f', '%o\n']);
  assert.equal(byTime.stdout.toString().split('\n')[0], '0', 'timestamp 0 resolves to the first offset');
});
