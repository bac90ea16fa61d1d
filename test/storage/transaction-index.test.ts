import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { ABORTED_TXN_SIZE, encodeAbortedTxn, TransactionIndex, transactionIndexPath } from '../../src/storage/transaction-index.js';
import { temporaryDirectory } from './helpers.js';

test('entries are written in Kafka’s AbortedTxn layout and read back', async () => {
  const dir = temporaryDirectory();
  try {
    const path = transactionIndexPath(dir.path, 100);
    assert.equal(path, join(dir.path, '00000000000000000100.txnindex'));
    const index = new TransactionIndex(nodeFileSystem, path);
    await index.load();
    assert.ok(index.isEmpty);
    await index.append({ producerId: 7, firstOffset: 100, lastOffset: 105, lastStableOffset: 106 });
    await index.append({ producerId: 2 ** 40, firstOffset: 101, lastOffset: 110, lastStableOffset: 108 });
    assert.throws(() => index.append({ producerId: 1, firstOffset: 1, lastOffset: 110, lastStableOffset: 111 }), /must increase/);
    const bytes = readFileSync(path);
    assert.equal(bytes.length, 2 * ABORTED_TXN_SIZE);
    assert.ok(bytes.subarray(0, ABORTED_TXN_SIZE).equals(encodeAbortedTxn({ producerId: 7, firstOffset: 100, lastOffset: 105, lastStableOffset: 106 })));
    assert.equal(bytes.readBigInt64BE(ABORTED_TXN_SIZE + 2), 2n ** 40n);

    // A torn entry at the end is dropped on load and cut by the next change.
    appendFileSync(path, Buffer.alloc(10, 1));
    const reloaded = new TransactionIndex(nodeFileSystem, path);
    await reloaded.load();
    assert.deepEqual(reloaded.entries, index.entries);
    assert.ok(reloaded.hasEntryFor(105) && reloaded.hasEntryFor(110) && !reloaded.hasEntryFor(106));
    await reloaded.append({ producerId: 3, firstOffset: 111, lastOffset: 120, lastStableOffset: 121 });
    assert.equal(statSync(path).size, 3 * ABORTED_TXN_SIZE);
    await reloaded.truncateTo(110);
    assert.equal(statSync(path).size, ABORTED_TXN_SIZE);
    assert.equal(reloaded.entries.length, 1);
  } finally {
    dir.remove();
  }
});

test('collectAbortedTxns: overlapping entries, stopping at the first whose last stable offset reaches the bound', async () => {
  const dir = temporaryDirectory();
  try {
    const index = new TransactionIndex(nodeFileSystem, transactionIndexPath(dir.path, 0));
    index.append({ producerId: 1, firstOffset: 0, lastOffset: 10, lastStableOffset: 11 });
    index.append({ producerId: 2, firstOffset: 5, lastOffset: 20, lastStableOffset: 15 });
    index.append({ producerId: 3, firstOffset: 30, lastOffset: 40, lastStableOffset: 41 });
    await index.flushed();
    const ids = (fetchOffset: number, upper: number) => index.collectAbortedTxns(fetchOffset, upper).abortedTransactions.map((txn) => txn.producerId);
    assert.deepEqual(ids(0, 100), [1, 2, 3]);
    assert.deepEqual(ids(11, 100), [2, 3]);
    assert.deepEqual(ids(21, 30), []);
    assert.deepEqual(ids(0, 5), [1]);
    assert.equal(index.collectAbortedTxns(0, 11).isComplete, true);
    assert.equal(index.collectAbortedTxns(0, 100).isComplete, false);
  } finally {
    dir.remove();
  }
});

test('an index that never had an entry leaves no file', async () => {
  const dir = temporaryDirectory();
  try {
    const path = transactionIndexPath(dir.path, 0);
    const index = new TransactionIndex(nodeFileSystem, path);
    await index.load();
    await index.truncateTo(0);
    assert.ok(!existsSync(path));
  } finally {
    dir.remove();
  }
});
