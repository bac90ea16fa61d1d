import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PartitionLog, type PartitionLogOptions } from '../../src/storage/partition-log.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { TailCache, TailCacheBudget } from '../../src/storage/tail-cache.js';
import { batchOffsets, InstrumentedFileSystem, makeBatch, temporaryDirectory } from './helpers.js';

async function withLog(
  config: Partial<LogConfig>,
  body: (log: PartitionLog, fileSystem: InstrumentedFileSystem) => Promise<void>,
  options: PartitionLogOptions = {},
): Promise<void> {
  const dir = temporaryDirectory();
  const fileSystem = new InstrumentedFileSystem();
  const log = await PartitionLog.open(join(dir.path, 'topic-0'), config, { fileSystem, tailCacheBudget: new TailCacheBudget(), ...options });
  try {
    await body(log, fileSystem);
  } finally {
    await log.close().catch(() => undefined);
    dir.remove();
  }
}

/** One append of `batches` batches with 1..3 records each; resolves once written. */
async function appendBatches(log: PartitionLog, batches: number, seed: number): Promise<void> {
  const parts: Buffer[] = [];
  for (let i = 0; i < batches; i++) parts.push(makeBatch({ records: 1 + ((seed + i) % 3), valueSize: 5 + ((seed * 7 + i * 13) % 200) }));
  await log.append(Buffer.concat(parts), { leaderEpoch: 1 }).written;
}

test('a read at the tail is answered from memory, without reading the file', async () => {
  await withLog({}, async (log, fileSystem) => {
    await appendBatches(log, 2, 1);
    await appendBatches(log, 1, 2);
    const reads = fileSystem.count('read');
    const result = await log.read(0, 1 << 20);
    assert.equal(fileSystem.count('read'), reads, 'no file read');
    assert.equal(result.slices.length, 2, 'one slice per append, not joined');
    assert.equal(result.sizeInBytes, result.records.length);
    assert.equal(result.nextOffset, log.writtenEndOffset);
    assert.deepEqual(
      batchOffsets(result.records).map(([base]) => base),
      batchOffsets(Buffer.concat(result.slices as Buffer[])).map(([base]) => base),
    );
  });
});

test('the tail cache answers what a read of the file answers (which may stop earlier, at the end of its one read)', async () => {
  await withLog({ indexIntervalBytes: 300 }, async (log) => {
    for (let i = 0; i < 40; i++) await appendBatches(log, 1 + (i % 4), i);
    const end = log.writtenEndOffset;
    const segment = log.activeSegment;
    let checked = 0;
    for (let fetchOffset = 0; fetchOffset < end; fetchOffset += 1) {
      for (const maxBytes of [1, 80, 200, 700, 3000, 1 << 20]) {
        for (const upper of [end, Math.max(1, end - 5), fetchOffset + 1, fetchOffset + 7]) {
          for (const minOneBatch of [true, false]) {
            const upperOffset = Math.min(upper, end);
            if (fetchOffset >= upperOffset) continue;
            const fromCache = await log.read(fetchOffset, maxBytes, upperOffset, minOneBatch);
            const fromFile = await segment.read(fetchOffset, maxBytes, upperOffset, minOneBatch);
            assert.ok(fromFile !== null);
            const where = `fetch ${fetchOffset}, maxBytes ${maxBytes}, upper ${upperOffset}, minOneBatch ${minOneBatch}`;
            // The file read stops where its single read buffer ends; the cache only at maxBytes.
            assert.ok(fromCache.records.subarray(0, fromFile.records.length).equals(fromFile.records), where);
            assert.equal(fromCache.sizeInBytes, fromCache.records.length, where);
            assert.ok(fromCache.nextOffset >= fromFile.nextOffset, where);
            assert.equal(fromCache.firstOffset, fromFile.firstOffset, where);
            const batches = batchOffsets(fromCache.records);
            assert.ok(fromCache.sizeInBytes <= maxBytes || (minOneBatch && batches.length === 1), `${where}: over maxBytes`);
            if (batches.length > 0) assert.equal(fromCache.nextOffset, batches[batches.length - 1]![1] + 1, where);
            const full = await segment.read(fetchOffset, 1 << 24, upperOffset, minOneBatch);
            assert.ok(full!.records.subarray(0, fromCache.records.length).equals(fromCache.records), `${where}: the log's batches, in order`);
            assert.equal(fromCache.firstEntryIncomplete, fromFile.firstEntryIncomplete, where);
            assert.deepEqual(fromCache.fetchOffsetMetadata, fromFile.fetchOffsetMetadata, where);
            for (const [, lastOffset] of batchOffsets(fromCache.records)) assert.ok(lastOffset < upperOffset, `${where}: read past the upper offset`);
            checked += 1;
          }
        }
      }
    }
    assert.ok(checked > 1000);
  });
});

