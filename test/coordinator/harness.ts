/**
 * Drives the group coordinator as a records-in / records-out state machine (DESIGN.md §7):
 * requests go straight to GroupCoordinator, every record it appends to `__consumer_offsets` is
 * captured ("records out"), time moves only through a ManualScheduler, and `replay()` feeds the
 * captured records to a fresh coordinator ("records in") so a test can check that the state
 * written down is the state it had.
 */
import assert from 'node:assert/strict';
import { setImmediate as flushIo } from 'node:timers/promises';
import {
  GroupCoordinator,
  type CoordinatorRecord,
  type CoordinatorRecordLog,
  type GroupCoordinatorConfig,
  type JoinGroupRequest,
  type OffsetCommitRequest,
  type SyncGroupRequest,
} from '../../src/coordinator/group/group-coordinator.js';
import type { JoinResult, ProtocolMetadata, SyncResult } from '../../src/coordinator/group/classic-group.js';
import { ManualScheduler } from '../../src/coordinator/scheduler.js';
import { encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

/** Kafka's defaults (GroupCoordinatorConfig, OffsetConfig). */
export const KAFKA_DEFAULTS: GroupCoordinatorConfig = {
  numPartitions: 50,
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxSize: 2_147_483_647,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
};

export const GROUP = 'group-a';
export const SESSION_TIMEOUT_MS = 10_000;
export const REBALANCE_TIMEOUT_MS = 60_000;

/** A `__consumer_offsets` that keeps what is appended, in order; it can be told to fail. */
export class FakeOffsetsLog implements CoordinatorRecordLog {
  readonly appended: { partition: number; record: CoordinatorRecord }[] = [];
  private failures = 0;

  /** The next `count` appends throw (as a failed write to the partition would). */
  failNext(count = 1): void {
    this.failures = count;
  }

  /** Resolves to the first record's position: its index among every record appended so far. */
  async append(partition: number, records: readonly CoordinatorRecord[]): Promise<number> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('append failed (test)');
    }
    const first = this.appended.length;
    for (const record of records) this.appended.push({ partition, record });
    return first;
  }

  get records(): CoordinatorRecord[] {
    return this.appended.map((entry) => entry.record);
  }

  /** Records appended since `mark` (a previous `records.length`). */
  since(mark: number): CoordinatorRecord[] {
    return this.records.slice(mark);
  }
}

/** A promise whose outcome a test can look at without awaiting it. */
export interface Tracked<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  /** The value; fails the test when the promise has not settled. */
  readonly value: T;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  let settled = false;
  let value: T | undefined;
  let failure: unknown;
  let failed = false;
  promise.then(
    (result) => {
      settled = true;
      value = result;
    },
    (error: unknown) => {
      settled = true;
      failed = true;
      failure = error;
    },
  );
  return {
    promise,
    get settled() {
      return settled;
    },
    get value(): T {
      assert.ok(settled, 'expected the request to be answered by now');
      if (failed) throw failure;
      return value as T;
    },
  };
}

