import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { MAX_POOLED_BYTES, MIN_POOLED_BYTES, ReadBufferPool, ReadBuffers, sizeClassOf } from '../../src/storage/read-buffer-pool.js';
import { TailCacheBudget } from '../../src/storage/tail-cache.js';
import { makeBatch, temporaryDirectory } from './helpers.js';

test('size classes: 2^k and 1.5 x 2^k, never below the length asked for', () => {
  assert.equal(sizeClassOf(1), MIN_POOLED_BYTES);
  assert.equal(sizeClassOf(MIN_POOLED_BYTES), MIN_POOLED_BYTES);
  assert.equal(sizeClassOf(MIN_POOLED_BYTES + 1), MIN_POOLED_BYTES * 1.5);
  assert.equal(sizeClassOf(1024 * 1024 + 4096), 1.5 * 1024 * 1024);
  for (let length = 1000; length < 20_000_000; length = Math.ceil(length * 1.07)) {
    const size = sizeClassOf(length);
    assert.ok(size >= length && (length <= MIN_POOLED_BYTES || size < length * 1.5 + 1), `${length} -> ${size}`);
  }
});

test('buffers are reused once released, and only then; the free list is bounded', () => {
  const pool = new ReadBufferPool(4 * 1024 * 1024);
  const first = new ReadBuffers(pool);
  const a = first.allocate(100_000);
  const b = first.allocate(100_000);
  assert.equal(a.length, 100_000);
  assert.notEqual(a.buffer, b.buffer);
  assert.equal(pool.outstanding, 2);
  const second = new ReadBuffers(pool);
  const c = second.allocate(100_000);
  assert.ok(c.buffer !== a.buffer && c.buffer !== b.buffer, 'nothing released yet: a new buffer');
  first.release();
  assert.equal(pool.outstanding, 1);
  const d = second.allocate(99_000);
  assert.ok(d.buffer === a.buffer || d.buffer === b.buffer, 'a released buffer of the same class is reused');
  second.release();
  first.release(); // twice is harmless
  assert.equal(pool.outstanding, 0);
  assert.ok(pool.freeBytes <= pool.maxFreeBytes);
  // Small and huge reads are not pooled.
  const other = new ReadBuffers(pool);
  assert.equal(other.allocate(100).length, 100);
  assert.equal(pool.outstanding, 0);
  assert.equal(other.allocate(MAX_POOLED_BYTES + 1).length, MAX_POOLED_BYTES + 1);
  assert.equal(pool.outstanding, 0);
  // The free list keeps at most maxFreeBytes.
  const many = new ReadBuffers(pool);
  for (let i = 0; i < 10; i++) many.allocate(1024 * 1024);
  many.release();
  assert.ok(pool.freeBytes <= 4 * 1024 * 1024, `${pool.freeBytes}`);
});

test('log reads with a lease return the log bytes in pooled buffers, again after reuse', async () => {
  const dir = temporaryDirectory();
  // No tail cache: every read goes to the file.
  const log = await PartitionLog.open(join(dir.path, 't-0'), {}, { tailCacheBytes: 0, tailCacheBudget: new TailCacheBudget() });
  try {
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 5, valueSize: 1000 + i }), { leaderEpoch: 0 }).written;
    const plain = await log.read(0, 1 << 20);
    const pool = new ReadBufferPool();
    const seen = new Set<ArrayBufferLike>();
    let readsPerRound = 0;
    for (let round = 0; round < 3; round++) {
      const lease = new ReadBuffers(pool);
      for (let offset = 0; offset < log.writtenEndOffset; ) {
        const part = await log.read(offset, 30_000, log.writtenEndOffset, true, lease);
        const expected = plain.records.subarray(part.fetchOffsetMetadata.relativePositionInSegment, part.fetchOffsetMetadata.relativePositionInSegment + part.sizeInBytes);
        assert.ok(part.records.equals(expected), `round ${round}, offset ${offset}`);
        for (const slice of part.slices) seen.add(slice.buffer);
        offset = part.nextOffset;
        if (round === 0) readsPerRound += 1;
      }
      lease.release();
      assert.equal(pool.outstanding, 0);
    }
    assert.ok(readsPerRound > 3);
    assert.ok(seen.size <= readsPerRound, `buffers were reused across rounds (${seen.size} distinct for ${readsPerRound} reads a round)`);
  } finally {
    await log.close();
    dir.remove();
  }
});
