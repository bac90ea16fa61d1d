/**
 * Bad input (DESIGN.md §9): every malformed or hostile request gets Kafka's error or a closed
 * connection; the broker stays up, a connection opened before keeps working, and nothing
 * partial is ever appended.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { apiVersions, createTopics, fetchApi, listOffsets, metadata, produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { fetchBody, RawClient } from '../helpers/raw-client.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';

let server: InProcessBroker;
let bystander: RawClient;

before(async () => {
  server = await startInProcessBroker({ 'socket.request.max.bytes': String(1024 * 1024), 'message.max.bytes': '10000' });
  bystander = await RawClient.connect(server.port);
  const created = await bystander.request(createTopics, 4, {
    topics: [{ name: 'victim', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
  });
  assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
});

after(async () => {
  bystander.close();
  await server.stop();
});

/** The connection opened before the bad one still answers. */
async function assertBystanderWorks(): Promise<void> {
  const answer = await bystander.request(metadata, 1, { topics: [{ name: 'victim' }] });
  assert.ok(answer, 'bystander connection still open');
  assert.equal(answer.body.topics[0]!.errorCode, ErrorCode.NONE);
}

async function logEndOffsets(): Promise<number[]> {
  const answer = await bystander.request(listOffsets, 1, {
    replicaId: -1,
    topics: [{ name: 'victim', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1 })) }],
  });
  return answer!.body.topics[0]!.partitions.map((partition) => partition.offset);
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

async function expectClosed(bytes: Buffer, what: string): Promise<void> {
  const client = await RawClient.connect(server.port);
  client.sendRaw(bytes);
  assert.ok(await client.waitClosed(), `${what}: the broker closes the connection`);
  await assertBystanderWorks();
}

test('a negative frame size closes the connection', async () => {
  await expectClosed(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]), 'negative size');
});

test('a frame larger than socket.request.max.bytes closes the connection before it is read', async () => {
  const header = Buffer.alloc(4);
  header.writeInt32BE(1024 * 1024 + 1);
  await expectClosed(header, 'oversized frame');
});

test('a frame shorter than a request header closes the connection', async () => {
  await expectClosed(frame(Buffer.from([0, 3, 0])), 'three-byte frame');
});

test('lengths larger than the frame close the connection', async () => {
  const client = await RawClient.connect(server.port);
  const { frame: good } = client.encode(metadata, 1, { topics: [{ name: 'victim' }] });
  const bad = Buffer.from(good);
  // The topic name's int16 length, after size(4)+key(2)+version(2)+correlation(4)+clientId(2+8)+array count(4).
  bad.writeInt16BE(0x7fff, 26);
  client.sendRaw(bad);
  assert.ok(await client.waitClosed());
  const hugeArray = Buffer.from(good);
  hugeArray.writeInt32BE(0x7fffffff, 22);
  await expectClosed(hugeArray, 'array count larger than the frame');
  await assertBystanderWorks();
});

