/**
 * Offset retention (KIP-211, offsets.retention.minutes), checked every
 * offsets.retention.check.interval.ms: an Empty group's offsets expire a retention period after
 * it became Empty, a consuming group's offsets of topics it no longer subscribes to a retention
 * period after their commit, a simple group's offsets a retention period after their commit, an
 * explicit v2-4 retention time instead of all that; the expired offsets are tombstoned, and an
 * Empty group left without offsets is tombstoned too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { recordKeyVersion } from '../../src/coordinator/record-codec.js';
import { GROUP, GroupHarness, SESSION_TIMEOUT_MS, assertReplayMatches, protocols, settle, type Member } from './harness.js';

const MINUTE = 60_000;
const RETENTION_MS = 60 * MINUTE; // offsets.retention.minutes=60
const CHECK_MS = 10 * MINUTE; // offsets.retention.check.interval.ms

function harness(): GroupHarness {
  return GroupHarness.withConfig({ offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: CHECK_MS });
}

/** Moves time in steps, keeping the given members' sessions alive. */
async function passTime(h: GroupHarness, ms: number, members: Member[] = [], generationId = 0): Promise<void> {
  const step = 5000;
  for (let t = 0; t < ms; t += step) {
    await h.advance(Math.min(step, ms - t));
    for (const member of members) assert.equal(h.heartbeat(member, generationId), ErrorCode.NONE);
  }
}

test('an Empty group keeps its offsets for the retention period after it became Empty, then offsets and group are tombstoned', async () => {
  const h = harness();
  const { members, generationId } = await h.stableGroup(1);
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: 5, 1: 6 } } });
  // Consuming for a long time does not age the offsets of a subscribed topic.
  await passTime(h, 2 * RETENTION_MS, members, generationId);
  assert.equal(h.committed('topic-1', 0), 5);
  h.coordinator.leaveGroup(GROUP, members);
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  const emptySince = h.scheduler.now();
  const mark = h.log.records.length;

  await h.advance(RETENTION_MS - 1);
  assert.equal(h.committed('topic-1', 0), 5, 'kept until the retention period has passed');
  await h.advance(CHECK_MS); // the next check after the deadline
  assert.ok(h.scheduler.now() - emptySince >= RETENTION_MS);
  assert.equal(h.committed('topic-1', 0), -1);
  assert.equal(h.coordinator.group(GROUP), undefined);
  assert.deepEqual(h.coordinator.listGroups([], []).groups, []);
  const written = h.log.since(mark);
  assert.deepEqual(
    written.map((record) => [recordKeyVersion(record.key), record.value]),
    [
      [1, null],
      [1, null],
      [2, null],
    ],
  );
  assertReplayMatches(h);
});

test('a consuming group\'s offsets of topics it no longer subscribes to expire a retention period after their commit', async () => {
  const h = harness();
  const { members, generationId } = await h.stableGroup(1, () => ({ protocols: protocols(['range', ['topic-1', 'old']]) }));
  const member = members[0]!;
  await h.commit({ generationId, memberId: member.memberId, offsets: { 'topic-1': { 0: 1 }, old: { 0: 2 } } });
  // The member drops `old` from its subscription (a rebalance; the leader rejoins).
  const rejoin = h.join({ memberId: member.memberId, protocols: protocols(['range', ['topic-1']]) });
  await settle();
  const next = rejoin.value.generationId;
  await h.syncAll([member], next, member.memberId);
  await passTime(h, RETENTION_MS + CHECK_MS, [member], next);
  assert.equal(h.committed('old', 0), -1);
  assert.equal(h.committed('topic-1', 0), 1);
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
  assertReplayMatches(h);
});

