import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BYTES_PER_ENTRY, OffsetMap } from '../../../src/storage/cleaner/offset-map.js';

const key = (i: number) => Buffer.from(`key-${i}`);

test('put and get keep the latest offset of each key and the latest offset overall', () => {
  const map = new OffsetMap(1 << 20);
  assert.equal(map.get(key(1)), -1);
  assert.equal(map.latestOffset, -1);
  map.put(key(1), 10);
  map.put(key(2), 11);
  map.put(key(1), 12);
  assert.equal(map.get(key(1)), 12);
  assert.equal(map.get(key(2)), 11);
  assert.equal(map.get(key(3)), -1);
  assert.equal(map.size, 2);
  assert.equal(map.latestOffset, 12);
  map.updateLatestOffset(20);
  assert.equal(map.latestOffset, 20);
  // Offsets beyond 2^32 stay exact.
  map.put(key(4), 2 ** 40 + 7);
  assert.equal(map.get(key(4)), 2 ** 40 + 7);
});

test('the table grows from a small start up to the memory bound, keeping every entry', async () => {
  const memory = 20_000 * BYTES_PER_ENTRY;
  const map = new OffsetMap(memory, 0.9, 64);
  assert.equal(map.slots, 20_000);
  assert.equal(map.capacity, 64);
  let i = 0;
  while (!map.isFull) {
    if (map.needsGrowth) await map.grow();
    map.put(key(i), i * 2);
    i += 1;
  }
  assert.equal(map.size, Math.floor(20_000 * 0.9));
  assert.equal(map.capacity, 20_000);
  for (let j = 0; j < i; j++) assert.equal(map.get(key(j)), j * 2, `key ${j}`);
  assert.ok(map.utilization > 0.89 && map.utilization <= 0.9);
  // Updating a known key does not grow the map.
  map.put(key(0), 99);
  assert.equal(map.get(key(0)), 99);
  assert.equal(map.size, Math.floor(20_000 * 0.9));
});

test('clear forgets keys and the latest offset and shrinks the table back', async () => {
  const map = new OffsetMap(1 << 20, 0.9, 16);
  for (let i = 0; i < 100; i++) {
    if (map.needsGrowth) await map.grow();
    map.put(key(i), i);
  }
  assert.ok(map.capacity > 16);
  map.clear();
  assert.equal(map.size, 0);
  assert.equal(map.latestOffset, -1);
  assert.equal(map.capacity, 16);
  for (let i = 0; i < 100; i++) assert.equal(map.get(key(i)), -1);
});

test('a map that cannot hold one key is refused, as Kafka asserts', () => {
  assert.throws(() => new OffsetMap(BYTES_PER_ENTRY), /cannot hold a single key/);
  assert.doesNotThrow(() => new OffsetMap(2 * BYTES_PER_ENTRY));
});

test('keys whose hashes share probe windows are all found (probing)', () => {
  // A tiny table forces collisions: 50 keys in 64 slots.
  const map = new OffsetMap(64 * BYTES_PER_ENTRY, 0.9, 64);
  for (let i = 0; i < 50; i++) map.put(key(i), 1000 + i);
  for (let i = 0; i < 50; i++) assert.equal(map.get(key(i)), 1000 + i);
  assert.ok(map.collisionRate >= 0);
});