test('an unknown api key closes the connection', async () => {
  const body = Buffer.alloc(10);
  body.writeInt16BE(9999, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(7, 4);
  body.writeInt16BE(-1, 8);
  await expectClosed(frame(body), 'unknown api key');
});

test('an unsupported version of a known API closes the connection', async () => {
  const body = Buffer.alloc(10);
  body.writeInt16BE(metadata.apiKey, 0);
  body.writeInt16BE(99, 2);
  body.writeInt32BE(7, 4);
  body.writeInt16BE(-1, 8);
  await expectClosed(frame(body), 'Metadata v99');
});

test('ApiVersions v99 is answered in the v0 body with UNSUPPORTED_VERSION and the connection stays usable', async () => {
  const client = await RawClient.connect(server.port);
  const body = Buffer.alloc(10);
  body.writeInt16BE(apiVersions.apiKey, 0);
  body.writeInt16BE(99, 2);
  body.writeInt32BE(4242, 4);
  body.writeInt16BE(-1, 8);
  client.sendRaw(frame(body));
  const answer = await client.response(apiVersions, 0, 4242);
  assert.ok(answer);
  assert.equal(answer.body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.deepEqual(answer.body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  const retry = await client.request(apiVersions, 3, { clientSoftwareName: 'raw-test', clientSoftwareVersion: '1.0' });
  assert.equal(retry!.body.errorCode, ErrorCode.NONE);
  assert.ok(retry!.body.apiKeys.length > 10);
  client.close();
});

test('ApiVersions v3 with an invalid client software name answers INVALID_REQUEST', async () => {
  const client = await RawClient.connect(server.port);
  const answer = await client.request(apiVersions, 3, { clientSoftwareName: 'bad name!', clientSoftwareVersion: '1.0' });
  assert.equal(answer!.body.errorCode, ErrorCode.INVALID_REQUEST);
  client.close();
});

function goodBatch(records = 2): Buffer {
  return buildRecordBatch({ records: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
}

async function produceTo(partition0: Buffer, acks = 1, version = 7) {
  const client = await RawClient.connect(server.port);
  const answer = await client.request(produce, version, {
    transactionalId: null,
    acks,
    timeoutMs: 1000,
    topicData: [{ name: 'victim', partitionData: [{ index: 0, records: partition0 }, { index: 1, records: goodBatch() }] }],
  });
  client.close();
  const partitions = answer!.body.responses[0]!.partitionResponses;
  return { bad: partitions.find((p) => p.index === 0)!, good: partitions.find((p) => p.index === 1)! };
}

const corruptions: [string, () => Buffer, ErrorCode][] = [
  [
    'a wrong CRC',
    () => {
      const batch = goodBatch();
      batch[batch.length - 1] ^= 0xff;
      return batch;
    },
    ErrorCode.CORRUPT_MESSAGE,
  ],
  [
    'magic 1',
    () => {
      const batch = goodBatch();
      batch[16] = 1;
      return batch;
    },
    ErrorCode.INVALID_RECORD,
  ],
  [
    'magic 7',
    () => {
      const batch = goodBatch();
      batch[16] = 7;
      return batch;
    },
    ErrorCode.INVALID_RECORD,
  ],
  ['a batch cut short', () => goodBatch().subarray(0, 70), ErrorCode.CORRUPT_MESSAGE],
  ['two batches in one partition', () => Buffer.concat([goodBatch(), goodBatch()]), ErrorCode.INVALID_RECORD],
  ['a batch larger than max.message.bytes', () => buildRecordBatch({ records: [{ value: Buffer.alloc(20_000, 7) }] }), ErrorCode.MESSAGE_TOO_LARGE],
];

for (const [name, make, expected] of corruptions) {
  test(`a produce with ${name} answers ${ErrorCode[expected]}, appends nothing, and the good partition succeeds`, async () => {
    const before = await logEndOffsets();
    const { bad, good } = await produceTo(make());
    assert.equal(bad.errorCode, expected);
    assert.equal(good.errorCode, ErrorCode.NONE);
    const after = await logEndOffsets();
    assert.equal(after[0], before[0], 'nothing appended to the bad partition');
    assert.equal(after[1], before[1]! + 2, 'the good batch was appended');
    await assertBystanderWorks();
  });
}

test('produce to an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION; acks=2 answers INVALID_REQUIRED_ACKS', async () => {
  const client = await RawClient.connect(server.port);
  const unknown = await client.request(produce, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: goodBatch() }] }],
  });
  assert.equal(unknown!.body.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const before = await logEndOffsets();
  const badAcks = await client.request(produce, 7, {
    transactionalId: null,
    acks: 2,
    timeoutMs: 1000,
    topicData: [{ name: 'victim', partitionData: [{ index: 0, records: goodBatch() }] }],
  });
  assert.equal(badAcks!.body.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  assert.deepEqual(await logEndOffsets(), before);
  client.close();
});

test('a failed acks=0 produce closes the connection (the only way to tell such a producer)', async () => {
  const client = await RawClient.connect(server.port);
  const batch = goodBatch();
  batch[batch.length - 1] ^= 0xff;
  client.send(produce, 7, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'victim', partitionData: [{ index: 0, records: batch }] }] });
  assert.ok(await client.waitClosed());
  await assertBystanderWorks();
});

test('fetch beyond the log end answers OFFSET_OUT_OF_RANGE; an unknown topic UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const answer = await bystander.request(
    fetchApi,
    11,
    fetchBody([
      { topic: 'victim', partitions: [{ partition: 0, fetchOffset: 1_000_000, partitionMaxBytes: 1 << 20 }] },
      { topic: 'nowhere', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] },
    ]),
  );
  assert.equal(answer!.body.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal(answer!.body.responses[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('pipelined requests are answered in request order, a long poll first', async () => {
  const client = await RawClient.connect(server.port);
  const longPoll = client.send(
    fetchApi,
    11,
    fetchBody([{ topic: 'victim', partitions: [{ partition: 0, fetchOffset: (await logEndOffsets())[0]!, partitionMaxBytes: 1 << 20 }] }], { maxWaitMs: 300, minBytes: 1 << 20 }),
  );
  const quick = client.send(metadata, 1, { topics: [] });
  const first = await client.response(fetchApi, 11);
  const second = await client.response(metadata, 1);
  assert.equal(first!.correlationId, longPoll);
  assert.equal(second!.correlationId, quick);
  client.close();
});

test('a client that never reads its responses does not grow the broker without bound', async () => {
  const client = await RawClient.connect(server.port);
  client.socket.pause();
  // Each fetch answers ~8 KiB of records; 50,000 unread answers would be ~400 MiB.
  for (let i = 0; i < 40; i++) await produceTo(buildRecordBatch({ records: [{ value: Buffer.alloc(4000, i) }, { value: Buffer.alloc(4000, i) }] }));
  const request = client.encode(fetchApi, 11, fetchBody([{ topic: 'victim', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 8200 }] }])).frame;
  const baseline = process.memoryUsage().rss;
  const count = 50_000;
  // Pipelined requests with fresh correlation ids (the broker does not care about reuse, but be exact).
  for (let i = 0; i < count; i++) {
    const copy = Buffer.from(request);
    copy.writeInt32BE(100_000 + i, 8);
    client.socket.write(copy);
  }
  // Sample while the broker would be processing, if nothing held it back.
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    peak = Math.max(peak, process.memoryUsage().rss - baseline);
  }
  assert.ok(peak < 100 * 1024 * 1024, `memory grew by ${Math.round(peak / 1024 / 1024)} MiB while the client was not reading`);
  // Reading resumes: every answer arrives, in order.
  client.socket.resume();
  for (let i = 0; i < count; i++) {
    const answer = await client.response(fetchApi, 11);
    assert.equal(answer!.correlationId, 100_000 + i);
  }
  client.close();
  await assertBystanderWorks();
});