test('the tail cache keeps at most its per-log size; older data comes from the file', async () => {
  await withLog(
    {},
    async (log, fileSystem) => {
      for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2, valueSize: 200 }), { leaderEpoch: 1 }).written;
      const reads = fileSystem.count('read');
      const tail = await log.read(log.writtenEndOffset - 2, 1 << 20);
      assert.equal(fileSystem.count('read'), reads, 'the newest append is cached');
      assert.equal(tail.nextOffset, log.writtenEndOffset);
      const head = await log.read(0, 1 << 20);
      assert.ok(fileSystem.count('read') > reads, 'the oldest append was evicted: read from the file');
      assert.equal(head.nextOffset, log.writtenEndOffset);
    },
    { tailCacheBytes: 2000 },
  );
});

test('a roll and a truncation empty the tail cache; reads never see truncated data', async () => {
  await withLog({ segmentBytes: 2000 }, async (log, fileSystem) => {
    for (let i = 0; i < 12; i++) await log.append(makeBatch({ records: 2, valueSize: 300 }), { leaderEpoch: 1 }).written;
    assert.ok(log.logSegments.length > 1, 'rolled');
    // The active segment's appends are cached, the rolled segments' are not.
    const active = log.activeSegment.baseOffset;
    let reads = fileSystem.count('read');
    await log.read(active, 1 << 20);
    assert.equal(fileSystem.count('read'), reads);
    await log.read(0, 1 << 20);
    assert.ok(fileSystem.count('read') > reads);

    await log.truncateTo(log.writtenEndOffset - 2);
    const end = log.writtenEndOffset;
    reads = fileSystem.count('read');
    const result = await log.read(end - 2, 1 << 20);
    assert.ok(fileSystem.count('read') > reads, 'after a truncation the cache is empty');
    assert.equal(result.nextOffset, end);
    // New appends after the truncation reuse the offsets; the cache serves them, not the old bytes.
    const batch = makeBatch({ records: 2, valueSize: 300, baseTimestamp: 424242 });
    await log.append(batch, { leaderEpoch: 2 }).written;
    const fresh = await log.read(end, 1 << 20);
    assert.equal(fresh.records.readInt32BE(12), 2, 'the new leader epoch');
    assert.equal(Number(fresh.records.readBigInt64BE(27)), 424242);
  });
});

