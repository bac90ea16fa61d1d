/**
 * kafkajs 2.2.4 against the partition side of idempotence and transactions: an idempotent
 * producer (maxInFlightRequests 1) writes every message once; a produce response lost after
 * the broker wrote the batch (a proxy drops the connection) is retried by kafkajs and answered
 * with the original offset, the batch in the log once; a read_committed consumer (kafkajs's
 * default) skips aborted transactions and stops at the last stable offset. Transactions are
 * written by hand here — transactional batches over the wire, markers through
 * Partition.appendTxnMarker — so only the partition side is under test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs, { type Admin, type Consumer } from 'kafkajs';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { RawClient, RawProducers } from '../helpers/raw-client.js';
import { DroppingProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

const { Kafka, logLevel } = kafkajs;

let proxy: DroppingProxy;
let server: InProcessBroker;
let kafka: InstanceType<typeof Kafka>;
let admin: Admin;

before(async () => {
  proxy = await DroppingProxy.start();
  // Clients learn the proxy's address from Metadata, so every connection goes through it.
  server = await startInProcessBroker({ 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'group.initial.rebalance.delay.ms': '0' });
  proxy.setTarget(server.port);
  kafka = new Kafka({ clientId: 'tidelog-idempotence', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect();
  await server?.stop();
  await proxy?.stop();
});

async function highWatermark(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Number(offsets[0]!.high);
}

/** Consumes `topic` from the beginning with a kafkajs consumer (read_committed) until `until` holds. */
async function consume(topic: string, groupId: string, until: (values: string[]) => boolean, options: { readUncommitted?: boolean } = {}): Promise<{ values: string[]; consumer: Consumer }> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, readUncommitted: options.readUncommitted ?? false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  await waitFor(`${topic} consumed`, () => until(values));
  return { values, consumer };
}

test('kafkajs idempotent producer writes each message once', async () => {
  await admin.createTopics({ topics: [{ topic: 'kafkajs-idempotent', numPartitions: 2 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let round = 0; round < 10; round++) {
      const results = await producer.send({ topic: 'kafkajs-idempotent', messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `r${round}-${i}` })) });
      for (const result of results) assert.equal(result.errorCode, 0);
    }
  } finally {
    await producer.disconnect();
  }
  const offsets = await admin.fetchTopicOffsets('kafkajs-idempotent');
  assert.deepEqual(offsets.map((offset) => Number(offset.high)), [100, 100]);
  const { values, consumer } = await consume('kafkajs-idempotent', 'idempotent-readers', (got) => got.length >= 200);
  await consumer.disconnect();
  assert.equal(new Set(values).size, 200);
  assert.equal(values.length, 200);
});

test('kafkajs retries a produce whose response was lost: the batch is in the log once, with its original offset', async () => {
  await admin.createTopics({ topics: [{ topic: 'kafkajs-lost-response', numPartitions: 1 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const first = await producer.send({ topic: 'kafkajs-lost-response', messages: [{ value: 'before-1' }, { value: 'before-2' }] });
    assert.equal(first[0]!.baseOffset, '0');
    const dropped = proxy.dropNextResponse(0);
    const retried = await producer.send({ topic: 'kafkajs-lost-response', messages: [{ value: 'lost-1' }, { value: 'lost-2' }, { value: 'lost-3' }] });
    await dropped;
    assert.equal(proxy.dropped, 1, 'the first answer never reached kafkajs');
    assert.equal(retried[0]!.errorCode, 0);
    assert.equal(retried[0]!.baseOffset, '2', 'the retry is answered with the original offset');
    const after = await producer.send({ topic: 'kafkajs-lost-response', messages: [{ value: 'after' }] });
    assert.equal(after[0]!.baseOffset, '5');
  } finally {
    await producer.disconnect();
  }
  assert.equal(await highWatermark('kafkajs-lost-response'), 6);
  const { values, consumer } = await consume('kafkajs-lost-response', 'lost-response-readers', (got) => got.length >= 6);
  await consumer.disconnect();
  assert.deepEqual(values, ['before-1', 'before-2', 'lost-1', 'lost-2', 'lost-3', 'after']);
});

test('kafkajs read_committed consumer skips aborted transactions and stops at the last stable offset', async () => {
  const topic = 'kafkajs-read-committed';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const partition = server.broker.replicaManager.getPartition(topic, 0)!;
  const raw = await RawClient.connect(server.port);
  const producers = new RawProducers(raw, topic);
  try {
    const [plain, aborted, committed, open] = [await producers.create(), await producers.create(), await producers.create(), await producers.create()];
    await producers.write(plain, ['p1'], false);
    await producers.write(aborted, ['a1', 'a2'], true);
    await producers.write(committed, ['c1'], true);
    await producers.write(aborted, ['a3'], true);
    await producers.write(committed, ['c2'], true);
    await partition.appendTxnMarker({ producerId: aborted, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await producers.write(plain, ['p2'], false);
    await partition.appendTxnMarker({ producerId: committed, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    await producers.write(open, ['o1'], true);
    await producers.write(plain, ['p3'], false); // above the open transaction: not yet stable

    const { values, consumer } = await consume(topic, 'read-committed-readers', (got) => got.length >= 4);
    try {
      assert.equal(partition.lastStableOffset, partition.highWatermark - 2);
      // Nothing else arrives while the transaction is open; a short grace lets a wrong answer show.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(values, ['p1', 'c1', 'c2', 'p2']);
      await partition.appendTxnMarker({ producerId: open, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
      await waitFor('the rest after the commit', () => values.length >= 6);
      assert.deepEqual(values, ['p1', 'c1', 'c2', 'p2', 'o1', 'p3']);
    } finally {
      await consumer.disconnect();
    }
    const uncommitted = await consume(topic, 'read-uncommitted-readers', (got) => got.length >= 9, { readUncommitted: true });
    await uncommitted.consumer.disconnect();
    assert.deepEqual(uncommitted.values, ['p1', 'a1', 'a2', 'c1', 'a3', 'c2', 'p2', 'o1', 'p3']);
  } finally {
    raw.close();
  }
});
