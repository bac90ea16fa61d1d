/**
 * TxnOffsetCommit at the group coordinator (Kafka's pendingTransactionalOffsetCommits): offsets
 * written as a transactional batch of the producer stay pending until the transaction's marker
 * reaches the group's `__consumer_offsets` partition — COMMIT makes them the group's offsets,
 * ABORT drops them — also when the markers are read back at load; OffsetFetch with
 * require_stable answers UNSTABLE_OFFSET_COMMIT meanwhile; KIP-447 member checks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as flushIo } from 'node:timers/promises';
import { KafkaError } from '../../../src/errors.js';
import {
  GroupCoordinator,
  type CoordinatorRecord,
  type CoordinatorRecordLog,
  type GroupCoordinatorConfig,
  type TxnOffsetCommitRequest,
} from '../../../src/coordinator/group/group-coordinator.js';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { KAFKA_DEFAULTS } from '../harness.js';

const CONFIG: GroupCoordinatorConfig = { ...KAFKA_DEFAULTS, initialRebalanceDelayMs: 0 };
const GROUP = 'eos-group';
const PRODUCER = { producerId: 4000, producerEpoch: 3 };

/** What reached `__consumer_offsets`, in order: records (with the transactional producer, if any) and markers. */
type Entry = { partition: number; record: CoordinatorRecord; producerId: number } | { partition: number; marker: { producerId: number; commit: boolean } };

class OffsetsLog implements CoordinatorRecordLog {
  readonly entries: Entry[] = [];
  fail: ErrorCode | null = null;

  /** Resolves to the first record's position: its index among the entries (markers take one too, as in a log). */
  async append(partition: number, records: readonly CoordinatorRecord[], transaction?: { producerId: number; producerEpoch: number }): Promise<number> {
    if (this.fail !== null) throw new KafkaError(this.fail, 'append failed (test)');
    const first = this.entries.length;
    for (const record of records) this.entries.push({ partition, record, producerId: transaction?.producerId ?? -1 });
    return first;
  }
}

function start(log = new OffsetsLog()) {
  const scheduler = new ManualScheduler();
  const coordinator = new GroupCoordinator(CONFIG, log, scheduler);
  coordinator.completeLoading();
  return { coordinator, log, scheduler };
}

/** A marker as LocalTransactionMarkerWriter delivers it: logged, then handed to the coordinator. */
function marker(h: ReturnType<typeof start>, producerId: number, commit: boolean): void {
  const partition = h.coordinator.partitionFor(GROUP);
  h.log.entries.push({ partition, marker: { producerId, commit } });
  h.coordinator.completeTransaction(partition, producerId, commit);
}

/** A new coordinator loaded from what `log` holds, in order (markers included). */
function replayedFrom(log: OffsetsLog): GroupCoordinator {
  const replayed = new GroupCoordinator(CONFIG, new OffsetsLog(), new ManualScheduler());
  log.entries.forEach((entry, position) => {
    if ('marker' in entry) replayed.completeTransaction(entry.partition, entry.marker.producerId, entry.marker.commit);
    else replayed.loadRecord(entry.record, entry.producerId, position);
  });
  replayed.completeLoading();
  return replayed;
}

function commitRequest(offsets: Record<string, number>, overrides: Partial<TxnOffsetCommitRequest> = {}): TxnOffsetCommitRequest {
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
  for (const [name, offset] of Object.entries(offsets)) {
    const dash = name.lastIndexOf('-');
    const topic = name.slice(0, dash);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex: Number(name.slice(dash + 1)), committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }]);
  }
  return {
    groupId: GROUP,
    transactionalId: 'txn',
    ...PRODUCER,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    ...overrides,
  };
}

function fetched(coordinator: GroupCoordinator, requireStable: boolean): Record<string, string> {
  const result = coordinator.fetchOffsets(GROUP, [{ name: 'in', partitionIndexes: [0, 1] }], requireStable);
  return Object.fromEntries(
    result.topics.flatMap((topic) =>
      topic.partitions.map((p) => [`${topic.name}-${p.partitionIndex}`, p.errorCode === ErrorCode.NONE ? String(p.committedOffset) : ErrorCode[p.errorCode]!]),
    ),
  );
}

const errorsOf = (result: { partitions: { errorCode: number }[] }[]) => result.flatMap((topic) => topic.partitions.map((p) => ErrorCode[p.errorCode]));

test('transactional offsets are pending until a COMMIT marker, dropped on ABORT', async () => {
  const h = start();
  assert.equal(h.coordinator.group(GROUP), undefined, 'TxnOffsetCommit creates the group');
  assert.deepEqual(errorsOf(await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 10, 'in-1': 20 }))), ['NONE', 'NONE']);
  assert.equal(h.coordinator.stateOf(GROUP), 'Empty');
  const written = h.log.entries[0]!;
  assert.ok('record' in written && written.producerId === PRODUCER.producerId, 'a transactional batch of the producer');
  assert.equal(written.partition, h.coordinator.partitionFor(GROUP));
  assert.deepEqual(fetched(h.coordinator, false), { 'in-0': '-1', 'in-1': '-1' });
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': 'UNSTABLE_OFFSET_COMMIT', 'in-1': 'UNSTABLE_OFFSET_COMMIT' });

  // A marker of another producer, or for another partition, changes nothing.
  marker(h, 999, true);
  h.coordinator.completeTransaction((h.coordinator.partitionFor(GROUP) + 1) % CONFIG.numPartitions, PRODUCER.producerId, true);
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': 'UNSTABLE_OFFSET_COMMIT', 'in-1': 'UNSTABLE_OFFSET_COMMIT' });

  marker(h, PRODUCER.producerId, true);
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': '10', 'in-1': '20' });

  await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 15 }));
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': 'UNSTABLE_OFFSET_COMMIT', 'in-1': '20' });
  marker(h, PRODUCER.producerId, false);
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': '10', 'in-1': '20' });
});

