/**
 * Round trips for the client-facing declarations (keys 0-23): each message is encoded and decoded
 * at its lowest, a middle and its highest declared version (and the first flexible one),
 * checking that nothing is left unread, that decoding is stable under re-encoding, and that
 * fields outside a version come back as their defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Api } from '../../src/protocol/api.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import type { ApiSpec, Message, MessageInput } from '../../src/protocol/schema.js';
import {
  createTopics,
  fetchApi,
  joinGroup,
  listOffsets,
  offsetCommit,
  offsetFetch,
  produce,
  syncGroup,
} from '../../src/protocol/messages/index.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const TOPIC_ID = 'q7DmH2x1TkWZf0Yb3nJc8A';
const NOW = 1_722_000_000_123;

function requestRoundTrip<S extends ApiSpec>(api: Api<S>, version: number, input: MessageInput<S['request']>): Message<S['request']> {
  const writer = new Writer();
  api.encodeRequest(writer, version, input);
  const bytes = writer.toBuffer();
  const reader = new Reader(bytes);
  const decoded = api.decodeRequest(reader, version);
  assert.equal(reader.remaining, 0, `${api.name} v${version} request: bytes left over`);
  // Not a byte comparison: a decoded message holds tagged structs at their defaults, which the
  // encoder writes out again although the original left them out.
  const again = new Writer();
  api.encodeRequest(again, version, decoded as unknown as MessageInput<S['request']>);
  assert.deepEqual(api.decodeRequest(new Reader(again.toBuffer()), version), decoded, `${api.name} v${version} request: unstable`);
  return decoded;
}

function responseRoundTrip<S extends ApiSpec>(api: Api<S>, version: number, input: MessageInput<S['response']>): Message<S['response']> {
  const writer = new Writer();
  api.encodeResponse(writer, version, input);
  const bytes = writer.toBuffer();
  const reader = new Reader(bytes);
  const decoded = api.decodeResponse(reader, version);
  assert.equal(reader.remaining, 0, `${api.name} v${version} response: bytes left over`);
  // Not a byte comparison: a decoded message holds tagged structs at their defaults, which the
  // encoder writes out again although the original left them out.
  const again = new Writer();
  api.encodeResponse(again, version, decoded as unknown as MessageInput<S['response']>);
  assert.deepEqual(api.decodeResponse(new Reader(again.toBuffer()), version), decoded, `${api.name} v${version} response: unstable`);
  return decoded;
}

/** Versions to exercise: min, a middle one, the first flexible one, max. */
function versionsOf(api: Pick<Api, 'minVersion' | 'maxVersion' | 'isFlexible'>, middle: number): number[] {
  const firstFlexible = Array.from({ length: api.maxVersion + 1 }, (_, v) => v).find((v) => api.isFlexible(v));
  return [...new Set([api.minVersion, middle, firstFlexible ?? api.minVersion, api.maxVersion])].sort((a, b) => a - b);
}

