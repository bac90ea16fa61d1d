/**
 * JoinGroup and SyncGroup of the classic protocol as Kafka's GroupMetadataManager runs them:
 * KIP-394 member ids, protocol selection, the leader's member list, the initial rebalance delay,
 * the state machine Empty → PreparingRebalance → CompletingRebalance → Stable, and the
 * SyncGroup hand-off from the leader to every member.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { groupMetadataValue } from '../../src/coordinator/group/group-records.js';
import { GROUP, GroupHarness, REBALANCE_TIMEOUT_MS, assignment, protocols, settle, subscription } from './harness.js';

test('a v4+ dynamic member gets MEMBER_ID_REQUIRED with its new id, then joins with it', async () => {
  const h = new GroupHarness();
  const first = await h.coordinator.joinGroup(h.joinRequest({ clientId: 'consumer-7' }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^consumer-7-[0-9a-f-]{36}$/);
  assert.equal(first.generationId, -1);
  // A pending member does not start a rebalance.
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  assert.ok(h.coordinator.group(GROUP)!.pendingMembers.has(first.memberId));

  const joined = h.join({ memberId: first.memberId, clientId: 'consumer-7' });
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(joined.settled, false);
  await h.advance(3000); // group.initial.rebalance.delay.ms
  assert.equal(joined.value.errorCode, ErrorCode.NONE);
  assert.equal(joined.value.memberId, first.memberId);
  assert.equal(joined.value.generationId, 1);
  assert.equal(joined.value.leader, first.memberId);
  assert.equal(joined.value.protocolType, 'consumer');
  assert.equal(joined.value.protocolName, 'range');
  assert.equal(h.coordinator.stateOf(GROUP), 'CompletingRebalance');
});

test('JoinGroup v0-3 adds a new member at once, without MEMBER_ID_REQUIRED', async () => {
  const h = new GroupHarness();
  const joined = h.join({ apiVersion: 3 });
  await settle();
  assert.equal(joined.settled, false);
  assert.equal(h.coordinator.group(GROUP)!.members.size, 1);
  await h.advance(3000);
  assert.equal(joined.value.errorCode, ErrorCode.NONE);
  assert.equal(joined.value.generationId, 1);
});

test('a member that repeats the empty id gets another id; the unused pending id expires after the session timeout', async () => {
  const h = new GroupHarness();
  const first = await h.coordinator.joinGroup(h.joinRequest());
  const second = await h.coordinator.joinGroup(h.joinRequest());
  assert.equal(second.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.notEqual(first.memberId, second.memberId);
  const group = h.coordinator.group(GROUP)!;
  assert.equal(group.pendingMembers.size, 2);
  await h.advance(10_000); // the session timeout of the JoinGroup that asked
  assert.equal(group.pendingMembers.size, 0);
  const late = await h.coordinator.joinGroup(h.joinRequest({ memberId: first.memberId }));
  assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('only the leader gets the member list, with each member\'s metadata for the chosen protocol', async () => {
  const h = new GroupHarness();
  const a = await h.joinNew({ clientId: 'a', protocols: protocols(['range', ['t1']]) });
  const b = await h.joinNew({ clientId: 'b', groupInstanceId: null, protocols: protocols(['range', ['t2']]) });
  await h.completeJoinPhase([a.joined, b.joined]);
  const leader = a.joined.value;
  const follower = b.joined.value;
  assert.equal(leader.leader, a.memberId);
  assert.equal(follower.leader, a.memberId);
  assert.equal(leader.generationId, follower.generationId);
  assert.deepEqual(follower.members, []);
  assert.deepEqual(
    leader.members.map((member) => [member.memberId, member.groupInstanceId, member.metadata.toString('hex')]),
    [
      [a.memberId, null, subscription(['t1']).toString('hex')],
      [b.memberId, null, subscription(['t2']).toString('hex')],
    ],
  );
});

test('protocol selection: each member votes for its first protocol every member supports; most votes wins', async () => {
  const h = new GroupHarness();
  const a = await h.joinNew({ protocols: protocols(['sticky', ['t']], ['roundrobin', ['t']], ['range', ['t']]) });
  const b = await h.joinNew({ protocols: protocols(['range', ['t']], ['roundrobin', ['t']]) });
  const c = await h.joinNew({ protocols: protocols(['roundrobin', ['t']], ['range', ['t']]) });
  await h.completeJoinPhase([a.joined, b.joined, c.joined]);
  // Candidates are {roundrobin, range} (sticky is a's alone); votes: a roundrobin, b range, c roundrobin.
  for (const join of [a, b, c]) assert.equal(join.joined.value.protocolName, 'roundrobin');
  assert.equal(h.coordinator.group(GROUP)!.protocolName, 'roundrobin');
});

test('INCONSISTENT_GROUP_PROTOCOL: no protocol in common, another protocol type, or nothing offered', async () => {
  const h = new GroupHarness();
  await h.joinNew({ protocols: protocols(['range', ['t']], ['roundrobin', ['t']]) });
  const noCommon = await h.coordinator.joinGroup(h.joinRequest({ protocols: protocols(['RoundRobinAssigner', ['t']]) }));
  assert.equal(noCommon.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const otherType = await h.coordinator.joinGroup(h.joinRequest({ protocolType: 'connect' }));
  assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const fresh = new GroupHarness();
  const nothing = await fresh.coordinator.joinGroup(fresh.joinRequest({ protocols: [] }));
  assert.equal(nothing.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const noType = await fresh.coordinator.joinGroup(fresh.joinRequest({ protocolType: '' }));
  assert.equal(noType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
});

test('INVALID_SESSION_TIMEOUT outside group.min.session.timeout.ms and group.max.session.timeout.ms', async () => {
  const h = GroupHarness.withConfig({ minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 1_800_000 });
  for (const sessionTimeoutMs of [5999, 1_800_001]) {
    const result = await h.coordinator.joinGroup(h.joinRequest({ sessionTimeoutMs }));
    assert.equal(result.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, `session timeout ${sessionTimeoutMs}`);
  }
  for (const sessionTimeoutMs of [6000, 1_800_000]) {
    const result = await h.coordinator.joinGroup(h.joinRequest({ sessionTimeoutMs }));
    assert.equal(result.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `session timeout ${sessionTimeoutMs}`);
  }
});

test('GROUP_MAX_SIZE_REACHED once group.max.size members are in the group; members already in are still served', async () => {
  const h = GroupHarness.withConfig({ maxSize: 2 });
  const { members, generationId } = await h.stableGroup(2);
  const third = await h.coordinator.joinGroup(h.joinRequest({ clientId: 'third' }));
  assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  const staticThird = await h.coordinator.joinGroup(h.joinRequest({ groupInstanceId: 'instance-3' }));
  assert.equal(staticThird.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  // The follower rejoins with its id: accepted, and it gets the current generation back.
  const rejoin = h.join({ memberId: members[1]!.memberId });
  await settle();
  assert.equal(rejoin.value.errorCode, ErrorCode.NONE);
  assert.equal(rejoin.value.generationId, generationId);
});

test('group.initial.rebalance.delay.ms: an empty group waits; each new member extends the wait, up to the rebalance timeout', async () => {
  const h = new GroupHarness();
  const a = await h.joinNew({ rebalanceTimeoutMs: 10_000 });
  await h.advance(2000);
  const b = await h.joinNew({ rebalanceTimeoutMs: 10_000 });
  await h.advance(1000); // t=3000: b joined during the delay, so it is extended by another 3000
  assert.equal(a.joined.settled, false);
  await h.advance(2999);
  assert.equal(a.joined.settled, false);
  await h.advance(1); // t=6000: nobody new since
  assert.equal(a.joined.value.generationId, 1);
  assert.equal(b.joined.value.generationId, 1);

  // Members that keep arriving cannot hold the group longer than the rebalance timeout.
  const busy = new GroupHarness();
  const joins = [await busy.joinNew({ rebalanceTimeoutMs: 10_000 })];
  for (let t = 1500; t < 10_000; t += 1500) {
    await busy.advance(1500);
    joins.push(await busy.joinNew({ rebalanceTimeoutMs: 10_000 }));
  }
  await busy.advance(10_000 - 9000 - 1);
  assert.equal(joins[0]!.joined.settled, false);
  await busy.advance(1);
  for (const join of joins) assert.equal(join.joined.value.generationId, 1);
  assert.equal(busy.coordinator.group(GROUP)!.members.size, 7);
});

test('a group that became Empty waits the initial delay again, and new members extend it as in generation 0', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  h.coordinator.leaveGroup(GROUP, members);
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  const a = await h.joinNew();
  await h.advance(2000);
  const b = await h.joinNew();
  await h.advance(1000);
  // Kafka extends the delay whenever the rebalance started from Empty (previousState == EMPTY).
  assert.equal(a.joined.settled, false);
  await h.advance(3000);
  assert.equal(a.joined.value.generationId, generationId + 2);
  assert.equal(b.joined.value.generationId, generationId + 2);
});

test('SyncGroup: followers wait for the leader; the leader\'s assignment reaches every member; the group is Stable', async () => {
  const h = new GroupHarness();
  const {
    members: [leader, follower, leftOut],
    generationId,
    answers,
  } = await h.joinedGroup(3);
  assert.equal(answers[0]!.leader, leader!.memberId);

  const followerSync = h.sync(follower!, generationId);
  await settle();
  assert.equal(followerSync.settled, false);
  assert.equal(h.heartbeat(follower!, generationId), ErrorCode.NONE, 'CompletingRebalance heartbeats are normal');
  const mark = h.log.records.length;
  const leaderSync = h.sync(leader!, generationId, [
    { memberId: leader!.memberId, assignment: assignment({ t: [0] }) },
    { memberId: follower!.memberId, assignment: assignment({ t: [1, 2] }) },
    { memberId: 'not-a-member', assignment: assignment({ t: [3] }) },
  ]);
  await settle();
  assert.equal(leaderSync.value.errorCode, ErrorCode.NONE);
  assert.deepEqual(leaderSync.value.assignment, assignment({ t: [0] }));
  assert.equal(leaderSync.value.protocolType, 'consumer');
  assert.equal(leaderSync.value.protocolName, 'range');
  assert.deepEqual(followerSync.value.assignment, assignment({ t: [1, 2] }));
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');

  // A member the leader left out gets an empty assignment, also after the group is Stable.
  const late = h.sync(leftOut!, generationId);
  await settle();
  assert.equal(late.value.errorCode, ErrorCode.NONE);
  assert.equal(late.value.assignment.length, 0);

  // The assignment is written as the group's metadata before anyone is answered.
  const written = h.log.since(mark);
  assert.equal(written.length, 1);
  const { message } = groupMetadataValue.decode(written[0]!.value!);
  assert.equal(message.generation, generationId);
  assert.deepEqual(
    message.members.map((member) => [member.memberId, Buffer.from(member.assignment).toString('hex')]),
    [
      [leader!.memberId, assignment({ t: [0] }).toString('hex')],
      [follower!.memberId, assignment({ t: [1, 2] }).toString('hex')],
      [leftOut!.memberId, ''],
    ],
  );
});

test('SyncGroup: REBALANCE_IN_PROGRESS while preparing; waiting followers are told when a rebalance starts instead', async () => {
  const h = new GroupHarness();
  const joins = [await h.joinNew(), await h.joinNew()];
  const early = h.sync({ memberId: joins[0]!.memberId, groupInstanceId: null }, 0);
  await settle();
  assert.equal(early.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  await h.completeJoinPhase(joins.map((join) => join.joined));
  const generationId = joins[0]!.joined.value.generationId;
  const follower = { memberId: joins[1]!.memberId, groupInstanceId: null };
  const waiting = h.sync(follower, generationId);
  await settle();
  // A third member arrives before the leader synced: the waiting follower must rejoin.
  await h.joinNew();
  assert.equal(waiting.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
});

test('SyncGroup v5+: a protocol type or name other than the group\'s is INCONSISTENT_GROUP_PROTOCOL', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  const wrongType = h.sync(members[0]!, generationId, [], { protocolType: 'connect' });
  const wrongName = h.sync(members[0]!, generationId, [], { protocolName: 'roundrobin' });
  const right = h.sync(members[0]!, generationId, [], { protocolType: 'consumer', protocolName: 'range' });
  await settle();
  assert.equal(wrongType.value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(wrongName.value.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(right.value.errorCode, ErrorCode.NONE);
});

test('a failed write of the assignment answers COORDINATOR_NOT_AVAILABLE and starts another rebalance', async () => {
  const h = new GroupHarness();
  const { members: [leader, follower], generationId } = await h.joinedGroup(2);
  const followerSync = h.sync(follower!, generationId);
  h.log.failNext();
  const leaderSync = h.sync(leader!, generationId, [{ memberId: follower!.memberId, assignment: assignment({ t: [0] }) }]);
  await settle();
  assert.equal(leaderSync.value.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(followerSync.value.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
});

test('states: Empty → PreparingRebalance → CompletingRebalance → Stable → PreparingRebalance → Empty → Dead', async () => {
  const h = new GroupHarness();
  const seen: string[] = [h.coordinator.stateOf(GROUP)];
  const a = await h.joinNew();
  const b = await h.joinNew();
  seen.push(h.coordinator.stateOf(GROUP));
  await h.completeJoinPhase([a.joined, b.joined]);
  seen.push(h.coordinator.stateOf(GROUP));
  const members = [a, b].map((join) => ({ memberId: join.memberId, groupInstanceId: null }));
  await h.syncAll(members, a.joined.value.generationId, a.memberId);
  seen.push(h.coordinator.stateOf(GROUP));
  // The leader rejoining forces a rebalance (it may want to reassign on metadata changes).
  const rejoin = h.join({ memberId: a.memberId });
  await settle();
  seen.push(h.coordinator.stateOf(GROUP));
  assert.equal(rejoin.settled, false);
  h.coordinator.leaveGroup(GROUP, members);
  await settle();
  assert.equal(rejoin.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  seen.push(h.coordinator.stateOf(GROUP));
  assert.equal(h.coordinator.group(GROUP)!.generationId, 2);
  assert.equal(await h.coordinator.deleteGroup(GROUP), ErrorCode.NONE);
  seen.push(h.coordinator.stateOf(GROUP));
  assert.deepEqual(seen, ['Dead', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'PreparingRebalance', 'Empty', 'Dead']);
  assert.equal(h.coordinator.describeGroup(GROUP).groupState, 'Dead');
});

test('rejoining: a Stable follower with unchanged metadata gets the current generation; changed metadata rebalances', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(2);
  const same = h.join({ memberId: members[1]!.memberId });
  await settle();
  assert.equal(same.value.generationId, generationId);
  assert.deepEqual(same.value.members, []);
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');

  const changed = h.join({ memberId: members[1]!.memberId, protocols: protocols(['range', ['topic-1', 'topic-2']]) });
  await settle();
  assert.equal(changed.settled, false);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(h.heartbeat(members[0]!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  // The rebalance completes as soon as the last member rejoins, without waiting for the timeout.
  const leader = h.join({ memberId: members[0]!.memberId });
  await settle();
  assert.equal(leader.value.generationId, generationId + 1);
  assert.equal(changed.value.generationId, generationId + 1);
  assert.equal(leader.value.members.length, 2);

  // In CompletingRebalance the same metadata answers the current generation again (a lost answer).
  const again = h.join({ memberId: members[1]!.memberId, protocols: protocols(['range', ['topic-1', 'topic-2']]) });
  await settle();
  assert.equal(again.value.generationId, generationId + 1);
  assert.equal(h.coordinator.stateOf(GROUP), 'CompletingRebalance');
});

test('JoinGroup with a member id the group does not know, or for a group that does not exist: UNKNOWN_MEMBER_ID', async () => {
  const h = new GroupHarness();
  const noGroup = await h.coordinator.joinGroup(h.joinRequest({ memberId: 'ghost' }));
  assert.equal(noGroup.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.coordinator.group(GROUP), undefined);
  await h.stableGroup(1);
  const unknown = await h.coordinator.joinGroup(h.joinRequest({ memberId: 'ghost' }));
  assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const invalid = await h.coordinator.joinGroup(h.joinRequest({ groupId: '' }));
  assert.equal(invalid.errorCode, ErrorCode.INVALID_GROUP_ID);
});

test('a pending member (MEMBER_ID_REQUIRED) holds the join phase until it joins, then the phase completes at once', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  const b = await h.coordinator.joinGroup(h.joinRequest({ clientId: 'b' }));
  const c = await h.coordinator.joinGroup(h.joinRequest({ clientId: 'c' }));
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  const bJoined = h.join({ memberId: b.memberId });
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  const aJoined = h.join({ memberId: members[0]!.memberId });
  await settle();
  assert.equal(aJoined.settled, false, 'c is still pending');
  const cJoined = h.join({ memberId: c.memberId });
  await settle();
  for (const joined of [aJoined, bJoined, cJoined]) assert.equal(joined.value.generationId, generationId + 1);
  assert.equal(aJoined.value.members.length, 3);
});

test('a pending member that never comes back stops holding the join phase after its session timeout', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  await h.coordinator.joinGroup(h.joinRequest({ clientId: 'b', sessionTimeoutMs: 8000 }));
  const aJoined = h.join({ memberId: members[0]!.memberId });
  await settle();
  assert.equal(aJoined.settled, false);
  await h.advance(7999);
  assert.equal(aJoined.settled, false);
  await h.advance(1);
  assert.equal(aJoined.value.generationId, generationId + 1);
  assert.equal(aJoined.value.members.length, 1);
});

test('the rebalance timeout removes dynamic members that did not rejoin; a joined member becomes leader', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(3);
  const [leader, b, c] = members;
  // b rejoins with new metadata; neither the leader nor c rejoin in time.
  const bJoined = h.join({ memberId: b!.memberId, protocols: protocols(['range', ['topic-9']]) });
  await settle();
  // Both are alive (they heartbeat, and are told REBALANCE_IN_PROGRESS) but do not rejoin.
  for (let t = 0; t < REBALANCE_TIMEOUT_MS - 5000; t += 5000) {
    await h.advance(5000);
    assert.equal(h.heartbeat(leader!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(h.heartbeat(c!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  await h.advance(4999);
  assert.equal(bJoined.settled, false);
  await h.advance(1);
  assert.equal(bJoined.value.errorCode, ErrorCode.NONE);
  assert.equal(bJoined.value.generationId, generationId + 1);
  assert.equal(bJoined.value.leader, b!.memberId);
  assert.deepEqual(bJoined.value.members.map((member) => member.memberId), [b!.memberId]);
  assert.equal(h.heartbeat(leader!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.heartbeat(c!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
});