test('replay: offsets in transactional batches follow the markers read back; without a marker they stay pending', async () => {
  const h = start();
  await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 10 }));
  marker(h, PRODUCER.producerId, true);
  await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 11 }));
  marker(h, PRODUCER.producerId, false);
  await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-1': 7 }));

  const replayed = replayedFrom(h.log);
  assert.deepEqual(fetched(replayed, true), { 'in-0': '10', 'in-1': 'UNSTABLE_OFFSET_COMMIT' });
  // The marker written after the restart completes it.
  replayed.completeTransaction(replayed.partitionFor(GROUP), PRODUCER.producerId, true);
  assert.deepEqual(fetched(replayed, true), { 'in-0': '10', 'in-1': '7' });
});

test('a failed write leaves nothing pending; unknown partitions and oversized metadata are refused per partition', async () => {
  const h = start();
  h.log.fail = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  assert.deepEqual(errorsOf(await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 10 }))), ['NOT_COORDINATOR']);
  h.log.fail = ErrorCode.INVALID_PRODUCER_EPOCH;
  assert.deepEqual(errorsOf(await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 10 }))), ['INVALID_PRODUCER_EPOCH'], 'a fenced producer is told so');
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': '-1', 'in-1': '-1' });
  h.log.fail = null;

  const strict = new GroupCoordinator(CONFIG, new OffsetsLog(), new ManualScheduler(), (topic) => topic === 'in');
  strict.completeLoading();
  const request = commitRequest({ 'in-0': 1, 'gone-0': 2 });
  const big = { ...request, topics: [...request.topics, { name: 'in', partitions: [{ partitionIndex: 1, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(5000) }] }] };
  assert.deepEqual(errorsOf(await strict.commitTransactionalOffsets(big)), ['NONE', 'UNKNOWN_TOPIC_OR_PARTITION', 'OFFSET_METADATA_TOO_LARGE']);
  assert.deepEqual(errorsOf(await strict.commitTransactionalOffsets({ ...request, groupId: '' })), ['INVALID_GROUP_ID', 'INVALID_GROUP_ID']);
});

test('KIP-447: a v3 commit naming a member is checked against the group; without one it is not', async () => {
  const h = start();
  const joining = h.coordinator.joinGroup({
    groupId: GROUP,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    apiVersion: 3,
  });
  for (let i = 0; i < 5; i++) {
    h.scheduler.advance(0);
    await flushIo();
  }
  const joined = await joining;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const member = { memberId: joined.memberId, generationId: joined.generationId };

  const errors = async (overrides: Partial<TxnOffsetCommitRequest>) => errorsOf(await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 1 }, overrides)));
  assert.deepEqual(await errors({ ...member }), ['NONE']);
  assert.deepEqual(await errors({ ...member, generationId: member.generationId + 1 }), ['ILLEGAL_GENERATION']);
  assert.deepEqual(await errors({ memberId: 'someone-else', generationId: member.generationId }), ['UNKNOWN_MEMBER_ID']);
  assert.deepEqual(await errors({ memberId: '', generationId: member.generationId }), ['UNKNOWN_MEMBER_ID']);
  // Older versions carry no member: accepted even while the group has members (Kafka's rule for TxnOffsetCommit).
  assert.deepEqual(await errors({}), ['NONE']);
});

test('a COMMIT marker does not replace an offset committed after the transaction wrote its own (Kafka keeps the later record)', async () => {
  const h = start();
  const plainCommit = (offset: number) =>
    h.coordinator.commitOffsets({
      groupId: GROUP,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
  // The transaction's offsets are written first, a plain OffsetCommit of in-0 after them, then the COMMIT marker.
  await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 10, 'in-1': 20 }));
  assert.deepEqual(errorsOf(await plainCommit(30)), ['NONE']);
  marker(h, PRODUCER.producerId, true);
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': '30', 'in-1': '20' });

  // A plain commit written before the transaction's offset is replaced by it.
  await plainCommit(40);
  await h.coordinator.commitTransactionalOffsets(commitRequest({ 'in-0': 50 }));
  marker(h, PRODUCER.producerId, true);
  assert.deepEqual(fetched(h.coordinator, true), { 'in-0': '50', 'in-1': '20' });

  // Loaded back from the log in order, the same offsets.
  const replayed = replayedFrom(h.log);
  assert.deepEqual(fetched(replayed, true), { 'in-0': '50', 'in-1': '20' });
});
