/**
 * Retention and DeleteRecords on a running broker, seen through real clients: topics created by
 * kafkajs with retention.ms / retention.bytes / segment.ms / segment.bytes, the retention task
 * running every 100 ms, the earliest offset (ListOffsets) moving, consumers whose committed
 * offset fell below the log start resetting per auto.offset.reset (kafkajs fromBeginning,
 * confluent-kafka-python earliest/latest), and kafkajs admin.deleteTopicRecords.
 * confluent-kafka-python 1.7.0 has no AdminClient.delete_records (added in 2.4.0), so
 * DeleteRecords is driven by kafkajs and by a raw client for the v0-v2 answers.
 *
 * Time retention never waits for the clock: old records are produced with old CreateTime
 * timestamps, so their segment has expired the moment it exists. Waits poll for a state
 * (a moved earliest offset), never for a duration.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import type { Broker } from '../../src/broker/broker.js';
import { apiVersions, deleteRecords, fetchApi, listOffsets } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { hasConfluentKafkaPython, runPython } from '../helpers/external-tools.js';
import { fetchBody, RawClient } from '../helpers/raw-client.js';
import { connectAdminAndProducer } from '../helpers/kafkajs.js';
import { waitFor } from '../helpers/wait.js';
import { brokerOn } from '../helpers/in-process-broker.js';

const { Kafka, logLevel } = kafkajs;

const BROKER_SETTINGS: Record<string, string> = {
  'log.retention.check.interval.ms': '100',
  'log.initial.task.delay.ms': '0',
  'log.segment.delete.delay.ms': '0',
  'group.initial.rebalance.delay.ms': '0',
};

let dataDir: string;
let broker: Broker;
let admin: Admin;
let producer: Producer;
let kafka: InstanceType<typeof Kafka>;

async function startBroker(): Promise<void> {
  broker = brokerOn(dataDir, BROKER_SETTINGS);
  await broker.start();
  kafka = new Kafka({ clientId: 'tidelog-retention', brokers: [`127.0.0.1:${broker.boundPort()}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  ({ admin, producer } = await connectAdminAndProducer(kafka));
}

async function stopBroker(): Promise<void> {
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.stop();
}

before(async () => {
  dataDir = temporaryDataDir();
  await startBroker();
});

after(async () => {
  await stopBroker();
  removeDir(dataDir);
});

async function offsetsOf(topic: string): Promise<{ low: number; high: number }> {
  const [partition] = await admin.fetchTopicOffsets(topic);
  return { low: Number(partition!.low), high: Number(partition!.high) };
}

const HOUR = 3_600_000;

/** Sends `count` records in one batch with the given CreateTime timestamp; returns the base offset. */
async function produceAt(topic: string, count: number, timestamp: number, tag: string): Promise<number> {
  const [result] = await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: count }, (_, i) => ({ partition: 0, value: `${tag}-${i}`, timestamp: String(timestamp) })),
  });
  return Number(result!.baseOffset);
}

/** kafkajs wraps its KafkaJSDeleteTopicRecordsError (per-partition errors) in a KafkaJSNonRetriableError. */
type DeleteRecordsError = Error & { partitions?: { error: { type: string } }[]; cause?: DeleteRecordsError };
const partitionErrorOf = (error: DeleteRecordsError): string | undefined => (error.partitions ?? error.cause?.partitions)?.[0]?.error.type;

function segmentFiles(topic: string): string[] {
  return readdirSync(join(dataDir, `${topic}-0`))
    .filter((name) => name.endsWith('.log'))
    .sort();
}

test('time retention deletes expired segments and the earliest offset moves; the active segment stays while it has recent records', async () => {
  const topic = 'retention-time';
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: [
          { name: 'retention.ms', value: String(HOUR) },
          { name: 'segment.ms', value: '60000' },
        ],
      },
    ],
  });
  // Two hours old: a batch more than segment.ms after it rolls the segment, so it sits alone.
  await produceAt(topic, 10, Date.now() - 2 * HOUR, 'old');
  const recentBase = await produceAt(topic, 10, Date.now(), 'new');
  assert.equal(recentBase, 10);
  const offsets = await waitFor('the earliest offset to move', async () => {
    const current = await offsetsOf(topic);
    return current.low > 0 && current;
  });
  assert.deepEqual(offsets, { low: 10, high: 20 });
  // The files are renamed to .deleted and removed after file.delete.delay.ms (0 here).
  await waitFor('the expired segment files to go', () => segmentFiles(topic).join() === '00000000000000000010.log');
  const partition = broker.replicaManager.getPartition(topic, 0)!;
  assert.equal(partition.logStartOffset, 10);
  // More passes change nothing: the rest is recent.
  const passes = await broker.logRetention.runOnce();
  assert.equal(passes, 0);
  assert.equal((await offsetsOf(topic)).low, 10);
});

