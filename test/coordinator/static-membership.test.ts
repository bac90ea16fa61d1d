/**
 * KIP-345 static membership: a member with a group.instance.id keeps its place across restarts.
 * Rejoining with the same instance id while the group is Stable returns the old assignment under
 * a new member id without a rebalance, and the old member id is fenced (FENCED_INSTANCE_ID).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { groupMetadataValue } from '../../src/coordinator/group/group-records.js';
import { GROUP, GroupHarness, REBALANCE_TIMEOUT_MS, SESSION_TIMEOUT_MS, assignment, assertReplayMatches, protocols, settle, type Member } from './harness.js';

async function staticGroup(h: GroupHarness, count = 2): Promise<{ members: Member[]; generationId: number }> {
  return h.stableGroup(count, (index) => ({ groupInstanceId: `instance-${index}`, clientId: `client-${index}` }));
}

test('a static member never gets MEMBER_ID_REQUIRED; its member id is made from its instance id', async () => {
  const h = new GroupHarness();
  const joined = h.join({ groupInstanceId: 'instance-0', apiVersion: 9 });
  await h.completeJoinPhase([joined]);
  assert.equal(joined.value.errorCode, ErrorCode.NONE);
  assert.match(joined.value.memberId, /^instance-0-[0-9a-f-]{36}$/);
  assert.equal(h.coordinator.group(GROUP)!.staticMemberId('instance-0'), joined.value.memberId);
});

test('a restarted static follower gets its assignment back under a new id, same generation, no rebalance; the old id is fenced', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await staticGroup(h);
  const [leader, follower] = members;
  const mark = h.log.records.length;

  const rejoined = h.join({ groupInstanceId: 'instance-1', clientId: 'client-1' });
  await settle();
  assert.equal(rejoined.value.errorCode, ErrorCode.NONE);
  const newId = rejoined.value.memberId;
  assert.notEqual(newId, follower!.memberId);
  assert.equal(rejoined.value.generationId, generationId);
  assert.equal(rejoined.value.leader, leader!.memberId);
  assert.deepEqual(rejoined.value.members, []);
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');

  const restarted = { memberId: newId, groupInstanceId: 'instance-1' };
  const sync = h.sync(restarted, generationId);
  await settle();
  assert.equal(sync.value.errorCode, ErrorCode.NONE);
  assert.deepEqual(sync.value.assignment, assignment({ 'topic-1': [1] }));
  assert.equal(h.heartbeat(restarted, generationId), ErrorCode.NONE);
  assert.equal(h.heartbeat(leader!, generationId), ErrorCode.NONE, 'the rest of the group carries on');

  // The old incarnation is fenced everywhere.
  assert.equal(h.heartbeat(follower!, generationId), ErrorCode.FENCED_INSTANCE_ID);
  const oldSync = h.sync(follower!, generationId);
  const oldJoin = h.join({ memberId: follower!.memberId, groupInstanceId: 'instance-1' });
  const oldCommit = h.commit({ generationId, memberId: follower!.memberId, groupInstanceId: 'instance-1', offsets: { 'topic-1': { 1: 5 } } });
  await settle();
  assert.equal(oldSync.value.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(oldJoin.value.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal((await oldCommit)[0]!.partitions[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const oldLeave = h.coordinator.leaveGroup(GROUP, [follower!]);
  assert.equal(oldLeave.members[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(h.coordinator.group(GROUP)!.members.size, 2);

  // The new member id is written down, so a coordinator that loads the group knows it.
  const written = h.log.since(mark);
  assert.equal(written.length, 1);
  const { message } = groupMetadataValue.decode(written[0]!.value!);
  assert.equal(message.generation, generationId);
  assert.deepEqual(
    message.members.map((member) => [member.memberId, member.groupInstanceId]),
    [
      [leader!.memberId, 'instance-0'],
      [newId, 'instance-1'],
    ],
  );
  assertReplayMatches(h);
});

test('a restarted static leader: JoinGroup v9 returns the members with skip_assignment; before v9 it is not told it leads', async () => {
  for (const apiVersion of [9, 8, 5]) {
    const h = new GroupHarness();
    const { members, generationId } = await staticGroup(h);
    const oldLeader = members[0]!;
    const rejoined = h.join({ groupInstanceId: 'instance-0', clientId: 'client-0', apiVersion });
    await settle();
    const result = rejoined.value;
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.equal(result.generationId, generationId);
    assert.equal(h.coordinator.group(GROUP)!.leaderId, result.memberId, 'the new id leads the group');
    if (apiVersion >= 9) {
      assert.equal(result.leader, result.memberId);
      assert.equal(result.skipAssignment, true);
      assert.deepEqual(result.members.map((member) => member.groupInstanceId), ['instance-1', 'instance-0']);
    } else {
      // Kafka answers the old leader id and no members, so the client does not compute an
      // assignment a Stable group would ignore (updateStaticMemberThenRebalanceOrCompleteJoin).
      assert.equal(result.leader, oldLeader.memberId, `v${apiVersion}`);
      assert.equal(result.skipAssignment, false);
      assert.deepEqual(result.members, [], `v${apiVersion}`);
    }
    const sync = h.sync({ memberId: result.memberId, groupInstanceId: 'instance-0' }, generationId, [
      { memberId: result.memberId, assignment: assignment({ other: [9] }) },
    ]);
    await settle();
    assert.deepEqual(sync.value.assignment, assignment({ 'topic-1': [0] }), 'a Stable group keeps the assignment it has');
    assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  }
});

test('a static member that rejoins with protocols that change the group\'s choice starts a rebalance', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await staticGroup(h, 1);
  const rejoined = h.join({ groupInstanceId: 'instance-0', protocols: protocols(['roundrobin', ['topic-1']], ['range', ['topic-1']]) });
  await settle();
  // It is the only member, so the join phase completes at once with the new protocol.
  assert.equal(rejoined.value.generationId, generationId + 1);
  assert.equal(rejoined.value.protocolName, 'roundrobin');
  assert.notEqual(rejoined.value.memberId, members[0]!.memberId);
  assert.equal(h.coordinator.stateOf(GROUP), 'CompletingRebalance');
});

test('a static member rejoining during a rebalance replaces its parked predecessor, which is fenced', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await staticGroup(h);
  const parked = h.join({ memberId: members[0]!.memberId, groupInstanceId: 'instance-0' }); // the leader rejoins
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  const duplicate = h.join({ groupInstanceId: 'instance-0' });
  await settle();
  assert.equal(parked.value.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(duplicate.settled, false);
  const follower = h.join({ memberId: members[1]!.memberId, groupInstanceId: 'instance-1' });
  await settle();
  assert.equal(duplicate.value.generationId, generationId + 1);
  assert.equal(follower.value.generationId, generationId + 1);
  assert.equal(duplicate.value.leader, duplicate.value.memberId);
});

test('a static member that does not rejoin keeps its place through the rebalance timeout; dynamic members do not', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(3, (index) => (index === 2 ? { clientId: 'dynamic' } : { groupInstanceId: `instance-${index}` }));
  const [leader, staticFollower, dynamic] = members;
  const leaderJoin = h.join({ memberId: leader!.memberId, groupInstanceId: 'instance-0' });
  for (let t = 0; t < REBALANCE_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    if (!leaderJoin.settled) {
      assert.equal(h.heartbeat(staticFollower!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
      assert.equal(h.heartbeat(dynamic!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    }
  }
  assert.equal(leaderJoin.value.generationId, generationId + 1);
  assert.deepEqual(
    leaderJoin.value.members.map((member) => member.groupInstanceId),
    ['instance-0', 'instance-1'],
  );
});

test('when no member rejoined in time and only static members are left, the join phase waits another rebalance timeout', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await staticGroup(h);
  const [leader, follower] = members;
  // A dynamic member comes and goes, leaving the group preparing a rebalance nobody rejoined for.
  const visitor = await h.joinNew({ clientId: 'visitor' });
  h.coordinator.leaveGroup(GROUP, [{ memberId: visitor.memberId, groupInstanceId: null }]);
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  const keepAlive = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 5000) {
      await h.advance(5000);
      for (const member of [leader!, follower!]) {
        if (h.coordinator.stateOf(GROUP) === 'PreparingRebalance') assert.equal(h.heartbeat(member, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
      }
    }
  };
  await keepAlive(REBALANCE_TIMEOUT_MS);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(h.coordinator.group(GROUP)!.generationId, generationId);
  // The leader rejoins; the follower still does not, and keeps its place.
  const leaderJoin = h.join({ memberId: leader!.memberId, groupInstanceId: 'instance-0' });
  await keepAlive(REBALANCE_TIMEOUT_MS);
  assert.equal(leaderJoin.value.generationId, generationId + 1);
  assert.equal(leaderJoin.value.members.length, 2);
});

test('static members are removed by their session timeout (they send no LeaveGroup)', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await staticGroup(h);
  const [leader, follower] = members;
  await h.advance(5000);
  assert.equal(h.heartbeat(leader!, generationId), ErrorCode.NONE);
  await h.advance(SESSION_TIMEOUT_MS - 5000 - 1);
  assert.equal(h.heartbeat(leader!, generationId), ErrorCode.NONE);
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  await h.advance(1);
  assert.equal(h.heartbeat(follower!, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.coordinator.group(GROUP)!.staticMemberId('instance-1'), undefined);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
});

test('a static follower whose SyncGroup waited past its session gets a new session when told to rejoin', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await staticGroup(h);
  const [leader, follower] = members;
  // Both rejoin; the leader then takes its time to assign, heartbeating meanwhile.
  const joins = [h.join({ memberId: leader!.memberId, groupInstanceId: 'instance-0' }), h.join({ memberId: follower!.memberId, groupInstanceId: 'instance-1' })];
  await settle();
  const nextGeneration = joins[0]!.value.generationId;
  assert.equal(nextGeneration, generationId + 1);
  const waiting = h.sync(follower!, nextGeneration);
  for (let t = 0; t < 3 * SESSION_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    assert.equal(h.heartbeat(leader!, nextGeneration), ErrorCode.NONE);
  }
  assert.equal(waiting.settled, false, 'a member waiting for its assignment is not expired');
  // A new member arrives: the waiting follower is told to rejoin and is never heard of again.
  await h.joinNew({ clientId: 'newcomer' });
  assert.equal(waiting.value.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  for (let t = 0; t < SESSION_TIMEOUT_MS; t += 5000) {
    await h.advance(5000);
    assert.equal(h.heartbeat(leader!, nextGeneration), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  assert.equal(h.coordinator.group(GROUP)!.staticMemberId('instance-1'), undefined, 'its session expired');
});

test('LeaveGroup v3+ removes static members by instance id, each with its own error', async () => {
  const h = new GroupHarness();
  const { members } = await h.stableGroup(3, (index) => ({ groupInstanceId: `instance-${index}` }));
  const result = h.coordinator.leaveGroup(GROUP, [
    { memberId: '', groupInstanceId: 'instance-1' },
    { memberId: 'someone-else', groupInstanceId: 'instance-2' },
    { memberId: '', groupInstanceId: 'instance-9' },
    { memberId: members[0]!.memberId, groupInstanceId: 'instance-0' },
  ]);
  await settle();
  assert.equal(result.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    result.members.map((member) => [member.groupInstanceId, member.errorCode]),
    [
      ['instance-1', ErrorCode.NONE],
      ['instance-2', ErrorCode.FENCED_INSTANCE_ID],
      ['instance-9', ErrorCode.UNKNOWN_MEMBER_ID],
      ['instance-0', ErrorCode.NONE],
    ],
  );
  const group = h.coordinator.group(GROUP)!;
  assert.deepEqual([...group.staticMembers.keys()], ['instance-2']);
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
});

test('a request naming an instance id the group does not know is UNKNOWN_MEMBER_ID, as Kafka\'s validateMember', async () => {
  const h = new GroupHarness();
  const { members, generationId } = await h.stableGroup(1);
  const withInstance = { memberId: members[0]!.memberId, groupInstanceId: 'not-registered' };
  assert.equal(h.heartbeat(withInstance, generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  const sync = h.sync(withInstance, generationId);
  await settle();
  assert.equal(sync.value.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(h.heartbeat(members[0]!, generationId), ErrorCode.NONE);
});
