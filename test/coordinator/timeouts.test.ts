/**
 * The timers of a classic group, driven by the ManualScheduler: session timeouts (heartbeats keep
 * a member alive; a parked JoinGroup or SyncGroup counts as alive, Kafka's hasSatisfiedHeartbeat),
 * and the pending-sync timeout that removes members that never send SyncGroup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { GROUP, GroupHarness, REBALANCE_TIMEOUT_MS, SESSION_TIMEOUT_MS, assignment, protocols, settle } from './harness.js';

test('session timeout: heartbeats keep members alive; one that stops is removed after session.timeout.ms and the group rebalances', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  const [a, b] = members;
  for (let t = 0; t < 5 * SESSION_TIMEOUT_MS; t += 4000) {
    await h.advance(4000);
    assert.equal(h.heartbeat(a!, generationId), ErrorCode.NONE);
    assert.equal(h.heartbeat(b!, generationId), ErrorCode.NONE);
  }
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  // b falls silent.
  await h.advance(4000);
  assert.equal(h.heartbeat(a!, generationId), ErrorCode.NONE);
  await h.advance(SESSION_TIMEOUT_MS - 4000 - 1);
  assert.equal(h.coordinator.group(GROUP)!.members.size, 2);
  await h.advance(1);
  assert.equal(h.coordinator.group(GROUP)!.members.size, 1);
  assert.equal(h.heartbeat(b!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.heartbeat(a!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = h.join({ memberId: a!.memberId });
  await settle();
  assert.equal(rejoin.value.generationId, generationId + 1);
  assert.deepEqual(rejoin.value.members.map((member) => member.memberId), [a!.memberId]);
});

test('a member parked in JoinGroup is not expired by its session timeout while the rebalance waits for others', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  const [a, b] = members;
  // b rejoins with a new subscription; a keeps heartbeating but takes 30 s to rejoin.
  const bJoin = h.join({ memberId: b!.memberId, protocols: protocols(['range', ['topic-1', 'topic-2']]) });
  for (let t = 0; t < 3 * SESSION_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    assert.equal(h.heartbeat(a!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  assert.equal(bJoin.settled, false);
  const aJoin = h.join({ memberId: a!.memberId });
  await settle();
  assert.equal(aJoin.value.generationId, generationId + 1);
  assert.equal(bJoin.value.errorCode, ErrorCode.NONE);
  assert.equal(aJoin.value.members.length, 2);
  // Once answered, b's session runs again.
  await h.advance(SESSION_TIMEOUT_MS);
  assert.equal(h.coordinator.group(GROUP)!.members.has(b!.memberId), false);
});

test('a member parked in SyncGroup is not expired while the leader computes the assignment', async () => {
  const h = new GroupHarness();
  const { members: [leader, follower], generationId } = await h.joinedGroup(2);
  const waiting = h.sync(follower!, generationId);
  for (let t = 0; t < 3 * SESSION_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    assert.equal(h.heartbeat(leader!, generationId), ErrorCode.NONE);
  }
  assert.equal(waiting.settled, false);
  const leaderSync = h.sync(leader!, generationId, [{ memberId: follower!.memberId, assignment: assignment({ 'topic-1': [0] }) }]);
  await settle();
  assert.equal(leaderSync.value.errorCode, ErrorCode.NONE);
  assert.equal(waiting.value.errorCode, ErrorCode.NONE);
  assert.deepEqual(waiting.value.assignment, assignment({ 'topic-1': [0] }));
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
});

test('pending sync: members that got their JoinGroup answer but send no SyncGroup within the rebalance timeout are removed', async () => {
  const h = new GroupHarness();
  const { members: [leader, follower, silent], generationId } = await h.joinedGroup(3);
  await h.syncAll([leader!, follower!], generationId, leader!.memberId);
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  // The silent member heartbeats, so its session never ends, but it never syncs.
  for (let t = 0; t < REBALANCE_TIMEOUT_MS - 5000; t += 5000) {
    await h.advance(5000);
    for (const member of [leader!, follower!, silent!]) assert.equal(h.heartbeat(member, generationId), ErrorCode.NONE);
  }
  await h.advance(4999);
  assert.equal(h.coordinator.group(GROUP)!.members.size, 3);
  await h.advance(1);
  assert.equal(h.coordinator.group(GROUP)!.members.has(silent!.memberId), false);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(h.heartbeat(silent!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('pending sync: a leader that never syncs is removed, so its waiting followers are told to rejoin', async () => {
  const h = new GroupHarness();
  const { members: [leader, follower], generationId } = await h.joinedGroup(2);
  const waiting = h.sync(follower!, generationId);
  for (let t = 0; t < REBALANCE_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    if (!waiting.settled) assert.equal(h.heartbeat(leader!, generationId), ErrorCode.NONE);
  }
  assert.equal(waiting.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(h.coordinator.group(GROUP)!.members.has(leader!.memberId), false);
  const rejoin = h.join({ memberId: follower!.memberId });
  await settle();
  assert.equal(rejoin.value.generationId, generationId + 1);
  assert.equal(rejoin.value.leader, follower!.memberId);
});

test('when every member synced, the pending-sync timeout does nothing', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  for (let t = 0; t < 2 * REBALANCE_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    for (const member of members) assert.equal(h.heartbeat(member, generationId), ErrorCode.NONE);
  }
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  assert.equal(h.scheduler.has(`sync:${GROUP}`), false);
});

test('a new member that never completes its join is dropped after the new-member join timeout', async () => {
  // The join phase of a Stable group is held by a member that heartbeats but never rejoins,
  // with a rebalance timeout longer than Kafka's 5-minute new-member timeout.
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1, () => ({ rebalanceTimeoutMs: 600_000 }));
  const newcomer = await h.joinNew({ clientId: 'newcomer', rebalanceTimeoutMs: 100_000 });
  for (let t = 0; t < 600_000; t += 5000) {
    await h.advance(5000);
    if (h.coordinator.stateOf(GROUP) !== 'PreparingRebalance') break;
    h.heartbeat(members[0]!, generationId);
  }
  assert.equal(newcomer.joined.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.coordinator.group(GROUP)!.members.has(newcomer.memberId), false);
});
