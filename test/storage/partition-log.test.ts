import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { KafkaStorageError, OffsetOutOfRangeError } from '../../src/storage/errors.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { buildRecordBatch } from '../../src/protocol/records/builder.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { batchCrcValid, batchOffsets, delay, InstrumentedFileSystem, makeBatch, nextTick, temporaryDirectory } from './helpers.js';

async function withLog(
  config: Partial<LogConfig>,
  body: (log: PartitionLog, dir: string) => Promise<void>,
  options: { fileSystem?: InstrumentedFileSystem; time?: () => number } = {},
): Promise<void> {
  const dir = temporaryDirectory();
  const log = await PartitionLog.open(join(dir.path, 'topic-0'), config, options);
  try {
    await body(log, join(dir.path, 'topic-0'));
  } finally {
    await log.close().catch(() => undefined);
    dir.remove();
  }
}

/** Appends `count` batches of `records` records each and waits for them; returns the appended bytes. */
async function appendBatches(log: PartitionLog, count: number, spec: Parameters<typeof makeBatch>[0] = {}): Promise<Buffer[]> {
  const appended: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const batch = makeBatch({ records: 3, baseTimestamp: 1000 + i * 10, ...spec });
    const info = log.append(batch, { leaderEpoch: 5 });
    await info.written;
    appended.push(batch);
  }
  return appended;
}

/** Reads from `from` to the written end, fetch after fetch. */
async function readAll(log: PartitionLog, from: number, maxBytes = 1 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  while (offset < log.writtenEndOffset) {
    const result = await log.read(offset, maxBytes, log.writtenEndOffset, true);
    assert.ok(result.records.length > 0, `read at ${offset} returned nothing`);
    parts.push(result.records);
    offset = result.nextOffset;
  }
  return Buffer.concat(parts);
}

function segmentFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort();
}

test('append assigns offsets, patches headers and reads back across segment rolls', async () => {
  await withLog({ segmentBytes: 1024, indexIntervalBytes: 100 }, async (log, dir) => {
    const first = log.append(makeBatch({ records: 3 }), { leaderEpoch: 7 });
    assert.equal(first.firstOffset, 0);
    assert.equal(first.lastOffset, 2);
    assert.equal(log.logEndOffset, 3);
    await first.written;
    const appended = [makeBatch({ records: 3 }), ...(await appendBatches(log, 49))];
    assert.equal(log.logEndOffset, 150);
    assert.equal(log.writtenEndOffset, 150);
    assert.ok(log.logSegments.length > 5, `expected several segments, got ${log.logSegments.length}`);
    const logs = segmentFiles(dir, '.log');
    assert.equal(logs.length, log.logSegments.length);
    assert.ok(logs.every((name) => /^\d{20}\.log$/.test(name)));
    assert.equal(logs[0], '00000000000000000000.log');
    for (const segment of log.logSegments) assert.ok(segment.size <= 1024);

    const all = await readAll(log, 0);
    const offsets = batchOffsets(all);
    assert.equal(offsets.length, 50);
    offsets.forEach(([base, last], i) => {
      assert.equal(base, i * 3);
      assert.equal(last, i * 3 + 2);
    });
    // Stored bytes are the appended bytes, patched: baseOffset and partitionLeaderEpoch only.
    let at = 0;
    for (let i = 0; i < 50; i++) {
      const size = all.readInt32BE(at + 8) + 12;
      const stored = all.subarray(at, at + size);
      assert.equal(stored.readInt32BE(12), i === 0 ? 7 : 5);
      assert.ok(batchCrcValid(stored));
      if (i > 0) assert.ok(stored.subarray(16).equals(appended[i]!.subarray(16)));
      at += size;
    }

    // Every offset, including ones inside a batch, finds the batch that holds it.
    for (let offset = 0; offset < 150; offset += 1) {
      const result = await log.read(offset, 200, 150, true);
      const [[base, last]] = batchOffsets(result.records) as [[number, number]];
      assert.ok(base <= offset && offset <= last, `offset ${offset} read batch ${base}..${last}`);
      assert.equal(result.firstOffset, base);
    }
  });
});