/** Lets every promise continuation (appends, parked answers) run. Not a sleep: no time passes. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await flushIo();
}

export function subscription(topics: string[], version = 1): Buffer {
  return encodeSubscription({ topics, userData: null, ownedPartitions: [] }, version);
}

export function assignment(partitions: Record<string, number[]>): Buffer {
  return encodeAssignment(
    { assignedPartitions: Object.entries(partitions).map(([topic, list]) => ({ topic, partitions: list })), userData: null },
    0,
  );
}

export function protocols(...entries: [name: string, topics: string[]][]): ProtocolMetadata[] {
  return entries.map(([name, topics]) => ({ name, metadata: subscription(topics) }));
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
}

export class GroupHarness {
  readonly scheduler: ManualScheduler;
  readonly log = new FakeOffsetsLog();
  readonly coordinator: GroupCoordinator;

  constructor(
    readonly config: GroupCoordinatorConfig = KAFKA_DEFAULTS,
    partitionExists?: (topic: string, partition: number) => boolean,
    /** false: the coordinator is still to be loaded (see replay). */
    loaded = true,
  ) {
    this.scheduler = new ManualScheduler();
    this.coordinator = new GroupCoordinator(config, this.log, this.scheduler, partitionExists);
    if (loaded) this.coordinator.completeLoading();
  }

  static withConfig(overrides: Partial<GroupCoordinatorConfig>): GroupHarness {
    return new GroupHarness({ ...KAFKA_DEFAULTS, ...overrides });
  }

  joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
    return {
      groupId: GROUP,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: protocols(['range', ['topic-1']]),
      clientId: 'client',
      clientHost: '/127.0.0.1',
      apiVersion: 9,
      ...overrides,
    };
  }

  /** JoinGroup as sent; the answer may be parked until the join phase completes. */
  join(overrides: Partial<JoinGroupRequest> = {}): Tracked<JoinResult> {
    return track(this.coordinator.joinGroup(this.joinRequest(overrides)));
  }

  /**
   * A new member as a v4+ dynamic client joins: the MEMBER_ID_REQUIRED round trip (or none for a
   * static member), then the JoinGroup with its id, which is returned parked.
   */
  async joinNew(overrides: Partial<JoinGroupRequest> = {}): Promise<{ memberId: string; joined: Tracked<JoinResult> }> {
    const request = this.joinRequest(overrides);
    if (request.groupInstanceId === null && request.apiVersion >= 4) {
      const first = await this.coordinator.joinGroup(request);
      assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      const joined = track(this.coordinator.joinGroup({ ...request, memberId: first.memberId }));
      await settle();
      return { memberId: first.memberId, joined };
    }
    const joined = this.join(overrides);
    await settle();
    // A static member learns its id only with the answer; the group knows it already.
    const group = this.coordinator.group(request.groupId);
    const memberId = group?.staticMemberId(request.groupInstanceId) ?? (joined.settled ? joined.value.memberId : '');
    return { memberId, joined };
  }

  sync(member: Member, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = [], overrides: Partial<SyncGroupRequest> = {}): Tracked<SyncResult> {
    return track(
      this.coordinator.syncGroup({
        groupId: GROUP,
        generationId,
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        protocolType: null,
        protocolName: null,
        assignments,
        ...overrides,
      }),
    );
  }

  heartbeat(member: Member, generationId: number, groupId = GROUP): ErrorCode {
    return this.coordinator.heartbeat({ groupId, generationId, memberId: member.memberId, groupInstanceId: member.groupInstanceId });
  }

  commit(overrides: Partial<OffsetCommitRequest> & { offsets?: Record<string, Record<number, number>> }): Promise<{ name: string; partitions: { partitionIndex: number; errorCode: ErrorCode }[] }[]> {
    const { offsets = {}, ...rest } = overrides;
    return this.coordinator.commitOffsets({
      groupId: GROUP,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: Object.entries(offsets).map(([name, partitions]) => ({
        name,
        partitions: Object.entries(partitions).map(([partition, offset]) => ({
          partitionIndex: Number(partition),
          committedOffset: offset,
          committedLeaderEpoch: -1,
          committedMetadata: null,
        })),
      })),
      ...rest,
    });
  }

  /** Committed offset of one partition (-1 when none). */
  committed(topic: string, partition: number, groupId = GROUP, coordinator = this.coordinator): number {
    const result = coordinator.fetchOffsets(groupId, [{ name: topic, partitionIndexes: [partition] }]);
    return result.topics[0]!.partitions[0]!.committedOffset;
  }

  /**
   * Moves the clock, running the timers that fall due, and lets their effects settle. Time moves
   * a second at a time with the promise continuations run in between, as they would be on a real
   * clock: a timer that is re-armed once its asynchronous work finishes (the offset expiry check)
   * then fires on schedule rather than once per call.
   */
  async advance(ms: number): Promise<void> {
    for (let moved = 0; moved < ms; ) {
      const step = Math.min(1000, ms - moved);
      this.scheduler.advance(step);
      moved += step;
      await flushIo();
    }
    await settle();
  }

  /**
   * Joins `count` dynamic members (v4+ joins) and waits out the join phase, which leaves the group
   * CompletingRebalance: the members in join order, the generation and the JoinGroup answers.
   */
  async joinedGroup(count: number): Promise<{ members: Member[]; generationId: number; answers: JoinResult[] }> {
    const joins: { memberId: string; joined: Tracked<JoinResult> }[] = [];
    for (let i = 0; i < count; i++) joins.push(await this.joinNew());
    await this.completeJoinPhase(joins.map((join) => join.joined));
    const answers = joins.map((join) => join.joined.value);
    return { members: joins.map((join) => ({ memberId: join.memberId, groupInstanceId: null })), generationId: answers[0]!.generationId, answers };
  }

  /**
   * Forms a Stable group of dynamic members (v4+ joins), the first being the leader: joins,
   * waits out the initial rebalance delay, the leader assigns `topic-1` partition i to member i,
   * every member syncs.
   */
  async stableGroup(count: number, overrides: (index: number) => Partial<JoinGroupRequest> = () => ({})): Promise<{ members: Member[]; generationId: number }> {
    const joins: { memberId: string; joined: Tracked<JoinResult>; groupInstanceId: string | null }[] = [];
    for (let i = 0; i < count; i++) {
      const request = { clientId: `client-${i}`, ...overrides(i) };
      const joined = await this.joinNew(request);
      joins.push({ ...joined, groupInstanceId: request.groupInstanceId ?? null });
    }
    await this.completeJoinPhase(joins.map((join) => join.joined));
    const results = joins.map((join) => join.joined.value);
    for (const result of results) assert.equal(result.errorCode, ErrorCode.NONE);
    const members = results.map((result, index) => ({ memberId: result.memberId, groupInstanceId: joins[index]!.groupInstanceId }));
    const generationId = results[0]!.generationId;
    await this.syncAll(members, generationId, results.find((result) => result.leader === result.memberId)!.memberId);
    return { members, generationId };
  }

  /** Advances time until every parked join is answered (at most the rebalance timeout). */
  async completeJoinPhase(joins: Tracked<JoinResult>[]): Promise<void> {
    await settle();
    for (let waited = 0; joins.some((join) => !join.settled) && waited <= REBALANCE_TIMEOUT_MS; waited += 1000) await this.advance(1000);
    for (const join of joins) assert.ok(join.settled, 'join phase did not complete');
  }

  /** The leader assigns `topic-1` partition i to the i-th member; everyone syncs. */
  async syncAll(members: Member[], generationId: number, leaderId: string): Promise<SyncResult[]> {
    const leader = members.find((member) => member.memberId === leaderId)!;
    const assignments = members.map((member, index) => ({ memberId: member.memberId, assignment: assignment({ 'topic-1': [index] }) }));
    const syncs = members.map((member) => (member === leader ? this.sync(member, generationId, assignments) : this.sync(member, generationId)));
    await settle();
    for (const sync of syncs) assert.equal(sync.value.errorCode, ErrorCode.NONE);
    return syncs.map((sync) => sync.value);
  }

  /** A fresh coordinator loaded from every record this one wrote, in order. */
  replay(config: GroupCoordinatorConfig = this.config): GroupHarness {
    const replayed = new GroupHarness(config, undefined, false);
    replayed.scheduler.advance(this.scheduler.now() - replayed.scheduler.now());
    this.log.records.forEach((record, position) => replayed.coordinator.loadRecord(record, -1, position));
    replayed.coordinator.completeLoading();
    return replayed;
  }

  /** What a client or operator can see of the coordinator, plus what the records carry. */
  view(groupIds: readonly string[] = this.coordinator.listGroups([], []).groups.map((group) => group.groupId)): CoordinatorView {
    return viewOf(this.coordinator, groupIds);
  }
}

