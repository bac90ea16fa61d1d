/**
 * Records in, records out: what the coordinator writes to `__consumer_offsets` is Kafka's record
 * layout (GroupMetadataKey v2 / GroupMetadataValue v3, OffsetCommitKey v1 / OffsetCommitValue v3
 * or v1, ../shared/kafka-protocol/records), a fresh coordinator fed those records (tombstones
 * included) rebuilds the same groups and offsets, and records Kafka itself wrote in older
 * versions load too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { GroupCoordinator, javaStringHashCode } from '../../src/coordinator/group/group-coordinator.js';
import { ManualScheduler } from '../../src/coordinator/scheduler.js';
import { FakeOffsetsLog, GROUP, GroupHarness, KAFKA_DEFAULTS, SESSION_TIMEOUT_MS, assertReplayMatches, assignment, protocols, settle, subscription, viewOf } from './harness.js';

/** Big-endian, non-flexible Kafka encoding written out by hand, independent of the codecs. */
class Bytes {
  private readonly parts: Buffer[] = [];
  int16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    this.parts.push(buffer);
    return this;
  }
  int32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    this.parts.push(buffer);
    return this;
  }
  int64(value: number): this {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64BE(BigInt(value));
    this.parts.push(buffer);
    return this;
  }
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const bytes = Buffer.from(value, 'utf8');
    return this.int16(bytes.length).raw(bytes);
  }
  bytes(value: Buffer): this {
    return this.int32(value.length).raw(value);
  }
  raw(value: Buffer): this {
    this.parts.push(value);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface MemberLayout {
  memberId: string;
  groupInstanceId?: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout?: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

function groupMetadataKeyBytes(group: string): Buffer {
  return new Bytes().int16(2).string(group).done();
}

/** GroupMetadataValue: v0 has no rebalanceTimeout, v0-1 no currentStateTimestamp, v0-2 no groupInstanceId. */
function groupMetadataValueBytes(
  version: number,
  value: { protocolType: string; generation: number; protocol: string | null; leader: string | null; currentStateTimestamp?: number; members: MemberLayout[] },
): Buffer {
  const bytes = new Bytes().int16(version).string(value.protocolType).int32(value.generation).string(value.protocol).string(value.leader);
  if (version >= 2) bytes.int64(value.currentStateTimestamp ?? -1);
  bytes.int32(value.members.length);
  for (const member of value.members) {
    bytes.string(member.memberId);
    if (version >= 3) bytes.string(member.groupInstanceId ?? null);
    bytes.string(member.clientId).string(member.clientHost);
    if (version >= 1) bytes.int32(member.rebalanceTimeout ?? -1);
    bytes.int32(member.sessionTimeout).bytes(member.subscription).bytes(member.assignment);
  }
  return bytes.done();
}

function offsetCommitKeyBytes(version: number, group: string, topic: string, partition: number): Buffer {
  return new Bytes().int16(version).string(group).string(topic).int32(partition).done();
}

/** OffsetCommitValue: v1 alone has expireTimestamp, v3+ has leaderEpoch. */
function offsetCommitValueBytes(version: number, value: { offset: number; leaderEpoch?: number; metadata: string; commitTimestamp: number; expireTimestamp?: number }): Buffer {
  const bytes = new Bytes().int16(version).int64(value.offset);
  if (version >= 3) bytes.int32(value.leaderEpoch ?? -1);
  bytes.string(value.metadata).int64(value.commitTimestamp);
  if (version === 1) bytes.int64(value.expireTimestamp ?? -1);
  return bytes.done();
}

test('group metadata and offset records are Kafka\'s layouts, byte for byte', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2, (index) => ({ groupInstanceId: index === 0 ? 'instance-0' : null, clientId: `client-${index}` }));
  const group = h.coordinator.group(GROUP)!;
  const assignmentRecord = h.log.records.at(-1)!;
  assert.deepEqual(assignmentRecord.key, groupMetadataKeyBytes(GROUP));
  assert.deepEqual(
    assignmentRecord.value,
    groupMetadataValueBytes(3, {
      protocolType: 'consumer',
      generation: generationId,
      protocol: 'range',
      leader: members[0]!.memberId,
      currentStateTimestamp: group.stateTimestamp,
      members: members.map((member, index) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: `client-${index}`,
        clientHost: '/127.0.0.1',
        rebalanceTimeout: 60_000,
        sessionTimeout: SESSION_TIMEOUT_MS,
        subscription: subscription(['topic-1']),
        assignment: assignment({ 'topic-1': [index] }),
      })),
    }),
  );

  const mark = h.log.records.length;
  const now = h.scheduler.now();
  await h.coordinator.commitOffsets({
    groupId: GROUP,
    generationId,
    memberId: members[1]!.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'topic-1', partitions: [{ partitionIndex: 1, committedOffset: 2 ** 40, committedLeaderEpoch: 3, committedMetadata: 'm' }] }],
  });
  await h.coordinator.commitOffsets({
    groupId: 'simple',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: 1000,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  await h.coordinator.deleteOffsets(GROUP, [{ name: 'elsewhere', partitions: [] }, { name: 'topic-9', partitions: [0] }]);
  await h.coordinator.deleteOffsets('simple', [{ name: 't', partitions: [0] }]);
  assert.deepEqual(h.log.since(mark), [
    { key: offsetCommitKeyBytes(1, GROUP, 'topic-1', 1), value: offsetCommitValueBytes(3, { offset: 2 ** 40, leaderEpoch: 3, metadata: 'm', commitTimestamp: now }) },
    { key: offsetCommitKeyBytes(1, 'simple', 't', 0), value: offsetCommitValueBytes(1, { offset: 5, metadata: '', commitTimestamp: now, expireTimestamp: now + 1000 }) },
    { key: offsetCommitKeyBytes(1, 'simple', 't', 0), value: null },
  ]);
});