test('the budget counts each backing store once and evicts the oldest appends of any log', () => {
  const budget = new TailCacheBudget(10_000);
  const a = new TailCache(budget, 1 << 20);
  const b = new TailCache(budget, 1 << 20);
  const batch = (offset: number) => {
    const bytes = makeBatch({ records: 1, valueSize: 100 });
    bytes.writeBigInt64BE(BigInt(offset), 0);
    return bytes;
  };
  // Two slices of one 4,000-byte frame (one produce request naming both partitions) count 4,000 once.
  const frame = Buffer.alloc(4000);
  const first = batch(0);
  first.copy(frame, 0);
  first.copy(frame, 2000);
  a.add(frame.subarray(0, first.length), 0, 1, 0, 0);
  b.add(frame.subarray(2000, 2000 + first.length), 0, 1, 0, 0);
  assert.equal(budget.usedBytes, 4000);
  // New appends of a push out the oldest entries, b's too, until the stores fit.
  for (let i = 1; i <= 3; i++) {
    const own = Buffer.alloc(3000);
    batch(i).copy(own);
    a.add(own.subarray(0, first.length), i, i + 1, 0, (i - 1) * first.length + first.length);
  }
  assert.ok(budget.usedBytes <= 10_000, `${budget.usedBytes}`);
  assert.equal(b.read(0, 1 << 20, 1, true), null, 'b lost its entry');
  assert.equal(a.read(0, 1 << 20, 4, true), null, 'a lost its oldest entry');
  assert.equal(a.read(1, 1 << 20, 4, true)?.nextOffset, 4);
  a.clear();
  b.clear();
  assert.equal(budget.usedBytes, 0);
});

test('a log whose tail stays cached does not make the budget keep what other logs evicted', () => {
  const budget = new TailCacheBudget(1 << 20);
  const idle = new TailCache(budget, 1 << 20);
  const busy = new TailCache(budget, 2_000);
  const batchAt = (offset: number) => {
    const bytes = makeBatch({ records: 1, valueSize: 100 });
    bytes.writeBigInt64BE(BigInt(offset), 0);
    return bytes;
  };
  // The idle log's one append stays at the front of the budget's queue for good, while the busy
  // log appends 20,000 times and evicts its own oldest appends as it goes.
  idle.add(batchAt(0), 0, 1, 0, 0);
  let position = 0;
  for (let offset = 0; offset < 20_000; offset++) {
    const records = batchAt(offset);
    busy.add(records, offset, offset + 1, 0, position);
    position += records.length;
  }
  assert.ok(busy.sizeInBytes <= 2_000, `${busy.sizeInBytes}`);
  // Dead entries (and the bytes they pointed at) are swept: the queue stays near the live ones.
  assert.ok(budget.queuedEntries <= 2_048, `a queue of ${budget.queuedEntries} entries`);
  assert.equal(idle.read(0, 1 << 20, 1, true)?.nextOffset, 1, 'the idle log still answers from memory');
  assert.equal(busy.read(19_999, 1 << 20, 20_000, true)?.nextOffset, 20_000);
  idle.clear();
  busy.clear();
  assert.equal(budget.usedBytes, 0);
  assert.equal(budget.queuedEntries, 0);
});

test('an append larger than its log\'s share is not cached and costs the budget nothing', () => {
  const budget = new TailCacheBudget(1 << 20);
  const small = new TailCache(budget, 100);
  const other = new TailCache(budget, 1 << 20);
  const records = makeBatch({ records: 1, valueSize: 300 });
  small.add(records, 0, 1, 0, 0);
  assert.equal(small.sizeInBytes, 0);
  assert.equal(budget.usedBytes, 0, 'never counted, so never subtracted');
  const kept = makeBatch({ records: 1, valueSize: 10 });
  other.add(kept, 0, 1, 0, 0);
  assert.equal(budget.usedBytes, kept.buffer.byteLength);
  other.clear();
  assert.equal(budget.usedBytes, 0);
});

test('an append that does not follow the cached ones starts the cache over', () => {
  const budget = new TailCacheBudget(1 << 20);
  const cache = new TailCache(budget, 1 << 20);
  const one = makeBatch({ records: 1 });
  cache.add(one, 0, 1, 0, 0);
  cache.add(Buffer.from(one), 5, 6, 0, one.length);
  assert.equal(cache.firstOffset, 5);
  assert.equal(cache.sizeInBytes, one.length);
  cache.clear();
  assert.equal(budget.usedBytes, 0);
});
