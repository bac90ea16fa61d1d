/**
 * Transactions with kafkajs 2.2.4 against a Tidelog broker process (TV1: InitProducerId,
 * AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn; markers; LSO and aborted
 * transactions in Fetch):
 * - a payment written to three topics in one transaction is visible to a read_committed
 *   consumer all at once on commit, never on abort; a read_uncommitted consumer sees the
 *   aborted records too and never a marker;
 * - sendOffsets: the group's offsets move only when the transaction commits, and a commit does
 *   not replace an offset the group committed after the transaction sent its own;
 * - a second producer with the same transactional id fences the first and aborts its open
 *   transaction;
 * - the admin client and `tidelog transactions` show the open transaction and its producers.
 * Waits are for conditions (records seen, offsets moved), never for time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import kafkajs, { type Admin as KafkaAdmin, type Consumer, type Producer } from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { offsetFetch } from '../../src/protocol/messages/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CLI_PATH, startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const TOPICS = ['payments', 'ledger', 'notifications'];

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;
let kafkaAdmin: KafkaAdmin;
let admin: Admin;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  broker = await startBrokerProcess();
  kafka = new Kafka({ clientId: 'tidelog-txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({ topics: TOPICS.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'tidelog-txn-test-admin' });
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await admin?.close();
  await kafkaAdmin?.disconnect();
  await stopAndRemove(broker);
});

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, retry: { retries: 5 } });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  return producer;
}

/** Reads `topics` from the beginning in a fresh group until `done` holds for what was seen. */
async function consumeUntil(
  topics: readonly string[],
  options: { readUncommitted?: boolean },
  done: (seen: { topic: string; key: string; value: string }[]) => boolean,
): Promise<{ topic: string; key: string; value: string }[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(36).slice(2)}`, readUncommitted: options.readUncommitted ?? false });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  const seen: { topic: string; key: string; value: string }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            seen.push({ topic, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
            if (done(seen)) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function payment(id: string) {
  return [
    { topic: 'payments', messages: [{ key: id, value: `payment ${id}` }] },
    { topic: 'ledger', messages: [{ key: id, value: `debit ${id}` }, { key: id, value: `credit ${id}` }] },
    { topic: 'notifications', messages: [{ key: id, value: `notify ${id}` }] },
  ];
}

async function stableAndEnd(topic: string): Promise<{ lso: number; hw: number }> {
  const queries = [0, 1, 2].map((partition) => ({ topic, partition, spec: 'latest' as const }));
  const committed = await admin.listOffsets(queries, { isolationLevel: 'read_committed' });
  const uncommitted = await admin.listOffsets(queries);
  return { lso: committed.reduce((sum, item) => sum + item.offset, 0), hw: uncommitted.reduce((sum, item) => sum + item.offset, 0) };
}

test('a payment in three topics: visible to read_committed only on commit, never on abort; read_uncommitted sees all, no markers', async () => {
  const producer = await transactionalProducer('payment-service');
  const before = await Promise.all(TOPICS.map(stableAndEnd));

  const first = await producer.transaction();
  for (const record of payment('p1')) await first.send(record);
  // While open, the last stable offset stays below the written records.
  const open = await Promise.all(TOPICS.map(stableAndEnd));
  for (const [index, topic] of TOPICS.entries()) {
    assert.equal(open[index]!.lso, before[index]!.lso, `${topic}: nothing stable while the transaction is open`);
    assert.ok(open[index]!.hw > before[index]!.hw, `${topic}: records written`);
  }
  await first.commit();
  const committed = await Promise.all(TOPICS.map(stableAndEnd));
  for (const [index, topic] of TOPICS.entries()) assert.equal(committed[index]!.lso, committed[index]!.hw, `${topic}: everything stable after commit`);

  const second = await producer.transaction();
  for (const record of payment('p2')) await second.send(record);
  await second.abort();

  const third = await producer.transaction();
  for (const record of payment('p3')) await third.send(record);
  await third.commit();

  // p3 comes after p2 in every partition it shares; all four records of p3 mean the readers passed p2.
  const hasAll = (id: string) => (seen: { key: string }[]) => seen.filter((record) => record.key === id).length === 4;
  const readCommitted = await consumeUntil(TOPICS, {}, (seen) => hasAll('p1')(seen) && hasAll('p3')(seen));
  assert.deepEqual(
    readCommitted.map((record) => `${record.topic}:${record.value}`).sort(),
    ['ledger:credit p1', 'ledger:credit p3', 'ledger:debit p1', 'ledger:debit p3', 'notifications:notify p1', 'notifications:notify p3', 'payments:payment p1', 'payments:payment p3'],
  );

  const readUncommitted = await consumeUntil(TOPICS, { readUncommitted: true }, (seen) => hasAll('p1')(seen) && hasAll('p2')(seen) && hasAll('p3')(seen));
  assert.equal(readUncommitted.length, 12, 'every data record once, no control record');
  assert.deepEqual(new Set(readUncommitted.map((record) => record.key)), new Set(['p1', 'p2', 'p3']));
});

test('sendOffsets: the group sees its offsets when the transaction commits, not when it aborts', async () => {
  const group = 'payment-processor';
  const producer = await transactionalProducer('offsets-service');
  const offsets = (offset: string) => ({ consumerGroupId: group, topics: [{ topic: 'payments', partitions: [{ partition: 0, offset }] }] });

  const aborted = await producer.transaction();
  await aborted.send({ topic: 'ledger', messages: [{ key: 'o', value: 'aborted' }] });
  await aborted.sendOffsets(offsets('5'));
  await aborted.abort();
  let committed = await admin.fetchCommittedOffsets(group, [{ topic: 'payments', partition: 0 }]);
  assert.equal(committed[0]!.offset, -1, 'an aborted transaction leaves no offset');

  const transaction = await producer.transaction();
  await transaction.send({ topic: 'ledger', messages: [{ key: 'o', value: 'committed' }] });
  await transaction.sendOffsets(offsets('7'));
  committed = await admin.fetchCommittedOffsets(group, [{ topic: 'payments', partition: 0 }]);
  assert.equal(committed[0]!.offset, -1, 'pending until the commit');
  // OffsetFetch with require_stable (what librdkafka's read_committed consumers send) is told to retry.
  const stable = () =>
    admin.cluster.withGroupCoordinator(group, async (connection) => {
      const response = await connection.send(offsetFetch, { groups: [{ groupId: group, topics: [{ name: 'payments', partitionIndexes: [0] }] }], requireStable: true });
      return response.groups[0]!.topics[0]!.partitions[0]!;
    });
  assert.equal((await stable()).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
  await transaction.commit();
  assert.deepEqual(await stable().then((p) => [p.errorCode, p.committedOffset]), [ErrorCode.NONE, 7]);
  committed = await admin.fetchCommittedOffsets(group, [{ topic: 'payments', partition: 0 }]);
  assert.equal(committed[0]!.offset, 7);
});

test('a COMMIT does not replace an offset committed after the transaction sent its own; one committed before it is replaced', async () => {
  const group = 'offsets-order';
  const producer = await transactionalProducer('offsets-order-service');
  const partition = [{ topic: 'payments', partition: 0 }];
  const committedOffset = async () => (await kafkaAdmin.fetchOffsets({ groupId: group, topics: ['payments'] }))[0]!.partitions.find((p) => p.partition === 0)!.offset;
  // A plain OffsetCommit (kafkajs admin.setOffsets on the empty group) between sendOffsets and commit.
  const transaction = await producer.transaction();
  await transaction.send({ topic: 'ledger', messages: [{ key: 'x', value: 'first' }] });
  await transaction.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'payments', partitions: [{ partition: 0, offset: '10' }] }] });
  await kafkaAdmin.setOffsets({ groupId: group, topic: 'payments', partitions: [{ partition: 0, offset: '30' }] });
  await transaction.commit();
  assert.equal(await committedOffset(), '30', 'the later record wins');
  assert.equal((await admin.fetchCommittedOffsets(group, partition))[0]!.offset, 30);

  // A plain commit before the transaction's offset is replaced by it.
  await kafkaAdmin.setOffsets({ groupId: group, topic: 'payments', partitions: [{ partition: 0, offset: '40' }] });
  const next = await producer.transaction();
  await next.send({ topic: 'ledger', messages: [{ key: 'x', value: 'second' }] });
  await next.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'payments', partitions: [{ partition: 0, offset: '50' }] }] });
  await next.commit();
  assert.equal(await committedOffset(), '50');
});

test('a second producer with the same transactional id fences the first and aborts its transaction', async () => {
  const zombie = await transactionalProducer('fenced-service');
  const open = await zombie.transaction();
  await open.send({ topic: 'payments', messages: [{ key: 'zombie', value: 'never visible' }] });

  const successor = await transactionalProducer('fenced-service');
  const transaction = await successor.transaction();
  await transaction.send({ topic: 'payments', messages: [{ key: 'successor', value: 'visible' }] });
  await transaction.commit();

  await assert.rejects(
    (async () => {
      await open.send({ topic: 'payments', messages: [{ key: 'zombie', value: 'again' }] });
      await open.commit();
    })(),
    (error: Error & { type?: string }) => {
      assert.match(String(error.type ?? error.name), /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|KafkaJSNonRetriableError/);
      return true;
    },
  );
  const seen = await consumeUntil(['payments'], {}, (records) => records.some((record) => record.key === 'successor'));
  assert.ok(!seen.some((record) => record.key === 'zombie'));
  const [description] = await admin.describeTransactions(['fenced-service']);
  assert.equal(description!.state, 'CompleteCommit');
  // Epoch 1 aborted the zombie's transaction (the successor was told CONCURRENT_TRANSACTIONS), 2 is the successor's.
  assert.equal(description!.producerEpoch, 2);
});

test('the admin client and `tidelog transactions` show an open transaction and its producer', async () => {
  const producer = await transactionalProducer('inspected-service');
  const transaction = await producer.transaction();
  await transaction.send({ topic: 'notifications', messages: [{ key: 'x', value: 'open', partition: 1 }] });

  const [description] = await admin.describeTransactions(['inspected-service']);
  assert.equal(description!.error, null);
  assert.equal(description!.state, 'Ongoing');
  assert.deepEqual(description!.topicPartitions, [{ topic: 'notifications', partition: 1 }]);
  assert.ok(description!.transactionStartTimeMs > 0);
  const [unknown] = await admin.describeTransactions(['no-such-id']);
  assert.equal(unknown!.error?.code, 105, 'TRANSACTIONAL_ID_NOT_FOUND');

  const ongoing = await admin.listTransactions({ states: ['Ongoing'] });
  assert.deepEqual(ongoing.map((listing) => listing.transactionalId), ['inspected-service']);
  const all = (await admin.listTransactions()).map((listing) => listing.transactionalId);
  for (const id of ['payment-service', 'offsets-service', 'fenced-service', 'inspected-service']) assert.ok(all.includes(id), id);

  const [producers] = await admin.describeProducers([{ topic: 'notifications', partition: 1 }]);
  const active = producers!.producers.find((state) => state.producerId === description!.producerId);
  assert.ok(active, 'the producer has state on the partition');
  assert.ok(active.currentTxnStartOffset >= 0, 'with its open transaction');

  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI_PATH, 'transactions', ...args, '--bootstrap-server', broker.bootstrap], { encoding: 'utf8' });
  const list = cli('list');
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.deepEqual(lines[0]!.split('\t').map((cell) => cell.trim()), ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState']);
  assert.ok(lines.some((line) => /^inspected-service\s+1\s+\d+\s+Ongoing$/.test(line.replace(/\t/g, ' '))), list.stdout);
  const describe = cli('describe', '--transactional-id', 'inspected-service');
  assert.equal(describe.status, 0, describe.stderr);
  assert.match(describe.stdout, /Ongoing/);
  assert.match(describe.stdout, /notifications-1/);
  const producersTable = cli('describe-producers', '--topic', 'notifications', '--partition', '1');
  assert.equal(producersTable.status, 0, producersTable.stderr);
  assert.match(producersTable.stdout, new RegExp(`^${description!.producerId}\\s`, 'm'));
  const missing = cli('describe', '--transactional-id', 'no-such-id');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /TRANSACTIONAL_ID_NOT_FOUND/);

  await transaction.abort();
  const [after] = await admin.describeTransactions(['inspected-service']);
  assert.equal(after!.state, 'CompleteAbort');
});