test('a quiet topic whose every record expired is emptied: the active segment goes after a roll, new records continue the offsets', async () => {
  const topic = 'retention-quiet';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(HOUR) }] }] });
  await produceAt(topic, 5, Date.now() - 3 * HOUR, 'a');
  await produceAt(topic, 5, Date.now() - 2 * HOUR, 'b');
  await waitFor('the log to be emptied', async () => (await offsetsOf(topic)).low === 10);
  assert.deepEqual(await offsetsOf(topic), { low: 10, high: 10 });
  assert.equal(await produceAt(topic, 3, Date.now(), 'c'), 10);
  assert.deepEqual(await offsetsOf(topic), { low: 10, high: 13 });
});

test('retention.ms=-1 and cleanup.policy=compact keep old records', async () => {
  await admin.createTopics({
    topics: [
      { topic: 'retention-forever', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '-1' }, { name: 'segment.ms', value: '1000' }] },
      { topic: 'retention-compacted', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '1000' }] },
    ],
  });
  for (const topic of ['retention-forever', 'retention-compacted']) {
    const [result] = await producer.send({ topic, acks: -1, messages: [{ partition: 0, key: 'k', value: 'old', timestamp: String(Date.now() - 10 * HOUR) }] });
    assert.equal(Number(result!.baseOffset), 0);
    await producer.send({ topic, acks: -1, messages: [{ partition: 0, key: 'k', value: 'new' }] });
  }
  // Passes run every 100 ms; run one more here so that at least one has seen both topics.
  await broker.logRetention.runOnce();
  assert.equal((await offsetsOf('retention-forever')).low, 0);
  assert.equal((await offsetsOf('retention-compacted')).low, 0);
  assert.equal(segmentFiles('retention-forever').length, 2);
});

test('size retention keeps a partition under retention.bytes plus one segment', async () => {
  const topic = 'retention-size';
  const retentionBytes = 4000;
  const segmentBytes = 1000;
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: [
          { name: 'retention.bytes', value: String(retentionBytes) },
          { name: 'segment.bytes', value: String(segmentBytes) },
        ],
      },
    ],
  });
  for (let i = 0; i < 60; i++) {
    await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `record ${i} ${'x'.repeat(100)}` }] });
  }
  const partition = broker.replicaManager.getPartition(topic, 0)!;
  await waitFor('size retention to delete segments', () => partition.logStartOffset > 0);
  await broker.logRetention.runOnce();
  const size = partition.log.size;
  assert.ok(size >= retentionBytes && size < retentionBytes + segmentBytes, `partition size ${size}`);
  const { low, high } = await offsetsOf(topic);
  assert.equal(low, partition.log.logSegments[0]!.baseOffset);
  assert.equal(high, 60);
});

test('kafkajs consumers whose committed offset fell below the log start reset to the earliest offset', async () => {
  const topic = 'retention-consumer';
  const groupId = 'retention-kafkajs';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(HOUR) }, { name: 'segment.ms', value: '60000' }] }] });
  await produceAt(topic, 10, Date.now() - 2 * HOUR, 'old');
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
  await produceAt(topic, 10, Date.now(), 'new');
  await waitFor('the earliest offset to move', async () => (await offsetsOf(topic)).low === 10);

  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const seen: { offset: number; value: string }[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ offset: Number(message.offset), value: message.value!.toString() });
      },
    });
    await waitFor('ten records', () => seen.length >= 10);
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(
    seen.map((record) => record.offset),
    Array.from({ length: 10 }, (_, i) => 10 + i),
  );
  assert.equal(seen[0]!.value, 'new-0');
});

