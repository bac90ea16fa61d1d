import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { TimeIndex } from '../../src/storage/time-index.js';
import { temporaryDirectory } from './helpers.js';

test('maybeAppend keeps only growing timestamps; lookup finds the greatest entry <= target', () => {
  const index = new TimeIndex(nodeFileSystem, '/unused', 50, 1200);
  assert.deepEqual(index.lookup(5), { timestamp: -1, offset: 50 });
  index.maybeAppend(-1, 51);
  assert.equal(index.entries, 0, 'NO_TIMESTAMP is never indexed');
  index.maybeAppend(1000, 52);
  index.maybeAppend(1000, 55);
  index.maybeAppend(900, 56);
  index.maybeAppend(2000, 60);
  assert.equal(index.entries, 2);
  assert.deepEqual(index.lookup(999), { timestamp: -1, offset: 50 });
  assert.deepEqual(index.lookup(1500), { timestamp: 1000, offset: 52 });
  assert.deepEqual(index.lookup(2000), { timestamp: 2000, offset: 60 });
  assert.throws(() => index.maybeAppend(3000, 59), /goes back/);
  index.truncateTo(60);
  assert.deepEqual(index.lastEntry, { timestamp: 1000, offset: 52 });
});

test('the last slot is reserved for the entry written on roll', () => {
  const index = new TimeIndex(nodeFileSystem, '/unused', 0, 36); // 3 entries
  index.maybeAppend(1, 1);
  index.maybeAppend(2, 2);
  assert.equal(index.isFull, true);
  index.maybeAppend(3, 3);
  assert.equal(index.entries, 2);
  index.maybeAppend(3, 3, true);
  assert.equal(index.entries, 3);
});

test('persist writes 12-byte entries; sanity check wants growing timestamps', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, '00000000000000000010.timeindex');
    const index = new TimeIndex(nodeFileSystem, path, 10, 1 << 20);
    index.maybeAppend(1_700_000_000_000, 12);
    index.maybeAppend(1_700_000_000_500, 20);
    await index.persist(true);
    const bytes = readFileSync(path);
    assert.equal(bytes.length, 24);
    assert.equal(bytes.readBigInt64BE(0), 1_700_000_000_000n);
    assert.equal(bytes.readInt32BE(8), 2);
    assert.equal(bytes.readBigInt64BE(12), 1_700_000_000_500n);
    assert.equal(bytes.readInt32BE(20), 10);
    const loaded = (await TimeIndex.load(nodeFileSystem, path, 10, 1 << 20))!;
    assert.equal(await loaded.sanityCheck(), true);
    assert.equal(await loaded.sanityCheck(20), false, "an offset in the next segment");
    bytes.writeBigInt64BE(1_600_000_000_000n, 12);
    writeFileSync(path, bytes);
    assert.equal(await (await TimeIndex.load(nodeFileSystem, path, 10, 1 << 20))!.sanityCheck(), false);
  } finally {
    dir.remove();
  }
});