/** A magic-2 batch header plus some record bytes; the codec treats it as opaque. */
function recordBatch(baseOffset: number, records: number): Buffer {
  const body = Buffer.from('0e0000000104ab0a68656c6c6f00', 'hex');
  const batch = Buffer.alloc(61 + body.length * records);
  batch.writeBigInt64BE(BigInt(baseOffset), 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(0, 12);
  batch.writeInt8(2, 16);
  batch.writeInt32BE(records - 1, 23);
  batch.writeBigInt64BE(BigInt(NOW), 27);
  batch.writeBigInt64BE(BigInt(NOW), 35);
  batch.writeBigInt64BE(-1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(records, 57);
  for (let i = 0; i < records; i++) body.copy(batch, 61 + i * body.length);
  return batch;
}

test('Produce request and response round-trip', () => {
  const batch = recordBatch(0, 3);
  for (const version of versionsOf(produce, 7)) {
    const request = requestRoundTrip(produce, version, {
      transactionalId: 'orders-tx-1',
      acks: -1,
      timeoutMs: 30_000,
      topicData: [
        { name: 'orders', partitionData: [{ index: 0, records: batch }, { index: 1, records: null }] },
        { name: 'payments', partitionData: [] },
      ],
    });
    assert.equal(request.transactionalId, version >= 3 ? 'orders-tx-1' : null);
    assert.equal(request.acks, -1);
    assert.equal(request.timeoutMs, 30_000);
    assert.deepEqual(request.topicData[0]!.partitionData[0]!.records, batch);
    assert.equal(request.topicData[0]!.partitionData[1]!.records, null);
    assert.deepEqual(request.topicData[1], { name: 'payments', partitionData: [] });

    const response = responseRoundTrip(produce, version, {
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            { index: 0, errorCode: 0, baseOffset: 1_234_567_890_123, logAppendTimeMs: NOW, logStartOffset: 17 },
            {
              index: 1,
              errorCode: 87,
              baseOffset: -1,
              recordErrors: [{ batchIndex: 2, batchIndexErrorMessage: 'timestamp out of range' }],
              errorMessage: 'one or more records were invalid',
              currentLeader: { leaderId: 2, leaderEpoch: 9 },
            },
          ],
        },
      ],
      throttleTimeMs: 5,
      nodeEndpoints: [{ nodeId: 2, host: 'broker-2.internal', port: 9092, rack: 'eu-west-1b' }],
    });
    const [ok, failed] = response.responses[0]!.partitionResponses;
    assert.equal(ok!.baseOffset, 1_234_567_890_123);
    assert.equal(ok!.logAppendTimeMs, version >= 2 ? NOW : -1);
    assert.equal(ok!.logStartOffset, version >= 5 ? 17 : -1);
    assert.deepEqual(ok!.recordErrors, []);
    assert.equal(ok!.errorMessage, null);
    assert.equal(failed!.errorCode, 87);
    assert.deepEqual(failed!.recordErrors, version >= 8 ? [{ batchIndex: 2, batchIndexErrorMessage: 'timestamp out of range' }] : []);
    assert.equal(failed!.errorMessage, version >= 8 ? 'one or more records were invalid' : null);
    assert.deepEqual(failed!.currentLeader, version >= 10 ? { leaderId: 2, leaderEpoch: 9 } : { leaderId: -1, leaderEpoch: -1 });
    assert.equal(response.throttleTimeMs, version >= 1 ? 5 : 0);
    assert.deepEqual(
      response.nodeEndpoints,
      version >= 10 ? [{ nodeId: 2, host: 'broker-2.internal', port: 9092, rack: 'eu-west-1b' }] : [],
    );
  }
});

