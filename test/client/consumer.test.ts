/**
 * The consumer against a Tidelog broker: assignment from earliest, latest and an offset; a
 * compressed batch fetched from its middle yields only the records from the position on;
 * forEachRecord agrees with records(); what kafkajs produced (gzip, headers) read byte-exact;
 * read_committed drops aborted transactions and markers while read_uncommitted keeps the
 * aborted records (kafkajs transactions); OFFSET_OUT_OF_RANGE resets by autoOffsetReset or is
 * reported with 'none'; seek drops what was prefetched; prefetch stops at queuedMaxBytes; and,
 * with scripted brokers, NOT_LEADER_OR_FOLLOWER moves the fetch to the new leader.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { Consumer, type ConsumedBatch, type ConsumerOptions } from '../../src/client/consumer.js';
import { Producer } from '../../src/client/producer.js';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { buildRecordBatch, type KafkaRecord } from '../../src/protocol/records/index.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { CLOSE, FakeBroker, metadataReply, type Handler } from './fake-broker.js';

const { CompressionTypes, Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let broker: InProcessBroker;
let bootstrap: string;
let admin: Admin;
let producer: Producer;
const clients: { close(): Promise<void> }[] = [];
const fakes: FakeBroker[] = [];

before(async () => {
  broker = await startInProcessBroker({ 'num.partitions': '1', 'transaction.state.log.replication.factor': '1', 'transaction.state.log.min.isr': '1' });
  bootstrap = `127.0.0.1:${broker.port}`;
  admin = new Admin({ bootstrapServers: bootstrap });
  producer = new Producer({ bootstrapServers: bootstrap, lingerMs: 0 });
});

after(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await producer?.close();
  await admin?.close();
  for (const fake of fakes) await fake.stop();
  await broker?.stop();
});

function consumer(options: Partial<ConsumerOptions> = {}): Consumer {
  const created = new Consumer({ bootstrapServers: bootstrap, fetchMaxWaitMs: 50, ...options });
  clients.push(created);
  return created;
}

async function createTopic(name: string, partitions = 1): Promise<void> {
  const [result] = await admin.createTopics([{ name, numPartitions: partitions }]);
  assert.equal(result!.error, null);
}

/** Records until `count` came (fails after 20 s). */
async function take(from: Consumer, count: number): Promise<(KafkaRecord & { partition: number })[]> {
  const records: (KafkaRecord & { partition: number })[] = [];
  const deadline = Date.now() + 20_000;
  while (records.length < count) {
    assert.ok(Date.now() < deadline, `got ${records.length} of ${count} records`);
    for (const batch of await from.poll(100)) for (const record of batch.records()) records.push({ ...record, partition: batch.partition });
  }
  return records;
}

async function produceValues(topic: string, values: readonly string[], partition = 0): Promise<void> {
  await Promise.all(values.map((value) => producer.send({ topic, partition, value })));
}

