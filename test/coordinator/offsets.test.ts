/**
 * OffsetCommit, OffsetFetch and OffsetDelete against the group coordinator: simple commits
 * (generation -1, no member) for groups without members, per-partition errors, the records
 * written (OffsetCommitValue v3, v1 when a v2-4 client asked for a retention time), fetching
 * all or some partitions, and deleting offsets of topics the group does not consume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { offsetCommitKey, offsetCommitValue } from '../../src/coordinator/group/group-records.js';
import { recordKeyVersion } from '../../src/coordinator/record-codec.js';
import { Reader } from '../../src/protocol/reader.js';
import { GROUP, GroupHarness, KAFKA_DEFAULTS, SESSION_TIMEOUT_MS, protocols, settle, subscription } from './harness.js';

function decodeOffsetRecord(record: { key: Buffer; value: Buffer | null }) {
  const keyVersion = recordKeyVersion(record.key);
  const key = offsetCommitKey.decodeBody(new Reader(record.key, 2), keyVersion);
  return { keyVersion, key, value: record.value === null ? null : offsetCommitValue.decode(record.value) };
}

test('a simple commit (generation -1, no member) creates an Empty group with no protocol type', async () => {
  const h = new GroupHarness();
  const result = await h.commit({ offsets: { orders: { 0: 42, 1: 7 } } });
  assert.deepEqual(result, [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }, { partitionIndex: 1, errorCode: ErrorCode.NONE }] }]);
  assert.deepEqual(h.coordinator.listGroups([], []).groups, [{ groupId: GROUP, protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
  assert.equal(h.committed('orders', 0), 42);
  assert.equal(h.committed('orders', 1), 7);
  // Simple commits are accepted again while the group has no members.
  await h.commit({ offsets: { orders: { 0: 50 } } });
  assert.equal(h.committed('orders', 0), 50);
});

test('a commit with a generation for a group that does not exist is ILLEGAL_GENERATION, and creates nothing', async () => {
  const h = new GroupHarness();
  const result = await h.commit({ generationId: 3, memberId: 'm-1', offsets: { orders: { 0: 1 } } });
  assert.equal(result[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal(h.coordinator.group(GROUP), undefined);
  assert.equal(h.log.records.length, 0);
});

test('a member\'s commit writes OffsetCommitKey v1 / OffsetCommitValue v3 with leader epoch, metadata and commit time', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  const mark = h.log.records.length;
  const result = await h.coordinator.commitOffsets({
    groupId: GROUP,
    generationId,
    memberId: members[0]!.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'topic-1', partitions: [{ partitionIndex: 0, committedOffset: 1234, committedLeaderEpoch: 5, committedMetadata: 'checkpoint' }] }],
  });
  assert.equal(result[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const written = h.log.since(mark);
  assert.equal(written.length, 1);
  const decoded = decodeOffsetRecord(written[0]!);
  assert.equal(decoded.keyVersion, 1);
  assert.deepEqual({ ...decoded.key }, { group: GROUP, topic: 'topic-1', partition: 0 });
  assert.equal(decoded.value!.version, 3);
  assert.deepEqual({ ...decoded.value!.message }, { offset: 1234, leaderEpoch: 5, metadata: 'checkpoint', commitTimestamp: h.scheduler.now(), expireTimestamp: -1 });
  assert.equal(h.log.appended[mark]!.partition, h.coordinator.partitionFor(GROUP));

  const fetched = h.coordinator.fetchOffsets(GROUP, [{ name: 'topic-1', partitionIndexes: [0] }]);
  assert.deepEqual(fetched.topics[0]!.partitions[0], { partitionIndex: 0, committedOffset: 1234, committedLeaderEpoch: 5, metadata: 'checkpoint', errorCode: ErrorCode.NONE });
});

test('a v2-4 commit with retention_time_ms writes OffsetCommitValue v1 with its expire timestamp', async () => {
  const h = new GroupHarness();
  const mark = h.log.records.length;
  await h.commit({ retentionTimeMs: 3_600_000, offsets: { orders: { 0: 9 } } });
  const decoded = decodeOffsetRecord(h.log.since(mark)[0]!);
  assert.equal(decoded.value!.version, 1);
  assert.equal(decoded.value!.message.expireTimestamp, h.scheduler.now() + 3_600_000);
  assert.equal(decoded.value!.message.commitTimestamp, h.scheduler.now());
});

test('per-partition errors: OFFSET_METADATA_TOO_LARGE and UNKNOWN_TOPIC_OR_PARTITION while the other partitions commit', async () => {
  const h = new GroupHarness(KAFKA_DEFAULTS, (topic, partition) => topic !== 'gone' && partition < 3);
  const result = await h.coordinator.commitOffsets({
    groupId: GROUP,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(4096) },
          { partitionIndex: 1, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(4097) },
          { partitionIndex: 5, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
      { name: 'gone', partitions: [{ partitionIndex: 0, committedOffset: 4, committedLeaderEpoch: -1, committedMetadata: null }] },
    ],
  });
  assert.deepEqual(
    result.map((topic) => [topic.name, topic.partitions.map((partition) => [partition.partitionIndex, partition.errorCode])]),
    [
      ['orders', [[0, ErrorCode.NONE], [1, ErrorCode.OFFSET_METADATA_TOO_LARGE], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ['gone', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ],
  );
  assert.equal(h.committed('orders', 0), 1);
  assert.equal(h.committed('orders', 1), -1);
  assert.equal(h.log.records.length, 1);
});

test('a commit whose write fails answers COORDINATOR_NOT_AVAILABLE and changes nothing', async () => {
  const h = new GroupHarness();
  await h.commit({ offsets: { orders: { 0: 1 } } });
  h.log.failNext();
  const result = await h.commit({ offsets: { orders: { 0: 2, 1: 2 } } });
  assert.deepEqual(result[0]!.partitions.map((partition) => partition.errorCode), [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  assert.equal(h.committed('orders', 0), 1);
  assert.equal(h.committed('orders', 1), -1);
});

test('OffsetCommit keeps the committing member\'s session alive, as a heartbeat', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  for (let t = 0; t < 3 * SESSION_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    const result = await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: t } } });
    assert.equal(result[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  }
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
});

test('OffsetFetch: requested partitions (-1, epoch -1, empty metadata when none), all of them with a null topic list', async () => {
  const h = new GroupHarness();
  await h.commit({ offsets: { b: { 1: 11, 0: 10 }, a: { 3: 33 } } });
  const some = h.coordinator.fetchOffsets(GROUP, [
    { name: 'b', partitionIndexes: [0, 7] },
    { name: 'never', partitionIndexes: [0] },
  ]);
  assert.equal(some.errorCode, ErrorCode.NONE);
  assert.deepEqual(some.topics, [
    {
      name: 'b',
      partitions: [
        { partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
        { partitionIndex: 7, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
      ],
    },
    { name: 'never', partitions: [{ partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }] },
  ]);
  const all = h.coordinator.fetchOffsets(GROUP, null);
  assert.deepEqual(
    all.topics.map((topic) => [topic.name, topic.partitions.map((partition) => [partition.partitionIndex, partition.committedOffset])]),
    [
      ['b', [[0, 10], [1, 11]]],
      ['a', [[3, 33]]],
    ],
  );
  // A group the coordinator does not know: no offsets, and no error.
  assert.deepEqual(h.coordinator.fetchOffsets('unknown', null), { errorCode: ErrorCode.NONE, topics: [] });
  assert.equal(h.committed('b', 0, 'unknown'), -1);
});

test('OffsetDelete: GROUP_ID_NOT_FOUND for an unknown group; an Empty group may delete any of its offsets', async () => {
  const h = new GroupHarness();
  assert.equal((await h.coordinator.deleteOffsets('unknown', [{ name: 'orders', partitions: [0] }])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  await h.commit({ offsets: { orders: { 0: 1, 1: 2 } } });
  const mark = h.log.records.length;
  const result = await h.coordinator.deleteOffsets(GROUP, [{ name: 'orders', partitions: [0, 9] }]);
  assert.deepEqual(result, { errorCode: ErrorCode.NONE, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }, { partitionIndex: 9, errorCode: ErrorCode.NONE }] }] });
  const written = h.log.since(mark).map(decodeOffsetRecord);
  assert.deepEqual(written.map((record) => [record.key.topic, record.key.partition, record.value]), [['orders', 0, null]]);
  assert.equal(h.committed('orders', 0), -1);
  assert.equal(h.committed('orders', 1), 2);
});

test('OffsetDelete: a consuming group keeps the offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC)', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2, (index) => ({ protocols: protocols(['range', [index === 0 ? 'topic-1' : 'topic-2']]) }));
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: 1 }, 'topic-2': { 0: 2 }, old: { 0: 3 } } });
  const result = await h.coordinator.deleteOffsets(GROUP, [
    { name: 'topic-1', partitions: [0] },
    { name: 'topic-2', partitions: [0] },
    { name: 'old', partitions: [0] },
  ]);
  assert.equal(result.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    result.topics.map((topic) => [topic.name, topic.partitions[0]!.errorCode]),
    [
      ['topic-1', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['topic-2', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['old', ErrorCode.NONE],
    ],
  );
  assert.equal(h.committed('topic-1', 0), 1);
  assert.equal(h.committed('old', 0), -1);
});

test('OffsetDelete: a non-empty group of another protocol type is NON_EMPTY_GROUP', async () => {
  const h = new GroupHarness();
  await h.stableGroup(1, () => ({ protocolType: 'connect', protocols: [{ name: 'sessioned', metadata: Buffer.from('worker') }] }));
  const result = await h.coordinator.deleteOffsets(GROUP, [{ name: 'topic-1', partitions: [0] }]);
  assert.equal(result.errorCode, ErrorCode.NON_EMPTY_GROUP);
});

test('OffsetDelete: a consumer group whose subscriptions cannot be read keeps its offsets', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1, () => ({ protocols: [{ name: 'range', metadata: Buffer.from([0xff]) }] }));
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: 1 } } });
  const result = await h.coordinator.deleteOffsets(GROUP, [{ name: 'topic-1', partitions: [0] }]);
  assert.equal(result.topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  assert.equal(h.committed('topic-1', 0), 1);
});

test('OffsetDelete during a rebalance, after a member joined that does not offer the current protocol', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1, () => ({ protocols: protocols(['range', ['topic-1']], ['roundrobin', ['topic-1']]) }));
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: 1 }, old: { 0: 2 } } });
  // The newcomer shares roundrobin with the group but not range, the protocol of this generation.
  await h.joinNew({ clientId: 'newcomer', protocols: protocols(['roundrobin', ['topic-2']]) });
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  // Kafka answers from the subscriptions of the current generation.
  const result = await h.coordinator.deleteOffsets(GROUP, [
    { name: 'topic-1', partitions: [0] },
    { name: 'old', partitions: [0] },
  ]);
  assert.deepEqual(
    result.topics.map((topic) => [topic.name, topic.partitions[0]!.errorCode]),
    [
      ['topic-1', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['old', ErrorCode.NONE],
    ],
  );
  await settle();
  // The next generation subscribes to what its members do.
  const leaderJoin = h.join({ memberId: members[0]!.memberId, protocols: protocols(['range', ['topic-1']], ['roundrobin', ['topic-1']]) });
  await settle();
  assert.equal(leaderJoin.value.protocolName, 'roundrobin');
  assert.deepEqual(
    leaderJoin.value.members.map((member) => member.metadata.toString('hex')),
    [subscription(['topic-1']).toString('hex'), subscription(['topic-2']).toString('hex')],
  );
});
