import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { temporaryDirectory } from './helpers.js';

test('lookup returns the greatest entry at or below the target', () => {
  const index = new OffsetIndex(nodeFileSystem, '/unused', 100, 1024);
  assert.deepEqual(index.lookup(150), { offset: 100, position: 0 });
  index.append(110, 4100);
  index.append(125, 8300);
  index.append(140, 12500);
  assert.deepEqual(index.lookup(105), { offset: 100, position: 0 });
  assert.deepEqual(index.lookup(110), { offset: 110, position: 4100 });
  assert.deepEqual(index.lookup(124), { offset: 110, position: 4100 });
  assert.deepEqual(index.lookup(139), { offset: 125, position: 8300 });
  assert.deepEqual(index.lookup(10_000), { offset: 140, position: 12500 });
  assert.throws(() => index.append(140, 20000), /does not follow/);
  assert.throws(() => index.append(150, 12500), /does not follow/);
});

test('truncateTo drops entries at or above the offset; isFull at segment.index.bytes', () => {
  const index = new OffsetIndex(nodeFileSystem, '/unused', 0, 32);
  for (let i = 1; i <= 4; i++) index.append(i * 10, i * 1000);
  assert.equal(index.isFull, true);
  index.truncateTo(30);
  assert.equal(index.entries, 2);
  assert.deepEqual(index.lastEntry, { offset: 20, position: 2000 });
  assert.equal(index.isFull, false);
});

test('persist writes the 8-byte entry format; load and sanity checks', async () => {
  const dir = temporaryDirectory();
  try {
    const path = join(dir.path, '00000000000000000100.index');
    const index = new OffsetIndex(nodeFileSystem, path, 100, 1 << 20);
    index.append(101, 70);
    await index.persist(false);
    index.append(105, 4200);
    await index.persist(true);
    const bytes = readFileSync(path);
    assert.deepEqual([...bytes], [0, 0, 0, 1, 0, 0, 0, 70, 0, 0, 0, 5, 0, 0, 0x10, 0x68]);

    // Truncation below what is in the file trims the file on the next persist.
    index.truncateTo(105);
    index.append(103, 500);
    await index.persist(true);
    assert.deepEqual([...readFileSync(path)], [0, 0, 0, 1, 0, 0, 0, 70, 0, 0, 0, 3, 0, 0, 1, 0xf4]);

    const loaded = await OffsetIndex.load(nodeFileSystem, path, 100, 1 << 20);
    assert.ok(loaded);
    assert.equal(loaded.entries, 2);
    assert.equal(await loaded.sanityCheck(600), true);
    assert.equal(await loaded.sanityCheck(500), false, 'a position past the end of the log');
    assert.equal(await loaded.sanityCheck(600, 103), false, 'an offset in the next segment');

    writeFileSync(path, Buffer.from([0, 0, 0, 5, 0, 0, 0, 70, 0, 0, 0, 3, 0, 0, 1, 0xf4]));
    assert.equal(await (await OffsetIndex.load(nodeFileSystem, path, 100, 1 << 20))!.sanityCheck(600), false, 'offsets must increase');
    writeFileSync(path, Buffer.alloc(12));
    assert.equal(await OffsetIndex.load(nodeFileSystem, path, 100, 1 << 20), null, 'not a whole number of entries');
    assert.equal(await OffsetIndex.load(nodeFileSystem, join(dir.path, 'missing.index'), 0, 1024), null);
  } finally {
    dir.remove();
  }
});