test('records go to partition abs(groupId.hashCode()) % offsets.topic.num.partitions, as Kafka places groups', async () => {
  // Java's String.hashCode: "polygenelubricants" is Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
  assert.equal(javaStringHashCode('group-a'), 293_427_347);
  assert.equal(javaStringHashCode('my-group'), -1_906_497_762);
  assert.equal(javaStringHashCode('polygenelubricants'), -2_147_483_648);
  const h = new GroupHarness();
  assert.equal(h.coordinator.partitionFor('group-a'), 47);
  assert.equal(h.coordinator.partitionFor('my-group'), 12);
  assert.equal(h.coordinator.partitionFor('polygenelubricants'), 0);
  await h.commit({ groupId: 'my-group', offsets: { t: { 0: 1 } } });
  await h.commit({ groupId: 'polygenelubricants', offsets: { t: { 0: 1 } } });
  assert.deepEqual(h.log.appended.map((entry) => entry.partition), [12, 0]);
});

test('replaying every record written through joins, syncs, static rejoins, leaves, commits, deletes and expiry rebuilds the same state', async () => {
  const h = GroupHarness.withConfig({ offsetsRetentionMs: 3_600_000, offsetsRetentionCheckIntervalMs: 600_000 });
  // Group A: three members, one static; offsets committed.
  const { members, generationId } = await h.stableGroup(3, (index) => ({ groupInstanceId: index === 2 ? 'static-2' : null, clientId: `client-${index}` }));
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: 10, 1: 11, 2: 12 } } });
  // Group B: a simple group, one of its offsets deleted.
  await h.commit({ groupId: 'group-b', offsets: { orders: { 0: 1, 1: 2 }, audit: { 0: 3 } } });
  await h.coordinator.deleteOffsets('group-b', [{ name: 'audit', partitions: [0] }]);
  // Group C: formed, emptied, deleted with its offsets.
  const c = await h.joinNew({ groupId: 'group-c' });
  await h.completeJoinPhase([c.joined]);
  const cMember = { memberId: c.memberId, groupInstanceId: null };
  const cSync = h.sync(cMember, c.joined.value.generationId, [{ memberId: c.memberId, assignment: assignment({ x: [0] }) }], { groupId: 'group-c' });
  await settle();
  assert.equal(cSync.value.errorCode, ErrorCode.NONE);
  await h.commit({ groupId: 'group-c', generationId: c.joined.value.generationId, memberId: c.memberId, offsets: { x: { 0: 1 } } });
  h.coordinator.leaveGroup('group-c', [cMember]);
  await settle();
  assert.equal(await h.coordinator.deleteGroup('group-c'), ErrorCode.NONE);
  // Group D: a simple group whose offsets will expire.
  await h.commit({ groupId: 'group-d', offsets: { old: { 0: 1 } } });
  assertReplayMatches(h, [GROUP, 'group-b', 'group-c', 'group-d']);

  // The static member restarts (no rebalance), a dynamic member leaves (rebalance).
  const restarted = h.join({ groupInstanceId: 'static-2', clientId: 'client-2' });
  await settle();
  assert.equal(restarted.value.generationId, generationId);
  assertReplayMatches(h, [GROUP]);
  h.coordinator.leaveGroup(GROUP, [members[1]!]);
  const survivors = [members[0]!, { memberId: restarted.value.memberId, groupInstanceId: 'static-2' }];
  const joins = [h.join({ memberId: survivors[0]!.memberId }), h.join({ memberId: survivors[1]!.memberId, groupInstanceId: 'static-2' })];
  await settle();
  const next = joins[0]!.value.generationId;
  assert.equal(next, generationId + 1);
  await h.syncAll(survivors, next, survivors[0]!.memberId);
  await h.commit({ generationId: next, memberId: survivors[1]!.memberId, groupInstanceId: 'static-2', offsets: { 'topic-1': { 1: 111 } } });

  // An hour and more later, group D's offset has expired, and group D with it.
  for (let t = 0; t < 4_200_000; t += 5000) {
    await h.advance(5000);
    for (const member of survivors) assert.equal(h.heartbeat(member, next), ErrorCode.NONE);
  }
  assert.equal(h.coordinator.group('group-d'), undefined);
  assert.equal(h.coordinator.group('group-b'), undefined, 'a simple group expires by commit time too');
  const replayed = assertReplayMatches(h, [GROUP, 'group-b', 'group-c', 'group-d']);
  assert.equal(replayed.coordinator.stateOf(GROUP), 'Stable');
  assert.equal(replayed.committed('topic-1', 1), 111);
  assert.equal(replayed.coordinator.group(GROUP)!.generationId, next);
});

