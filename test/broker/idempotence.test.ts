/**
 * Idempotent producers and the partition side of transactions, through the wire protocol:
 * InitProducerId, duplicate and out-of-order produces (per partition), a response lost after
 * the batch was written, read_committed fetches and ListOffsets around markers written with
 * Partition.appendTxnMarker, the long-poll of a read_committed fetch, and producer state across
 * a SIGKILL of the broker process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { apiVersions, createTopics, fetchApi, initProducerId, listOffsets, produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch, CompressionType, decodeRecords, RecordBatchHeader } from '../../src/protocol/records/index.js';
import { fetchBody, RawClient } from '../helpers/raw-client.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { removeDir, startBrokerProcess } from '../helpers/broker-process.js';

let server: InProcessBroker;
let client: RawClient;

before(async () => {
  server = await startInProcessBroker();
  client = await RawClient.connect(server.port);
});

after(async () => {
  client.close();
  await server.stop();
});

async function createTopic(raw: RawClient, name: string, numPartitions = 1): Promise<void> {
  const created = await raw.request(createTopics, 4, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
}

async function newProducerId(raw: RawClient, version = 1): Promise<number> {
  const answer = await raw.request(initProducerId, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  assert.equal(answer!.body.errorCode, ErrorCode.NONE);
  assert.equal(answer!.body.producerEpoch, 0);
  return answer!.body.producerId;
}

function batch(spec: { producerId: number; producerEpoch?: number; baseSequence: number; records?: number; transactional?: boolean; tag?: string }): Buffer {
  return buildRecordBatch({
    producerId: spec.producerId,
    producerEpoch: spec.producerEpoch ?? 0,
    baseSequence: spec.baseSequence,
    isTransactional: spec.transactional ?? false,
    records: Array.from({ length: spec.records ?? 1 }, (_, i) => ({ key: `${spec.tag ?? 'k'}-${spec.baseSequence + i}`, value: `${spec.tag ?? 'v'}-${spec.baseSequence + i}` })),
  });
}

async function produceTo(raw: RawClient, topic: string, partitions: { index: number; records: Buffer }[], version = 7) {
  const answer = await raw.request(produce, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: partitions }] });
  const byIndex = new Map(answer!.body.responses[0]!.partitionResponses.map((response) => [response.index, response]));
  return partitions.map((partition) => byIndex.get(partition.index)!);
}

async function latestOffset(raw: RawClient, topic: string, isolationLevel: number, partitionIndex = 0): Promise<number> {
  const answer = await raw.request(listOffsets, 2, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex, timestamp: -1 }] }] });
  const partition = answer!.body.topics[0]!.partitions[0]!;
  assert.equal(partition.errorCode, ErrorCode.NONE);
  return partition.offset;
}

function fetchRequest(topic: string, fetchOffset: number, isolationLevel: number, wait = { maxWaitMs: 0, minBytes: 0 }) {
  return fetchBody([{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }], { ...wait, isolationLevel });
}

/** Batches of a fetch answer: base offset, whether control, and the record keys. */
function batchesOf(records: unknown): { baseOffset: number; control: boolean; keys: string[] }[] {
  const buffers = records === null ? [] : Array.isArray(records) ? (records as Buffer[]) : [records as Buffer];
  const bytes = Buffer.concat(buffers);
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    const header = new RecordBatchHeader(bytes, at);
    const whole = bytes.subarray(at, at + header.sizeInBytes);
    out.push({ baseOffset: header.baseOffset, control: header.isControl, keys: decodeRecords(whole).map((record) => record.key?.toString() ?? '') });
    at += header.sizeInBytes;
  }
  return out;
}

async function fetchPartition(raw: RawClient, topic: string, fetchOffset: number, isolationLevel: number) {
  const answer = await raw.request(fetchApi, 11, fetchRequest(topic, fetchOffset, isolationLevel));
  return answer!.body.responses[0]!.partitions[0]!;
}

