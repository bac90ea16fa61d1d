/**
 * The transaction coordinator's state machine, records in and records out (Kafka's
 * TransactionCoordinatorTest / TransactionMetadataTest cases that apply to TV1): producer ids and
 * epochs, fencing, the commit and abort paths with their markers, CONCURRENT_TRANSACTIONS while a
 * transaction completes, retried EndTxn, timeouts, expiry and replay after a restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { transactionLogKey, transactionLogValue } from '../../../src/coordinator/txn/transaction-records.js';
import { Harness, KAFKA_DEFAULTS, TIMEOUT_MS, TXN_ID } from './harness.js';

const ok = (result: { errorCode: number; producerId: number; producerEpoch: number }) => {
  assert.equal(result.errorCode, ErrorCode.NONE, `expected NONE, got ${ErrorCode[result.errorCode]}`);
  return { producerId: result.producerId, producerEpoch: result.producerEpoch };
};

test('InitProducerId gives one producer id per transactional id and bumps its epoch each time', async () => {
  const h = Harness.started();
  const first = ok(await h.init());
  assert.deepEqual(first, { producerId: 1000, producerEpoch: 0 });
  const second = ok(await h.init());
  assert.deepEqual(second, { producerId: 1000, producerEpoch: 1 });
  const other = ok(await h.init('another'));
  assert.equal(other.producerId, 1001);
  assert.deepEqual(h.stateLog.states(), ['Empty', 'Empty']);
  // An Empty transaction is written with a null partition list, as Kafka does.
  assert.equal(h.stateLog.decoded()[0]!.partitions, null);
  assert.equal(h.stateLog.appended[0]!.partition, h.coordinator.partitionFor(TXN_ID));
});

test('InitProducerId refuses an empty id and a timeout above transaction.max.timeout.ms', async () => {
  const h = Harness.started();
  assert.equal((await h.init('')).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await h.init(TXN_ID, { timeoutMs: KAFKA_DEFAULTS.transactionMaxTimeoutMs + 1 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal((await h.init(TXN_ID, { timeoutMs: 0 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal((await h.init(TXN_ID, { producerId: 5, producerEpoch: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(ok(await h.init(TXN_ID, { timeoutMs: KAFKA_DEFAULTS.transactionMaxTimeoutMs })).producerEpoch, 0);
  assert.equal(h.stateLog.records.length, 1);
});

test('a commit: Ongoing, PrepareCommit, a COMMIT marker on every partition, CompleteCommit', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  assert.equal(await h.add(producer, ['payments-0', 'ledger-2']), ErrorCode.NONE);
  assert.equal(h.state(), 'Ongoing');
  assert.equal(await h.add(producer, ['audit-0']), ErrorCode.NONE);
  // Partitions already in the transaction are answered without a write.
  const written = h.stateLog.records.length;
  assert.equal(await h.add(producer, ['ledger-2']), ErrorCode.NONE);
  assert.equal(h.stateLog.records.length, written);
  const startTime = h.coordinator.transaction(TXN_ID)!.txnStartTimestamp;
  assert.equal(startTime, h.scheduler.now());

  assert.equal(await h.end(producer, true), ErrorCode.NONE);
  // The answer came after the markers: the next transaction needs no retry.
  assert.equal(h.state(), 'CompleteCommit');
  assert.deepEqual(h.markers.summary(), ['audit-0:COMMIT@1000/0', 'ledger-2:COMMIT@1000/0', 'payments-0:COMMIT@1000/0']);
  assert.equal(h.state(), 'CompleteCommit');
  assert.deepEqual(h.stateLog.states(), ['Empty', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
  const decoded = h.stateLog.decoded();
  assert.deepEqual(decoded[3]!.partitions, ['audit-0', 'ledger-2', 'payments-0']);
  assert.deepEqual(decoded[4]!.partitions, []);

  // The next transaction starts from CompleteCommit.
  assert.equal(await h.add(producer, ['payments-1']), ErrorCode.NONE);
  assert.equal(await h.end(producer, false), ErrorCode.NONE);
  await h.settle();
  assert.equal(h.state(), 'CompleteAbort');
  assert.ok(h.markers.summary().includes('payments-1:ABORT@1000/0'));
});

test('EndTxn retried after completion answers NONE; the other result or no transaction is INVALID_TXN_STATE', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  assert.equal(await h.end(producer, true), ErrorCode.INVALID_TXN_STATE, 'nothing to commit in Empty');
  await h.add(producer, ['t-0']);
  assert.equal(await h.end(producer, true), ErrorCode.NONE);
  await h.settle();
  assert.equal(await h.end(producer, true), ErrorCode.NONE);
  assert.equal(await h.end(producer, false), ErrorCode.INVALID_TXN_STATE);
  await h.add(producer, ['t-0']);
  assert.equal(await h.end(producer, false), ErrorCode.NONE);
  await h.settle();
  assert.equal(await h.end(producer, false), ErrorCode.NONE);
  assert.equal(await h.end(producer, true), ErrorCode.INVALID_TXN_STATE);
  assert.equal(await h.end({ producerId: 4242, producerEpoch: 0 }, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await h.end(producer, true, 'unknown-id'), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await h.add(producer, ['t-0'], 'unknown-id'), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
});

test('while markers are being written every request for the id gets CONCURRENT_TRANSACTIONS', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  await h.add(producer, ['t-0', 't-1']);
  h.markers.hold();
  // EndTxn waits for the first round of markers (Kafka would answer now: PrepareCommit is written).
  const ending = h.end(producer, true);
  await h.settle();
  assert.equal(h.state(), 'PrepareCommit');
  assert.equal(await h.end(producer, true), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal(await h.end(producer, false), ErrorCode.CONCURRENT_TRANSACTIONS, 'a pending transition comes before the state check');
  assert.equal(await h.add(producer, ['t-2']), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal((await h.init()).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.deepEqual(h.coordinator.describeTransaction(TXN_ID).transactionState, 'PrepareCommit');
  h.markers.release();
  assert.equal(await ending, ErrorCode.NONE);
  assert.equal(h.state(), 'CompleteCommit');
  assert.equal(await h.add(producer, ['t-2']), ErrorCode.NONE);
});

test('a failed marker is retried until it is written; a deleted partition is skipped', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  await h.add(producer, ['t-0', 't-1', 'gone-0']);
  h.markers.failFor('t-1', 3);
  h.markers.failFor('gone-0', 1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await h.end(producer, true), ErrorCode.NONE);
  await h.settle();
  assert.deepEqual(h.markers.summary(), ['t-0:COMMIT@1000/0']);
  assert.equal(h.state(), 'PrepareCommit');
  for (let i = 0; i < 3; i++) {
    h.scheduler.advance(1_000);
    await h.settle();
  }
  assert.deepEqual(h.markers.summary(), ['t-0:COMMIT@1000/0', 't-1:COMMIT@1000/0']);
  assert.equal(h.state(), 'CompleteCommit');
});

test('a failed Complete write is retried', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  await h.add(producer, ['t-0']);
  h.stateLog.failWrites('CompleteAbort');
  assert.equal(await h.end(producer, false), ErrorCode.NONE);
  await h.settle();
  assert.equal(h.state(), 'PrepareAbort');
  assert.equal(await h.add(producer, ['t-0']), ErrorCode.CONCURRENT_TRANSACTIONS);
  h.scheduler.advance(1_000);
  await h.settle();
  assert.equal(h.state(), 'CompleteAbort');
});

test('a failed write answers COORDINATOR_NOT_AVAILABLE and leaves nothing pending', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  h.stateLog.failNext(1);
  assert.equal(await h.add(producer, ['t-0']), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.state(), 'Empty');
  assert.equal(await h.add(producer, ['t-0']), ErrorCode.NONE);
  h.stateLog.failNext(1);
  assert.equal(await h.end(producer, true), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.state(), 'Ongoing');
  assert.equal(await h.end(producer, true), ErrorCode.NONE);
});

test('requests interleaved with a slow write see CONCURRENT_TRANSACTIONS', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  h.stateLog.hold();
  const adding = h.add(producer, ['t-0']);
  assert.equal(await h.add(producer, ['t-1']), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal((await h.init()).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  h.stateLog.release();
  assert.equal(await adding, ErrorCode.NONE);
});

test('a new instance fences the old one: its Ongoing transaction is aborted with a bumped epoch', async () => {
  const h = Harness.started();
  const old = ok(await h.init());
  await h.add(old, ['t-0', 't-1']);
  const retry = await h.init();
  assert.equal(retry.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  await h.settle();
  assert.deepEqual(h.markers.summary(), ['t-0:ABORT@1000/1', 't-1:ABORT@1000/1']);
  assert.equal(h.state(), 'CompleteAbort');
  const fresh = ok(await h.init());
  assert.deepEqual(fresh, { producerId: 1000, producerEpoch: 2 });
  assert.deepEqual(h.stateLog.states(), ['Empty', 'Ongoing', 'PrepareAbort', 'CompleteAbort', 'Empty']);
  assert.deepEqual(
    h.stateLog.decoded().map((entry) => entry.producerEpoch),
    [0, 0, 1, 1, 2],
  );
  // The old instance is fenced everywhere.
  assert.equal(await h.add(old, ['t-0']), ErrorCode.PRODUCER_FENCED);
  assert.equal(await h.end(old, true), ErrorCode.PRODUCER_FENCED);
  assert.equal(await h.end(old, false), ErrorCode.PRODUCER_FENCED);
  assert.equal(await h.add(fresh, ['t-0']), ErrorCode.NONE);
});

test('fencing a failed write keeps the bumped epoch for the next fence', async () => {
  const h = Harness.started();
  const old = ok(await h.init());
  await h.add(old, ['t-0']);
  h.stateLog.failNext(1);
  assert.equal((await h.init()).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.state(), 'Ongoing');
  assert.equal(h.coordinator.transaction(TXN_ID)!.hasFailedEpochFence, true);
  assert.equal((await h.init()).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  await h.settle();
  assert.deepEqual(h.markers.summary(), ['t-0:ABORT@1000/1']);
  assert.deepEqual(ok(await h.init()), { producerId: 1000, producerEpoch: 2 });
});

test('an exhausted epoch gets a new producer id at epoch 0', async () => {
  const h = Harness.started();
  ok(await h.init());
  const metadata = h.coordinator.transaction(TXN_ID)!;
  metadata.producerEpoch = 32_765;
  const last = ok(await h.init());
  assert.deepEqual(last, { producerId: 1000, producerEpoch: 32_766 });
  const rotated = ok(await h.init());
  assert.deepEqual(rotated, { producerId: 1001, producerEpoch: 0 });
  assert.equal(metadata.lastProducerId, 1000);
  // Fencing an exhausted epoch goes to 32767 (never handed out), then the retry rotates.
  metadata.producerEpoch = 32_766;
  await h.add({ producerId: 1001, producerEpoch: 32_766 }, ['t-0']);
  assert.equal((await h.init()).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  await h.settle();
  assert.deepEqual(h.markers.summary(), ['t-0:ABORT@1001/32767']);
  assert.deepEqual(ok(await h.init()), { producerId: 1002, producerEpoch: 0 });
});

test('KIP-360: a producer bumps its own epoch; a retry of that bump gets the same epoch; others are fenced', async () => {
  const h = Harness.started();
  const first = ok(await h.init());
  const bumped = ok(await h.init(TXN_ID, first));
  assert.deepEqual(bumped, { producerId: 1000, producerEpoch: 1 });
  // The answer was lost and the producer asks again with its old epoch.
  assert.deepEqual(ok(await h.init(TXN_ID, first)), bumped);
  assert.equal((await h.init(TXN_ID, { producerId: 1000, producerEpoch: 7 })).errorCode, ErrorCode.PRODUCER_FENCED);
  assert.equal((await h.init(TXN_ID, { producerId: 77, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED);
  // A new instance (no id) resets the previous epoch: the old one can no longer retry.
  ok(await h.init());
  assert.equal((await h.init(TXN_ID, bumped)).errorCode, ErrorCode.PRODUCER_FENCED);
});

test('KIP-360 at an exhausted epoch rotates the id and a retry of the rotation is recognised', async () => {
  const h = Harness.started();
  ok(await h.init());
  h.coordinator.transaction(TXN_ID)!.producerEpoch = 32_766;
  const exhausted = { producerId: 1000, producerEpoch: 32_766 };
  const rotated = ok(await h.init(TXN_ID, exhausted));
  assert.deepEqual(rotated, { producerId: 1001, producerEpoch: 0 });
  assert.equal(h.coordinator.transaction(TXN_ID)!.lastProducerEpoch, 32_766);
  // The retry names the previous id with its exhausted epoch: accepted, not fenced.
  assert.deepEqual(ok(await h.init(TXN_ID, exhausted)), { producerId: 1001, producerEpoch: 0 });
});

test('a transaction older than its timeout is aborted and its producer fenced', async () => {
  const h = Harness.started();
  const producer = ok(await h.init(TXN_ID, { timeoutMs: 15_000 }));
  await h.add(producer, ['t-0']);
  h.scheduler.advance(10_000);
  await h.settle();
  assert.equal(h.state(), 'Ongoing', 'not timed out yet');
  h.scheduler.advance(10_000);
  await h.settle();
  assert.equal(h.state(), 'CompleteAbort');
  assert.deepEqual(h.markers.summary(), ['t-0:ABORT@1000/1']);
  assert.equal(await h.end(producer, true), ErrorCode.PRODUCER_FENCED);
  assert.equal(await h.add(producer, ['t-0']), ErrorCode.PRODUCER_FENCED);
  assert.deepEqual(ok(await h.init()), { producerId: 1000, producerEpoch: 2 });
});

test('transactional ids idle for transactional.id.expiration.ms are tombstoned', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  await h.add(producer, ['t-0']);
  await h.end(producer, true);
  await h.settle();
  const busy = ok(await h.init('busy'));
  await h.add(busy, ['t-1'], 'busy');
  h.scheduler.advance(KAFKA_DEFAULTS.transactionalIdExpirationMs - 3_600_000);
  await h.settle();
  assert.equal(h.state(), 'CompleteCommit');
  // An Ongoing transaction would have timed out long before; keep this one alive by restarting it.
  assert.equal(h.state('busy'), 'CompleteAbort');
  h.scheduler.advance(3_600_000);
  await h.settle();
  assert.equal(h.state(), undefined);
  assert.equal(h.stateLog.states().at(-1), 'tombstone');
  assert.equal(h.coordinator.describeTransaction(TXN_ID).errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  // The id starts again with a new producer id.
  assert.equal(ok(await h.init()).producerEpoch, 0);
  // And a replay of the records agrees.
  const replayed = h.replay();
  assert.equal(replayed.coordinator.transaction(TXN_ID)!.producerEpoch, 0);
});

test('replay rebuilds the state; a transaction left in PrepareCommit gets its markers again', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  await h.add(producer, ['t-0', 't-1']);
  h.markers.hold();
  void h.end(producer, true);
  await h.settle();
  // The broker stops here: PrepareCommit is in the log, the markers never came.
  assert.deepEqual(h.stateLog.states(), ['Empty', 'Ongoing', 'PrepareCommit']);
  const next = h.replay();
  assert.equal(next.state(), 'PrepareCommit');
  await next.settle();
  assert.deepEqual(next.markers.summary(), ['t-0:COMMIT@1000/0', 't-1:COMMIT@1000/0']);
  assert.equal(next.state(), 'CompleteCommit');
  assert.deepEqual(next.stateLog.states(), ['CompleteCommit']);
  assert.equal(await next.end(producer, true), ErrorCode.NONE);
  assert.deepEqual(ok(await next.init()), { producerId: 1000, producerEpoch: 1 });
});

test('replay of an Ongoing transaction: it times out after the restart', async () => {
  const h = Harness.started();
  const producer = ok(await h.init(TXN_ID, { timeoutMs: 20_000 }));
  await h.add(producer, ['t-0']);
  const next = h.replay();
  const metadata = next.coordinator.transaction(TXN_ID)!;
  assert.equal(next.state(), 'Ongoing');
  assert.equal(metadata.txnTimeoutMs, 20_000);
  assert.deepEqual([...metadata.topicPartitions.values()], [{ topic: 't', partition: 0 }]);
  next.scheduler.advance(30_000);
  await next.settle();
  assert.equal(next.state(), 'CompleteAbort');
  assert.deepEqual(next.markers.summary(), ['t-0:ABORT@1000/1']);
});

test('replay keeps the last record of each id and drops tombstoned ids', async () => {
  const h = Harness.started();
  const a = ok(await h.init('a'));
  ok(await h.init('b'));
  await h.add(a, ['x-3'], 'a');
  const key = transactionLogKey.encode(0, { transactionalId: 'b' });
  h.stateLog.appended.push({ partition: 0, record: { key, value: null } });
  const next = h.replay();
  assert.equal(next.state('a'), 'Ongoing');
  assert.equal(next.state('b'), undefined);
  // The value round-trips: version 0, as Kafka writes for TV1.
  const value = h.stateLog.records.find((record) => record.value !== null)!.value!;
  assert.equal(value.readInt16BE(0), 0);
  assert.equal(transactionLogValue.decode(value).message.transactionTimeoutMs, TIMEOUT_MS);
});

test('DescribeTransactions and ListTransactions with state, producer id and duration filters', async () => {
  const h = Harness.started();
  const a = ok(await h.init('a'));
  const b = ok(await h.init('b'));
  await h.add(a, ['t-0', 't-2', 'u-1'], 'a');
  h.scheduler.advance(5_000);
  await h.add(b, ['t-1'], 'b');
  const description = h.coordinator.describeTransaction('a');
  assert.equal(description.errorCode, ErrorCode.NONE);
  assert.equal(description.transactionState, 'Ongoing');
  assert.equal(description.producerId, a.producerId);
  assert.equal(description.transactionTimeoutMs, TIMEOUT_MS);
  assert.deepEqual(description.topics, [
    { topic: 't', partitions: [0, 2] },
    { topic: 'u', partitions: [1] },
  ]);
  assert.equal(h.coordinator.describeTransaction('nope').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  assert.equal(h.coordinator.describeTransaction('').errorCode, ErrorCode.INVALID_REQUEST);

  const ids = (result: { transactionStates: { transactionalId: string }[] }) => result.transactionStates.map((entry) => entry.transactionalId).sort();
  assert.deepEqual(ids(h.coordinator.listTransactions([], [])), ['a', 'b']);
  assert.deepEqual(ids(h.coordinator.listTransactions([], [b.producerId])), ['b']);
  assert.deepEqual(ids(h.coordinator.listTransactions(['Ongoing'], [])), ['a', 'b']);
  assert.deepEqual(ids(h.coordinator.listTransactions(['Ongoing'], [], 4_000)), ['a']);
  await h.end(b, true, 'b');
  await h.settle();
  assert.deepEqual(ids(h.coordinator.listTransactions(['CompleteCommit'], [])), ['b']);
  const unknown = h.coordinator.listTransactions(['Bogus', 'Ongoing'], []);
  assert.deepEqual(unknown.unknownStateFilters, ['Bogus']);
  assert.deepEqual(ids(unknown), ['a']);
});

test('before loading and after shutdown the coordinator answers as one that does not own the ids', async () => {
  const h = new Harness();
  assert.equal((await h.init()).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(h.coordinator.listTransactions([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  h.coordinator.completeLoading();
  ok(await h.init());
  h.coordinator.shutdown();
  assert.equal((await h.init()).errorCode, ErrorCode.NOT_COORDINATOR);
});

test('an EndTxn waiting for its markers is answered when the coordinator shuts down', async () => {
  const h = Harness.started();
  const producer = ok(await h.init());
  await h.add(producer, ['t-0']);
  h.markers.hold();
  const ending = h.end(producer, true);
  await h.settle();
  h.coordinator.shutdown();
  assert.equal(await ending, ErrorCode.NONE, 'the outcome was decided (PrepareCommit is written)');
  assert.deepEqual(h.stateLog.states(), ['Empty', 'Ongoing', 'PrepareCommit']);
});