test('a new log syncs only its directory: its zero checkpoints need no files; a crash after appends recovers from 0', async () => {
  const fileSystem = new InstrumentedFileSystem();
  const dir = temporaryDirectory();
  const directory = join(dir.path, 'topic-0');
  try {
    const log = await PartitionLog.open(directory, {}, { fileSystem });
    assert.equal(fileSystem.count('fdatasync'), 0);
    assert.equal(fileSystem.count('syncDirectory'), 1);
    assert.deepEqual(readdirSync(directory), ['00000000000000000000.log']);
    await appendBatches(log, 3);
    // No close: what a crash leaves. Without a recovery-point file the reopened log recovers from 0.
    const reopened = await PartitionLog.open(directory);
    assert.ok(log.logEndOffset > 0);
    assert.equal(reopened.logEndOffset, log.logEndOffset);
    assert.equal(reopened.recoveryPoint, log.logEndOffset);
    await reopened.close();
    await log.close().catch(() => undefined);
  } finally {
    dir.remove();
  }
});

test('the offset index is sparse: one entry per index.interval.bytes', async () => {
  await withLog({ indexIntervalBytes: 1000 }, async (log, dir) => {
    await appendBatches(log, 100);
    const segment = log.activeSegment;
    const batchSize = makeBatch({ records: 3 }).length;
    const expected = Math.floor((segment.size - batchSize) / (batchSize * Math.ceil(1001 / batchSize)));
    assert.ok(segment.offsetIndex.entries >= expected - 1 && segment.offsetIndex.entries <= expected + 1, `entries ${segment.offsetIndex.entries}, expected ~${expected}`);
    // Each entry points at the batch whose last offset it names.
    for (let i = 0; i < segment.offsetIndex.entries; i++) {
      const entry = segment.offsetIndex.entry(i);
      const result = await log.read(entry.offset, 1, log.writtenEndOffset, true);
      assert.equal(result.fetchOffsetMetadata.relativePositionInSegment, entry.position);
      assert.equal(batchOffsets(result.records)[0]![1], entry.offset);
    }
    await log.close();
    const index = readFileSync(join(dir, '00000000000000000000.index'));
    assert.equal(index.length, segment.offsetIndex.entries * 8);
    const timeIndex = readFileSync(join(dir, '00000000000000000000.timeindex'));
    assert.equal(timeIndex.length % 12, 0);
    assert.ok(timeIndex.length > 0);
    // The last time index entry of a closed segment is its largest timestamp.
    assert.equal(Number(timeIndex.readBigInt64BE(timeIndex.length - 12)), 1000 + 99 * 10 + 2);
  });
});

test('maxBytes smaller than a batch: one whole batch with minOneBatch, nothing without', async () => {
  await withLog({}, async (log) => {
    await appendBatches(log, 3, { records: 5, valueSize: 100 });
    const batchSize = makeBatch({ records: 5, valueSize: 100 }).length;
    const one = await log.read(5, 10, log.writtenEndOffset, true);
    assert.equal(one.records.length, batchSize);
    assert.deepEqual(batchOffsets(one.records), [[5, 9]]);
    assert.equal(one.nextOffset, 10);
    const none = await log.read(5, 10, log.writtenEndOffset, false);
    assert.equal(none.records.length, 0);
    assert.equal(none.firstEntryIncomplete, true);
    // Two and a half batches' worth returns two whole batches.
    const two = await log.read(0, Math.floor(batchSize * 2.5), log.writtenEndOffset, true);
    assert.deepEqual(batchOffsets(two.records), [
      [0, 4],
      [5, 9],
    ]);
  });
});

