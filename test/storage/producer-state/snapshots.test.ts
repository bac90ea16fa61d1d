/**
 * Producer state across restarts: snapshots at rolls and at close, the replay after a crash
 * (open transactions, the .txnindex of aborts after the last snapshot), corrupt snapshots, the
 * snapshots a recovery cut makes stale, and how many snapshot files are kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaError } from '../../../src/errors.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { decodeSnapshot, encodeSnapshot, CorruptSnapshotError } from '../../../src/storage/producer-state/snapshot-file.js';
import { BatchMetadata, ProducerStateEntry } from '../../../src/storage/producer-state/producer-state-entry.js';
import { MAX_SNAPSHOTS } from '../../../src/storage/producer-state/producer-state-manager.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { markerBatch, openTestLog, producerBatch } from './helpers.js';

function snapshotFiles(dir: string): number[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.snapshot'))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b);
}

async function appendData(log: PartitionLog, producerId: number, baseSequence: number, options: { records?: number; transactional?: boolean } = {}) {
  const info = log.append(producerBatch({ producerId, baseSequence, records: options.records ?? 2, transactional: options.transactional }), { leaderEpoch: 0 });
  await info.written;
  return info;
}

async function appendMarker(log: PartitionLog, producerId: number, commit: boolean) {
  const info = log.append(markerBatch({ producerId, commit }), { leaderEpoch: 0, origin: 'coordinator' });
  await info.written;
  return info;
}

function assertOutOfOrder(append: () => unknown): void {
  assert.throws(append, (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
}

test('snapshot format: round trip, and every corruption is detected', () => {
  const entries = [
    new ProducerStateEntry(1, 0, -1, 1_700_000_000_000, -1, [new BatchMetadata(4, 10, 4, 1_700_000_000_001), new BatchMetadata(6, 12, 1, 1_700_000_000_002)]),
    new ProducerStateEntry(2 ** 40 + 3, 7, 12, 1_700_000_000_003, 99, []),
  ];
  const bytes = encodeSnapshot(entries);
  const decoded = decodeSnapshot(bytes);
  assert.equal(decoded.length, 2);
  assert.equal(decoded[0]!.toString(), entries[0]!.toString());
  assert.equal(decoded[1]!.toString(), entries[1]!.toString());
  assert.equal(decoded[0]!.batches[0]!.firstSeq, 0);
  assert.equal(decoded[0]!.batches[1]!.firstOffset, 11);
  for (let i = 0; i < bytes.length; i++) {
    const corrupt = Buffer.from(bytes);
    corrupt[i] = corrupt[i]! ^ 0x40;
    assert.throws(() => decodeSnapshot(corrupt), CorruptSnapshotError, `byte ${i}`);
  }
  assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1)), CorruptSnapshotError);
  assert.deepEqual(decodeSnapshot(encodeSnapshot([])), []);
});

test('a clean restart loads the snapshot written at close: retries of the last 5 batches are still duplicates', async () => {
  const t = await openTestLog();
  try {
    for (let i = 0; i < 7; i++) await appendData(t.log, 1, i * 2);
    await appendData(t.log, 2, 0, { transactional: true });
    await t.log.close();
    assert.deepEqual(snapshotFiles(t.path), [16]);
    const log = await t.reopen();
    assert.equal(log.logEndOffset, 16);
    for (let i = 2; i < 7; i++) {
      const retry = log.append(producerBatch({ producerId: 1, baseSequence: i * 2, records: 2 }), { leaderEpoch: 0 });
      assert.equal(retry.firstOffset, i * 2, `batch ${i}`);
      assert.equal(retry.batches.length, 0);
    }
    assertOutOfOrder(() => log.append(producerBatch({ producerId: 1, baseSequence: 15 }), { leaderEpoch: 0 }));
    assert.deepEqual(log.producerStateManager.ongoingTransactionFirstOffsets, [14], 'the open transaction survives');
    assert.equal((await appendData(log, 1, 14)).firstOffset, 16);
  } finally {
    await t.remove();
  }
});

test('a roll takes a snapshot at the new base offset; only the newest few are kept', async () => {
  const t = await openTestLog({ segmentBytes: 400 });
  try {
    for (let i = 0; i < 40; i++) await appendData(t.log, 1, i * 2);
    await t.log.producerStateManager.flush();
    const bases = t.log.logSegments.map((segment) => segment.baseOffset);
    assert.ok(bases.length > MAX_SNAPSHOTS + 1, `${bases.length} segments`);
    const snapshots = snapshotFiles(t.path);
    assert.deepEqual(snapshots, bases.slice(-MAX_SNAPSHOTS));
    // A snapshot at offset N holds the state below N: the last batch before it.
    const newest = decodeSnapshot(readFileSync(join(t.path, `${String(snapshots.at(-1)).padStart(20, '0')}.snapshot`)));
    assert.equal(newest[0]!.lastDataOffset, snapshots.at(-1)! - 1);
  } finally {
    await t.remove();
  }
});

test('after a crash the state is rebuilt from the last snapshot and the batches after it', async () => {
  const t = await openTestLog({ segmentBytes: 600 });
  try {
    const log = t.log;
    for (let i = 0; i < 12; i++) await appendData(log, 1, i * 2); // several segments, snapshots at the rolls
    await t.log.producerStateManager.flush();
    assert.ok(snapshotFiles(t.path).length > 0);
    const open = await appendData(log, 2, 0, { transactional: true });
    const aborted = await appendData(log, 3, 0, { transactional: true });
    await appendData(log, 3, 2, { transactional: true });
    const abortMarker = await appendMarker(log, 3, false);
    const last = await appendData(log, 1, 24);
    await log.producerStateManager.transactionIndexesFlushed();
    const copy = t.crashCopy();
    // The index of the aborts after the last snapshot is rebuilt even when the file was lost.
    const activeBase = log.activeSegment.baseOffset;
    const indexFile = join(copy, `${String(activeBase).padStart(20, '0')}.txnindex`);
    assert.ok(existsSync(indexFile));
    unlinkSync(indexFile);

    const recovered = await t.reopen(copy);
    assert.equal(recovered.logEndOffset, log.logEndOffset);
    const retry = recovered.append(producerBatch({ producerId: 1, baseSequence: 24, records: 2 }), { leaderEpoch: 0 });
    assert.equal(retry.firstOffset, last.firstOffset, 'a retry after the crash is still a duplicate');
    assert.equal(retry.batches.length, 0);
    assertOutOfOrder(() => recovered.append(producerBatch({ producerId: 1, baseSequence: 27 }), { leaderEpoch: 0 }));
    assert.deepEqual(recovered.producerStateManager.ongoingTransactionFirstOffsets, [open.firstOffset]);
    assert.equal(recovered.producerStateManager.firstUnstableOffset(recovered.writtenEndOffset), open.firstOffset);
    const collected = await recovered.producerStateManager.collectAbortedTransactions(recovered.logSegments, aborted.firstOffset, recovered.logEndOffset);
    assert.deepEqual(
      collected.map((txn) => [txn.producerId, txn.firstOffset, txn.lastOffset]),
      [[3, aborted.firstOffset, abortMarker.firstOffset]],
    );
    await recovered.producerStateManager.flush();
    assert.equal(statSync(indexFile).size, 34, 'the rebuilt entry is written back');
    assert.ok(snapshotFiles(copy).includes(recovered.logEndOffset), 'a snapshot at the log end saves the next start a replay');
  } finally {
    await t.remove();
  }
});

test('a corrupt snapshot is ignored and the state rebuilt from the log', async () => {
  const t = await openTestLog();
  try {
    for (let i = 0; i < 3; i++) await appendData(t.log, 1, i * 2);
    await t.log.close();
    const file = join(t.path, '00000000000000000006.snapshot');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
    writeFileSync(file, bytes);
    unlinkSync(join(t.path, '.kafka_cleanshutdown'));
    const log = await t.reopen();
    const retry = log.append(producerBatch({ producerId: 1, baseSequence: 4, records: 2 }), { leaderEpoch: 0 });
    assert.equal(retry.firstOffset, 4);
    assert.equal(retry.batches.length, 0);
    await log.producerStateManager.flush();
    assert.deepEqual(snapshotFiles(t.path), [6], 'rewritten whole');
    assert.doesNotThrow(() => decodeSnapshot(readFileSync(file)));
  } finally {
    await t.remove();
  }
});

test('snapshots above a log end that recovery cut are deleted; the cut batches and markers are forgotten', async () => {
  const t = await openTestLog();
  try {
    await appendData(t.log, 1, 0);
    await appendData(t.log, 2, 0, { transactional: true });
    await t.log.close(); // snapshot at 4
    let log = await t.reopen();
    await appendData(log, 1, 2); // 4-5
    const marker = await appendMarker(log, 2, false); // 6
    await log.producerStateManager.transactionIndexesFlushed();
    await log.close(); // snapshot at 7
    assert.deepEqual(snapshotFiles(t.path), [4, 7]);
    // Cut the marker and the batch before it, as a crash that lost them would, and lose the clean marker.
    const logFile = join(t.path, '00000000000000000000.log');
    const sizes: number[] = [];
    const bytes = readFileSync(logFile);
    for (let at = 0; at < bytes.length; at += bytes.readInt32BE(at + 8) + 12) sizes.push(at);
    truncateSync(logFile, sizes[2]!);
    unlinkSync(join(t.path, '.kafka_cleanshutdown'));
    log = await t.reopen();
    assert.equal(log.logEndOffset, 4);
    assert.deepEqual(snapshotFiles(t.path), [4]);
    assert.equal(marker.firstOffset, 6);
    assert.deepEqual(log.producerStateManager.ongoingTransactionFirstOffsets, [2], 'the abort was cut, the transaction is open again');
    assert.equal(statSync(join(t.path, '00000000000000000000.txnindex')).size, 0, 'its index entry went with it');
    const again = log.append(producerBatch({ producerId: 1, baseSequence: 2, records: 2 }), { leaderEpoch: 0 });
    assert.equal(again.batches.length, 1, 'the cut batch is appended anew');
  } finally {
    await t.remove();
  }
});

test('without any snapshot, a crashed log is replayed from its start; a clean one from before snapshots starts empty', async () => {
  const t = await openTestLog({ segmentBytes: 500 });
  try {
    for (let i = 0; i < 10; i++) await appendData(t.log, 1, i * 2);
    await t.log.producerStateManager.flush();
    const crashed = t.crashCopy();
    for (const offset of snapshotFiles(crashed)) unlinkSync(join(crashed, `${String(offset).padStart(20, '0')}.snapshot`));
    const replayed = await t.reopen(crashed);
    assert.equal(replayed.append(producerBatch({ producerId: 1, baseSequence: 18, records: 2 }), { leaderEpoch: 0 }).firstOffset, 18);
    await replayed.close();

    // A log written before producer state existed: clean shutdown, no snapshot. Kafka takes it as empty.
    for (const offset of snapshotFiles(crashed)) unlinkSync(join(crashed, `${String(offset).padStart(20, '0')}.snapshot`));
    const upgraded = await t.reopen(crashed);
    assert.equal(upgraded.producerStateManager.activeProducers.size, 0);
    assert.equal(upgraded.append(producerBatch({ producerId: 1, baseSequence: 500 }), { leaderEpoch: 0 }).batches.length, 1, 'any sequence from an unknown producer');
    await upgraded.producerStateManager.flush();
    assert.ok(snapshotFiles(crashed).length > 0);
  } finally {
    await t.remove();
  }
});