const PYTHON_CONSUMER = String.raw`
import json, logging, sys, time
from confluent_kafka import Consumer, Producer
bootstrap, topic, group, reset = sys.argv[1:5]

class ResetSeen(logging.Handler):
    """librdkafka logs 'offset reset (at offset N, broker B) to END|BEGINNING' when it resets."""
    seen = False
    def emit(self, record):
        if 'offset reset' in record.getMessage():
            ResetSeen.seen = True

log = logging.getLogger('rdkafka')
log.setLevel(logging.INFO)
log.addHandler(ResetSeen())
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': reset,
                     'enable.auto.commit': False, 'session.timeout.ms': 10000}, logger=log)
consumer.subscribe([topic])
out = {'errors': []}
marker_sent = False
deadline = time.time() + 40
while time.time() < deadline:
    message = consumer.poll(0.2)
    if reset == 'latest' and ResetSeen.seen and not marker_sent:
        # Reset to the end: only what is produced from now on is read.
        producer = Producer({'bootstrap.servers': bootstrap})
        producer.produce(topic, value=b'marker', partition=0)
        producer.flush(10)
        marker_sent = True
    if message is None:
        continue
    if message.error():
        out['errors'].append(str(message.error()))
        continue
    out['first'] = message.offset()
    out['value'] = message.value().decode()
    break
out['resetLogged'] = ResetSeen.seen
consumer.close()
print(json.dumps(out))
`;

test(
  'confluent-kafka-python consumers with a committed offset below the log start reset per auto.offset.reset',
  { skip: !hasConfluentKafkaPython() && 'python3-confluent-kafka is not installed' },
  async () => {
    const topic = 'retention-python';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(HOUR) }, { name: 'segment.ms', value: '60000' }] }] });
    await produceAt(topic, 10, Date.now() - 2 * HOUR, 'old');
    await admin.setOffsets({ groupId: 'retention-python-earliest', topic, partitions: [{ partition: 0, offset: '2' }] });
    await admin.setOffsets({ groupId: 'retention-python-latest', topic, partitions: [{ partition: 0, offset: '2' }] });
    await produceAt(topic, 10, Date.now(), 'new');
    await waitFor('the earliest offset to move', async () => (await offsetsOf(topic)).low === 10);

    const bootstrap = `127.0.0.1:${broker.boundPort()}`;
    const earliest = await runPython(PYTHON_CONSUMER, [bootstrap, topic, 'retention-python-earliest', 'earliest']);
    assert.equal(earliest.code, 0, earliest.stderr);
    const earliestOut = JSON.parse(earliest.stdout.toString()) as { first?: number; value?: string; resetLogged: boolean };
    assert.equal(earliestOut.resetLogged, true);
    assert.equal(earliestOut.first, 10);
    assert.equal(earliestOut.value, 'new-0');

    const latest = await runPython(PYTHON_CONSUMER, [bootstrap, topic, 'retention-python-latest', 'latest']);
    assert.equal(latest.code, 0, latest.stderr);
    const latestOut = JSON.parse(latest.stdout.toString()) as { first?: number; value?: string; resetLogged: boolean };
    assert.equal(latestOut.resetLogged, true);
    assert.deepEqual([latestOut.first, latestOut.value], [20, 'marker'], 'reset to the end: offsets 10-19 are skipped');
  },
);

