import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionType, DELETE_HORIZON_FLAG_MASK, TimestampType } from '../../../src/protocol/records/batch-header.js';
import { buildEndTransactionMarkerBatch, ControlRecordType } from '../../../src/protocol/records/control-batch.js';
import { groupSegmentsBySize } from '../../../src/storage/cleaner/cleaner.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE } from '../../../src/storage/cleaner/cleaner-offset-checkpoint.js';
import { BYTES_PER_ENTRY } from '../../../src/storage/cleaner/offset-map.js';
import { delay, InstrumentedFileSystem } from '../helpers.js';
import { appendRecords, cleanerFor, foldLatest, openCompactedLog, readBatches, readRecords, rollAndFlush, TOPIC_DIR } from './helpers.js';

/** Appends `count` updates over `keys` keys, `perBatch` records a batch; returns the records written. */
async function appendUpdates(
  log: Parameters<typeof appendRecords>[0],
  count: number,
  keys: number,
  perBatch: number,
  now: number,
  prefix = 'v',
): Promise<{ key: string; value: string }[]> {
  const written: { key: string; value: string }[] = [];
  for (let i = 0; i < count; i += perBatch) {
    const records = [];
    for (let j = i; j < Math.min(count, i + perBatch); j++) records.push({ key: `k${j % keys}`, value: `${prefix}${j}` });
    await appendRecords(log, records, { now });
    written.push(...records);
  }
  return written;
}