test('reads never pass maxOffset or the written end', async () => {
  await withLog({}, async (log) => {
    await appendBatches(log, 4);
    const bounded = await log.read(0, 1 << 20, 6, true);
    assert.deepEqual(batchOffsets(bounded.records), [
      [0, 2],
      [3, 5],
    ]);
    assert.equal(bounded.nextOffset, 6);
    // A bound inside a batch excludes that batch.
    const inside = await log.read(0, 1 << 20, 7, true);
    assert.deepEqual(batchOffsets(inside.records), [
      [0, 2],
      [3, 5],
    ]);
    const atBound = await log.read(6, 1 << 20, 6, true);
    assert.equal(atBound.records.length, 0);

    // Appended but not yet written: invisible until the writer has handed the bytes to the OS.
    const info = log.append(makeBatch({ records: 2 }), { leaderEpoch: 0 });
    assert.equal(log.logEndOffset, 14);
    assert.equal(log.writtenEndOffset, 12);
    const before = await log.read(12, 1 << 20, Number.MAX_SAFE_INTEGER, true);
    assert.equal(before.records.length, 0);
    await info.written;
    const after = await log.read(12, 1 << 20, Number.MAX_SAFE_INTEGER, true);
    assert.deepEqual(batchOffsets(after.records), [[12, 13]]);
  });
});

test('fetch offsets outside [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE', async () => {
  await withLog({}, async (log) => {
    await appendBatches(log, 2);
    await assert.rejects(log.read(7, 100, 100, true), OffsetOutOfRangeError);
    await assert.rejects(log.read(-1, 100, 100, true), OffsetOutOfRangeError);
    const atEnd = await log.read(6, 100, 100, true);
    assert.equal(atEnd.records.length, 0);
    assert.equal(atEnd.fetchOffsetMetadata.relativePositionInSegment, log.activeSegment.size);
  });
});

test('the written-end listener fires as bytes reach the OS', async () => {
  await withLog({}, async (log) => {
    const seen: number[] = [];
    const remove = log.onWrittenEndOffsetAdvanced((offset) => seen.push(offset));
    await appendBatches(log, 2);
    remove();
    await appendBatches(log, 1);
    assert.deepEqual(seen, [3, 6]);
  });
});

test('offsetForTimestamp finds the first batch whose maxTimestamp reaches the target', async () => {
  await withLog({ segmentBytes: 600, indexIntervalBytes: 50 }, async (log) => {
    // Batch i covers timestamps 1000*i .. 1000*i + 2 (records 3, step 1).
    for (let i = 1; i <= 30; i++) await log.append(makeBatch({ records: 3, baseTimestamp: 1000 * i }), { leaderEpoch: 0 }).written;
    assert.ok(log.logSegments.length > 3);
    const exact = await log.offsetForTimestamp(5002);
    assert.deepEqual(exact, { baseOffset: 12, lastOffset: 14, maxTimestamp: 5002 });
    const between = await log.offsetForTimestamp(5003);
    assert.deepEqual(between, { baseOffset: 15, lastOffset: 17, maxTimestamp: 6002 });
    const earliest = await log.offsetForTimestamp(0);
    assert.equal(earliest?.baseOffset, 0);
    for (let i = 1; i <= 30; i++) {
      const found = await log.offsetForTimestamp(1000 * i + 1);
      assert.equal(found?.baseOffset, (i - 1) * 3, `timestamp ${1000 * i + 1}`);
    }
    assert.equal(await log.offsetForTimestamp(30003), null);
  });
});

test('maxTimestampBatch finds the batch with the largest timestamp, across segments and reopen', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    let log = await PartitionLog.open(path, { segmentBytes: 400 });
    const timestamps = [5000, 9000, 3000, 9500, 2000, 9500, 100, 7000];
    for (const timestamp of timestamps) await log.append(makeBatch({ records: 2, baseTimestamp: timestamp, timestampStep: 0 }), { leaderEpoch: 0 }).written;
    assert.deepEqual(await log.maxTimestampBatch(), { baseOffset: 6, lastOffset: 7, maxTimestamp: 9500 });
    await log.close();
    log = await PartitionLog.open(path, { segmentBytes: 400 });
    assert.deepEqual(await log.maxTimestampBatch(), { baseOffset: 6, lastOffset: 7, maxTimestamp: 9500 });
    await log.close();
  } finally {
    dir.remove();
  }
});