test('Fetch request and response round-trip', () => {
  const first = recordBatch(100, 2);
  const second = recordBatch(102, 1);
  for (const version of versionsOf(fetchApi, 11)) {
    const request = requestRoundTrip(fetchApi, version, {
      replicaId: -1,
      replicaState: { replicaId: 3, replicaEpoch: 12 },
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 52_428_800,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'orders',
          topicId: TOPIC_ID,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: 4,
              fetchOffset: 100,
              lastFetchedEpoch: 4,
              logStartOffset: -1,
              partitionMaxBytes: 1_048_576,
              replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAQ',
            },
          ],
        },
      ],
      forgottenTopicsData: [{ topic: 'old', topicId: TOPIC_ID, partitions: [1, 2] }],
      rackId: 'eu-west-1a',
    });
    assert.equal(request.replicaId, -1);
    assert.deepEqual(request.replicaState, version >= 15 ? { replicaId: 3, replicaEpoch: 12 } : { replicaId: -1, replicaEpoch: -1 });
    assert.equal(request.maxBytes, version >= 3 ? 52_428_800 : 2_147_483_647);
    assert.equal(request.isolationLevel, version >= 4 ? 1 : 0);
    assert.equal(request.clusterId, null);
    const topic = request.topics[0]!;
    assert.equal(topic.topic, version <= 12 ? 'orders' : '');
    assert.equal(topic.topicId, version >= 13 ? TOPIC_ID : ZERO_UUID);
    const partition = topic.partitions[0]!;
    assert.equal(partition.fetchOffset, 100);
    assert.equal(partition.currentLeaderEpoch, version >= 9 ? 4 : -1);
    assert.equal(partition.lastFetchedEpoch, version >= 12 ? 4 : -1);
    assert.equal(partition.replicaDirectoryId, version >= 17 ? 'AAAAAAAAAAAAAAAAAAAAAQ' : ZERO_UUID);
    const forgotten = { topic: version <= 12 ? 'old' : '', topicId: version >= 13 ? TOPIC_ID : ZERO_UUID, partitions: [1, 2] };
    assert.deepEqual(request.forgottenTopicsData, version >= 7 ? [forgotten] : []);
    assert.equal(request.rackId, version >= 11 ? 'eu-west-1a' : '');

    const response = responseRoundTrip(fetchApi, version, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 103,
              lastStableOffset: 101,
              logStartOffset: 0,
              abortedTransactions: [{ producerId: 4_000, firstOffset: 101 }],
              preferredReadReplica: -1,
              records: [first, second],
            },
            {
              partitionIndex: 1,
              errorCode: 6,
              highWatermark: -1,
              divergingEpoch: { epoch: 3, endOffset: 90 },
              currentLeader: { leaderId: 2, leaderEpoch: 5 },
              snapshotId: { endOffset: 80, epoch: 2 },
              abortedTransactions: null,
              records: null,
            },
          ],
        },
      ],
      nodeEndpoints: [{ nodeId: 2, host: 'broker-2.internal', port: 9092, rack: null }],
    });
    const [data, moved] = response.responses[0]!.partitions;
    assert.deepEqual(data!.records, Buffer.concat([first, second]));
    assert.equal(data!.highWatermark, 103);
    assert.equal(data!.lastStableOffset, version >= 4 ? 101 : -1);
    assert.equal(data!.logStartOffset, version >= 5 ? 0 : -1);
    assert.deepEqual(data!.abortedTransactions, version >= 4 ? [{ producerId: 4_000, firstOffset: 101 }] : []);
    assert.equal(moved!.errorCode, 6);
    assert.equal(moved!.records, null);
    assert.deepEqual(moved!.abortedTransactions, version >= 4 ? null : []);
    assert.deepEqual(moved!.divergingEpoch, version >= 12 ? { epoch: 3, endOffset: 90 } : { epoch: -1, endOffset: -1 });
    assert.deepEqual(moved!.currentLeader, version >= 12 ? { leaderId: 2, leaderEpoch: 5 } : { leaderId: -1, leaderEpoch: -1 });
    assert.deepEqual(moved!.snapshotId, version >= 12 ? { endOffset: 80, epoch: 2 } : { endOffset: -1, epoch: -1 });
    assert.equal(response.responses[0]!.topicId, version >= 13 ? TOPIC_ID : ZERO_UUID);
    assert.deepEqual(response.nodeEndpoints, version >= 16 ? [{ nodeId: 2, host: 'broker-2.internal', port: 9092, rack: null }] : []);
  }
});

