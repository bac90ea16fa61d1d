/**
 * kafkajs 2.2.4 against a Tidelog broker: the admin client (createTopics, fetchTopicMetadata,
 * fetchTopicOffsets, fetchTopicOffsetsByTimestamp) and the producer (send/sendBatch with gzip,
 * snappy via kafkajs-snappy, lz4 via kafkajs-lz4, acks 0/1/-1). What kafkajs wrote is read
 * back with kcat, an independent client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { hasKcat, run } from '../helpers/external-tools.js';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';
import { connectAdminAndProducer } from '../helpers/kafkajs.js';

const { CompressionTypes, CompressionCodecs, Kafka, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
CompressionCodecs[CompressionTypes.LZ4] = new (require('kafkajs-lz4'))().codec;

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await startBrokerProcess();
  kafka = new Kafka({ clientId: 'tidelog-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  ({ admin, producer } = await connectAdminAndProducer(kafka));
});

after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await stopAndRemove(broker);
});

test('kafkajs admin creates topics and reads their metadata', async () => {
  const created = await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 4, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      { topic: 'payments', numPartitions: 2 },
    ],
    waitForLeaders: true,
  });
  assert.equal(created, true);
  assert.equal(await admin.createTopics({ topics: [{ topic: 'orders' }] }), false, 'an existing topic is not created again');
  const topics = await admin.listTopics();
  assert.ok(topics.includes('orders') && topics.includes('payments'));
  const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] });
  const orders = metadata.topics[0]!;
  assert.equal(orders.name, 'orders');
  assert.deepEqual(orders.partitions.map((partition) => partition.partitionId).sort(), [0, 1, 2, 3]);
  for (const partition of orders.partitions) {
    assert.equal(partition.leader, 1);
    assert.deepEqual(partition.replicas, [1]);
    assert.deepEqual(partition.isr, [1]);
  }
  await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad name!' }] }), (error: Error & { errors?: { type: string }[] }) => {
    assert.equal(error.errors?.[0]?.type, 'INVALID_TOPIC_EXCEPTION');
    return true;
  });
});

for (const [name, compression] of [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
] as const) {
  for (const acks of [1, -1, 0]) {
    test(`kafkajs producer send with ${name}, acks=${acks}, read back by kcat`, { skip: !hasKcat() && 'kcat missing' }, async () => {
      const topic = `kafkajs-${name}-acks${acks === -1 ? 'all' : acks}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const messages = Array.from({ length: 300 }, (_, i) => ({
        key: `k${i % 5}`,
        value: `message ${i} ${'payload '.repeat(i % 20)}`,
        headers: { index: String(i) },
        timestamp: String(1_700_000_000_000 + i),
      }));
      const results = await producer.send({ topic, acks, compression, messages: messages.slice(0, 150) });
      await producer.sendBatch({ acks, compression, topicMessages: [{ topic, messages: messages.slice(150) }] });
      if (acks !== 0) {
        assert.equal(results[0]!.errorCode, 0);
        assert.equal(results[0]!.baseOffset, '0');
      }
      // acks=0 answers nothing, so the writes may still be landing: wait for the high watermark.
      let offsets = await admin.fetchTopicOffsets(topic);
      for (let attempt = 0; acks === 0 && offsets[0]!.high !== '300' && attempt < 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        offsets = await admin.fetchTopicOffsets(topic);
      }
      assert.deepEqual(offsets.map((offset) => [offset.partition, offset.low, offset.high]), [[0, '0', '300']]);
      const consumed = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o\t%T\t%k\t%s\t%h\n']);
      const lines = consumed.stdout.toString().split('\n').filter(Boolean);
      assert.equal(lines.length, 300, consumed.stderr);
      lines.forEach((line, i) => {
        assert.equal(line, `${i}\t${messages[i]!.timestamp}\t${messages[i]!.key}\t${messages[i]!.value}\tindex=${i}`);
      });
    });
  }
}

test('kafkajs fetchTopicOffsetsByTimestamp finds the first offset at or after a time', async () => {
  const topic = 'by-time';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const base = 1_700_000_000_000;
  await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, timestamp: String(base + i * 1000) })) });
  const at = await admin.fetchTopicOffsetsByTimestamp(topic, base + 3500);
  assert.deepEqual(at, [{ partition: 0, offset: '4' }]);
  const before = await admin.fetchTopicOffsetsByTimestamp(topic, base - 1);
  assert.deepEqual(before, [{ partition: 0, offset: '0' }]);
  const afterAll = await admin.fetchTopicOffsetsByTimestamp(topic, base + 60_000);
  assert.deepEqual(afterAll, [{ partition: 0, offset: '10' }], 'no record that late: kafkajs falls back to the latest offset');
});

test('kafkajs producer to a missing topic with auto-creation allowed creates it', async () => {
  const autoProducer = kafka.producer({ allowAutoTopicCreation: true });
  await autoProducer.connect();
  try {
    const [result] = await autoProducer.send({ topic: 'auto-created', messages: [{ value: 'hello' }] });
    assert.equal(result!.errorCode, 0);
  } finally {
    await autoProducer.disconnect();
  }
  const metadata = await admin.fetchTopicMetadata({ topics: ['auto-created'] });
  assert.equal(metadata.topics[0]!.partitions.length, 1);
});

test('kafkajs admin deletes topics and creates partitions', async () => {
  await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }, { topic: 'doomed', numPartitions: 1 }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
  const metadata = await admin.fetchTopicMetadata({ topics: ['grow'] });
  assert.equal(metadata.topics[0]!.partitions.length, 3);
  await admin.deleteTopics({ topics: ['doomed'] });
  assert.ok(!(await admin.listTopics()).includes('doomed'));
});

test('kafkajs describeConfigs returns every topic config with its source', async () => {
  const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders' }], includeSynonyms: true });
  const entries = resources[0]!.configEntries;
  const retention = entries.find((entry) => entry.configName === 'retention.ms')!;
  assert.equal(retention.configValue, '3600000');
  assert.equal(retention.configSource, 1, 'DYNAMIC_TOPIC_CONFIG');
  const cleanup = entries.find((entry) => entry.configName === 'cleanup.policy')!;
  assert.equal(cleanup.configValue, 'delete');
  assert.equal(cleanup.configSource, 5, 'DEFAULT_CONFIG');
  assert.ok(entries.length >= 30, 'the full list of topic configs');
});