export interface CoordinatorView {
  listed: { groupId: string; protocolType: string; groupState: string }[];
  groups: Record<string, unknown>;
}

export function viewOf(coordinator: GroupCoordinator, groupIds: readonly string[]): CoordinatorView {
  const listed = coordinator
    .listGroups([], [])
    .groups.map(({ groupId, protocolType, groupState }) => ({ groupId, protocolType, groupState }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
  const groups: Record<string, unknown> = {};
  for (const groupId of [...groupIds].sort()) {
    const group = coordinator.group(groupId);
    groups[groupId] = {
      described: coordinator.describeGroup(groupId),
      offsets: coordinator.fetchOffsets(groupId, null),
      generationId: group?.generationId ?? null,
      // What offset expiry of an Empty group counts from.
      emptySince: group?.is('Empty') && group.protocolType !== null ? group.stateTimestamp : null,
      leaderId: group?.leaderId ?? null,
      protocolName: group?.protocolName ?? null,
      staticMembers: group ? [...group.staticMembers].sort() : [],
      members: group
        ? [...group.members.values()]
            .map((member) => ({
              memberId: member.memberId,
              groupInstanceId: member.groupInstanceId,
              sessionTimeoutMs: member.sessionTimeoutMs,
              rebalanceTimeoutMs: member.rebalanceTimeoutMs,
              assignment: member.assignment.toString('hex'),
            }))
            .sort((a, b) => a.memberId.localeCompare(b.memberId))
        : [],
      committed: group
        ? [...group.offsets.values()].map((offset) => ({ ...offset })).sort((a, b) => `${a.topic}:${a.partition}`.localeCompare(`${b.topic}:${b.partition}`))
        : [],
    };
  }
  return { listed, groups };
}

/** Live state and the state rebuilt from the records must be the same. */
export function assertReplayMatches(harness: GroupHarness, groupIds?: readonly string[]): GroupHarness {
  const replayed = harness.replay();
  const ids = groupIds ?? [
    ...new Set([...harness.view().listed.map((group) => group.groupId), ...replayed.view().listed.map((group) => group.groupId)]),
  ];
  assert.deepEqual(replayed.view(ids), harness.view(ids));
  return replayed;
}