test('earliest, latest and an explicit offset', async () => {
  const topic = 'consumer-start';
  await createTopic(topic);
  await produceValues(topic, ['a', 'b', 'c', 'd']);
  const fromEarliest = consumer();
  await fromEarliest.assign([{ topic, partition: 0, offset: 'earliest' }]);
  assert.deepEqual((await take(fromEarliest, 4)).map((record) => [record.offset, record.value!.toString()]), [[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']]);
  assert.equal(fromEarliest.position(topic, 0), 4);
  assert.equal(fromEarliest.highWatermark(topic, 0), 4);

  const fromOffset = consumer();
  await fromOffset.assign([{ topic, partition: 0, offset: 2 }]);
  assert.deepEqual((await take(fromOffset, 2)).map((record) => record.offset), [2, 3]);

  const fromLatest = consumer();
  await fromLatest.assign([{ topic, partition: 0, offset: 'latest' }]);
  assert.equal(fromLatest.position(topic, 0), 4);
  assert.deepEqual(await fromLatest.poll(200), [], 'nothing new yet');
  await produceValues(topic, ['e']);
  assert.deepEqual((await take(fromLatest, 1)).map((record) => [record.offset, record.value!.toString()]), [[4, 'e']]);

  const unknown = (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const nowhere = consumer();
  await assert.rejects(nowhere.assign([{ topic, partition: 3 }]), unknown);
  await assert.rejects(nowhere.assign([{ topic: 'consumer-no-such-topic', partition: 0 }]), unknown);
  assert.deepEqual(nowhere.assignment(), []);
});

test('a compressed batch fetched from its middle yields the records from the position on; forEachRecord agrees with records()', async () => {
  const topic = 'consumer-middle';
  await createTopic(topic);
  const compressed = new Producer({ bootstrapServers: bootstrap, compression: 'zstd', lingerMs: 50 });
  clients.push(compressed);
  await Promise.all(Array.from({ length: 10 }, (_, i) => compressed.send({ topic, key: `k${i}`, value: `v${i}`, headers: [{ key: 'i', value: String(i) }] })));
  const reader = consumer();
  await reader.assign([{ topic, partition: 0, offset: 6 }]);
  const batches: ConsumedBatch[] = [];
  while (batches.length === 0) batches.push(...(await reader.poll(200)));
  assert.equal(batches[0]!.baseOffset, 0, 'the whole batch came');
  const records = [...batches[0]!.records()];
  assert.deepEqual(records.map((record) => record.offset), [6, 7, 8, 9]);
  assert.deepEqual(records[0]!.headers, [{ key: 'i', value: Buffer.from('6') }]);
  const viewed: [number, number, string, string][] = [];
  const visited = batches[0]!.forEachRecord((view) =>
    viewed.push([view.offset, view.timestamp, view.buffer.toString('utf8', view.keyOffset, view.keyOffset + view.keyLength), view.buffer.toString('utf8', view.valueOffset, view.valueOffset + view.valueLength)]),
  );
  assert.equal(visited, 4);
  assert.deepEqual(
    viewed,
    records.map((record) => [record.offset, record.timestamp, record.key!.toString(), record.value!.toString()]),
  );
  assert.deepEqual((await batches[0]!.recordsAsync()).map((record) => record.offset), [6, 7, 8, 9]);
});

test('reads what kafkajs produced with gzip, byte-exact with headers, over several partitions', async () => {
  const topic = 'consumer-kafkajs';
  await createTopic(topic, 3);
  const kafka = new Kafka({ clientId: 'consumer-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const kafkajsProducer = kafka.producer();
  await kafkajsProducer.connect();
  const messages = Array.from({ length: 60 }, (_, i) => ({ partition: i % 3, key: `key-${i}`, value: Buffer.from([i, 255 - i, 0, 1]), headers: { source: 'kafkajs', n: String(i) } }));
  try {
    await kafkajsProducer.send({ topic, compression: CompressionTypes.GZIP, messages });
  } finally {
    await kafkajsProducer.disconnect();
  }
  const reader = consumer();
  await reader.assignTopics([topic], 'earliest');
  const records = await take(reader, messages.length);
  for (const message of messages) {
    const record = records.find((candidate) => candidate.key!.toString() === message.key)!;
    assert.equal(record.partition, message.partition);
    assert.deepEqual(record.value, message.value);
    assert.deepEqual(record.headers, [
      { key: 'source', value: Buffer.from('kafkajs') },
      { key: 'n', value: Buffer.from(message.headers.n) },
    ]);
  }
});

test('read_committed drops aborted transactions and markers; read_uncommitted keeps the aborted records', async () => {
  const topic = 'consumer-transactions';
  await createTopic(topic);
  const kafka = new Kafka({ clientId: 'consumer-txn', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const transactional = kafka.producer({ transactionalId: 'consumer-test-txn', maxInFlightRequests: 1, idempotent: true });
  await transactional.connect();
  try {
    for (const [outcome, values] of [
      ['commit', ['c1', 'c2']],
      ['abort', ['a1', 'a2', 'a3']],
      ['commit', ['c3']],
    ] as const) {
      const transaction = await transactional.transaction();
      await transaction.send({ topic, messages: values.map((value) => ({ partition: 0, value })) });
      if (outcome === 'commit') await transaction.commit();
      else await transaction.abort();
    }
  } finally {
    await transactional.disconnect();
  }
  await produceValues(topic, ['plain']);

  const committed = consumer({ isolationLevel: 'read_committed' });
  await committed.assign([{ topic, partition: 0, offset: 'earliest' }]);
  assert.deepEqual((await take(committed, 4)).map((record) => record.value!.toString()), ['c1', 'c2', 'c3', 'plain']);

  const uncommitted = consumer({ isolationLevel: 'read_uncommitted' });
  await uncommitted.assign([{ topic, partition: 0, offset: 'earliest' }]);
  assert.deepEqual((await take(uncommitted, 7)).map((record) => record.value!.toString()), ['c1', 'c2', 'a1', 'a2', 'a3', 'c3', 'plain']);
});

test('OFFSET_OUT_OF_RANGE: reset to earliest by autoOffsetReset, reported with none', async () => {
  const topic = 'consumer-out-of-range';
  await createTopic(topic);
  await produceValues(topic, ['x', 'y']);
  const resetting = consumer({ autoOffsetReset: 'earliest' });
  await resetting.assign([{ topic, partition: 0, offset: 100 }]);
  assert.deepEqual((await take(resetting, 2)).map((record) => record.offset), [0, 1]);

  const strict = consumer({ autoOffsetReset: 'none' });
  await strict.assign([{ topic, partition: 0, offset: 100 }]);
  await assert.rejects(
    async () => {
      for (let i = 0; i < 50; i++) await strict.poll(100);
    },
    (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE && /OFFSET_OUT_OF_RANGE \(topic 'consumer-out-of-range' partition 0 at offset 100\)/.test(error.message),
  );
});

test('seek drops what was prefetched; prefetch stops at queuedMaxBytes', async () => {
  const topic = 'consumer-seek';
  await createTopic(topic);
  const value = Buffer.alloc(1000, 'q');
  await Promise.all(Array.from({ length: 200 }, () => producer.send({ topic, value })));
  const reader = consumer({ queuedMaxBytes: 10_000, maxPartitionFetchBytes: 4_000 });
  await reader.assign([{ topic, partition: 0, offset: 'earliest' }]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const first = await reader.poll(100);
  const fetchedBytes = first.reduce((sum, batch) => sum + batch.sizeInBytes, 0);
  assert.ok(fetchedBytes > 0 && fetchedBytes < 20_000, `prefetched ${fetchedBytes} bytes, bounded`);
  reader.seek(topic, 0, 150);
  const records = await take(reader, 50);
  assert.equal(records[0]!.offset, 150);
  assert.equal(records.at(-1)!.offset, 199);
});

test('NOT_LEADER_OR_FOLLOWER on Fetch: metadata is asked again and the fetch moves to the new leader', async () => {
  let leader = 1;
  const pair: FakeBroker[] = [];
  const batch = buildRecordBatch({ baseOffset: 0, records: [{ value: 'from-2' }] });
  const handler =
    (nodeId: number): Handler =>
    (request) => {
      if (request.api === 'Metadata') return metadataReply(pair, { moving: [leader] });
      if (request.api === 'ListOffsets') {
        return { topics: [{ name: 'moving', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 0, leaderEpoch: 0, oldStyleOffsets: [0] }] }] };
      }
      if (request.api !== 'Fetch') return CLOSE;
      const partition = { partitionIndex: 0, highWatermark: 1, lastStableOffset: 1, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1 };
      if (nodeId === 1) {
        leader = 2;
        return { responses: [{ topic: 'moving', partitions: [{ ...partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, records: null }] }] };
      }
      return { responses: [{ topic: 'moving', partitions: [{ ...partition, errorCode: 0, records: request.body.topics[0].partitions[0].fetchOffset === 0 ? batch : null }] }] };
    };
  // Fetch up to v12: the scripted metadata carries no topic ids.
  const versions = { ApiVersions: [0, 3], Metadata: [0, 12], ListOffsets: [0, 10], Fetch: [4, 12] } as const;
  pair.push(await FakeBroker.start({ nodeId: 1, handler: handler(1), versions }));
  pair.push(await FakeBroker.start({ nodeId: 2, handler: handler(2), versions }));
  fakes.push(...pair);
  const reader = new Consumer({ bootstrapServers: pair[0]!.bootstrap, retryBackoffMs: 10, fetchMaxWaitMs: 10 });
  clients.push(reader);
  await reader.assign([{ topic: 'moving', partition: 0, offset: 'earliest' }]);
  const [record] = await take(reader, 1);
  assert.equal(record!.value!.toString(), 'from-2');
  assert.equal(pair[0]!.received('Fetch').length, 1);
  assert.ok(pair[1]!.received('Fetch').length >= 1);
});
