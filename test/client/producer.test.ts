/**
 * The producer: batches written in place are the bytes the protocol's builder makes; Kafka's
 * murmur2 and key partitioning; round trips through a Tidelog broker with every codec, acks 0 /
 * 1 / all, keyed partitioning stable across producers and equal to librdkafka's (kcat), order
 * per partition with several requests in flight, idempotence; errors named by Kafka's codes;
 * NOT_LEADER_OR_FOLLOWER and UNKNOWN_TOPIC_OR_PARTITION refresh metadata and retry (scripted
 * brokers, and a topic deleted and created again); and what it wrote read back byte-exact by
 * kcat and kafkajs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { Consumer, type ConsumedBatch } from '../../src/client/consumer.js';
import { murmur2, partitionForKey } from '../../src/client/partitioner.js';
import { Producer, type BatchDelivery, type RecordMetadata } from '../../src/client/producer.js';
import { RecordBatchWriter } from '../../src/client/record-batch-writer.js';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { buildRecordBatch, CompressionType, decodeRecords, readBatchHeader, type KafkaRecord, type RecordInput } from '../../src/protocol/records/index.js';
import { hasKcat, run } from '../helpers/external-tools.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { CLOSE, FakeBroker, metadataReply, type Handler } from './fake-broker.js';

const { CompressionTypes, CompressionCodecs, Kafka, logLevel } = kafkajs;
const require = createRequire(import.meta.url);
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
CompressionCodecs[CompressionTypes.LZ4] = new (require('kafkajs-lz4'))().codec;

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

let broker: InProcessBroker;
let bootstrap: string;
let admin: Admin;
const clients: { close(): Promise<void> }[] = [];
const fakes: FakeBroker[] = [];

before(async () => {
  broker = await startInProcessBroker({ 'num.partitions': '1', 'auto.create.topics.enable': 'false' });
  bootstrap = `127.0.0.1:${broker.port}`;
  admin = new Admin({ bootstrapServers: bootstrap });
});

after(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await admin?.close();
  for (const fake of fakes) await fake.stop();
  await broker?.stop();
});

function producer(options: Partial<ConstructorParameters<typeof Producer>[0]> = {}): Producer {
  const created = new Producer({ bootstrapServers: bootstrap, lingerMs: 1, ...options });
  clients.push(created);
  return created;
}

async function createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const [result] = await admin.createTopics([{ name, numPartitions: partitions, configs }]);
  assert.equal(result!.error, null);
}

/** Every record of a topic's partitions, read with our consumer from the beginning. */
async function readAll(topic: string, partitions: number, expected: number): Promise<{ partition: number; batches: ConsumedBatch[]; records: KafkaRecord[] }[]> {
  const consumer = new Consumer({ bootstrapServers: bootstrap, fetchMaxWaitMs: 50 });
  try {
    await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 'earliest' as const })));
    const result = Array.from({ length: partitions }, (_, partition) => ({ partition, batches: [] as ConsumedBatch[], records: [] as KafkaRecord[] }));
    let count = 0;
    const deadline = Date.now() + 20_000;
    while (count < expected) {
      assert.ok(Date.now() < deadline, `read ${count} of ${expected} records`);
      for (const batch of await consumer.poll(200)) {
        result[batch.partition]!.batches.push(batch);
        for (const record of batch.records()) {
          result[batch.partition]!.records.push(record);
          count++;
        }
      }
    }
    return result;
  } finally {
    await consumer.close();
  }
}

function hasCode(code: ErrorCode) {
  return (error: unknown) => {
    assert.ok(error instanceof KafkaError, `expected a KafkaError, got ${String(error)}`);
    assert.equal(ErrorCode[error.code], ErrorCode[code]);
    assert.match(error.message, new RegExp(ErrorCode[code]!));
    return true;
  };
}

// ---- batches and partitioning, no broker ---------------------------------------------------