test('LogAppendTime stamps maxTimestamp and the timestamp type, and keeps the CRC valid', async () => {
  await withLog({ messageTimestampType: 'LogAppendTime' }, async (log) => {
    const info = log.append(makeBatch({ records: 4, baseTimestamp: 1 }), { leaderEpoch: 0, now: 1_700_000_000_123 });
    assert.equal(info.logAppendTime, 1_700_000_000_123);
    assert.equal(info.maxTimestamp, 1_700_000_000_123);
    await info.written;
    const result = await log.read(0, 1 << 20, 100, true);
    const batch = result.records;
    assert.equal(Number(batch.readBigInt64BE(35)), 1_700_000_000_123);
    assert.equal(batch.readInt16BE(21) & 0x08, 0x08);
    assert.ok(batchCrcValid(batch));
  });
});

test('segment.ms rolls a segment whose first batch is too old', async () => {
  await withLog({ segmentMs: 1000 }, async (log) => {
    await log.append(makeBatch({ baseTimestamp: 10_000 }), { leaderEpoch: 0 }).written;
    await log.append(makeBatch({ baseTimestamp: 10_900 }), { leaderEpoch: 0 }).written;
    assert.equal(log.logSegments.length, 1);
    await log.append(makeBatch({ baseTimestamp: 11_001 }), { leaderEpoch: 0 }).written;
    assert.equal(log.logSegments.length, 2);
    assert.equal(log.activeSegment.baseOffset, 2);
  });
});

test('append rejects bytes that are not whole v2 batches, leaving the log unchanged', async () => {
  await withLog({}, async (log) => {
    await appendBatches(log, 1);
    const batch = makeBatch({ records: 2 });
    assert.throws(() => log.append(batch.subarray(0, batch.length - 1), { leaderEpoch: 0 }), /batchLength/);
    const badMagic = Buffer.from(batch);
    badMagic.writeInt8(1, 16);
    assert.throws(() => log.append(Buffer.concat([makeBatch(), badMagic]), { leaderEpoch: 0 }), /magic/);
    assert.throws(() => log.append(Buffer.alloc(0), { leaderEpoch: 0 }), /No record batch/);
    assert.equal(log.logEndOffset, 3);
    const info = log.append(Buffer.concat([makeBatch({ records: 2 }), makeBatch({ records: 4 })]), { leaderEpoch: 0 });
    assert.deepEqual(
      info.batches.map((b) => [b.baseOffset, b.lastOffset]),
      [
        [3, 4],
        [5, 8],
      ],
    );
    await info.written;
  });
});

test('a clean close and reopen keeps everything and skips recovery', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    let log = await PartitionLog.open(path, { segmentBytes: 2000, indexIntervalBytes: 200 });
    await appendBatches(log, 60);
    const before = await readAll(log, 0);
    const segments = log.logSegments.map((s) => [s.baseOffset, s.size]);
    await log.close();
    assert.ok(existsSync(join(path, '.kafka_cleanshutdown')));
    assert.equal(readFileSync(join(path, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\n180\n');
    assert.equal(readFileSync(join(path, 'log-start-offset-checkpoint'), 'utf8'), '0\n1\n0\n');

    const fileSystem = new InstrumentedFileSystem();
    log = await PartitionLog.open(path, { segmentBytes: 2000, indexIntervalBytes: 200 }, { fileSystem });
    assert.ok(!existsSync(join(path, '.kafka_cleanshutdown')), 'the marker goes as soon as the log opens');
    assert.equal(log.logEndOffset, 180);
    assert.equal(log.recoveryPoint, 180);
    assert.deepEqual(
      log.logSegments.map((s) => [s.baseOffset, s.size]),
      segments,
    );
    // No recovery scan: only a few small reads (the tail of the active segment).
    assert.ok(fileSystem.count('read') <= 3, `reads at open: ${fileSystem.count('read')}`);
    assert.ok(before.equals(await readAll(log, 0)));
    const info = log.append(makeBatch({ records: 3 }), { leaderEpoch: 1 });
    assert.equal(info.firstOffset, 180);
    await info.written;
    await log.close();
  } finally {
    dir.remove();
  }
});

test('recovery: a torn last batch is cut and appends continue at the right offset', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const crashed = await PartitionLog.open(path, { segmentBytes: 1500 });
    await appendBatches(crashed, 30);
    // The recovery point reaches the active segment; background work ends before the "crash".
    await crashed.flush();
    await delay(20);
    // Crash: no close(). Tear the last batch in half as a power loss mid-write would.
    const active = crashed.activeSegment;
    const logFile = join(path, segmentFiles(path, '.log').at(-1)!);
    const lastBatch = makeBatch({ records: 3 }).length;
    truncateSync(logFile, active.size - Math.floor(lastBatch / 2));

    const fileSystem = new InstrumentedFileSystem();
    const opened: string[] = [];
    fileSystem.hooks.open = (file) => {
      if (String(file).endsWith('.log')) opened.push(String(file));
    };
    const log = await PartitionLog.open(path, { segmentBytes: 1500 }, { fileSystem });
    // Only the segment holding the recovery point (the active one) was scanned.
    assert.deepEqual(opened, [logFile]);
    assert.equal(log.logEndOffset, 87);
    assert.equal(statSync(logFile).size, active.size - lastBatch);
    const all = batchOffsets(await readAll(log, 0));
    assert.equal(all.length, 29);
    assert.deepEqual(all.at(-1), [84, 86]);
    const info = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    assert.equal(info.firstOffset, 87);
    await info.written;
    assert.deepEqual(batchOffsets((await log.read(87, 1000, 100, true)).records), [[87, 89]]);
    await log.close();
  } finally {
    dir.remove();
  }
});

