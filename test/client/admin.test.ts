/**
 * The admin client against a Tidelog broker, with kafkajs (a real client) making the groups and
 * commits it looks at: listOffsets (earliest, latest, by time, max timestamp), listGroups with
 * state filters, describeGroups (an active kafkajs group, an empty one, an unknown one),
 * committed offsets fetched, committed and deleted, group deletion, and the lag per partition —
 * after N records per partition and M consumed and committed, groupLag reports N − M.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs, { type Admin as KafkajsAdmin, type Consumer, type Producer } from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { connectAdminAndProducer, consumeAndCommitUpTo } from '../helpers/kafkajs.js';
import { waitFor } from '../helpers/wait.js';

const { Kafka, logLevel } = kafkajs;
const N = 20;
/** Records consumed and committed per partition by the active group (partition 3: none). */
const M = [5, 12, 20];

let broker: InProcessBroker;
let kafka: InstanceType<typeof Kafka>;
let kafkajsAdmin: KafkajsAdmin;
let producer: Producer;
let admin: Admin;

before(async () => {
  broker = await startInProcessBroker({ 'group.initial.rebalance.delay.ms': '0' });
  const bootstrap = `127.0.0.1:${broker.port}`;
  kafka = new Kafka({ clientId: 'admin-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  ({ admin: kafkajsAdmin, producer } = await connectAdminAndProducer(kafka));
  admin = await Admin.connect({ bootstrapServers: bootstrap, clientId: 'tidelog-admin-test' });
});

after(async () => {
  await admin?.close();
  await producer?.disconnect();
  await kafkajsAdmin?.disconnect();
  await broker?.stop();
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  await kafkajsAdmin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

async function produce(topic: string, partitions: number, perPartition: number): Promise<void> {
  const messages = [];
  for (let partition = 0; partition < partitions; partition++) for (let i = 0; i < perPartition; i++) messages.push({ partition, value: `${partition}-${i}` });
  await producer.send({ topic, acks: -1, messages });
}

function hasCode(code: ErrorCode) {
  return (error: unknown) => {
    assert.ok(error instanceof KafkaError, `expected a KafkaError, got ${String(error)}`);
    assert.equal(ErrorCode[error.code], ErrorCode[code]);
    return true;
  };
}

/** A kafkajs member of `groupId` that consumes and commits `limits[p]` records of each partition p, then pauses it. */
async function consumeAndCommit(groupId: string, topic: string, limits: readonly number[]): Promise<{ consumer: Consumer; memberId: () => string }> {
  let memberId = '';
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  consumer.on(consumer.events.GROUP_JOIN, (event) => (memberId = event.payload.memberId));
  await consumeAndCommitUpTo(consumer, topic, limits);
  try {
    await waitFor(`${groupId} to commit ${limits.join(',')}`, async () => {
      const [offsets] = await kafkajsAdmin.fetchOffsets({ groupId, topics: [topic] });
      const committed = offsets!.partitions.sort((a, b) => a.partition - b.partition).map((partition) => Number(partition.offset));
      return committed.join() === limits.map((limit) => (limit > 0 ? limit : -1)).join();
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  return { consumer, memberId: () => memberId };
}

test('listOffsets: earliest, latest, the first offset at or after a time, the newest timestamp', async () => {
  const topic = 'admin-times';
  await createTopic(topic, 1);
  // Recent timestamps: records older than retention.ms (7 days) may be deleted at any time.
  const base = Date.now() - 60_000;
  await producer.send({ topic, acks: -1, messages: [0, 1, 2, 3].map((i) => ({ partition: 0, value: `t${i}`, timestamp: String(base + i * 1000) })) });
  const specs: Parameters<Admin['listOffsets']>[0][number]['spec'][] = ['earliest', 'latest', { timestamp: base + 1500 }, { timestamp: base }, { timestamp: base + 10_000 }, 'max-timestamp'];
  const offsets = [];
  for (const spec of specs) offsets.push(...(await admin.listOffsets([{ topic, partition: 0, spec }])));
  assert.deepEqual(
    offsets.map((offset) => [offset.offset, offset.timestamp]),
    [
      [0, -1],
      [4, -1],
      [2, base + 2000],
      [0, base],
      [-1, -1],
      [3, base + 3000],
    ],
  );
  await assert.rejects(admin.listOffsets([{ topic: 'admin-no-such-topic', partition: 0, spec: 'latest' }]), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(admin.listOffsets([{ topic, partition: 0, spec: 'earliest' }, { topic, partition: 0, spec: 'latest' }]), RangeError);
});

test('an active kafkajs group: listed, described with its member and assignment, lag N − M per partition; admin changes refused', async () => {
  const topic = 'admin-lag';
  const groupId = 'admin-active';
  await createTopic(topic, 4);
  await produce(topic, 4, N);
  const limits = [...M, 0];
  const { consumer, memberId } = await consumeAndCommit(groupId, topic, limits);
  try {
    const listed = await admin.listGroups();
    assert.deepEqual(listed.find((group) => group.groupId === groupId), { groupId, protocolType: 'consumer', state: 'Stable', type: 'classic' });
    assert.ok(!(await admin.listGroups({ states: ['Empty'] })).some((group) => group.groupId === groupId));
    assert.ok((await admin.listGroups({ states: ['stable'] })).some((group) => group.groupId === groupId));

    const [group] = await admin.describeGroups([groupId]);
    assert.equal(group!.state, 'Stable');
    assert.equal(group!.protocolType, 'consumer');
    assert.equal(group!.protocol, 'RoundRobinAssigner');
    assert.equal(group!.coordinator.port, broker.port);
    assert.equal(group!.members.length, 1);
    const [member] = group!.members;
    assert.equal(member!.memberId, memberId());
    assert.equal(member!.clientId, 'admin-test');
    assert.deepEqual(member!.assignment, [{ topic, partitions: [0, 1, 2, 3] }]);
    assert.deepEqual(member!.subscribedTopics, [topic]);

    const lag = await admin.groupLag(groupId);
    assert.deepEqual(
      lag.map((row) => [row.topic, row.partition, row.committedOffset, row.logEndOffset, row.lag, row.owner?.memberId]),
      [
        [topic, 0, 5, N, N - 5, memberId()],
        [topic, 1, 12, N, N - 12, memberId()],
        [topic, 2, 20, N, 0, memberId()],
        [topic, 3, null, N, null, memberId()],
      ],
    );

    // While the member holds the partitions, an admin may not commit, delete its offsets or the group.
    await assert.rejects(admin.commitOffsets(groupId, [{ topic, partition: 0, offset: 0 }]), hasCode(ErrorCode.UNKNOWN_MEMBER_ID));
    const deleted = await admin.deleteCommittedOffsets(groupId, [{ topic, partition: 0 }]);
    assert.equal(deleted[0]!.error?.code, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    const [groupDeletion] = await admin.deleteGroups([groupId]);
    assert.equal(groupDeletion!.error?.code, ErrorCode.NON_EMPTY_GROUP);
    assert.deepEqual((await admin.fetchCommittedOffsets(groupId)).map((offset) => offset.offset), [5, 12, 20]);
  } finally {
    await consumer.disconnect();
  }

  // Left: Empty, no owners, the same lag.
  const [empty] = await admin.describeGroups([groupId]);
  assert.equal(empty!.state, 'Empty');
  assert.deepEqual(empty!.members, []);
  const lag = await admin.groupLag(empty!);
  assert.deepEqual(
    lag.map((row) => [row.partition, row.lag, row.owner]),
    [
      [0, N - 5, null],
      [1, N - 12, null],
      [2, 0, null],
    ],
  );
});

test('offsets of a group without members: commit, fetch (all or some), delete; then the group is deleted', async () => {
  const topic = 'admin-offsets';
  const groupId = 'admin-offsets-group';
  await createTopic(topic, 3);
  await produce(topic, 3, 5);
  await admin.commitOffsets(groupId, [
    { topic, partition: 2, offset: 4, metadata: 'by admin' },
    { topic, partition: 0, offset: 1 },
  ]);
  const all = await admin.fetchCommittedOffsets(groupId);
  assert.deepEqual(all.map(({ partition, offset, metadata }) => [partition, offset, metadata]), [
    [0, 1, ''],
    [2, 4, 'by admin'],
  ]);
  const some = await admin.fetchCommittedOffsets(groupId, [{ topic, partition: 1 }, { topic, partition: 2 }]);
  assert.deepEqual(some.map(({ partition, offset }) => [partition, offset]), [
    [1, -1],
    [2, 4],
  ]);
  assert.deepEqual(
    (await admin.listGroups({ states: ['Empty'] })).filter((group) => group.groupId === groupId).map((group) => [group.state, group.protocolType]),
    [['Empty', '']],
  );
  assert.deepEqual((await admin.groupLag(groupId)).map((row) => [row.partition, row.committedOffset, row.logEndOffset, row.lag]), [
    [0, 1, 5, 4],
    [2, 4, 5, 1],
  ]);
  await assert.rejects(admin.commitOffsets(groupId, [{ topic, partition: 9, offset: 0 }]), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));

  const deleted = await admin.deleteCommittedOffsets(groupId, [{ topic, partition: 0 }]);
  assert.deepEqual(deleted, [{ topic, partition: 0, error: null }]);
  assert.deepEqual((await admin.fetchCommittedOffsets(groupId)).map((offset) => offset.partition), [2]);

  assert.deepEqual(await admin.deleteGroups([groupId]), [{ groupId, error: null }]);
  const [dead] = await admin.describeGroups([groupId]);
  assert.equal(dead!.state, 'Dead');
  assert.deepEqual(await admin.fetchCommittedOffsets(groupId), []);
  const [again] = await admin.deleteGroups([groupId]);
  assert.equal(again!.error?.code, ErrorCode.GROUP_ID_NOT_FOUND);
  await assert.rejects(admin.deleteCommittedOffsets(groupId, [{ topic, partition: 0 }]), hasCode(ErrorCode.GROUP_ID_NOT_FOUND));
  assert.ok(!(await admin.listGroups()).some((group) => group.groupId === groupId));
});

test('describeGroups of a group that never existed: Dead, no members', async () => {
  const [group] = await admin.describeGroups(['admin-never']);
  assert.equal(group!.state, 'Dead');
  assert.deepEqual(group!.members, []);
  assert.deepEqual(await admin.groupLag(group!), []);
});