test('RecordBatchWriter writes the bytes buildRecordBatch makes, for every codec', () => {
  const records: RecordInput[] = [
    { key: 'k0', value: 'v0', timestamp: 1_700_000_000_000 },
    { key: null, value: Buffer.alloc(300, 7), timestamp: 1_700_000_000_005, headers: [{ key: 'h1', value: 'x' }, { key: 'h2', value: null }] },
    { key: Buffer.from([0, 1, 2]), value: null, timestamp: 1_699_999_999_990 },
    { key: '', value: '', timestamp: 1_700_000_000_000 + 2 ** 33, headers: [{ key: 'é', value: Buffer.from('ü') }] },
  ];
  for (const codec of [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]) {
    const writer = new RecordBatchWriter(4096);
    for (const record of records) {
      const bytes = (value: RecordInput['value']) => (value === null || value === undefined ? null : Buffer.from(value as Buffer | string));
      assert.ok(writer.append(record.timestamp!, bytes(record.key), bytes(record.value), (record.headers ?? []).map((header) => ({ key: header.key, value: bytes(header.value) }))));
    }
    const expected = buildRecordBatch({ records, compression: codec, producerId: 7, producerEpoch: 1, baseSequence: 42 });
    const written = writer.finish(codec, { producerId: 7, producerEpoch: 1, baseSequence: 42 });
    assert.deepEqual(written, expected, `codec ${codec}`);
  }
});

test('a full batch takes no more records; a record larger than the batch does not fit', () => {
  const writer = new RecordBatchWriter(200);
  const value = Buffer.alloc(50, 1);
  let count = 0;
  while (writer.append(1000, null, value, null)) count++;
  assert.equal(count, 2);
  assert.ok(writer.sizeInBytes <= 200);
  const [one, two] = decodeRecords(writer.finish(CompressionType.NONE));
  assert.equal(one!.offset, 0);
  assert.equal(two!.offset, 1);
  assert.equal(new RecordBatchWriter(100).append(0, null, Buffer.alloc(100), null), false);
});

test("murmur2 and key partitioning are Kafka's (Utils.murmur2 test vectors)", () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [text, hash] of vectors) assert.equal(murmur2(Buffer.from(text)), hash, text);
  assert.equal(partitionForKey(Buffer.from('foobar'), 6), (-790332482 & 0x7fffffff) % 6);
});

// ---- against a broker -------------------------------------------------------------------

for (const codec of CODECS) {
  test(`round trip with compression ${codec}: keys, values, headers, timestamps and offsets byte-exact`, async () => {
    const topic = `producer-${codec}`;
    await createTopic(topic, 2);
    const batches: BatchDelivery[] = [];
    const sent = producer({ compression: codec, batchSize: 4096, lingerMs: 5, onBatchDelivered: (delivery) => batches.push(delivery) });
    const inputs = Array.from({ length: 300 }, (_, i) => ({
      topic,
      partition: i % 2,
      key: i % 5 === 0 ? null : `key-${i}`,
      value: i % 7 === 0 ? null : Buffer.from(`value-${i}-${'abc'.repeat(i % 40)}`),
      headers: i % 3 === 0 ? [{ key: 'index', value: String(i) }, { key: 'empty', value: null }] : null,
      timestamp: 1_700_000_000_000 + i,
    }));
    const metadata = await Promise.all(inputs.map((input) => sent.send(input)));
    assert.ok(batches.length > 2, 'several batches');
    assert.ok(batches.every((batch) => batch.error === null));
    const read = await readAll(topic, 2, inputs.length);
    for (const partition of [0, 1]) {
      const expected = inputs.filter((input) => input.partition === partition);
      const records = read[partition]!.records;
      assert.equal(records.length, expected.length);
      records.forEach((record, offset) => {
        const input = expected[offset]!;
        assert.equal(record.offset, offset);
        assert.equal(record.timestamp, input.timestamp);
        assert.deepEqual(record.key, input.key === null ? null : Buffer.from(input.key));
        assert.deepEqual(record.value, input.value);
        assert.deepEqual(record.headers, input.headers === null ? [] : [{ key: 'index', value: Buffer.from(input.headers[0]!.value!) }, { key: 'empty', value: null }]);
      });
      for (const batch of read[partition]!.batches) assert.equal(batch.compression, CompressionType[codec.toUpperCase() as keyof typeof CompressionType]);
    }
    // The promise of each record names its partition and offset.
    for (let i = 0; i < inputs.length; i++) {
      assert.deepEqual(metadata[i], { topic, partition: i % 2, offset: Math.floor(i / 2), timestamp: inputs[i]!.timestamp });
    }
  });
}