test('recovery: a corrupt byte in the last batch fails its CRC and is cut there', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const crashed = await PartitionLog.open(path, {});
    await appendBatches(crashed, 5);
    const logFile = join(path, '00000000000000000000.log');
    const bytes = readFileSync(logFile);
    const lastBatch = makeBatch({ records: 3 }).length;
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(logFile, bytes);

    const log = await PartitionLog.open(path, {});
    assert.equal(log.logEndOffset, 12);
    assert.equal(statSync(logFile).size, bytes.length - lastBatch);
    await log.close();
  } finally {
    dir.remove();
  }
});

test('recovery: corruption in an older segment after the recovery point drops every later segment', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const crashed = await PartitionLog.open(path, { segmentBytes: 600 });
    await appendBatches(crashed, 20);
    // Let background work (segment finishes move the recovery point) end before the "crash",
    // so that it cannot rewrite the checkpoint removed below.
    await crashed.flush();
    await delay(20);
    const names = segmentFiles(path, '.log');
    assert.ok(names.length >= 4);
    // Forget the recovery point so that recovery scans from the first segment.
    unlinkSync(join(path, 'recovery-point-offset-checkpoint'));
    const secondFile = join(path, names[1]!);
    const bytes = readFileSync(secondFile);
    const batchSize = makeBatch({ records: 3 }).length;
    bytes[batchSize + 70] ^= 0x01; // inside the second batch of the second segment
    writeFileSync(secondFile, bytes);

    const log = await PartitionLog.open(path, { segmentBytes: 600 });
    assert.equal(log.logSegments.length, 2);
    const secondBase = Number(names[1]!.slice(0, 20));
    assert.equal(log.logEndOffset, secondBase + 3);
    assert.deepEqual(segmentFiles(path, '.log'), names.slice(0, 2));
    assert.equal(log.activeSegment.baseOffset, secondBase);
    const info = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    assert.equal(info.firstOffset, secondBase + 3);
    await info.written;
    await log.close();
  } finally {
    dir.remove();
  }
});

