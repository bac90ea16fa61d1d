/**
 * LeaveGroup (one member, or a v3+ batch with an error per member), DeleteGroups
 * (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND; offsets and metadata tombstoned), and what
 * DescribeGroups and ListGroups show of a group in each state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { groupMetadataKey, groupMetadataValue } from '../../src/coordinator/group/group-records.js';
import { recordKeyVersion } from '../../src/coordinator/record-codec.js';
import { Reader } from '../../src/protocol/reader.js';
import { GROUP, GroupHarness, assertReplayMatches, assignment, settle, subscription } from './harness.js';

test('LeaveGroup v3+: a batch of members leaves at once, each with its own error; the rest rebalance', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(4);
  const [a, b, c, d] = members;
  const result = h.coordinator.leaveGroup(GROUP, [b!, { memberId: 'ghost', groupInstanceId: null }, c!]);
  await settle();
  assert.equal(result.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    result.members.map((member) => [member.memberId, member.errorCode]),
    [
      [b!.memberId, ErrorCode.NONE],
      ['ghost', ErrorCode.UNKNOWN_MEMBER_ID],
      [c!.memberId, ErrorCode.NONE],
    ],
  );
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(h.heartbeat(d!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  const joins = [h.join({ memberId: a!.memberId }), h.join({ memberId: d!.memberId })];
  await settle();
  assert.equal(joins[0]!.value.generationId, generationId + 1);
  assert.deepEqual(joins[0]!.value.members.map((member) => member.memberId), [a!.memberId, d!.memberId]);
});

test('LeaveGroup for a group that does not exist is UNKNOWN_MEMBER_ID', () => {
  const h = new GroupHarness();
  const result = h.coordinator.leaveGroup('no-such-group', [{ memberId: 'm', groupInstanceId: null }]);
  assert.equal(result.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a member that leaves while its JoinGroup is parked is answered UNKNOWN_MEMBER_ID; the others complete without it', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(3);
  const [a, b, c] = members;
  const aJoin = h.join({ memberId: a!.memberId });
  const bJoin = h.join({ memberId: b!.memberId });
  await settle();
  h.coordinator.leaveGroup(GROUP, [b!]);
  await settle();
  assert.equal(bJoin.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(aJoin.settled, false, 'still waiting for c');
  const cJoin = h.join({ memberId: c!.memberId });
  await settle();
  assert.equal(cJoin.value.generationId, generationId + 1);
  assert.deepEqual(aJoin.value.members.map((member) => member.memberId), [a!.memberId, c!.memberId]);
});

test('a pending member (KIP-394) may leave; the join phase stops waiting for it', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  const pending = await h.coordinator.joinGroup(h.joinRequest({ clientId: 'pending' }));
  const aJoin = h.join({ memberId: members[0]!.memberId });
  await settle();
  assert.equal(aJoin.settled, false);
  const result = h.coordinator.leaveGroup(GROUP, [{ memberId: pending.memberId, groupInstanceId: null }]);
  await settle();
  assert.equal(result.members[0]!.errorCode, ErrorCode.NONE);
  assert.equal(aJoin.value.generationId, generationId + 1);
});

test('when the last member leaves the group is Empty: the next generation is written with no members, its offsets stay', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: 100 } } });
  const mark = h.log.records.length;
  h.coordinator.leaveGroup(GROUP, members);
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  const written = h.log.since(mark);
  assert.equal(written.length, 1);
  const { version, message } = groupMetadataValue.decode(written[0]!.value!);
  assert.equal(version, 3);
  assert.deepEqual(
    { protocolType: message.protocolType, generation: message.generation, protocol: message.protocol, leader: message.leader, members: message.members, currentStateTimestamp: message.currentStateTimestamp },
    { protocolType: 'consumer', generation: generationId + 1, protocol: null, leader: null, members: [], currentStateTimestamp: h.scheduler.now() },
  );
  assert.deepEqual(h.coordinator.listGroups([], []).groups, [{ groupId: GROUP, protocolType: 'consumer', groupState: 'Empty', groupType: 'classic' }]);
  assert.equal(h.committed('topic-1', 0), 100);
  assertReplayMatches(h);
});

test('DeleteGroups: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP in every state with members, then offsets and metadata tombstoned', async () => {
  const h = new GroupHarness();
  assert.equal(await h.coordinator.deleteGroup('no-such-group'), ErrorCode.GROUP_ID_NOT_FOUND);
  const a = await h.joinNew();
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.NON_EMPTY_GROUP, 'PreparingRebalance');
  await h.completeJoinPhase([a.joined]);
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.NON_EMPTY_GROUP, 'CompletingRebalance');
  const member = { memberId: a.memberId, groupInstanceId: null };
  const generationId = a.joined.value.generationId;
  await h.syncAll([member], generationId, a.memberId);
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.NON_EMPTY_GROUP, 'Stable');
  await h.commit({ generationId, memberId: a.memberId, offsets: { 'topic-1': { 0: 1, 1: 2 }, other: { 0: 3 } } });
  h.coordinator.leaveGroup(GROUP, [member]);
  await settle();

  const mark = h.log.records.length;
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.NONE);
  const written = h.log.since(mark);
  assert.deepEqual(
    written.map((record) => [recordKeyVersion(record.key), record.value]),
    [
      [1, null],
      [1, null],
      [1, null],
      [2, null],
    ],
  );
  assert.equal(groupMetadataKey.decodeBody(new Reader(written[3]!.key, 2), 2).group, GROUP);
  assert.equal(h.coordinator.describeGroup(GROUP).groupState, 'Dead');
  assert.deepEqual(h.coordinator.listGroups([], []).groups, []);
  assert.equal(h.committed('topic-1', 0), -1);
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.GROUP_ID_NOT_FOUND);
  assertReplayMatches(h, [GROUP]);

  // The group id can be used again.
  await h.commit({ offsets: { other: { 0: 9 } } });
  assert.equal(h.committed('other', 0), 9);
  assert.equal(h.committed('topic-1', 0), -1);
  assertReplayMatches(h, [GROUP]);
});

test('DeleteGroups whose write fails answers COORDINATOR_NOT_AVAILABLE and keeps the group', async () => {
  const h = new GroupHarness();
  await h.commit({ offsets: { orders: { 0: 5 } } });
  h.log.failNext();
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  assert.equal(h.committed('orders', 0), 5);
});

test('DescribeGroups: a Stable group shows protocol, subscriptions and assignments; otherwise members only', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  const stable = h.coordinator.describeGroup(GROUP);
  assert.equal(stable.errorCode, ErrorCode.NONE);
  assert.equal(stable.groupState, 'Stable');
  assert.equal(stable.protocolType, 'consumer');
  assert.equal(stable.protocolData, 'range');
  assert.deepEqual(
    stable.members.map((member) => [member.memberId, member.clientId, member.clientHost, member.memberMetadata.toString('hex'), member.memberAssignment.toString('hex')]),
    members.map((member, index) => [member.memberId, `client-${index}`, '/127.0.0.1', subscription(['topic-1']).toString('hex'), assignment({ 'topic-1': [index] }).toString('hex')]),
  );
  // The leader rejoins: the group is rebalancing, and Kafka shows neither protocol nor payloads.
  h.join({ memberId: members[0]!.memberId });
  await settle();
  const preparing = h.coordinator.describeGroup(GROUP);
  assert.equal(preparing.groupState, 'PreparingRebalance');
  assert.equal(preparing.protocolType, 'consumer');
  assert.equal(preparing.protocolData, '');
  assert.deepEqual(preparing.members.map((member) => [member.memberId, member.memberMetadata.length, member.memberAssignment.length]), members.map((member) => [member.memberId, 0, 0]));
  h.join({ memberId: members[1]!.memberId });
  await settle();
  const completing = h.coordinator.describeGroup(GROUP);
  assert.equal(completing.groupState, 'CompletingRebalance');
  assert.equal(completing.protocolData, '');
  assert.equal(h.coordinator.group(GROUP)!.generationId, generationId + 1);
});

test('ListGroups: every group with its state and protocol type, filtered by state (any case) and type', async () => {
  const h = new GroupHarness();
  await h.stableGroup(1);
  await h.commit({ groupId: 'simple', offsets: { orders: { 0: 1 } } });
  h.join({ groupId: 'preparing', apiVersion: 3 }); // parked in the initial rebalance delay
  await settle();
  const all = h.coordinator.listGroups([], []).groups.map((group) => [group.groupId, group.groupState, group.protocolType]);
  assert.deepEqual(all.sort(), [
    [GROUP, 'Stable', 'consumer'],
    ['preparing', 'PreparingRebalance', 'consumer'],
    ['simple', 'Empty', ''],
  ]);
  assert.deepEqual(h.coordinator.listGroups(['stable', 'EMPTY'], []).groups.map((group) => group.groupId).sort(), [GROUP, 'simple']);
  assert.deepEqual(h.coordinator.listGroups([], ['Classic']).groups.length, 3);
  assert.deepEqual(h.coordinator.listGroups([], ['consumer']).groups, []);
});