test('ListOffsets request and response round-trip', () => {
  for (const version of versionsOf(listOffsets, 4)) {
    const request = requestRoundTrip(listOffsets, version, {
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, currentLeaderEpoch: 7, timestamp: -1, maxNumOffsets: 1 },
            { partitionIndex: 1, timestamp: NOW },
          ],
        },
      ],
      timeoutMs: 15_000,
    });
    assert.equal(request.isolationLevel, version >= 2 ? 1 : 0);
    const [latest, byTime] = request.topics[0]!.partitions;
    assert.equal(latest!.timestamp, -1);
    assert.equal(latest!.currentLeaderEpoch, version >= 4 ? 7 : -1);
    assert.equal(byTime!.timestamp, NOW);
    assert.equal(byTime!.maxNumOffsets, 1);
    assert.equal(request.timeoutMs, version >= 10 ? 15_000 : 0);

    const response = responseRoundTrip(listOffsets, version, {
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, oldStyleOffsets: [5_000_000_000], timestamp: -1, offset: 5_000_000_000, leaderEpoch: 7 },
            { partitionIndex: 1, errorCode: 0, oldStyleOffsets: [42], timestamp: NOW, offset: 42 },
          ],
        },
      ],
    });
    const [first, second] = response.topics[0]!.partitions;
    assert.deepEqual(first!.oldStyleOffsets, version === 0 ? [5_000_000_000] : []);
    assert.equal(first!.offset, version >= 1 ? 5_000_000_000 : -1);
    assert.equal(first!.leaderEpoch, version >= 4 ? 7 : -1);
    assert.equal(second!.timestamp, version >= 1 ? NOW : -1);
  }
});

test('OffsetCommit request and response round-trip', () => {
  for (const version of versionsOf(offsetCommit, 5)) {
    const request = requestRoundTrip(offsetCommit, version, {
      groupId: 'billing',
      generationIdOrMemberEpoch: 3,
      memberId: 'rdkafka-7c1f2e4a',
      groupInstanceId: 'billing-0',
      retentionTimeMs: 604_800_000,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 1_500, committedLeaderEpoch: 4, commitTimestamp: NOW, committedMetadata: '' },
            { partitionIndex: 1, committedOffset: 77, committedMetadata: null },
          ],
        },
      ],
    });
    assert.equal(request.groupId, 'billing');
    assert.equal(request.generationIdOrMemberEpoch, version >= 1 ? 3 : -1);
    assert.equal(request.memberId, version >= 1 ? 'rdkafka-7c1f2e4a' : '');
    assert.equal(request.groupInstanceId, version >= 7 ? 'billing-0' : null);
    assert.equal(request.retentionTimeMs, version >= 2 && version <= 4 ? 604_800_000 : -1);
    const [p0, p1] = request.topics[0]!.partitions;
    assert.equal(p0!.committedOffset, 1_500);
    assert.equal(p0!.committedLeaderEpoch, version >= 6 ? 4 : -1);
    assert.equal(p0!.commitTimestamp, version === 1 ? NOW : -1);
    assert.equal(p0!.committedMetadata, '');
    assert.equal(p1!.committedMetadata, null);

    const response = responseRoundTrip(offsetCommit, version, {
      throttleTimeMs: 10,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 22 }] }],
    });
    assert.equal(response.throttleTimeMs, version >= 3 ? 10 : 0);
    assert.deepEqual(response.topics[0]!.partitions[1], { partitionIndex: 1, errorCode: 22 });
  }
});