test('missing or damaged index files are rebuilt from the log', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const config = { segmentBytes: 3000, indexIntervalBytes: 150 };
    let log = await PartitionLog.open(path, config);
    await appendBatches(log, 80);
    const before = await readAll(log, 0);
    await log.close();
    const indexes = segmentFiles(path, '.index');
    const originals = indexes.map((name) => readFileSync(join(path, name)));
    const timeIndexes = segmentFiles(path, '.timeindex');
    const timeOriginals = timeIndexes.map((name) => readFileSync(join(path, name)));
    assert.ok(indexes.length >= 3);
    for (const name of indexes) unlinkSync(join(path, name));
    // And one time index that fails the sanity check (a partial entry).
    writeFileSync(join(path, timeIndexes[0]!), Buffer.concat([timeOriginals[0]!, Buffer.alloc(5)]));

    log = await PartitionLog.open(path, config);
    assert.ok(before.equals(await readAll(log, 0)));
    for (let offset = 0; offset < log.logEndOffset; offset += 7) {
      const [[base, last]] = batchOffsets((await log.read(offset, 1, log.logEndOffset, true)).records) as [[number, number]];
      assert.ok(base <= offset && offset <= last);
    }
    await log.close();
    indexes.forEach((name, i) => assert.ok(readFileSync(join(path, name)).equals(originals[i]!), `${name} rebuilt identically`));
    assert.ok(readFileSync(join(path, timeIndexes[0]!)).equals(timeOriginals[0]!));
  } finally {
    dir.remove();
  }
});

test('group commit: concurrent appends with flushMessages=1 share fdatasyncs', async () => {
  const fileSystem = new InstrumentedFileSystem();
  await withLog(
    { flushMessages: 1 },
    async (log) => {
      // A slow disk makes appends pile up behind the write and the fdatasync in flight (slow
      // enough that this does not depend on how fast this machine's real writes are).
      fileSystem.hooks.fdatasync = () => delay(5);
      fileSystem.hooks.writev = () => delay(3);
      const syncsBefore = fileSystem.count('fdatasync');
      const writesBefore = fileSystem.count('writev');
      const appends = [];
      const n = 40;
      for (let i = 0; i < n; i++) {
        appends.push(log.append(makeBatch({ records: 1 }), { leaderEpoch: 0 }).written);
        await nextTick();
      }
      await Promise.all(appends);
      const syncs = fileSystem.count('fdatasync') - syncsBefore;
      const writes = fileSystem.count('writev') - writesBefore;
      assert.ok(syncs < n / 2, `${syncs} fdatasyncs for ${n} appends`);
      assert.ok(writes < n, `${writes} writevs for ${n} appends`);
      assert.equal(log.recoveryPoint, n);

      // Appends made in one synchronous run go out in a single writev and one fdatasync.
      const writesBeforeBurst = fileSystem.count('writev');
      const syncsBeforeBurst = fileSystem.count('fdatasync');
      const burst = Array.from({ length: 10 }, () => log.append(makeBatch({ records: 2 }), { leaderEpoch: 0 }).written);
      await Promise.all(burst);
      assert.equal(fileSystem.count('writev') - writesBeforeBurst, 1);
      assert.equal(fileSystem.count('fdatasync') - syncsBeforeBurst, 1);
    },
    { fileSystem },
  );
});

test('without flushMessages an append does not wait for fdatasync', async () => {
  const fileSystem = new InstrumentedFileSystem();
  await withLog(
    {},
    async (log) => {
      const before = fileSystem.count('fdatasync');
      await appendBatches(log, 10);
      assert.equal(fileSystem.count('fdatasync') - before, 0);
      await log.flush();
      assert.equal(fileSystem.count('fdatasync') - before, 2, 'the log and the recovery point checkpoint');
      assert.equal(log.recoveryPoint, 30);
    },
    { fileSystem },
  );
});