test('InitProducerId v0-5 without a transactional id gives fresh ids with epoch 0 and is advertised', async () => {
  const versions = await client.request(apiVersions, 3, { clientSoftwareName: 'raw-test', clientSoftwareVersion: '1.0' });
  const entry = versions!.body.apiKeys.find((key) => key.apiKey === 22);
  assert.deepEqual([entry?.minVersion, entry?.maxVersion], [0, 5]);
  const ids: number[] = [];
  for (let version = 0; version <= 5; version++) ids.push(await newProducerId(client, version));
  assert.equal(new Set(ids).size, ids.length);
  const empty = await client.request(initProducerId, 1, { transactionalId: '', transactionTimeoutMs: 60_000 });
  assert.equal(empty!.body.errorCode, ErrorCode.INVALID_REQUEST);
  const halfIdentity = await client.request(initProducerId, 3, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: 5, producerEpoch: -1 });
  assert.equal(halfIdentity!.body.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(halfIdentity!.body.producerId, -1);
});

test('a retried produce answers NONE with the original offset; gaps and stale epochs are refused per partition', async () => {
  await createTopic(client, 'idempotent', 2);
  const producerId = await newProducerId(client);
  await produceTo(client, 'idempotent', [{ index: 0, records: batch({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: 3 }) }]); // 0-2, no producer
  const [first] = await produceTo(client, 'idempotent', [{ index: 0, records: batch({ producerId, baseSequence: 0, records: 2 }) }]);
  assert.equal(first!.errorCode, ErrorCode.NONE);
  assert.equal(first!.baseOffset, 3);
  const [retry] = await produceTo(client, 'idempotent', [{ index: 0, records: batch({ producerId, baseSequence: 0, records: 2 }) }]);
  assert.deepEqual([retry!.errorCode, retry!.baseOffset], [ErrorCode.NONE, 3]);
  assert.equal(await latestOffset(client, 'idempotent', 0), 5, 'the retry was not appended');

  // One request, two partitions, two outcomes: partition 1 is new for this producer (any
  // sequence), partition 0 has a gap.
  const [gap, fresh] = await produceTo(client, 'idempotent', [
    { index: 0, records: batch({ producerId, baseSequence: 5 }) },
    { index: 1, records: batch({ producerId, baseSequence: 0 }) },
  ]);
  assert.equal(gap!.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(gap!.baseOffset, -1);
  assert.deepEqual([fresh!.errorCode, fresh!.baseOffset], [ErrorCode.NONE, 0]);

  const [bumped] = await produceTo(client, 'idempotent', [{ index: 0, records: batch({ producerId, producerEpoch: 1, baseSequence: 0 }) }]);
  assert.deepEqual([bumped!.errorCode, bumped!.baseOffset], [ErrorCode.NONE, 5]);
  const [stale] = await produceTo(client, 'idempotent', [{ index: 0, records: batch({ producerId, producerEpoch: 0, baseSequence: 2 }) }]);
  assert.equal(stale!.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  const [newEpochGap] = await produceTo(client, 'idempotent', [{ index: 0, records: batch({ producerId, producerEpoch: 2, baseSequence: 1 }) }]);
  assert.equal(newEpochGap!.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(await latestOffset(client, 'idempotent', 0), 6);
});

test('pipelined produces keep their order when records must be decoded first (compacted topic, gzip)', async () => {
  const created = await client.request(createTopics, 4, {
    topics: [{ name: 'pipelined-compacted', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
    timeoutMs: 5000,
  });
  assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
  const producerId = await newProducerId(client);
  const pipelined = await RawClient.connect(server.port);
  const sent: number[] = [];
  for (let i = 0; i < 20; i++) {
    const records = buildRecordBatch({
      producerId,
      producerEpoch: 0,
      baseSequence: i * 50,
      compression: i % 2 === 0 ? CompressionType.GZIP : CompressionType.NONE,
      records: Array.from({ length: 50 }, (_, j) => ({ key: `key-${j}`, value: `value-${i}-${j}-${'x'.repeat(200)}` })),
    });
    sent.push(pipelined.send(produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'pipelined-compacted', partitionData: [{ index: 0, records }] }] }));
  }
  const offsets: number[] = [];
  for (const correlationId of sent) {
    const answer = await pipelined.response(produce, 7, correlationId);
    const partition = answer!.body.responses[0]!.partitionResponses[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE, partition.errorMessage ?? '');
    offsets.push(partition.baseOffset);
  }
  pipelined.close();
  assert.deepEqual(offsets, Array.from({ length: 20 }, (_, i) => i * 50));
});

test('a response lost after the batch was written: the retry on a new connection gets the original offset', async () => {
  await createTopic(client, 'lost-response');
  const producerId = await newProducerId(client);
  await produceTo(client, 'lost-response', [{ index: 0, records: batch({ producerId, baseSequence: 0, records: 4 }) }]);
  const lossy = await RawClient.connect(server.port);
  lossy.send(produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'lost-response', partitionData: [{ index: 0, records: batch({ producerId, baseSequence: 4, records: 3 }) }] }] });
  // The broker writes the batch; the client never reads the answer.
  for (let attempt = 0; (await latestOffset(client, 'lost-response', 0)) < 7; attempt++) {
    assert.ok(attempt < 500, 'the batch was written');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  lossy.close();
  const retryClient = await RawClient.connect(server.port);
  const [retry] = await produceTo(retryClient, 'lost-response', [{ index: 0, records: batch({ producerId, baseSequence: 4, records: 3 }) }]);
  retryClient.close();
  assert.deepEqual([retry!.errorCode, retry!.baseOffset], [ErrorCode.NONE, 4]);
  assert.equal(await latestOffset(client, 'lost-response', 0), 7, 'the batch is in the log once');
  const partition = await fetchPartition(client, 'lost-response', 0, 0);
  assert.deepEqual(
    batchesOf(partition.records).flatMap((b) => b.keys),
    ['k-0', 'k-1', 'k-2', 'k-3', 'k-4', 'k-5', 'k-6'],
  );
});

