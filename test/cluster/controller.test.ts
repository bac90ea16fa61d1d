import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { Controller } from '../../src/cluster/controller.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { KafkaError } from '../../src/errors.js';

function withController(run: (controller: Controller, dataDir: string, reopen: () => Promise<Controller>) => Promise<void>, overrides: Record<string, string> = {}) {
  return async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tidelog-controller-'));
    const config = BrokerConfig.load({ overrides });
    const controller = new Controller(1, config);
    await controller.open(dataDir);
    const opened: Controller[] = [controller];
    try {
      await run(controller, dataDir, async () => {
        await opened[opened.length - 1]!.close();
        const next = new Controller(1, config);
        await next.open(dataDir);
        opened.push(next);
        return next;
      });
    } finally {
      for (const each of opened) await each.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

function code(error: unknown): ErrorCode | undefined {
  return error instanceof KafkaError ? error.code : undefined;
}

test('topics survive a restart with their ids, partitions and configs', withController(async (controller, _dir, reopen) => {
  const created = await controller.createTopic({ name: 'orders', numPartitions: 3, replicationFactor: 1, configs: new Map([['retention.ms', '1000']]) });
  assert.equal(created.partitions.length, 3);
  const again = await reopen();
  const restored = again.topic('orders')!;
  assert.equal(restored.topicId, created.topicId);
  assert.equal(restored.partitions.length, 3);
  assert.deepEqual(restored.partitions[2], { partitionId: 2, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  assert.equal(restored.configs.get('retention.ms'), '1000');
}));

test('defaults come from num.partitions and default.replication.factor', withController(async (controller) => {
  const topic = await controller.createTopic({ name: 'defaults', numPartitions: -1, replicationFactor: -1 });
  assert.equal(topic.partitions.length, 4);
}, { 'num.partitions': '4' }));

test('creation is validated the way Kafka does', withController(async (controller) => {
  await controller.createTopic({ name: 'a.b', numPartitions: 1, replicationFactor: 1 });
  const cases: [Parameters<Controller['createTopic']>[0], ErrorCode][] = [
    [{ name: 'a.b', numPartitions: 1, replicationFactor: 1 }, ErrorCode.TOPIC_ALREADY_EXISTS],
    [{ name: 'a_b', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
    [{ name: 'bad/name', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
    [{ name: '..', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
    [{ name: 'x'.repeat(250), numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
    [{ name: 'zero', numPartitions: 0, replicationFactor: 1 }, ErrorCode.INVALID_PARTITIONS],
    [{ name: 'three', numPartitions: 1, replicationFactor: 3 }, ErrorCode.INVALID_REPLICATION_FACTOR],
    [{ name: '__consumer_offsets', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_REQUEST],
    [{ name: 'cfg', numPartitions: 1, replicationFactor: 1, configs: new Map([['nope', '1']]) }, ErrorCode.INVALID_CONFIG],
    [{ name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    [{ name: 'assigned', numPartitions: 2, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] }, ErrorCode.INVALID_REQUEST],
  ];
  for (const [request, expected] of cases) {
    await assert.rejects(controller.createTopic(request), (error) => code(error) === expected, `${request.name} -> ${ErrorCode[expected]}`);
  }
  assert.deepEqual([...controller.image.topicsByName.keys()], ['a.b'], 'nothing else was created');
}));

test('two concurrent creations of one name: one wins, the other gets TOPIC_ALREADY_EXISTS', withController(async (controller) => {
  const results = await Promise.allSettled([
    controller.createTopic({ name: 'race', numPartitions: 1, replicationFactor: 1 }),
    controller.createTopic({ name: 'race', numPartitions: 2, replicationFactor: 1 }),
  ]);
  assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
  const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
  assert.equal(code(rejected.reason), ErrorCode.TOPIC_ALREADY_EXISTS);
}));

test('deleting and re-creating a topic gives a new id and no old configs', withController(async (controller, _dir, reopen) => {
  const first = await controller.createTopic({ name: 'cycle', numPartitions: 1, replicationFactor: 1, configs: new Map([['cleanup.policy', 'compact']]) });
  await controller.deleteTopic(first);
  assert.equal(controller.topic('cycle'), undefined);
  const second = await controller.createTopic({ name: 'cycle', numPartitions: 2, replicationFactor: 1 });
  assert.notEqual(second.topicId, first.topicId);
  assert.equal(second.configs.size, 0);
  const again = await reopen();
  assert.equal(again.topic('cycle')!.topicId, second.topicId);
  assert.equal(again.topic('cycle')!.configs.size, 0);
}));

test('partitions can only grow', withController(async (controller, _dir, reopen) => {
  const topic = await controller.createTopic({ name: 'grow', numPartitions: 2, replicationFactor: 1 });
  await assert.rejects(controller.createPartitions(topic, 1, null), (error) => code(error) === ErrorCode.INVALID_PARTITIONS);
  await assert.rejects(controller.createPartitions(topic, 2, null), (error) => code(error) === ErrorCode.INVALID_PARTITIONS);
  await assert.rejects(controller.createPartitions(topic, 4, [[1]]), (error) => code(error) === ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  await controller.createPartitions(topic, 4, null);
  assert.equal((await reopen()).topic('grow')!.partitions.length, 4);
}));

test('producer id blocks are disjoint and survive restarts', withController(async (controller, _dir, reopen) => {
  const [a, b] = await Promise.all([controller.allocateProducerIds(1000), controller.allocateProducerIds(1000)]);
  assert.notEqual(a, b);
  assert.equal(Math.abs(a - b), 1000);
  const again = await reopen();
  assert.ok((await again.allocateProducerIds(1000)) >= 2000);
}));

test('a torn last line of the metadata log is cut and the rest replays', withController(async (controller, dataDir, reopen) => {
  await controller.createTopic({ name: 'kept', numPartitions: 1, replicationFactor: 1 });
  await controller.close();
  const path = join(dataDir, '__cluster_metadata', 'metadata.log');
  const size = statSync(path).size;
  appendFileSync(path, '1234abcd {"type":"Topic","name":"half');
  const again = await reopen();
  assert.ok(again.topic('kept'));
  assert.equal(again.image.topicsByName.size, 1);
  assert.equal(statSync(path).size, size, 'the torn line was removed');
  // A last line whose CRC does not match is a torn write too: it is cut, the rest replays.
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const last = lines.pop()!;
  truncateSync(path, 0);
  appendFileSync(path, [...lines, last.replace(/^[0-9a-f]{8}/, '00000000')].join('\n') + '\n');
  const third = await reopen();
  assert.ok(third.topic('kept'), 'the topic record before the damaged line replays');
  assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, lines.length);
}));

test('a corrupt line followed by valid ones refuses to start rather than dropping records', withController(async (controller, dataDir) => {
  await controller.createTopic({ name: 'one', numPartitions: 1, replicationFactor: 1 });
  await controller.createTopic({ name: 'two', numPartitions: 1, replicationFactor: 1 });
  await controller.close();
  const path = join(dataDir, '__cluster_metadata', 'metadata.log');
  const text = readFileSync(path, 'utf8');
  truncateSync(path, 0);
  appendFileSync(path, text.replace(/^[0-9a-f]{8}/, '00000000'));
  const next = new Controller(1, BrokerConfig.load());
  await assert.rejects(next.open(dataDir), /corrupt at byte 0/);
  assert.equal(readFileSync(path, 'utf8').length, text.length, 'nothing was cut');
}));