test('a loaded group: members get fresh sessions, the loaded generation is current, silent members leave after their session timeout', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2, (index) => ({ groupInstanceId: index === 0 ? 'instance-0' : null }));
  const loaded = h.replay();
  assert.equal(loaded.coordinator.stateOf(GROUP), 'Stable');
  const [leader, follower] = members;
  await loaded.advance(SESSION_TIMEOUT_MS - 1000);
  assert.equal(loaded.heartbeat(leader!, generationId), ErrorCode.NONE);
  assert.equal(loaded.heartbeat(follower!, generationId - 1), ErrorCode.ILLEGAL_GENERATION);
  const sync = loaded.sync(leader!, generationId);
  await settle();
  assert.deepEqual(sync.value.assignment, assignment({ 'topic-1': [0] }));
  // The follower never comes back.
  await loaded.advance(1000);
  assert.equal(loaded.coordinator.group(GROUP)!.members.has(follower!.memberId), false);
  assert.equal(loaded.coordinator.stateOf(GROUP), 'PreparingRebalance');
  // The static leader restarts into the loaded group with the protocol it knows.
  const rejoin = loaded.join({ memberId: leader!.memberId, groupInstanceId: 'instance-0' });
  await settle();
  assert.equal(rejoin.value.generationId, generationId + 1);
  assert.equal(rejoin.value.protocolName, 'range');
});

test('records Kafka wrote in older versions load: OffsetCommitKey v0, OffsetCommitValue v0-v3, GroupMetadataValue v0-v2', () => {
  const scheduler = new ManualScheduler();
  const coordinator = new GroupCoordinator(KAFKA_DEFAULTS, new FakeOffsetsLog(), scheduler);
  const member = (id: string): MemberLayout => ({
    memberId: id,
    clientId: 'java-client',
    clientHost: '/10.0.0.1',
    rebalanceTimeout: 300_000,
    sessionTimeout: 45_000,
    subscription: subscription(['orders']),
    assignment: assignment({ orders: [0, 1] }),
  });
  const records = [
    { key: groupMetadataKeyBytes('v0'), value: groupMetadataValueBytes(0, { protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm-0', members: [member('m-0')] }) },
    { key: groupMetadataKeyBytes('v1'), value: groupMetadataValueBytes(1, { protocolType: 'consumer', generation: 5, protocol: 'range', leader: 'm-1', members: [member('m-1')] }) },
    { key: groupMetadataKeyBytes('v2'), value: groupMetadataValueBytes(2, { protocolType: 'consumer', generation: 6, protocol: null, leader: null, currentStateTimestamp: 1_600_000_000_000, members: [] }) },
    { key: offsetCommitKeyBytes(0, 'v0', 'orders', 0), value: offsetCommitValueBytes(0, { offset: 100, metadata: 'a', commitTimestamp: 1 }) },
    { key: offsetCommitKeyBytes(1, 'v0', 'orders', 1), value: offsetCommitValueBytes(1, { offset: 101, metadata: '', commitTimestamp: 1, expireTimestamp: 2 }) },
    { key: offsetCommitKeyBytes(1, 'v1', 'orders', 0), value: offsetCommitValueBytes(2, { offset: 200, metadata: '', commitTimestamp: 1 }) },
    { key: offsetCommitKeyBytes(1, 'v1', 'orders', 1), value: offsetCommitValueBytes(3, { offset: 201, leaderEpoch: 7, metadata: '', commitTimestamp: 1 }) },
    // A KIP-848 record (ConsumerGroupMetadataKey, version 3) is not the classic coordinator's.
    { key: new Bytes().int16(3).string('new-protocol').done(), value: Buffer.from([0, 0, 0, 0, 0, 1]) },
  ];
  records.forEach((record, position) => coordinator.loadRecord(record, -1, position));
  coordinator.completeLoading();
  const view = viewOf(coordinator, ['v0', 'v1', 'v2']);
  assert.deepEqual(view.listed, [
    { groupId: 'v0', protocolType: 'consumer', groupState: 'Stable' },
    { groupId: 'v1', protocolType: 'consumer', groupState: 'Stable' },
    { groupId: 'v2', protocolType: 'consumer', groupState: 'Empty' },
  ]);
  const v0 = coordinator.describeGroup('v0');
  assert.deepEqual(
    v0.members.map((each) => [each.memberId, each.groupInstanceId, each.clientId, each.memberAssignment.toString('hex')]),
    [['m-0', null, 'java-client', assignment({ orders: [0, 1] }).toString('hex')]],
  );
  // GroupMetadataValue v0 has no rebalance timeout: the session timeout stands in, as in Kafka.
  assert.equal(coordinator.group('v0')!.members.get('m-0')!.rebalanceTimeoutMs, 45_000);
  assert.equal(coordinator.group('v1')!.members.get('m-1')!.rebalanceTimeoutMs, 300_000);
  assert.equal(coordinator.group('v2')!.stateTimestamp, 1_600_000_000_000);
  assert.deepEqual(
    coordinator.fetchOffsets('v0', null).topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata]),
    [
      [0, 100, -1, 'a'],
      [1, 101, -1, ''],
    ],
  );
  assert.deepEqual(
    coordinator.fetchOffsets('v1', null).topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch]),
    [
      [0, 200, -1],
      [1, 201, 7],
    ],
  );
  assert.equal(coordinator.group('new-protocol'), undefined);
});

