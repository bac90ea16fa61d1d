/**
 * The transaction APIs on the wire, request by request (a raw client against an in-process
 * broker): what ApiVersions advertises, FindCoordinator key type 1, InitProducerId with a
 * transactional id (fencing, timeouts, per-version error codes), AddPartitionsToTxn with
 * unknown partitions, AddOffsetsToTxn, EndTxn retries, the markers and LSO in Fetch, and
 * Describe/ListTransactions and DescribeProducers; then the state replayed after a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  addOffsetsToTxn,
  addPartitionsToTxn,
  apiVersions,
  createTopics,
  describeProducers,
  describeTransactions,
  endTxn,
  fetchApi,
  findCoordinator,
  initProducerId,
  listTransactions,
  produce,
} from '../../src/protocol/messages/index.js';
import { buildRecordBatch, RecordBatchHeader } from '../../src/protocol/records/index.js';
import type { Broker } from '../../src/broker/broker.js';
import { fetchBody, RawClient } from '../helpers/raw-client.js';
import { removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { brokerOn } from '../helpers/in-process-broker.js';

const dataDir = temporaryDataDir();
let broker: Broker;
let client: RawClient;

async function startBroker(): Promise<void> {
  broker = brokerOn(dataDir, { 'transaction.max.timeout.ms': '120000' });
  await broker.start();
  client = await RawClient.connect(broker.boundPort());
}

before(async () => {
  await startBroker();
  const created = await client.request(createTopics, 4, {
    topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
});

after(async () => {
  client.close();
  await broker.stop();
  removeDir(dataDir);
});

async function init(transactionalId: string, version = 1, transactionTimeoutMs = 60_000) {
  const answer = await client.request(initProducerId, version, { transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1 });
  return answer!.body;
}

async function addPartitions(version: number, transactionalId: string, producer: { producerId: number; producerEpoch: number }, topics: { name: string; partitions: number[] }[]) {
  const answer = await client.request(addPartitionsToTxn, version, {
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producer.producerId,
    v3AndBelowProducerEpoch: producer.producerEpoch,
    v3AndBelowTopics: topics,
  });
  return Object.fromEntries(answer!.body.resultsByTopicV3AndBelow.flatMap((topic) => topic.resultsByPartition.map((p) => [`${topic.name}-${p.partitionIndex}`, ErrorCode[p.partitionErrorCode]])));
}

async function end(version: number, transactionalId: string, producer: { producerId: number; producerEpoch: number }, committed: boolean) {
  const answer = await client.request(endTxn, version, { transactionalId, ...producer, committed });
  return ErrorCode[answer!.body.errorCode];
}

async function produceTransactional(producer: { producerId: number; producerEpoch: number }, transactionalId: string, partition: number, baseSequence: number, value: string) {
  const records = buildRecordBatch({ ...producer, baseSequence, isTransactional: true, records: [{ key: 'k', value }] });
  const answer = await client.request(produce, 7, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: partition, records }] }] });
  return answer!.body.responses[0]!.partitionResponses[0]!;
}

async function fetchOrders(partition: number, isolationLevel: number) {
  const answer = await client.request(
    fetchApi,
    11,
    fetchBody([{ topic: 'orders', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], { isolationLevel }),
  );
  const data = answer!.body.responses[0]!.partitions[0]!;
  const records = (data.records as Buffer | null) ?? Buffer.alloc(0);
  const batches: { baseOffset: number; control: boolean; producerId: number }[] = [];
  for (let position = 0; position + 61 <= records.length; ) {
    const header = new RecordBatchHeader(records, position);
    batches.push({ baseOffset: header.baseOffset, control: header.isControl, producerId: header.producerId });
    position += header.sizeInBytes;
  }
  return { highWatermark: Number(data.highWatermark), lastStableOffset: Number(data.lastStableOffset), aborted: data.abortedTransactions, batches };
}

test('ApiVersions advertises the transaction APIs in the client ranges only', async () => {
  const answer = await client.request(apiVersions, 3, { clientSoftwareName: 'raw-test', clientSoftwareVersion: '1.0' });
  const range = (apiKey: number) => {
    const entry = answer!.body.apiKeys.find((key) => key.apiKey === apiKey);
    return entry ? [entry.minVersion, entry.maxVersion] : null;
  };
  assert.deepEqual(range(24), [0, 3], 'AddPartitionsToTxn: v4+ is the broker batch form');
  assert.deepEqual(range(25), [0, 4]);
  assert.deepEqual(range(26), [0, 4], 'EndTxn v5 is transaction.version 2');
  assert.deepEqual(range(28), [0, 4]);
  assert.deepEqual(range(61), [0, 0]);
  assert.deepEqual(range(65), [0, 0]);
  assert.deepEqual(range(66), [0, 1]);
  assert.equal(range(27), null, 'WriteTxnMarkers is internal on a single node');
});

test('FindCoordinator key type 1 names this broker (creating __transaction_state)', async () => {
  for (const version of [1, 3]) {
    const answer = await client.request(findCoordinator, version, { key: 'orders-txn', keyType: 1 });
    assert.equal(answer!.body.errorCode, ErrorCode.NONE);
    assert.equal(answer!.body.nodeId, broker.nodeId);
    assert.equal(answer!.body.port, broker.boundPort());
  }
  const batched = await client.request(findCoordinator, 4, { keyType: 1, coordinatorKeys: ['a', ''] });
  assert.deepEqual(batched!.body.coordinators.map((c) => [c.key, ErrorCode[c.errorCode]]), [['a', 'NONE'], ['', 'INVALID_REQUEST']]);
  assert.ok(broker.controller.topic('__transaction_state'));
});

test('InitProducerId with a transactional id: epochs, fencing and per-version errors', async () => {
  assert.equal((await init('orders-txn', 1, 120_001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  const first = await init('orders-txn');
  assert.equal(first.errorCode, ErrorCode.NONE);
  const second = await init('orders-txn', 4);
  assert.deepEqual([second.producerId, second.producerEpoch], [first.producerId, first.producerEpoch + 1]);
  // KIP-360 with a stale epoch: fenced, told so as v4 knows it and as v3 does not.
  const stale = { transactionalId: 'orders-txn', transactionTimeoutMs: 60_000, producerId: first.producerId, producerEpoch: 7 };
  assert.equal((await client.request(initProducerId, 4, stale))!.body.errorCode, ErrorCode.PRODUCER_FENCED);
  assert.equal((await client.request(initProducerId, 3, stale))!.body.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  // The fenced first instance, by version.
  assert.deepEqual(await addPartitions(1, 'orders-txn', first, [{ name: 'orders', partitions: [0] }]), { 'orders-0': 'INVALID_PRODUCER_EPOCH' });
  assert.deepEqual(await addPartitions(3, 'orders-txn', first, [{ name: 'orders', partitions: [0] }]), { 'orders-0': 'PRODUCER_FENCED' });
  assert.equal(await end(0, 'orders-txn', first, true), 'INVALID_PRODUCER_EPOCH');
  assert.equal(await end(3, 'orders-txn', first, true), 'PRODUCER_FENCED');
});

test('a transaction on the wire: markers, LSO, aborted list, retried EndTxn, describe and list', async () => {
  const producer = await init('wire-txn');
  const unknown = await addPartitions(3, 'wire-txn', producer, [
    { name: 'orders', partitions: [0, 1] },
    { name: 'missing', partitions: [0] },
  ]);
  assert.deepEqual(unknown, { 'orders-0': 'OPERATION_NOT_ATTEMPTED', 'orders-1': 'OPERATION_NOT_ATTEMPTED', 'missing-0': 'UNKNOWN_TOPIC_OR_PARTITION' });
  assert.deepEqual(await addPartitions(0, 'wire-txn', producer, [{ name: 'orders', partitions: [0] }]), { 'orders-0': 'NONE' });
  const offsets = await client.request(addOffsetsToTxn, 3, { transactionalId: 'wire-txn', ...producer, groupId: 'wire-group' });
  assert.equal(offsets!.body.errorCode, ErrorCode.NONE);
  const written = await produceTransactional(producer, 'wire-txn', 0, 0, 'aborted');
  assert.equal(written.errorCode, ErrorCode.NONE);

  let fetched = await fetchOrders(0, 1);
  assert.equal(fetched.lastStableOffset, written.baseOffset, 'the open transaction holds the LSO');
  assert.deepEqual(fetched.batches, []);

  const described = await client.request(describeTransactions, 0, { transactionalIds: ['wire-txn', 'nope'] });
  const [state, missing] = described!.body.transactionStates;
  assert.equal(state!.transactionState, 'Ongoing');
  assert.deepEqual(state!.topics.map((t) => [t.topic, [...t.partitions].sort()]).sort(), [['__consumer_offsets', [broker.groupCoordinator.partitionFor('wire-group')]], ['orders', [0]]]);
  assert.equal(missing!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  const producers = await client.request(describeProducers, 0, { topics: [{ name: 'orders', partitionIndexes: [0] }, { name: 'missing', partitionIndexes: [0] }] });
  const active = producers!.body.topics[0]!.partitions[0]!.activeProducers.find((p) => p.producerId === producer.producerId);
  assert.equal(active?.currentTxnStartOffset, written.baseOffset);
  assert.equal(producers!.body.topics[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const listed = await client.request(listTransactions, 1, { stateFilters: ['Ongoing', 'Nonsense'], producerIdFilters: [], durationFilter: -1 });
  assert.deepEqual(listed!.body.unknownStateFilters, ['Nonsense']);
  assert.deepEqual(listed!.body.transactionStates.map((t) => t.transactionalId), ['wire-txn']);

  assert.equal(await end(1, 'wire-txn', producer, false), 'NONE');
  assert.equal(await end(1, 'wire-txn', producer, false), 'NONE', 'a retried EndTxn with the same result');
  assert.equal(await end(1, 'wire-txn', producer, true), 'INVALID_TXN_STATE');
  fetched = await fetchOrders(0, 1);
  assert.equal(fetched.lastStableOffset, fetched.highWatermark);
  assert.deepEqual(fetched.aborted, [{ producerId: producer.producerId, firstOffset: written.baseOffset }]);
  assert.deepEqual(fetched.batches.map((b) => b.control), [false, true], 'the data batch, then the ABORT marker');
  assert.equal(fetched.batches[1]!.producerId, producer.producerId);
  const uncommitted = await fetchOrders(0, 0);
  assert.equal(uncommitted.aborted, null);

  // The group's partition got its marker too, and the next transaction starts clean.
  assert.deepEqual(await addPartitions(1, 'wire-txn', producer, [{ name: 'orders', partitions: [1] }]), { 'orders-1': 'NONE' });
  assert.equal((await produceTransactional(producer, 'wire-txn', 1, 0, 'committed')).errorCode, ErrorCode.NONE);
  assert.equal(await end(2, 'wire-txn', producer, true), 'NONE');
  const committed = await fetchOrders(1, 1);
  assert.deepEqual(committed.batches.map((b) => b.control), [false, true]);
  assert.deepEqual(committed.aborted, []);
});

test('after a restart the coordinator has the same ids, epochs and states', async () => {
  const before = await client.request(describeTransactions, 0, { transactionalIds: ['orders-txn', 'wire-txn'] });
  const open = await init('open-at-restart');
  assert.deepEqual(await addPartitions(3, 'open-at-restart', open, [{ name: 'orders', partitions: [1] }]), { 'orders-1': 'NONE' });
  client.close();
  await broker.stop();
  await startBroker();
  const after = await client.request(describeTransactions, 0, { transactionalIds: ['orders-txn', 'wire-txn', 'open-at-restart'] });
  const summary = (states: { transactionalId: string; transactionState: string; producerId: number; producerEpoch: number }[]) => states.map((s) => [s.transactionalId, s.transactionState, s.producerId, s.producerEpoch]);
  assert.deepEqual(summary(after!.body.transactionStates.slice(0, 2)), summary(before!.body.transactionStates));
  assert.equal(after!.body.transactionStates[2]!.transactionState, 'Ongoing');
  // The open transaction is still the producer's to finish.
  assert.equal(await end(3, 'open-at-restart', open, true), 'NONE');
  const next = await init('wire-txn');
  assert.equal(next.producerEpoch, before!.body.transactionStates[1]!.producerEpoch + 1);
});