test('cleaning keeps the latest value of each key at its offset, and tombstones until delete.retention.ms after the round that kept them', async () => {
  const compacted = await openCompactedLog();
  try {
    const { log, clock } = compacted;
    const written = await appendUpdates(log, 500, 20, 10, clock.now);
    await appendRecords(log, ['k0', 'k1', 'k2', 'k3', 'k4'].map((key) => ({ key, value: null })), { now: clock.now });
    await rollAndFlush(log);
    const before = await readRecords(log);
    const expected = foldLatest(before);
    assert.ok(log.logSegments.length > 5, 'several segments');
    const sizeBefore = log.size;

    const cleaner = cleanerFor(compacted);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    const after = await readRecords(log);
    assert.ok(log.size < sizeBefore / 5, `the log shrank (${sizeBefore} -> ${log.size})`);
    // Offsets strictly increase and are the records' original offsets.
    const originalOffsets = new Map(before.map((record) => [record.offset, record]));
    for (let i = 0; i < after.length; i++) {
      if (i > 0) assert.ok(after[i]!.offset > after[i - 1]!.offset);
      assert.deepEqual(originalOffsets.get(after[i]!.offset), after[i]);
    }
    // Each live key once, with its latest value; the five tombstones stay for now.
    const live = after.filter((record) => record.value !== null);
    assert.equal(live.length, 15);
    assert.deepEqual(foldLatest(after), expected);
    assert.deepEqual(new Set(live.map((record) => record.key)).size, 15);
    assert.deepEqual(after.filter((record) => record.value === null).map((record) => record.key).sort(), ['k0', 'k1', 'k2', 'k3', 'k4']);
    assert.equal(written.length, 500);
    // The tombstones' batch carries the KIP-534 delete horizon: the round's time + delete.retention.ms.
    const tombstoneBatch = (await readBatches(log)).find((batch) => batch.records.some((record) => record.value === null))!;
    assert.ok((tombstoneBatch.header.attributes & DELETE_HORIZON_FLAG_MASK) !== 0);
    assert.equal(tombstoneBatch.header.baseTimestamp, clock.now + 1000);
    assert.equal(tombstoneBatch.records[0]!.timestamp, clock.now, 'record timestamps survive the horizon as deltas');

    // cleaner-offset-checkpoint (per log directory, Kafka's format) holds where the round ended.
    const checkpoint = readFileSync(join(compacted.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8');
    assert.equal(checkpoint, `0\n1\ncompacted 0 ${log.activeSegment.baseOffset}\n`);

    // Nothing dirty: nothing to clean.
    assert.equal(await cleaner.cleanFilthiestLog(), false);

    // Before the horizon a new round keeps the tombstones; after it, they go.
    clock.advance(500);
    await appendRecords(log, [{ key: 'k5', value: 'newer' }], { now: clock.now });
    await rollAndFlush(log);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    assert.equal((await readRecords(log)).filter((record) => record.value === null).length, 5);
    clock.advance(501);
    await appendRecords(log, [{ key: 'k6', value: 'newest' }], { now: clock.now });
    await rollAndFlush(log);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    const final = await readRecords(log);
    assert.equal(final.filter((record) => record.value === null).length, 0, 'tombstones removed after delete.retention.ms');
    expected.set('k5', 'newer');
    expected.set('k6', 'newest');
    assert.deepEqual(foldLatest(final), expected);
    assert.equal(final.length, 15, 'one record per live key');
    // No cleaner leftovers.
    assert.deepEqual(readdirSync(compacted.directory).filter((name) => /\.(cleaned|swap)$/.test(name)), []);

    // Reopened, the log reads the same.
    const reopened = await compacted.reopen();
    assert.deepEqual(await readRecords(reopened), final);
  } finally {
    await compacted.cleanup();
  }
});

test('rewritten batches keep their codec, producer fields, timestamps and leader epoch; untouched ones stay byte for byte', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 1 << 20 });
  try {
    const { log, clock } = compacted;
    const codecs = [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD, CompressionType.NONE];
    for (const [i, compression] of codecs.entries()) {
      // Half of each batch is overwritten later (a0..a4 for batch i), half is not (b<i>-x).
      const records = [];
      for (let j = 0; j < 5; j++) records.push({ key: `a${j}`, value: `old-${i}-${j}`, timestamp: clock.now + j });
      for (let j = 0; j < 5; j++) records.push({ key: `b${i}-${j}`, value: `keep-${i}-${j}`, timestamp: clock.now + 10 + j });
      await appendRecords(log, records, { now: clock.now, compression });
    }
    const untouched = await appendRecords(log, [{ key: 'c', value: 'alone', timestamp: clock.now + 100 }], { now: clock.now, compression: CompressionType.ZSTD });
    await appendRecords(log, [0, 1, 2, 3, 4].map((j) => ({ key: `a${j}`, value: `new-${j}`, timestamp: clock.now + 50 })), { now: clock.now });
    await appendRecords(log, [{ key: 'lat', value: 'x' }], { now: clock.now, timestampType: TimestampType.LOG_APPEND_TIME, logAppendTime: clock.now + 7 });
    await rollAndFlush(log);
    const before = await readBatches(log);

    assert.equal(await cleanerFor(compacted).cleanFilthiestLog(), true);
    const after = await readBatches(log);
    for (const [i, compression] of codecs.entries()) {
      const batch = after[i]!;
      assert.equal(batch.header.compressionType, compression, `batch ${i} keeps its codec`);
      assert.equal(batch.header.baseOffset, before[i]!.header.baseOffset);
      assert.equal(batch.header.lastOffsetDelta, before[i]!.header.lastOffsetDelta, 'the last offset delta is kept');
      assert.equal(batch.header.partitionLeaderEpoch, 3);
      assert.deepEqual(batch.records.map((record) => record.value?.toString()), [0, 1, 2, 3, 4].map((j) => `keep-${i}-${j}`));
      assert.deepEqual(batch.records.map((record) => record.offset), [5, 6, 7, 8, 9].map((j) => i * 10 + j));
      assert.deepEqual(batch.records.map((record) => record.timestamp), [10, 11, 12, 13, 14].map((j) => clock.now + j));
      // maxTimestamp becomes the largest retained timestamp.
      assert.equal(batch.header.maxTimestamp, clock.now + 14);
      assert.equal(batch.header.baseTimestamp, clock.now + 10);
    }
    const alone = after.find((batch) => batch.header.baseOffset === untouched.firstOffset)!;
    const aloneBefore = before.find((batch) => batch.header.baseOffset === untouched.firstOffset)!;
    assert.deepEqual(alone.bytes, aloneBefore.bytes, 'a batch that keeps every record is copied as is');
    const lat = after[after.length - 1]!;
    assert.ok(lat.header.isLogAppendTime);
    assert.equal(lat.header.maxTimestamp, clock.now + 7);
    assert.equal(lat.records[0]!.timestamp, clock.now + 7);
  } finally {
    await compacted.cleanup();
  }
});