test('kafkajs admin.deleteTopicRecords raises the earliest offset; errors per Kafka; the start offset survives a restart', async () => {
  const topic = 'delete-records';
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1000' }] },
      { topic: 'delete-records-compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  for (let i = 0; i < 20; i++) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ partition: 0, value: `r${5 * i + j} ${'y'.repeat(60)}` })) });
  }
  assert.deepEqual(await offsetsOf(topic), { low: 0, high: 100 });

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '42' }] });
  assert.deepEqual(await offsetsOf(topic), { low: 42, high: 100 });
  // A consumer reading from before it is reset to 42 (kafkajs: fromBeginning).
  const groupId = 'delete-records-reader';
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '7' }] });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const offsets: number[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void offsets.push(Number(message.offset)) });
    await waitFor('58 records', () => offsets.length >= 58);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(offsets[0], 42);
  assert.equal(offsets.length, 58);

  // The next retention pass deletes the segments wholly below 42 (the log start offset rule).
  await waitFor('segments below the start offset to go', () => {
    const bases = segmentFiles(topic).map((name) => Number(name.slice(0, 20)));
    return bases[0]! > 0 && bases[0]! <= 42 && (bases[1] ?? Infinity) > 42;
  });
  assert.ok(broker.replicaManager.getPartition(topic, 0)!.log.logSegments[0]!.baseOffset <= 42);

  // Past the high watermark: OFFSET_OUT_OF_RANGE; compact-only topic: POLICY_VIOLATION.
  await assert.rejects(admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '101' }] }), (error: DeleteRecordsError) => {
    assert.equal(partitionErrorOf(error), 'OFFSET_OUT_OF_RANGE');
    return true;
  });
  await producer.send({ topic: 'delete-records-compacted', acks: -1, messages: [{ partition: 0, key: 'k', value: 'v' }] });
  // kafkajs finds the leader in the admin's metadata, which lists only topics it has looked at.
  assert.deepEqual(await offsetsOf('delete-records-compacted'), { low: 0, high: 1 });
  await assert.rejects(admin.deleteTopicRecords({ topic: 'delete-records-compacted', partitions: [{ partition: 0, offset: '1' }] }), (error: DeleteRecordsError) => {
    assert.equal(partitionErrorOf(error), 'POLICY_VIOLATION');
    return true;
  });

  // -1: up to the high watermark.
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
  assert.deepEqual(await offsetsOf(topic), { low: 100, high: 100 });

  await stopBroker();
  await startBroker();
  assert.deepEqual(await offsetsOf(topic), { low: 100, high: 100 });
  const [result] = await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'after restart' }] });
  assert.equal(Number(result!.baseOffset), 100);
});

test('DeleteRecords v0-v2 answers the low watermark or the error per partition; Fetch below the new start gets OFFSET_OUT_OF_RANGE and ListOffsets earliest returns it; ApiVersions advertises 0-2', async () => {
  const topic = 'delete-records-raw';
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `v${i}` })) });
  const client = await RawClient.connect(broker.boundPort());
  try {
    const versions = await client.request(apiVersions, 3, { clientSoftwareName: 'raw-test', clientSoftwareVersion: '1.0' });
    const advertised = versions!.body.apiKeys.find((key) => key.apiKey === 21);
    assert.deepEqual({ min: advertised?.minVersion, max: advertised?.maxVersion }, { min: 0, max: 2 });

    for (const version of [0, 1, 2]) {
      const response = await client.request(deleteRecords, version, {
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, offset: version + 1 },
              { partitionIndex: 1, offset: 6 },
              { partitionIndex: 7, offset: 0 },
            ],
          },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0, offset: 0 }] },
        ],
        timeoutMs: 5000,
      });
      const [known, unknown] = response!.body.topics;
      assert.deepEqual(
        known!.partitions.map((partition) => [partition.partitionIndex, partition.lowWatermark, partition.errorCode]),
        [
          [0, version + 1, ErrorCode.NONE],
          [1, -1, ErrorCode.OFFSET_OUT_OF_RANGE],
          [7, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
        `v${version}`,
      );
      assert.deepEqual(
        unknown!.partitions.map((partition) => [partition.partitionIndex, partition.lowWatermark, partition.errorCode]),
        [[0, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      );
    }
    // An offset below the current start answers the current start; -2 is not an offset.
    const lower = await client.request(deleteRecords, 1, {
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1 }, { partitionIndex: 1, offset: -2 }] }],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      lower!.body.topics[0]!.partitions.map((partition) => [partition.lowWatermark, partition.errorCode]),
      [
        [3, ErrorCode.NONE],
        [-1, ErrorCode.OFFSET_OUT_OF_RANGE],
      ],
    );

    // Fetch below the new start: OFFSET_OUT_OF_RANGE; at it: data. ListOffsets earliest: the start.
    const fetched = await client.request(
      fetchApi,
      11,
      fetchBody([
        {
          topic,
          partitions: [
            { partition: 0, fetchOffset: 2, partitionMaxBytes: 1 << 20 },
            { partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20 },
          ],
        },
      ]),
    );
    const [below, from] = fetched!.body.responses[0]!.partitions;
    assert.equal(below!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(from!.errorCode, ErrorCode.NONE);
    assert.equal(from!.logStartOffset, 0);
    const earliest = await client.request(listOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }],
    });
    assert.equal(earliest!.body.topics[0]!.partitions[0]!.offset, 3);
  } finally {
    client.close();
  }
});