test('OffsetFetch request and response round-trip, single-group and batched forms', () => {
  for (const version of [...versionsOf(offsetFetch, 7), 2, 8]) {
    const request = requestRoundTrip(offsetFetch, version, {
      groupId: 'billing',
      topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }],
      groups: [
        { groupId: 'billing', memberId: 'm-1', memberEpoch: 12, topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }] },
        { groupId: 'audit', topics: null },
      ],
      requireStable: true,
    });
    if (version <= 7) {
      assert.equal(request.groupId, 'billing');
      assert.deepEqual(request.topics, [{ name: 'orders', partitionIndexes: [0, 1, 2] }]);
      assert.deepEqual(request.groups, []);
    } else {
      assert.equal(request.groupId, '');
      assert.equal(request.groups.length, 2);
      assert.deepEqual(request.groups[0]!.topics, [{ name: 'orders', partitionIndexes: [0, 1, 2] }]);
      assert.equal(request.groups[0]!.memberId, version >= 9 ? 'm-1' : null);
      assert.equal(request.groups[0]!.memberEpoch, version >= 9 ? 12 : -1);
      assert.equal(request.groups[1]!.topics, null);
    }
    assert.equal(request.requireStable, version >= 7);

    const partitions = [
      { partitionIndex: 0, committedOffset: 1_500, committedLeaderEpoch: 4, metadata: '', errorCode: 0 },
      { partitionIndex: 1, committedOffset: -1, metadata: null, errorCode: 0 },
    ];
    const response = responseRoundTrip(offsetFetch, version, {
      throttleTimeMs: 0,
      topics: [{ name: 'orders', partitions }],
      errorCode: 0,
      groups: [
        { groupId: 'billing', topics: [{ name: 'orders', partitions }], errorCode: 0 },
        { groupId: 'audit', topics: [], errorCode: 16 },
      ],
    });
    if (version <= 7) {
      const [p0, p1] = response.topics[0]!.partitions;
      assert.equal(p0!.committedOffset, 1_500);
      assert.equal(p0!.committedLeaderEpoch, version >= 5 ? 4 : -1);
      assert.equal(p1!.committedOffset, -1);
      assert.equal(p1!.metadata, null);
      assert.deepEqual(response.groups, []);
    } else {
      assert.deepEqual(response.topics, []);
      assert.deepEqual(response.groups[0]!.topics[0]!.partitions[0], partitions[0]);
      assert.equal(response.groups[1]!.errorCode, 16);
    }
  }
  // v2+: a null topic list asks for every committed topic.
  for (const version of [2, 7]) {
    const request = requestRoundTrip(offsetFetch, version, { groupId: 'billing', topics: null });
    assert.equal(request.topics, null);
  }
});

test('JoinGroup request and response round-trip', () => {
  // ConsumerProtocolSubscription v0: version, topics ['orders'], null user data.
  const subscription = Buffer.from('0000' + '00000001' + '0006' + Buffer.from('orders').toString('hex') + 'ffffffff', 'hex');
  for (const version of versionsOf(joinGroup, 5)) {
    const request = requestRoundTrip(joinGroup, version, {
      groupId: 'billing',
      sessionTimeoutMs: 45_000,
      rebalanceTimeoutMs: 300_000,
      memberId: '',
      groupInstanceId: 'billing-0',
      protocolType: 'consumer',
      protocols: [
        { name: 'range', metadata: subscription },
        { name: 'cooperative-sticky', metadata: subscription },
      ],
      reason: 'rebalance failed due to MemberIdRequiredException',
    });
    assert.equal(request.sessionTimeoutMs, 45_000);
    assert.equal(request.rebalanceTimeoutMs, version >= 1 ? 300_000 : -1);
    assert.equal(request.groupInstanceId, version >= 5 ? 'billing-0' : null);
    assert.deepEqual(request.protocols.map((p) => p.name), ['range', 'cooperative-sticky']);
    assert.deepEqual(request.protocols[1]!.metadata, subscription);
    assert.equal(request.reason, version >= 8 ? 'rebalance failed due to MemberIdRequiredException' : null);

    const response = responseRoundTrip(joinGroup, version, {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 4,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'consumer-1-5b3c',
      skipAssignment: false,
      memberId: 'consumer-1-5b3c',
      members: [
        { memberId: 'consumer-1-5b3c', groupInstanceId: 'billing-0', metadata: subscription },
        { memberId: 'consumer-2-9e11', groupInstanceId: null, metadata: subscription },
      ],
    });
    assert.equal(response.generationId, 4);
    assert.equal(response.protocolType, version >= 7 ? 'consumer' : null);
    assert.equal(response.protocolName, 'range');
    assert.equal(response.leader, 'consumer-1-5b3c');
    assert.equal(response.members[0]!.groupInstanceId, version >= 5 ? 'billing-0' : null);
    assert.deepEqual(response.members[1]!.metadata, subscription);
  }
  // v7+: no protocol chosen yet (e.g. MEMBER_ID_REQUIRED) is sent as null.
  const decoded = responseRoundTrip(joinGroup, 9, { errorCode: 79, protocolName: null, leader: '', memberId: 'consumer-3-aa01', members: [] });
  assert.equal(decoded.protocolName, null);
  assert.equal(decoded.generationId, -1);
});