test('large batches compress in the thread pool and keep their order', async () => {
  const topic = 'producer-async-compression';
  await createTopic(topic, 1);
  const sent = producer({ compression: 'zstd', batchSize: 256 * 1024, asyncCompressionBytes: 1024, lingerMs: 20 });
  const value = Buffer.alloc(1000, 'x');
  const offsets: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    value.writeUInt32BE(i, 0);
    sent.produce({ topic, value }, (error, metadata) => {
      assert.equal(error, null);
      offsets.push(metadata.offset);
    });
  }
  await sent.flush();
  assert.deepEqual(offsets, Array.from({ length: 2_000 }, (_, i) => i), 'callbacks in order, offsets dense');
  const [partition] = await readAll(topic, 1, 2_000);
  partition!.records.forEach((record, i) => assert.equal(record.value!.readUInt32BE(0), i));
});

test('acks=0: records arrive, delivery reports offset -1', async () => {
  const topic = 'producer-acks0';
  await createTopic(topic, 1);
  const sent = producer({ acks: 0 });
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => sent.send({ topic, value: `v${i}` })));
  assert.ok(results.every((result) => result.offset === -1 && result.partition === 0));
  const [partition] = await readAll(topic, 1, 50);
  assert.deepEqual(
    partition!.records.map((record) => record.value!.toString()),
    Array.from({ length: 50 }, (_, i) => `v${i}`),
  );
});

test('acks=1 and acks=all answer with offsets', async () => {
  const topic = 'producer-acks';
  await createTopic(topic, 1);
  for (const acks of [1, 'all'] as const) {
    const sent = producer({ acks });
    const first = await sent.send({ topic, value: String(acks) });
    assert.ok(first.offset >= 0);
  }
});

