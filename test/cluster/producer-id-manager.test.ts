import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerIdManager } from '../../src/cluster/producer-id-manager.js';

test('ids come from reserved blocks, the next block is fetched before the current one runs out', async () => {
  const reservations: number[] = [];
  let next = 0;
  const manager = new ProducerIdManager(async (count) => {
    const first = next;
    next += count;
    reservations.push(first);
    return first;
  }, 10);
  const ids: number[] = [];
  for (let i = 0; i < 25; i++) ids.push(await manager.generateProducerId());
  assert.deepEqual(ids, Array.from({ length: 25 }, (_, i) => i));
  assert.deepEqual(reservations, [0, 10, 20]);
  // Concurrent callers never share an id.
  const concurrent = await Promise.all(Array.from({ length: 30 }, () => manager.generateProducerId()));
  assert.equal(new Set(concurrent).size, 30);
  assert.ok(concurrent.every((id) => id >= 25));
});

test('a failed reservation fails the caller and is retried by the next one; ids never repeat', async () => {
  let fail = true;
  let next = 1000;
  const manager = new ProducerIdManager(async (count) => {
    if (fail) throw new Error('metadata log closed');
    const first = next;
    next += count;
    return first;
  }, 5);
  await assert.rejects(manager.generateProducerId(), /metadata log closed/);
  fail = false;
  assert.equal(await manager.generateProducerId(), 1000);
  // A new manager (a restart) starts at the next unreserved block, skipping the rest of the old one.
  const restarted = new ProducerIdManager(async (count) => {
    const first = next;
    next += count;
    return first;
  }, 5);
  assert.ok((await restarted.generateProducerId()) >= 1005);
});