test('a failed write rejects its appends and those queued after it; the log stays consistent', async () => {
  const fileSystem = new InstrumentedFileSystem();
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const log = await PartitionLog.open(path, {}, { fileSystem });
    await appendBatches(log, 2);
    let fail = true;
    fileSystem.hooks.writev = () => {
      if (fail) {
        fail = false;
        throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
      }
    };
    const a = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    const b = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    assert.equal(a.firstOffset, 6);
    assert.equal(b.firstOffset, 9);
    await assert.rejects(a.written, KafkaStorageError);
    await assert.rejects(b.written, KafkaStorageError);
    assert.equal(log.logEndOffset, 6);
    assert.equal(log.writtenEndOffset, 6);
    // The offsets are given back: the next append reuses them.
    const c = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    assert.equal(c.firstOffset, 6);
    await c.written;

    // A torn write: part of the bytes reach the file before the error; they are cut again.
    fileSystem.tornWriteBytes = 40;
    const d = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    await assert.rejects(d.written, KafkaStorageError);
    await nextTick();
    await nextTick();
    const e = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    assert.equal(e.firstOffset, 9);
    await e.written;
    assert.deepEqual(batchOffsets(await readAll(log, 0)), [
      [0, 2],
      [3, 5],
      [6, 8],
      [9, 11],
    ]);
    // And a crash now (no close) recovers exactly that.
    const reopened = await PartitionLog.open(path, {});
    assert.equal(reopened.logEndOffset, 12);
    assert.deepEqual(batchOffsets(await readAll(reopened, 0)).length, 4);
    await reopened.close();
  } finally {
    dir.remove();
  }
});

test('a failed write after a roll drops the segment rolled for the rejected appends', async () => {
  const fileSystem = new InstrumentedFileSystem();
  await withLog(
    { segmentBytes: 400 } /* two 112-byte batches plus a fit; b rolls */,
    async (log) => {
      await appendBatches(log, 2);
      assert.equal(log.logSegments.length, 1);
      let calls = 0;
      fileSystem.hooks.writev = () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      };
      const a = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 }); // still fits the first segment
      const b = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 }); // rolls
      assert.equal(log.logSegments.length, 2);
      await assert.rejects(a.written);
      await assert.rejects(b.written);
      assert.equal(log.logSegments.length, 1);
      assert.equal(log.logEndOffset, 6);
      const c = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
      assert.equal(c.firstOffset, 6);
      await c.written;
      assert.equal(batchOffsets(await readAll(log, 0)).length, 3);
    },
    { fileSystem },
  );
});

test('a failed fdatasync takes the log offline', async () => {
  const fileSystem = new InstrumentedFileSystem();
  await withLog(
    { flushMessages: 1 },
    async (log) => {
      await appendBatches(log, 1);
      fileSystem.hooks.fdatasync = () => {
        throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      };
      const a = log.append(makeBatch(), { leaderEpoch: 0 });
      await assert.rejects(a.written, KafkaStorageError);
      assert.ok(log.offlineError instanceof KafkaStorageError);
      assert.throws(() => log.append(makeBatch(), { leaderEpoch: 0 }), KafkaStorageError);
      await assert.rejects(log.flush(), KafkaStorageError);
      // Written data stays readable.
      assert.equal(batchOffsets(await readAll(log, 0)).length, 2);
    },
    { fileSystem },
  );
});

test('truncateTo removes whole batches from the target on, across segments', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const config = { segmentBytes: 600, indexIntervalBytes: 100 };
    let log = await PartitionLog.open(path, config);
    await appendBatches(log, 20);
    const segmentsBefore = log.logSegments.length;
    assert.equal(await log.truncateTo(31), true);
    // Offset 31 is inside batch 30..32, which goes whole.
    assert.equal(log.logEndOffset, 30);
    assert.ok(log.logSegments.length < segmentsBefore);
    assert.deepEqual(batchOffsets(await readAll(log, 0)).at(-1), [27, 29]);
    await assert.rejects(log.read(31, 100, 100, true), OffsetOutOfRangeError);
    const info = log.append(makeBatch({ records: 3 }), { leaderEpoch: 2 });
    assert.equal(info.firstOffset, 30);
    await info.written;
    assert.equal(await log.truncateTo(100), false);
    await log.close();
    log = await PartitionLog.open(path, config);
    assert.equal(log.logEndOffset, 33);
    assert.equal(batchOffsets(await readAll(log, 0)).length, 11);
    await log.close();
  } finally {
    dir.remove();
  }
});