test('read_committed: LSO, aborted transactions and ListOffsets around markers from appendTxnMarker', async () => {
  await createTopic(client, 'transactional');
  await createTopic(client, 'plain');
  const partition = server.broker.replicaManager.getPartition('transactional', 0)!;
  const a = await newProducerId(client);
  const b = await newProducerId(client);
  await produceTo(client, 'transactional', [{ index: 0, records: batch({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: 2, tag: 'plain' }) }]); // 0-1
  await produceTo(client, 'transactional', [{ index: 0, records: batch({ producerId: a, baseSequence: 0, records: 2, transactional: true, tag: 'a' }) }]); // 2-3
  await produceTo(client, 'transactional', [{ index: 0, records: batch({ producerId: b, baseSequence: 0, records: 1, transactional: true, tag: 'b' }) }]); // 4
  await produceTo(client, 'transactional', [{ index: 0, records: batch({ producerId: a, baseSequence: 2, records: 1, transactional: true, tag: 'a' }) }]); // 5

  assert.equal(await latestOffset(client, 'transactional', 1), 2, 'LSO: the first open transaction');
  assert.equal(await latestOffset(client, 'transactional', 0), 6, 'HW');
  let committed = await fetchPartition(client, 'transactional', 0, 1);
  assert.equal(committed.lastStableOffset, 2);
  assert.equal(committed.highWatermark, 6);
  assert.deepEqual(batchesOf(committed.records).flatMap((x) => x.keys), ['plain--1', 'plain-0']);
  assert.deepEqual(committed.abortedTransactions, []);
  const uncommitted = await fetchPartition(client, 'transactional', 0, 0);
  assert.equal(uncommitted.abortedTransactions, null);
  assert.equal(batchesOf(uncommitted.records).length, 4);

  assert.deepEqual(await partition.appendTxnMarker({ producerId: a, producerEpoch: 0, coordinatorEpoch: 3, commit: false }), { offset: 6 });
  assert.equal(partition.lastStableOffset, 4, 'b is still open');
  committed = await fetchPartition(client, 'transactional', 2, 1);
  assert.equal(committed.lastStableOffset, 4);
  assert.deepEqual(committed.abortedTransactions, [{ producerId: a, firstOffset: 2 }]);
  assert.deepEqual(batchesOf(committed.records).map((x) => x.baseOffset), [2]);

  assert.deepEqual(await partition.appendTxnMarker({ producerId: b, producerEpoch: 0, coordinatorEpoch: 3, commit: true }), { offset: 7 });
  assert.equal(await latestOffset(client, 'transactional', 1), 8);
  committed = await fetchPartition(client, 'transactional', 0, 1);
  assert.equal(committed.lastStableOffset, 8);
  assert.deepEqual(committed.abortedTransactions, [{ producerId: a, firstOffset: 2 }]);
  const batches = batchesOf(committed.records);
  assert.deepEqual(batches.map((x) => [x.baseOffset, x.control]), [[0, false], [2, false], [4, false], [5, false], [6, true], [7, true]]);
  // Past the aborted range, nothing is listed.
  assert.deepEqual((await fetchPartition(client, 'transactional', 7, 1)).abortedTransactions, []);

  // Fencing of markers.
  await assert.rejects(partition.appendTxnMarker({ producerId: a, producerEpoch: 0, coordinatorEpoch: 2, commit: true }), (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  await partition.appendTxnMarker({ producerId: b, producerEpoch: 1, coordinatorEpoch: 3, commit: false });
  await assert.rejects(partition.appendTxnMarker({ producerId: b, producerEpoch: 0, coordinatorEpoch: 3, commit: true }), (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  // A client may not write a control batch.
  const [control] = await produceTo(client, 'transactional', [{ index: 0, records: buildRecordBatch({ producerId: a, producerEpoch: 0, baseSequence: 0, isControl: true, isTransactional: true, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }] }) }]);
  assert.equal(control!.errorCode, ErrorCode.INVALID_RECORD);

  // A topic without transactions: LSO = HW.
  await produceTo(client, 'plain', [{ index: 0, records: batch({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: 3 }) }]);
  assert.equal(await latestOffset(client, 'plain', 1), 3);
  const plain = await fetchPartition(client, 'plain', 0, 1);
  assert.deepEqual([plain.lastStableOffset, plain.highWatermark, batchesOf(plain.records).length], [3, 3, 1]);
});

test('a read_committed long poll waits for the transaction to be decided, not for its data', async () => {
  await createTopic(client, 'long-poll');
  const partition = server.broker.replicaManager.getPartition('long-poll', 0)!;
  const producerId = await newProducerId(client);
  const poller = await RawClient.connect(server.port);
  const correlationId = poller.send(fetchApi, 11, fetchRequest('long-poll', 0, 1, { maxWaitMs: 30_000, minBytes: 1 }));
  const answer = poller.response(fetchApi, 11, correlationId);
  await produceTo(client, 'long-poll', [{ index: 0, records: batch({ producerId, baseSequence: 0, records: 2, transactional: true }) }]);
  await partition.appendTxnMarker({ producerId, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
  const fetched = (await answer)!.body.responses[0]!.partitions[0]!;
  poller.close();
  // Had the poll ended on the uncommitted data, it would have read nothing (all above the LSO).
  assert.equal(fetched.lastStableOffset, 3);
  assert.deepEqual(batchesOf(fetched.records).map((x) => [x.baseOffset, x.control]), [[0, false], [2, true]]);
});

test('producer state and producer ids survive a SIGKILL of the broker', async () => {
  let broker = await startBrokerProcess();
  const dataDir = broker.dataDir;
  try {
    let raw = await RawClient.connect(broker.port);
    await createTopic(raw, 'survivor');
    const producerId = await newProducerId(raw);
    for (let i = 0; i < 4; i++) {
      const [answer] = await produceTo(raw, 'survivor', [{ index: 0, records: batch({ producerId, baseSequence: i * 2, records: 2 }) }]);
      assert.equal(answer!.baseOffset, i * 2);
    }
    raw.close();
    await broker.kill();
    broker = await startBrokerProcess({ dataDir, port: broker.port });
    raw = await RawClient.connect(broker.port);
    for (let i = 0; i < 4; i++) {
      const [retry] = await produceTo(raw, 'survivor', [{ index: 0, records: batch({ producerId, baseSequence: i * 2, records: 2 }) }]);
      assert.deepEqual([retry!.errorCode, retry!.baseOffset], [ErrorCode.NONE, i * 2], `retry of batch ${i} after the restart`);
    }
    const [gap] = await produceTo(raw, 'survivor', [{ index: 0, records: batch({ producerId, baseSequence: 9 }) }]);
    assert.equal(gap!.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const [next] = await produceTo(raw, 'survivor', [{ index: 0, records: batch({ producerId, baseSequence: 8 }) }]);
    assert.deepEqual([next!.errorCode, next!.baseOffset], [ErrorCode.NONE, 8]);
    const newId = await newProducerId(raw);
    assert.ok(newId > producerId, `a new id ${newId} after the restart, never ${producerId} again`);
    raw.close();
  } finally {
    await broker.stop();
    removeDir(dataDir);
  }
});
