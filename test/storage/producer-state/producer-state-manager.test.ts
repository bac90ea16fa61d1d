/**
 * The producer rules of NOTES.md §5.2 as the log applies them on append (duplicates, epochs,
 * sequences), transactions and the last stable offset, markers and the .txnindex, and what
 * happens to the state when a write fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaError } from '../../../src/errors.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { ABORTED_TXN_SIZE } from '../../../src/storage/transaction-index.js';
import { InstrumentedFileSystem, nextTick } from '../helpers.js';
import { markerBatch, openTestLog, producerBatch } from './helpers.js';

function rejectsWith(code: ErrorCode): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof KafkaError, `expected a KafkaError, got ${String(error)}`);
    assert.equal(error.code, code, `${ErrorCode[error.code]}: ${error.message}`);
    return true;
  };
}

test('a retried batch is not appended again and gets its original offsets, for any of the last 5 batches', async () => {
  const t = await openTestLog();
  try {
    const log = t.log;
    await log.append(producerBatch({ producerId: 9, baseSequence: 0, records: 2 }), { leaderEpoch: 0 }).written; // unrelated data first
    const offsets: number[] = [];
    for (let i = 0; i < 6; i++) {
      const info = log.append(producerBatch({ producerId: 7, baseSequence: i * 3, records: 3 }), { leaderEpoch: 0 });
      await info.written;
      offsets.push(info.firstOffset);
    }
    assert.deepEqual(offsets, [2, 5, 8, 11, 14, 17]);
    const end = log.logEndOffset;
    for (let i = 1; i < 6; i++) {
      const retry = log.append(producerBatch({ producerId: 7, baseSequence: i * 3, records: 3 }), { leaderEpoch: 0 });
      await retry.written;
      assert.equal(retry.firstOffset, offsets[i], `batch ${i}`);
      assert.equal(retry.lastOffset, offsets[i]! + 2);
      assert.equal(retry.batches.length, 0, 'nothing appended');
      assert.equal(retry.sizeInBytes, 0);
    }
    assert.equal(log.logEndOffset, end);
    // Only 5 batches are retained: the first is no longer recognised, and its sequence is out of order.
    assert.throws(() => log.append(producerBatch({ producerId: 7, baseSequence: 0, records: 3 }), { leaderEpoch: 0 }), rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    // Same sequences with another epoch are not a duplicate (and a new epoch must start at 0).
    assert.throws(() => log.append(producerBatch({ producerId: 7, producerEpoch: 1, baseSequence: 3, records: 3 }), { leaderEpoch: 0 }), rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(log.logEndOffset, end);
  } finally {
    await t.remove();
  }
});

test('sequence and epoch rules: gaps, stale epochs, new epochs, unknown producers, wrap-around', async () => {
  const t = await openTestLog();
  try {
    const log = t.log;
    const append = (spec: Parameters<typeof producerBatch>[0]) => log.append(producerBatch(spec), { leaderEpoch: 0 });
    // An unknown producer may start anywhere (its state may have expired).
    assert.equal(append({ producerId: 1, producerEpoch: 2, baseSequence: 42, records: 2 }).firstOffset, 0);
    assert.throws(() => append({ producerId: 1, producerEpoch: 2, baseSequence: 45 }), rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER), 'a gap');
    assert.throws(() => append({ producerId: 1, producerEpoch: 2, baseSequence: 43 }), rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER), 'an overlap');
    assert.throws(() => append({ producerId: 1, producerEpoch: 1, baseSequence: 44 }), rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH), 'a stale epoch');
    assert.equal(append({ producerId: 1, producerEpoch: 2, baseSequence: 44 }).firstOffset, 2);
    assert.throws(() => append({ producerId: 1, producerEpoch: 3, baseSequence: 45 }), rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER), 'a new epoch starts at 0');
    assert.equal(append({ producerId: 1, producerEpoch: 3, baseSequence: 0 }).firstOffset, 3);
    assert.throws(() => append({ producerId: 1, producerEpoch: 2, baseSequence: 45 }), rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH), 'the old epoch is fenced');
    // Sequences wrap from Int32.MAX to 0.
    assert.equal(append({ producerId: 2, baseSequence: 0x7ffffffe, records: 2 }).firstOffset, 4);
    assert.equal(append({ producerId: 2, baseSequence: 0, records: 1 }).firstOffset, 6);
    // Batches without a producer id are not checked.
    assert.equal(log.append(producerBatch({ producerId: -1, producerEpoch: -1, baseSequence: -1 }), { leaderEpoch: 0 }).firstOffset, 7);
    const entry = log.producerStateManager.lastEntry(1)!;
    assert.equal(entry.producerEpoch, 3);
    assert.equal(entry.lastSeq, 0);
    assert.equal(entry.batches.length, 1, 'a new epoch forgets the batches of the old one');
  } finally {
    await t.remove();
  }
});

test('pipelined appends see each other before anything is written; a retry of a pending batch waits for it', async () => {
  const t = await openTestLog();
  try {
    const log = t.log;
    const first = log.append(producerBatch({ producerId: 3, baseSequence: 0, records: 2 }), { leaderEpoch: 0 });
    const second = log.append(producerBatch({ producerId: 3, baseSequence: 2, records: 2 }), { leaderEpoch: 0 });
    const retry = log.append(producerBatch({ producerId: 3, baseSequence: 2, records: 2 }), { leaderEpoch: 0 });
    assert.deepEqual([first.firstOffset, second.firstOffset, retry.firstOffset], [0, 2, 2]);
    assert.equal(log.writtenEndOffset, 0, 'nothing written yet');
    let retryDone = false;
    const retryWritten = retry.written.then(() => {
      retryDone = true;
      assert.ok(log.writtenEndOffset >= 4, 'the retry settles once the original is written');
    });
    await Promise.all([first.written, second.written, retryWritten]);
    assert.ok(retryDone);
    assert.equal(log.logEndOffset, 4);
  } finally {
    await t.remove();
  }
});

test('a duplicate on a LogAppendTime topic answers the original append time', async () => {
  const t = await openTestLog({ messageTimestampType: 'LogAppendTime' });
  try {
    const first = t.log.append(producerBatch({ producerId: 4, baseSequence: 0 }), { leaderEpoch: 0, now: 1_800_000_000_000 });
    await first.written;
    assert.equal(first.logAppendTime, 1_800_000_000_000);
    const retry = t.log.append(producerBatch({ producerId: 4, baseSequence: 0 }), { leaderEpoch: 0, now: 1_800_000_000_999 });
    assert.equal(retry.firstOffset, 0);
    assert.equal(retry.logAppendTime, 1_800_000_000_000);
  } finally {
    await t.remove();
  }
});

test('transactions: the first transactional batch opens one, markers close it, aborts are indexed', async () => {
  const t = await openTestLog();
  try {
    const log = t.log;
    const state = log.producerStateManager;
    const appendData = (producerId: number, baseSequence: number, transactional = true) =>
      log.append(producerBatch({ producerId, baseSequence, records: 2, transactional }), { leaderEpoch: 0 });
    const appendMarker = (spec: Parameters<typeof markerBatch>[0]) => log.append(markerBatch(spec), { leaderEpoch: 0, origin: 'coordinator' });

    await log.append(producerBatch({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: 3 }), { leaderEpoch: 0 }).written; // 0-2
    await appendData(10, 0).written; // 3-4 opens a transaction
    await appendData(11, 0).written; // 5-6 opens another
    await appendData(10, 2).written; // 7-8 continues the first
    assert.deepEqual(state.ongoingTransactionFirstOffsets, [3, 5]);
    assert.equal(state.firstUnstableOffset(log.writtenEndOffset), 3);
    assert.throws(() => appendData(10, 4, false), rejectsWith(ErrorCode.INVALID_TXN_STATE), 'a plain batch inside an open transaction');

    const abort = appendMarker({ producerId: 10, coordinatorEpoch: 5, commit: false }); // 9
    assert.equal(abort.firstOffset, 9);
    await abort.written;
    await state.transactionIndexesFlushed();
    assert.equal(state.firstUnstableOffset(log.writtenEndOffset), 5, 'the other transaction is still open');
    const indexFile = join(t.path, '00000000000000000000.txnindex');
    const bytes = readFileSync(indexFile);
    assert.equal(bytes.length, ABORTED_TXN_SIZE);
    assert.equal(bytes.readInt16BE(0), 0, 'version');
    assert.equal(bytes.readBigInt64BE(2), 10n, 'producerId');
    assert.equal(bytes.readBigInt64BE(10), 3n, 'firstOffset');
    assert.equal(bytes.readBigInt64BE(18), 9n, 'lastOffset (the marker)');
    assert.equal(bytes.readBigInt64BE(26), 5n, 'lastStableOffset: the other open transaction');

    // Fencing: an older coordinator epoch, or an older producer epoch, may not write a marker.
    await appendData(12, 0).written; // 10-11
    assert.throws(() => appendMarker({ producerId: 10, coordinatorEpoch: 4, commit: true }), rejectsWith(ErrorCode.TRANSACTION_COORDINATOR_FENCED));
    await appendMarker({ producerId: 11, producerEpoch: 1, coordinatorEpoch: 5, commit: true }).written; // 12: epoch 1 fences epoch 0
    assert.throws(() => appendMarker({ producerId: 11, producerEpoch: 0, coordinatorEpoch: 5, commit: true }), rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH));
    assert.deepEqual(state.ongoingTransactionFirstOffsets, [10]);
    await appendMarker({ producerId: 12, commit: false }).written; // 13
    assert.equal(state.firstUnstableOffset(log.writtenEndOffset), null);

    const aborted = await state.collectAbortedTransactions(log.logSegments, 0, log.logEndOffset);
    assert.deepEqual(
      aborted.map((txn) => [txn.producerId, txn.firstOffset, txn.lastOffset]),
      [
        [10, 3, 9],
        [12, 10, 13],
      ],
    );
    assert.deepEqual(await state.collectAbortedTransactions(log.logSegments, 10, 14).then((list) => list.map((txn) => txn.producerId)), [12]);
    assert.deepEqual(await state.collectAbortedTransactions(log.logSegments, 0, 3), [], 'ranges before the aborted data');
  } finally {
    await t.remove();
  }
});

test('the marker of a completed transaction stays unstable until it is below the high watermark', async () => {
  const t = await openTestLog();
  try {
    const log = t.log;
    await log.append(producerBatch({ producerId: 20, baseSequence: 0, transactional: true }), { leaderEpoch: 0 }).written;
    const marker = log.append(markerBatch({ producerId: 20, commit: true }), { leaderEpoch: 0, origin: 'coordinator' });
    // Not yet written: the high watermark is below the marker, so the transaction is not stable yet.
    assert.equal(log.producerStateManager.firstUnstableOffset(log.writtenEndOffset), 0);
    await marker.written;
    assert.equal(log.producerStateManager.firstUnstableOffset(log.writtenEndOffset), null);
  } finally {
    await t.remove();
  }
});

test('a failed write gives the producer state back: the retry is appended, not taken for a duplicate', async () => {
  const fileSystem = new InstrumentedFileSystem();
  const t = await openTestLog({}, { fileSystem });
  try {
    const log = t.log;
    await log.append(producerBatch({ producerId: 5, baseSequence: 0 }), { leaderEpoch: 0 }).written;
    fileSystem.tornWriteBytes = 10;
    const failed = log.append(producerBatch({ producerId: 5, baseSequence: 1, transactional: false }), { leaderEpoch: 0 });
    const failedTxn = log.append(producerBatch({ producerId: 6, baseSequence: 0, transactional: true }), { leaderEpoch: 0 });
    const duplicateOfFailed = log.append(producerBatch({ producerId: 5, baseSequence: 1 }), { leaderEpoch: 0 });
    assert.equal(duplicateOfFailed.firstOffset, failed.firstOffset);
    await assert.rejects(failed.written);
    await assert.rejects(failedTxn.written);
    await assert.rejects(duplicateOfFailed.written, /was not written/);
    assert.equal(log.logEndOffset, 1);
    assert.equal(log.producerStateManager.lastEntry(5)!.lastSeq, 0);
    assert.equal(log.producerStateManager.lastEntry(6), undefined);
    assert.deepEqual(log.producerStateManager.ongoingTransactionFirstOffsets, []);
    const retry = log.append(producerBatch({ producerId: 5, baseSequence: 1 }), { leaderEpoch: 0 });
    assert.equal(retry.batches.length, 1, 'appended anew');
    await retry.written;
    assert.equal(log.logEndOffset, 2);
  } finally {
    await t.remove();
  }
});

test('idle producers without an open transaction expire after producer.id.expiration.ms', async () => {
  let now = 1_000_000;
  const t = await openTestLog({}, { time: () => now, producerIdExpirationMs: 60_000 });
  try {
    const log = t.log;
    await log.append(producerBatch({ producerId: 1, baseSequence: 0 }), { leaderEpoch: 0 }).written;
    await log.append(producerBatch({ producerId: 2, baseSequence: 0, transactional: true }), { leaderEpoch: 0 }).written;
    now += 30_000;
    await log.append(producerBatch({ producerId: 3, baseSequence: 0 }), { leaderEpoch: 0 }).written;
    now += 30_000;
    assert.equal(log.producerStateManager.removeExpiredProducers(), 1);
    assert.deepEqual([...log.producerStateManager.activeProducers.keys()].sort(), [2, 3], 'producer 2 has an open transaction');
    // Expired state: any sequence is accepted again.
    assert.equal(log.append(producerBatch({ producerId: 1, baseSequence: 77 }), { leaderEpoch: 0 }).batches.length, 1);
    await nextTick();
  } finally {
    await t.remove();
  }
});

test('no .txnindex file for a segment without aborts, and none for commits', async () => {
  const t = await openTestLog();
  try {
    await t.log.append(producerBatch({ producerId: 1, baseSequence: 0, transactional: true }), { leaderEpoch: 0 }).written;
    await t.log.append(markerBatch({ producerId: 1, commit: true }), { leaderEpoch: 0, origin: 'coordinator' }).written;
    await t.log.producerStateManager.flush();
    assert.ok(!existsSync(join(t.path, '00000000000000000000.txnindex')));
  } finally {
    await t.remove();
  }
});