test('log start offset: raised, checkpointed, segments below it deleted by the next retention pass, reads below it out of range', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const config = { segmentBytes: 500, retentionMs: -1 }; // the batches carry 1970 timestamps
    let log = await PartitionLog.open(path, config);
    await appendBatches(log, 20);
    const segments = log.logSegments.map((s) => s.baseOffset);
    assert.ok(segments.length >= 4);
    const target = segments[2]! + 1;
    assert.equal(await log.maybeIncrementLogStartOffset(target), true);
    assert.equal(log.logStartOffset, target);
    // As in Kafka, the segments below go in the next retention pass (their files as .deleted first).
    assert.equal(log.logSegments.length, segments.length);
    assert.equal(await log.deleteOldSegments(), 2);
    assert.deepEqual(
      log.logSegments.map((s) => s.baseOffset),
      segments.slice(2),
    );
    assert.equal(segmentFiles(path, '.log').length, segments.length - 2);
    await assert.rejects(log.read(target - 1, 100, 1000, true), OffsetOutOfRangeError);
    const first = await log.read(target, 100, 1000, true);
    assert.ok(first.records.length > 0);
    // offsetForTimestamp does not return batches below the log start offset.
    const found = await log.offsetForTimestamp(0);
    assert.ok(found !== null && found.lastOffset >= target);
    await log.close();
    log = await PartitionLog.open(path, config);
    assert.equal(log.logStartOffset, target);
    await log.close();
  } finally {
    dir.remove();
  }
});

test('truncateFullyAndStartAt empties the log and restarts at the given offset', async () => {
  await withLog({ segmentBytes: 500 }, async (log, dir) => {
    await appendBatches(log, 10);
    await log.truncateFullyAndStartAt(1000);
    assert.equal(log.logStartOffset, 1000);
    assert.equal(log.logEndOffset, 1000);
    assert.deepEqual(segmentFiles(dir, '.log'), ['00000000000000001000.log']);
    const info = log.append(makeBatch({ records: 3 }), { leaderEpoch: 0 });
    assert.equal(info.firstOffset, 1000);
    await info.written;
  });
});

test('follower appends keep the offsets they carry', async () => {
  await withLog({}, async (log) => {
    const info = log.append(Buffer.concat([makeBatch({ records: 2, baseOffset: 0 }), makeBatch({ records: 3, baseOffset: 5 })]), {
      leaderEpoch: 0,
      assignOffsets: false,
    });
    assert.equal(info.firstOffset, 0);
    assert.equal(info.lastOffset, 7);
    await info.written;
    assert.equal(log.logEndOffset, 8);
    assert.throws(() => log.append(makeBatch({ baseOffset: 7 }), { leaderEpoch: 0, assignOffsets: false }), /does not follow/);
    // A fetch inside the gap returns the batch after it.
    assert.deepEqual(batchOffsets((await log.read(3, 1000, 100, true)).records), [[5, 7]]);
  });
});

test('batches from the protocol builder (compressed too) are stored and served unchanged', async () => {
  await withLog({}, async (log) => {
    const plain = buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], now: 1000 });
    const gzip = buildRecordBatch({ records: [{ key: 'k', value: 'x'.repeat(500) }, { value: 'y' }, { value: 'z' }], compression: CompressionType.GZIP, now: 2000 });
    const sent = Buffer.concat([plain, gzip]);
    const info = log.append(Buffer.from(sent), { leaderEpoch: 3 });
    assert.deepEqual(
      info.batches.map((b) => [b.baseOffset, b.lastOffset]),
      [
        [0, 1],
        [2, 4],
      ],
    );
    await info.written;
    const stored = (await log.read(0, 1 << 20, 100, true)).records;
    assert.equal(stored.length, sent.length);
    // Only baseOffset and partitionLeaderEpoch differ from what the producer sent.
    assert.ok(stored.subarray(16, plain.length).equals(sent.subarray(16, plain.length)));
    assert.ok(stored.subarray(plain.length + 16).equals(sent.subarray(plain.length + 16)));
    assert.ok(batchCrcValid(stored, 0) && batchCrcValid(stored, plain.length));
  });
});

test('delete removes the partition directory', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, 't-0');
    const log = await PartitionLog.open(path, {});
    await appendBatches(log, 3);
    await log.delete();
    assert.equal(existsSync(path), false);
  } finally {
    dir.remove();
  }
});