test('tombstones in the log: an offset tombstone removes that offset only; a group tombstone removes the group', () => {
  const h = new GroupHarness(KAFKA_DEFAULTS, undefined, false);
  const commit = (group: string, partition: number, offset: number) => ({
    key: offsetCommitKeyBytes(1, group, 't', partition),
    value: offsetCommitValueBytes(3, { offset, metadata: '', commitTimestamp: h.scheduler.now() }),
  });
  const records = [
    commit('g', 0, 1),
    commit('g', 1, 2),
    { key: offsetCommitKeyBytes(1, 'g', 't', 0), value: null },
    commit('h', 0, 5),
    { key: offsetCommitKeyBytes(1, 'h', 't', 0), value: null },
    { key: groupMetadataKeyBytes('h'), value: null },
    { key: groupMetadataKeyBytes('never-existed'), value: null },
  ];
  records.forEach((record, position) => h.coordinator.loadRecord(record, -1, position));
  h.coordinator.completeLoading();
  assert.equal(h.committed('t', 0, 'g'), -1);
  assert.equal(h.committed('t', 1, 'g'), 2);
  assert.equal(h.coordinator.group('h'), undefined);
  assert.deepEqual(h.coordinator.listGroups([], []).groups.map((group) => group.groupId), ['g']);
});

test('until loading completes every request is answered COORDINATOR_LOAD_IN_PROGRESS', async () => {
  const h = new GroupHarness(KAFKA_DEFAULTS, undefined, false);
  assert.equal((await h.coordinator.joinGroup(h.joinRequest())).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal((await h.coordinator.syncGroup({ groupId: GROUP, generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(h.heartbeat({ memberId: 'm', groupInstanceId: null }, 1), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(h.coordinator.leaveGroup(GROUP, []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal((await h.commit({ offsets: { t: { 0: 1 } } }))[0]!.partitions[0]!.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(h.coordinator.fetchOffsets(GROUP, null).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(h.coordinator.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(h.coordinator.describeGroup(GROUP).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal((await h.coordinator.deleteOffsets(GROUP, [])).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(h.log.records.length, 0);
});

test('a loaded Stable group whose member rejoins with more protocols than the record kept rebalances, as Kafka\'s would', async () => {
  // The record keeps only the chosen protocol's metadata, so the member's list looks changed.
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2, () => ({ protocols: protocols(['range', ['topic-1']], ['roundrobin', ['topic-1']]) }));
  const loaded = h.replay();
  const rejoin = loaded.join({ memberId: members[1]!.memberId, protocols: protocols(['range', ['topic-1']], ['roundrobin', ['topic-1']]) });
  await settle();
  assert.equal(rejoin.settled, false);
  assert.equal(loaded.coordinator.stateOf(GROUP), 'PreparingRebalance');
  const leader = loaded.join({ memberId: members[0]!.memberId, protocols: protocols(['range', ['topic-1']], ['roundrobin', ['topic-1']]) });
  await settle();
  assert.equal(leader.value.generationId, generationId + 1);
  assert.equal(leader.value.protocolName, 'range');
});