test('keyed partitioning: stable across producers, the same as librdkafka (kcat) and kafkajs pick', async () => {
  const topic = 'producer-keyed';
  await createTopic(topic, 6);
  const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
  const first = producer();
  const second = producer({ partitioner: 'round-robin' });
  const a = await Promise.all(keys.map((key) => first.send({ topic, key, value: 'a' })));
  const b = await Promise.all(keys.map((key) => second.send({ topic, key, value: 'b' })));
  assert.deepEqual(
    a.map((result) => result.partition),
    b.map((result) => result.partition),
  );
  assert.deepEqual(
    a.map((result) => result.partition),
    keys.map((key) => partitionForKey(Buffer.from(key), 6)),
  );
  assert.ok(new Set(a.map((result) => result.partition)).size > 3, 'keys spread over the partitions');

  // kafkajs's default partitioner is Java's murmur2 too.
  const kafka = new Kafka({ clientId: 'keyed', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const kafkajsProducer = kafka.producer();
  await kafkajsProducer.connect();
  try {
    const answers = await kafkajsProducer.send({ topic, messages: keys.map((key) => ({ key, value: 'c' })) });
    const byPartition = new Map(answers.map((answer) => [answer.partition, answer]));
    for (const partition of new Set(a.map((result) => result.partition))) assert.ok(byPartition.has(partition));
  } finally {
    await kafkajsProducer.disconnect();
  }

  if (hasKcat()) {
    const kcatTopic = 'producer-keyed-kcat';
    await createTopic(kcatTopic, 6);
    const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', kcatTopic, '-K', ':', '-X', 'partitioner=murmur2_random'], { input: keys.map((key) => `${key}:x`).join('\n') + '\n' });
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', kcatTopic, '-o', 'beginning', '-e', '-f', '%k\t%p\n']);
    const kcatPartitions = new Map(
      consumed.stdout
        .toString()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\t') as [string, string]),
    );
    for (const key of keys) assert.equal(Number(kcatPartitions.get(key)), partitionForKey(Buffer.from(key), 6), key);
  }
});

test('records without a key: sticky fills one partition per batch, round-robin goes record by record', async () => {
  const topic = 'producer-keyless';
  await createTopic(topic, 3);
  const roundRobin = producer({ partitioner: 'round-robin' });
  const spread = await Promise.all(Array.from({ length: 9 }, () => roundRobin.send({ topic, value: 'r' })));
  const counts = [0, 0, 0];
  for (const result of spread) counts[result.partition]!++;
  assert.deepEqual(counts, [3, 3, 3]);

  const sticky = producer({ batchSize: 1024, lingerMs: 1000 });
  const value = Buffer.alloc(100);
  const partitions: number[] = [];
  for (let i = 0; i < 30; i++) sticky.produce({ topic, value }, (_error, metadata) => partitions.push(metadata.partition));
  await sticky.flush();
  // 1 KiB batches hold 8 such records: runs of 8 on one partition, then the next.
  const runs: number[] = [];
  partitions.forEach((partition, i) => (i === 0 || partition !== partitions[i - 1] ? runs.push(1) : runs[runs.length - 1]!++));
  assert.ok(runs.length >= 3 && runs.slice(0, -1).every((length) => length > 1), `runs ${runs}`);
});

test('several requests in flight per connection keep the order of one partition', async () => {
  const topic = 'producer-pipelined';
  await createTopic(topic, 1);
  const sent = producer({ batchSize: 512, lingerMs: 0, maxInFlightRequestsPerConnection: 5 });
  const count = 3_000;
  const offsets: number[] = [];
  const value = Buffer.alloc(64);
  for (let i = 0; i < count; i++) {
    value.writeUInt32BE(i, 0);
    sent.produce({ topic, value }, (error, metadata) => {
      assert.equal(error, null);
      offsets.push(metadata.offset);
    });
  }
  await sent.flush();
  assert.deepEqual(offsets, Array.from({ length: count }, (_, i) => i));
  const [partition] = await readAll(topic, 1, count);
  partition!.records.forEach((record, i) => assert.equal(record.value!.readUInt32BE(0), i));
  assert.ok(partition!.batches.length > 20, 'many batches');
});

test('idempotence: a producer id and one sequence number per record, batch after batch', async () => {
  const topic = 'producer-idempotent';
  await createTopic(topic, 1);
  const sent = producer({ idempotent: true, batchSize: 1024 });
  assert.throws(() => sent.produce({ topic, value: 'x' }), /needs connect\(\)/);
  await sent.connect([topic]);
  const { producerId, producerEpoch } = sent.producerIdentity;
  assert.ok(producerId >= 0);
  const value = Buffer.alloc(100);
  await Promise.all(Array.from({ length: 40 }, () => sent.send({ topic, value })));
  const [partition] = await readAll(topic, 1, 40);
  let sequence = 0;
  for (const batch of partition!.batches) {
    const header = readBatchHeader(batch.bytes);
    assert.equal(header.producerId, producerId);
    assert.equal(header.producerEpoch, producerEpoch);
    assert.equal(header.baseSequence, sequence);
    sequence += header.recordsCount;
  }
  assert.equal(sequence, 40);
  assert.throws(() => new Producer({ bootstrapServers: bootstrap, idempotent: true, acks: 1 }), /acks 'all'/);
});

test('errors carry Kafka names: a partition the topic lacks, a record above max.request.size, a batch above max.message.bytes', async () => {
  const topic = 'producer-errors';
  await createTopic(topic, 2, { 'max.message.bytes': '2000' });
  const sent = producer({ maxRequestSize: 10_000 });
  await sent.connect([topic]);
  assert.throws(() => sent.produce({ topic, partition: 5, value: 'x' }), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  assert.throws(() => sent.produce({ topic, value: Buffer.alloc(20_000) }), hasCode(ErrorCode.MESSAGE_TOO_LARGE));
  await assert.rejects(sent.send({ topic, value: Buffer.alloc(5_000) }), (error: unknown) => {
    assert.ok(error instanceof KafkaError);
    assert.match(error.message, /^(MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE) \(topic 'producer-errors' partition \d\)/);
    return true;
  });
});

test('a topic that does not exist: records wait for it, then fail with its error at the delivery timeout', async () => {
  const sent = producer({ deliveryTimeoutMs: 1_500, retryBackoffMs: 50 });
  const started = Date.now();
  await assert.rejects(sent.send({ topic: 'producer-no-such-topic', value: 'x' }), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  assert.ok(Date.now() - started >= 1_000);
});

test('records produced before the topic exists are sent once it does', async () => {
  const topic = 'producer-late-topic';
  const sent = producer({ retryBackoffMs: 50 });
  const pending = Promise.all([sent.send({ topic, value: 'a' }), sent.send({ topic, value: 'b' })]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await createTopic(topic, 1);
  const [a, b] = await pending;
  assert.deepEqual([a.offset, b.offset], [0, 1]);
});

test('a topic deleted and created again: UNKNOWN_TOPIC_OR_PARTITION refreshes metadata and the batch is retried', async () => {
  const topic = 'producer-recreated';
  await createTopic(topic, 1);
  const sent = producer({ retryBackoffMs: 50 });
  assert.equal((await sent.send({ topic, value: 'before' })).offset, 0);
  const [deleted] = await admin.deleteTopics([topic]);
  assert.equal(deleted!.error, null);
  const retried = sent.send({ topic, value: 'after' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await createTopic(topic, 1);
  const result: RecordMetadata = await retried;
  assert.equal(result.offset, 0, 'the new topic starts at 0');
});

test('NOT_LEADER_OR_FOLLOWER: metadata is asked again and the batch goes to the new leader', async () => {
  let leader = 1;
  const pair: FakeBroker[] = [];
  const produced: { node: number; value: string }[] = [];
  const handler =
    (nodeId: number): Handler =>
    (request) => {
      if (request.api === 'Metadata') return metadataReply(pair, { moving: [leader] });
      if (request.api !== 'Produce') return CLOSE;
      const [batch] = decodeRecords(request.body.topicData[0].partitionData[0].records);
      const errorCode = nodeId === leader ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
      if (errorCode === ErrorCode.NONE) produced.push({ node: nodeId, value: batch!.value!.toString() });
      // Node 1 gives up the leadership after its first answer.
      if (nodeId === 1) leader = 2;
      return {
        responses: [{ name: 'moving', partitionResponses: [{ index: 0, errorCode, baseOffset: errorCode === ErrorCode.NONE ? produced.length - 1 : -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }],
        throttleTimeMs: 0,
      };
    };
  pair.push(await FakeBroker.start({ nodeId: 1, handler: handler(1) }));
  pair.push(await FakeBroker.start({ nodeId: 2, handler: handler(2) }));
  fakes.push(...pair);
  const sent = producer({ bootstrapServers: pair[0]!.bootstrap, retryBackoffMs: 10 });
  assert.equal((await sent.send({ topic: 'moving', value: 'one' })).offset, 0);
  const metadataBefore = pair[0]!.received('Metadata').length + pair[1]!.received('Metadata').length;
  assert.equal((await sent.send({ topic: 'moving', value: 'two' })).offset, 1);
  assert.deepEqual(produced, [
    { node: 1, value: 'one' },
    { node: 2, value: 'two' },
  ]);
  assert.ok(pair[0]!.received('Metadata').length + pair[1]!.received('Metadata').length > metadataBefore, 'metadata asked again');
});

test('what the producer writes, kcat and kafkajs read byte-exact (keys, values, headers)', async () => {
  const topic = 'producer-readers';
  await createTopic(topic, 1);
  const sent = producer({ compression: 'lz4' });
  const inputs = Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, value: `value ${i} ${'z'.repeat(i)}`, headers: [{ key: 'n', value: String(i) }, { key: 'tag', value: 'perf' }] }));
  for (const input of inputs) await sent.send(input);

  const kafka = new Kafka({ clientId: 'readers', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'producer-readers', maxWaitTimeInMs: 100 });
  await consumer.connect();
  const seen: { key: string; value: string; headers: Record<string, string> }[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push({
              key: message.key!.toString(),
              value: message.value!.toString(),
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)])),
            });
            if (seen.length === inputs.length) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(
    seen,
    inputs.map((input) => ({ key: input.key, value: input.value, headers: { n: input.headers[0]!.value, tag: 'perf' } })),
  );

  if (hasKcat()) {
    const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k\t%s\t%h\n']);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout.toString(), inputs.map((input) => `${input.key}\t${input.value}\tn=${input.headers[0]!.value},tag=perf\n`).join(''));
  }
});

test('flush waits for delivery; produce() returns false past bufferMemory and waitForBufferSpace resolves', async () => {
  const topic = 'producer-buffer';
  await createTopic(topic, 1);
  const sent = producer({ bufferMemory: 64 * 1024, batchSize: 16 * 1024, lingerMs: 100 });
  await sent.connect([topic]);
  const value = Buffer.alloc(1000);
  let produced = 0;
  let room = true;
  while (room) {
    room = sent.produce({ topic, value });
    produced++;
  }
  assert.ok(produced <= 70, `stops accepting around 64 KiB (${produced} records)`);
  await sent.waitForBufferSpace();
  assert.ok(sent.bufferedSize < 64 * 1024);
  await sent.flush();
  assert.equal(sent.bufferedSize, 0);
  await sent.close();
  assert.throws(() => sent.produce({ topic, value }), /closed/);
});
