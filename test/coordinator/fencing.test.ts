/**
 * Fencing of stale members, with Kafka's error per request and state: ILLEGAL_GENERATION for an
 * old generation, UNKNOWN_MEMBER_ID for a member the group does not have, REBALANCE_IN_PROGRESS
 * to heartbeats while the group prepares a rebalance (NONE while it completes one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { GROUP, GroupHarness, protocols, settle } from './harness.js';

test('Heartbeat: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS while preparing, NONE while completing', async () => {
  const h = new GroupHarness();
  assert.equal(h.heartbeat({ memberId: 'm', groupInstanceId: null }, 0, 'no-such-group'), ErrorCode.UNKNOWN_MEMBER_ID);
  const { members, generationId } = await h.stableGroup(2);
  const [leader, follower] = members;
  assert.equal(h.heartbeat({ memberId: 'ghost', groupInstanceId: null }, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.heartbeat(follower!, generationId - 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(h.heartbeat(follower!, generationId + 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(h.heartbeat(follower!, generationId), ErrorCode.NONE);

  const leaderJoin = h.join({ memberId: leader!.memberId });
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(h.heartbeat(follower!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  const followerJoin = h.join({ memberId: follower!.memberId });
  await settle();
  const next = followerJoin.value.generationId;
  assert.equal(leaderJoin.value.generationId, next);
  assert.equal(h.coordinator.stateOf(GROUP), 'CompletingRebalance');
  assert.equal(h.heartbeat(follower!, next), ErrorCode.NONE);
  assert.equal(h.heartbeat(follower!, generationId), ErrorCode.ILLEGAL_GENERATION, 'the previous generation is stale now');
});

test('Heartbeat to an Empty group is UNKNOWN_MEMBER_ID', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  h.coordinator.leaveGroup(GROUP, members);
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  assert.equal(h.heartbeat(members[0]!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.heartbeat(members[0]!, generationId + 1), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('SyncGroup: unknown member, old generation, unknown group', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  const unknown = h.sync({ memberId: 'ghost', groupInstanceId: null }, generationId);
  const stale = h.sync(members[0]!, generationId - 1);
  const noGroup = h.sync(members[0]!, generationId, [], { groupId: 'no-such-group' });
  await settle();
  assert.equal(unknown.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(stale.value.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal(noGroup.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a member removed by a rebalance is fenced: its heartbeat, SyncGroup, JoinGroup and commit get UNKNOWN_MEMBER_ID', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  const [leader, removed] = members;
  h.coordinator.leaveGroup(GROUP, [removed!]);
  await settle();
  const join = h.join({ memberId: leader!.memberId });
  await settle();
  assert.equal(join.value.generationId, generationId + 1);
  assert.equal(h.heartbeat(removed!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  const sync = h.sync(removed!, generationId);
  const rejoin = h.join({ memberId: removed!.memberId });
  await settle();
  assert.equal(sync.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(rejoin.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const commit = await h.commit({ generationId, memberId: removed!.memberId, offsets: { 'topic-1': { 0: 1 } } });
  assert.equal(commit[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('OffsetCommit: the current generation only; allowed while preparing; REBALANCE_IN_PROGRESS while completing', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  const [leader, follower] = members;
  const code = async (member: typeof leader, generation: number): Promise<ErrorCode> =>
    (await h.commit({ generationId: generation, memberId: member!.memberId, offsets: { 'topic-1': { 0: 10 } } }))[0]!.partitions[0]!.errorCode;

  assert.equal(await code(follower, generationId), ErrorCode.NONE);
  assert.equal(await code(follower, generationId - 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(await code({ memberId: 'ghost', groupInstanceId: null }, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  // The group prepares a rebalance: members may still commit what they consumed in this generation.
  const leaderJoin = h.join({ memberId: leader!.memberId, protocols: protocols(['range', ['topic-1', 'topic-2']]) });
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(await code(follower, generationId), ErrorCode.NONE);
  const followerJoin = h.join({ memberId: follower!.memberId });
  await settle();
  const next = followerJoin.value.generationId;
  assert.equal(leaderJoin.value.generationId, next);
  assert.equal(h.coordinator.stateOf(GROUP), 'CompletingRebalance');
  assert.equal(await code(follower, next), ErrorCode.REBALANCE_IN_PROGRESS);
  // Kafka checks the member and its generation first: a stale or unknown member is told so.
  assert.equal(await code(follower, generationId), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(await code({ memberId: 'ghost', groupInstanceId: null }, next), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a Stable group member with generation -1 and an empty member id cannot commit: UNKNOWN_MEMBER_ID', async () => {
  const h = new GroupHarness();
  await h.stableGroup(1);
  const result = await h.commit({ offsets: { 'topic-1': { 0: 1 } } });
  assert.equal(result[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});