test("the last batch of an active producer stays, emptied, with its producer fields; other emptied batches go", async () => {
  const compacted = await openCompactedLog({ segmentBytes: 1 << 20 });
  try {
    const { log, clock } = compacted;
    const producerId = 4242;
    let sequence = 0;
    let lastOfProducer = { firstOffset: -1, lastOffset: -1 };
    for (let i = 0; i < 3; i++) {
      lastOfProducer = await appendRecords(log, [{ key: `p${i}`, value: 'idempotent' }, { key: `q${i}`, value: 'idempotent' }], {
        now: clock.now,
        producerId,
        producerEpoch: 2,
        baseSequence: sequence,
      });
      sequence += 2;
    }
    const plain = await appendRecords(log, [{ key: 'z', value: 'plain-1' }], { now: clock.now });
    // Everything above is overwritten.
    await appendRecords(log, [0, 1, 2].flatMap((i) => [{ key: `p${i}`, value: 'new' }, { key: `q${i}`, value: 'new' }]).concat([{ key: 'z', value: 'plain-2' }]), { now: clock.now });
    await appendRecords(log, [{ key: 'end', value: 'x' }], { now: clock.now });
    await rollAndFlush(log);

    assert.equal(await cleanerFor(compacted).cleanFilthiestLog(), true);
    const batches = await readBatches(log);
    const producerBatches = batches.filter((batch) => batch.header.producerId === producerId);
    assert.equal(producerBatches.length, 1, 'only the producer\'s last batch stays');
    const kept = producerBatches[0]!.header;
    assert.equal(kept.recordsCount, 0);
    assert.equal(kept.baseOffset, lastOfProducer.firstOffset);
    assert.equal(kept.lastOffset, lastOfProducer.lastOffset);
    assert.equal(kept.producerEpoch, 2);
    assert.equal(kept.baseSequence, 4);
    assert.equal(kept.lastSequence, 5);
    assert.ok(!batches.some((batch) => batch.header.baseOffset === plain.firstOffset), 'an emptied batch without producer goes');
    // The log reopens and the producer state still knows the producer's last sequence.
    const reopened = await compacted.reopen();
    assert.equal(reopened.producerStateManager.lastEntry(producerId)?.lastSeq, 5);
  } finally {
    await compacted.cleanup();
  }
});

test('a full offset map cleans up to where it reached; the next rounds go on from the checkpoint', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 1024 });
  try {
    const { log, clock } = compacted;
    await appendUpdates(log, 400, 40, 8, clock.now);
    await rollAndFlush(log);
    const expected = foldLatest(await readRecords(log));
    // 12 slots x 0.9: at most 10 keys per round.
    const cleaner = cleanerFor(compacted, { dedupeBufferSize: 12 * BYTES_PER_ENTRY });
    const checkpoints: number[] = [];
    for (let round = 0; round < 100 && (await cleaner.cleanFilthiestLog()); round++) {
      checkpoints.push((await cleaner.manager.lastCleanOffset(log))!);
    }
    assert.ok(checkpoints.length > 3, `several rounds (${checkpoints.length})`);
    for (let i = 1; i < checkpoints.length; i++) assert.ok(checkpoints[i]! > checkpoints[i - 1]!, 'each round moves on');
    assert.equal(checkpoints[checkpoints.length - 1], log.activeSegment.baseOffset);
    const after = await readRecords(log);
    assert.deepEqual(foldLatest(after), expected);
    assert.equal(after.length, 40);
  } finally {
    await compacted.cleanup();
  }
});

test('min.compaction.lag.ms keeps recent segments dirty; max.compaction.lag.ms cleans below min.cleanable.dirty.ratio', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 1024, minCompactionLagMs: 60_000, minCleanableDirtyRatio: 0.99 });
  try {
    const { log, clock } = compacted;
    await appendUpdates(log, 200, 10, 10, clock.now);
    await rollAndFlush(log);
    const cleaner = cleanerFor(compacted);
    // Dirty ratio 1 > 0.99, but every segment is younger than the lag.
    assert.equal(await cleaner.cleanFilthiestLog(), false);
    clock.advance(60_001);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    assert.equal((await readRecords(log)).length, 10);

    // A little dirty data: ratio far below 0.99, so nothing, until it is older than max.compaction.lag.ms.
    log.updateConfig({ minCompactionLagMs: 0, maxCompactionLagMs: 5_000 });
    await appendRecords(log, [{ key: 'k1', value: 'late' }], { now: clock.now });
    await rollAndFlush(log);
    assert.equal(await cleaner.cleanFilthiestLog(), false);
    clock.advance(5_001);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    const records = await readRecords(log);
    assert.equal(records.length, 10);
    assert.equal(foldLatest(records).get('k1'), 'late');
  } finally {
    await compacted.cleanup();
  }
});