test('SyncGroup request and response round-trip', () => {
  // ConsumerProtocolAssignment v0: version, [orders: partitions 0 and 1], null user data.
  const assignment = Buffer.from(
    '0000' + '00000001' + '0006' + Buffer.from('orders').toString('hex') + '00000002' + '00000000' + '00000001' + 'ffffffff',
    'hex',
  );
  for (const version of versionsOf(syncGroup, 3)) {
    const request = requestRoundTrip(syncGroup, version, {
      groupId: 'billing',
      generationId: 4,
      memberId: 'consumer-1-5b3c',
      groupInstanceId: 'billing-0',
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: 'consumer-1-5b3c', assignment },
        { memberId: 'consumer-2-9e11', assignment: Buffer.alloc(0) },
      ],
    });
    assert.equal(request.generationId, 4);
    assert.equal(request.groupInstanceId, version >= 3 ? 'billing-0' : null);
    assert.equal(request.protocolType, version >= 5 ? 'consumer' : null);
    assert.equal(request.protocolName, version >= 5 ? 'range' : null);
    assert.deepEqual(request.assignments[0]!.assignment, assignment);
    assert.equal(request.assignments[1]!.assignment.length, 0);

    const response = responseRoundTrip(syncGroup, version, {
      throttleTimeMs: 0,
      errorCode: 0,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment,
    });
    assert.equal(response.protocolName, version >= 5 ? 'range' : null);
    assert.deepEqual(response.assignment, assignment);
  }
});

test('CreateTopics request and response round-trip', () => {
  for (const version of versionsOf(createTopics, 4)) {
    const request = requestRoundTrip(createTopics, version, {
      topics: [
        {
          name: 'orders',
          numPartitions: 6,
          replicationFactor: 1,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: null },
          ],
        },
        {
          name: 'placed',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }],
          configs: [],
        },
      ],
      timeoutMs: 30_000,
      validateOnly: true,
    });
    assert.equal(request.timeoutMs, 30_000);
    assert.equal(request.validateOnly, version >= 1);
    assert.deepEqual(request.topics[0]!.configs[1], { name: 'retention.ms', value: null });
    assert.deepEqual(request.topics[1]!.assignments[1], { partitionIndex: 1, brokerIds: [1] });

    const response = responseRoundTrip(createTopics, version, {
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          topicId: TOPIC_ID,
          errorCode: 0,
          errorMessage: null,
          numPartitions: 6,
          replicationFactor: 1,
          configs: [
            { name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: 1, isSensitive: false },
            { name: 'segment.bytes', value: '1073741824', readOnly: false, configSource: 5, isSensitive: false },
          ],
        },
        {
          name: 'placed',
          errorCode: 36,
          errorMessage: "Topic 'placed' already exists.",
          topicConfigErrorCode: 29,
          configs: null,
        },
      ],
    });
    const [created, exists] = response.topics;
    assert.equal(created!.topicId, version >= 7 ? TOPIC_ID : ZERO_UUID);
    assert.equal(created!.numPartitions, version >= 5 ? 6 : -1);
    assert.equal(created!.configs?.length, version >= 5 ? 2 : 0);
    assert.equal(exists!.errorCode, 36);
    assert.equal(exists!.errorMessage, version >= 1 ? "Topic 'placed' already exists." : '');
    assert.equal(exists!.topicConfigErrorCode, version >= 5 ? 29 : 0);
    assert.deepEqual(exists!.configs, version >= 5 ? null : []);
  }
});