test('a group in the middle of a rebalance loses no offsets', async () => {
  const h = harness();
  const { members, generationId } = await h.stableGroup(2, (index) => ({ rebalanceTimeoutMs: 3 * CHECK_MS, protocols: protocols(['range', [`topic-${index}`]]) }));
  await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { unsubscribed: { 0: 1 } } });
  await passTime(h, RETENTION_MS, members, generationId);
  // The leader rejoins and the follower takes its time: the group prepares a rebalance throughout.
  h.join({ memberId: members[0]!.memberId });
  for (let t = 0; t < 2 * CHECK_MS; t += 5000) {
    await h.advance(5000);
    assert.equal(h.heartbeat(members[1]!, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  assert.equal(h.coordinator.stateOf(GROUP), 'PreparingRebalance');
  assert.equal(h.committed('unsubscribed', 0), 1);
});

test('a simple group\'s offsets expire one by one a retention period after their commit; the group goes with the last', async () => {
  const h = harness();
  await h.commit({ offsets: { orders: { 0: 1, 1: 1 } } });
  await h.advance(30 * MINUTE);
  await h.commit({ offsets: { orders: { 1: 2 } } }); // recommitted: its retention starts again
  await h.advance(RETENTION_MS - 30 * MINUTE + CHECK_MS);
  assert.equal(h.committed('orders', 0), -1);
  assert.equal(h.committed('orders', 1), 2);
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  assertReplayMatches(h);
  await h.advance(30 * MINUTE);
  assert.equal(h.committed('orders', 1), -1);
  assert.equal(h.coordinator.group(GROUP), undefined);
  assertReplayMatches(h);
});

test('an explicit v2-4 retention time decides alone: earlier or later than offsets.retention.minutes', async () => {
  const h = harness();
  await h.commit({ retentionTimeMs: 3 * RETENTION_MS, offsets: { long: { 0: 1 } } });
  await h.commit({ retentionTimeMs: 5 * MINUTE, offsets: { short: { 0: 1 } } });
  await h.advance(CHECK_MS);
  assert.equal(h.committed('short', 0), -1, 'expired at its own expire timestamp');
  await h.advance(2 * RETENTION_MS);
  assert.equal(h.committed('long', 0), 1, 'an explicit expire timestamp is not overruled by the broker retention');
  await h.advance(RETENTION_MS);
  assert.equal(h.committed('long', 0), -1);
  assert.equal(h.coordinator.group(GROUP), undefined);
});

test('a consuming group keeps the offsets of subscribed topics even when a v2-4 commit asked for a short retention', async () => {
  const h = harness();
  const { members, generationId } = await h.stableGroup(1);
  await h.commit({ generationId, memberId: members[0]!.memberId, retentionTimeMs: 5 * MINUTE, offsets: { 'topic-1': { 0: 7 }, other: { 0: 8 } } });
  await passTime(h, 2 * CHECK_MS, members, generationId);
  assert.equal(h.committed('topic-1', 0), 7);
  assert.equal(h.committed('other', 0), -1);
});

test('an Empty group without offsets is removed at the next check', async () => {
  const h = harness();
  const { members } = await h.stableGroup(1);
  h.coordinator.leaveGroup(GROUP, members);
  await settle();
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  const mark = h.log.records.length;
  await h.advance(CHECK_MS);
  assert.equal(h.coordinator.group(GROUP), undefined);
  assert.deepEqual(h.log.since(mark).map((record) => [recordKeyVersion(record.key), record.value]), [[2, null]]);
  assertReplayMatches(h);
});

test('a member that commits keeps its session; retention checks do not disturb a Stable group', async () => {
  const h = harness();
  const { members, generationId } = await h.stableGroup(1);
  for (let t = 0; t < 3 * CHECK_MS; t += SESSION_TIMEOUT_MS / 2) {
    await h.advance(SESSION_TIMEOUT_MS / 2);
    await h.commit({ generationId, memberId: members[0]!.memberId, offsets: { 'topic-1': { 0: t } } });
  }
  assert.equal(h.coordinator.stateOf(GROUP), 'Stable');
});