test('aborted transactions leave the log (their keys keep the committed value); markers go once their data is gone and the horizon passed', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 1 << 20 });
  try {
    const { log, clock } = compacted;
    await appendRecords(log, [{ key: 'a', value: 'committed-a' }, { key: 'b', value: 'committed-b' }], { now: clock.now });
    // Producer 7 writes a transaction that is aborted; producer 8 one that commits.
    await appendRecords(log, [{ key: 'a', value: 'aborted-a' }], { now: clock.now, producerId: 7, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    await appendRecords(log, [{ key: 'b', value: 'txn-b' }], { now: clock.now, producerId: 8, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    const abort = log.append(buildEndTransactionMarkerBatch({ type: ControlRecordType.ABORT, producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, timestamp: clock.now }), {
      leaderEpoch: 3,
      origin: 'coordinator',
    });
    await abort.written;
    const commit = log.append(buildEndTransactionMarkerBatch({ type: ControlRecordType.COMMIT, producerId: 8, producerEpoch: 0, coordinatorEpoch: 0, timestamp: clock.now }), {
      leaderEpoch: 3,
      origin: 'coordinator',
    });
    await commit.written;
    await appendRecords(log, [{ key: 'c', value: 'c' }], { now: clock.now });
    await rollAndFlush(log);
    const cleaner = cleanerFor(compacted);
    const markers = async () => (await readBatches(log)).filter((batch) => batch.header.isControl).map((batch) => batch.header.baseOffset);

    assert.equal(await cleaner.cleanFilthiestLog(), true);
    let records = await readRecords(log);
    assert.deepEqual(Object.fromEntries(foldLatest(records)), { a: 'committed-a', b: 'txn-b', c: 'c' });
    assert.ok(!records.some((record) => record.value === 'aborted-a'), 'the aborted record is gone');
    assert.ok(!records.some((record) => record.value === 'committed-b'), 'the committed transaction supersedes the older value');
    // The ABORT marker stays while this round still removed its data; the COMMIT marker's data is still there.
    assert.deepEqual(await markers(), [abort.firstOffset, commit.firstOffset]);

    // While its producer is active, a transaction's last batch stays (emptied), and so does its marker.
    await appendRecords(log, [{ key: 'b', value: 'plain-b' }], { now: clock.now });
    await rollAndFlush(log);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    assert.deepEqual(await markers(), [abort.firstOffset, commit.firstOffset]);
    const emptied = (await readBatches(log)).filter((batch) => batch.header.isTransactional && !batch.header.isControl);
    assert.deepEqual(emptied.map((batch) => [batch.header.producerId, batch.header.recordsCount]), [[7, 0], [8, 0]]);

    // Producers expire; then a round drops their emptied batches, the next stamps the markers
    // with a delete horizon, and one after the horizon removes them.
    log.producerStateManager.producerIdExpirationMs = 1000;
    clock.advance(2000);
    log.producerStateManager.removeExpiredProducers(clock.now);
    const nextRound = async (key: string) => {
      await appendRecords(log, [{ key, value: key }], { now: clock.now });
      await rollAndFlush(log);
      assert.equal(await cleaner.cleanFilthiestLog(), true);
    };
    await nextRound('d');
    assert.deepEqual((await readBatches(log)).filter((batch) => batch.header.isTransactional && !batch.header.isControl), []);
    assert.deepEqual(await markers(), [abort.firstOffset, commit.firstOffset]);
    await nextRound('e');
    const stamped = (await readBatches(log)).filter((batch) => batch.header.isControl);
    assert.ok(stamped.every((batch) => (batch.header.attributes & DELETE_HORIZON_FLAG_MASK) !== 0 && batch.header.baseTimestamp === clock.now + 1000));
    clock.advance(1001);
    await nextRound('f');
    assert.deepEqual(await markers(), []);
    records = await readRecords(log);
    assert.deepEqual(Object.fromEntries(foldLatest(records)), { a: 'committed-a', b: 'plain-b', c: 'c', d: 'd', e: 'e', f: 'f' });
  } finally {
    await compacted.cleanup();
  }
});

test('groupSegmentsBySize: log bytes within segment.bytes, index bytes within segment.index.bytes, offsets within int32', () => {
  const segment = (baseOffset: number, size: number, offsetIndexBytes = 8, timeIndexBytes = 12) => ({ baseOffset, size, offsetIndexBytes, timeIndexBytes });
  const base = (groups: { baseOffset: number }[][]) => groups.map((group) => group.map((entry) => entry.baseOffset));
  assert.deepEqual(base(groupSegmentsBySize([segment(0, 400), segment(10, 400), segment(20, 300), segment(30, 100)], 1000, 1000, 40)), [[0, 10], [20, 30]]);
  assert.deepEqual(base(groupSegmentsBySize([segment(0, 100, 8, 1), segment(10, 100, 8, 1), segment(20, 100, 8, 1)], 1000, 20, 40)), [[0, 10], [20]], 'offset index bytes');
  assert.deepEqual(base(groupSegmentsBySize([segment(0, 100, 1, 12), segment(10, 100, 1, 12)], 1000, 20, 40)), [[0], [10]], 'time index bytes');
  assert.deepEqual(base(groupSegmentsBySize([segment(0, 0), segment(10, 0), segment(20, 0)], 0, 1000, 40)), [[0, 10, 20]], 'empty segments always fit');
  const int32 = 2 ** 31 - 1;
  assert.deepEqual(base(groupSegmentsBySize([segment(0, 10), segment(int32 - 5, 10), segment(int32 + 10, 10)], 1000, 1000, int32 + 20)), [[0], [int32 - 5, int32 + 10]]);
  assert.deepEqual(groupSegmentsBySize([], 1000, 1000, 0), []);
});

test('a checkpointed offset is answered only once the file holds it; a failed write keeps the old one', async () => {
  const fileSystem = new InstrumentedFileSystem();
  const compacted = await openCompactedLog({ segmentBytes: 1024 }, { fileSystem });
  try {
    const { log } = compacted;
    const cleaner = cleanerFor(compacted, {}, { fileSystem });
    const isCheckpoint = (from: unknown) => String(from).endsWith(`${CLEANER_OFFSET_CHECKPOINT_FILE}.tmp`);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fileSystem.hooks.rename = async (from) => {
      if (isCheckpoint(from)) await held;
    };
    const writing = cleaner.manager.updateCheckpoint(log, 7);
    await delay(20);
    assert.equal(await cleaner.manager.lastCleanOffset(log), undefined, 'not yet in the file');
    release();
    await writing;
    assert.equal(await cleaner.manager.lastCleanOffset(log), 7);

    fileSystem.hooks.rename = (from) => {
      if (isCheckpoint(from)) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
    };
    await cleaner.manager.updateCheckpoint(log, 9);
    assert.equal(await cleaner.manager.lastCleanOffset(log), 7);
    assert.match(readFileSync(join(compacted.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8'), /^0\n1\ncompacted 0 7\n$/);
  } finally {
    await compacted.cleanup();
  }
});

test('records of another topic directory do not leak into the checkpoint; a checkpoint below the log start is reset', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 1024 });
  try {
    const { log, clock } = compacted;
    await appendUpdates(log, 100, 10, 10, clock.now);
    await rollAndFlush(log);
    const cleaner = cleanerFor(compacted);
    await cleaner.manager.updateCheckpoint(log, -5);
    assert.equal(await cleaner.manager.lastCleanOffset(log), -5);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
    assert.equal(await cleaner.manager.lastCleanOffset(log), log.activeSegment.baseOffset);
    assert.ok(readFileSync(join(compacted.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8').includes(`compacted 0 `));
    assert.equal(TOPIC_DIR, 'compacted-0');
  } finally {
    await compacted.cleanup();
  }
});
