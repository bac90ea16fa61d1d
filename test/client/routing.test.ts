/**
 * Where the admin client sends requests and what it retries, against scripted brokers (two, so
 * that the coordinator and the leaders can be elsewhere than the bootstrap server): group
 * requests go to the coordinator FindCoordinator names; COORDINATOR_LOAD_IN_PROGRESS is retried
 * there; NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a lost connection look the coordinator
 * up again; non-retriable errors are not retried; retries stop at the API timeout; ListGroups
 * asks every broker; ListOffsets goes to each leader and follows a moved leader.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Admin } from '../../src/client/admin.js';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CLOSE, coordinatorReply, FakeBroker, metadataReply, type Handler } from './fake-broker.js';

const started: FakeBroker[] = [];
const admins: Admin[] = [];
after(async () => {
  for (const admin of admins) await admin.close();
  for (const broker of started) await broker.stop();
});

/** Two brokers, node 1 (the bootstrap server) and node 2, both answering Metadata with both. */
async function twoBrokers(handlers: { a?: Handler; b?: Handler; topics?: () => Record<string, readonly number[]> }): Promise<[FakeBroker, FakeBroker]> {
  const pair: FakeBroker[] = [];
  const withMetadata =
    (handler: Handler | undefined): Handler =>
    (request, self) =>
      request.api === 'Metadata' ? metadataReply(pair, handlers.topics?.() ?? {}) : handler ? handler(request, self) : CLOSE;
  pair.push(await FakeBroker.start({ nodeId: 1, handler: withMetadata(handlers.a) }));
  pair.push(await FakeBroker.start({ nodeId: 2, handler: withMetadata(handlers.b) }));
  started.push(...pair);
  return pair as [FakeBroker, FakeBroker];
}

function admin(bootstrap: string, options: { apiTimeoutMs?: number } = {}): Admin {
  const client = new Admin({ bootstrapServers: bootstrap, clientId: 'routing-test', retryBackoffMs: 10, ...options });
  admins.push(client);
  return client;
}

function stableGroup(groupId: string, errorCode: number = ErrorCode.NONE): Record<string, unknown> {
  return { groups: [{ errorCode, groupId, groupState: errorCode === ErrorCode.NONE ? 'Stable' : '', protocolType: 'consumer', protocolData: 'range', members: [] }] };
}

function hasCode(code: ErrorCode) {
  return (error: unknown) => {
    assert.ok(error instanceof KafkaError, `expected a KafkaError, got ${String(error)}`);
    assert.equal(ErrorCode[error.code], ErrorCode[code]);
    return true;
  };
}

test('group requests go to the coordinator FindCoordinator names; COORDINATOR_LOAD_IN_PROGRESS from FindCoordinator is retried', async () => {
  let lookups = 0;
  const [a, b] = await twoBrokers({
    a: (request) => (request.api === 'FindCoordinator' ? coordinatorReply(request, b, ++lookups === 1 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE) : CLOSE),
    b: (request) => (request.api === 'DescribeGroups' ? stableGroup(request.body.groups[0]) : CLOSE),
  });
  const [group] = await admin(a.bootstrap).describeGroups(['orders-app']);
  assert.equal(group!.state, 'Stable');
  assert.equal(group!.coordinator.nodeId, 2);
  assert.equal(a.received('FindCoordinator').length, 2);
  assert.deepEqual(a.received('FindCoordinator')[0]!.body.coordinatorKeys ?? [a.received('FindCoordinator')[0]!.body.key], ['orders-app']);
  assert.equal(a.received('DescribeGroups').length, 0, 'nothing group-related goes to the bootstrap broker');
  assert.equal(b.received('DescribeGroups').length, 1);
});

test('NOT_COORDINATOR from the cached coordinator makes the client look the coordinator up again', async () => {
  let lookups = 0;
  const [a, b] = await twoBrokers({
    a: (request) => {
      if (request.api === 'FindCoordinator') return coordinatorReply(request, ++lookups === 1 ? b : a);
      return request.api === 'DescribeGroups' ? stableGroup(request.body.groups[0]) : CLOSE;
    },
    b: (request) => (request.api === 'DescribeGroups' ? stableGroup(request.body.groups[0], ErrorCode.NOT_COORDINATOR) : CLOSE),
  });
  const [group] = await admin(a.bootstrap).describeGroups(['moved']);
  assert.equal(group!.state, 'Stable');
  assert.equal(group!.coordinator.nodeId, 1);
  assert.equal(lookups, 2);
  assert.equal(b.received('DescribeGroups').length, 1);
  assert.equal(a.received('DescribeGroups').length, 1);
});

test('COORDINATOR_LOAD_IN_PROGRESS from the coordinator is retried at the same coordinator, without a new lookup', async () => {
  let fetches = 0;
  const [a, b] = await twoBrokers({
    a: (request) => (request.api === 'FindCoordinator' ? coordinatorReply(request, b) : CLOSE),
    b: (request) => {
      if (request.api !== 'OffsetFetch') return CLOSE;
      const loading = ++fetches === 1;
      const topics = loading ? [] : [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }];
      const errorCode = loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
      return request.version >= 8 ? { groups: [{ groupId: request.body.groups[0].groupId, topics, errorCode }] } : { topics, errorCode };
    },
  });
  const offsets = await admin(a.bootstrap).fetchCommittedOffsets('loading');
  assert.deepEqual(offsets.map(({ topic, partition, offset }) => [topic, partition, offset]), [['orders', 0, 42]]);
  assert.equal(a.received('FindCoordinator').length, 1);
  assert.equal(b.received('OffsetFetch').length, 2);
});

test('a lost connection to the coordinator: looked up again, reconnected, retried', async () => {
  let describes = 0;
  const [a, b] = await twoBrokers({
    a: (request) => (request.api === 'FindCoordinator' ? coordinatorReply(request, b) : CLOSE),
    b: (request) => (request.api === 'DescribeGroups' && ++describes > 1 ? stableGroup(request.body.groups[0]) : CLOSE),
  });
  const [group] = await admin(a.bootstrap).describeGroups(['flaky']);
  assert.equal(group!.state, 'Stable');
  assert.equal(a.received('FindCoordinator').length, 2);
  assert.equal(b.accepted, 2);
});

test('a non-retriable error is thrown at once, not retried', async () => {
  const [a, b] = await twoBrokers({
    a: (request) => (request.api === 'FindCoordinator' ? coordinatorReply(request, b) : CLOSE),
    b: (request) => (request.api === 'DescribeGroups' ? stableGroup(request.body.groups[0], ErrorCode.GROUP_AUTHORIZATION_FAILED) : CLOSE),
  });
  await assert.rejects(admin(a.bootstrap).describeGroups(['secret']), hasCode(ErrorCode.GROUP_AUTHORIZATION_FAILED));
  assert.equal(b.received('DescribeGroups').length, 1);
});

test('a retriable error that persists is given up at the API timeout, with that error', async () => {
  const [a] = await twoBrokers({ a: (request) => (request.api === 'FindCoordinator' ? coordinatorReply(request, null, ErrorCode.COORDINATOR_NOT_AVAILABLE) : CLOSE) });
  await assert.rejects(admin(a.bootstrap, { apiTimeoutMs: 300 }).describeGroups(['nowhere']), hasCode(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  assert.ok(a.received('FindCoordinator').length > 1, 'retried before giving up');
});

test('bootstrap servers that cannot be reached before any connection: BROKER_NOT_AVAILABLE at once, no retries', async () => {
  // A server that accepts and hangs up at once: every attempt would show as a connection.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let accepted = 0;
  server.on('connection', () => accepted++);
  try {
    const port = (server.address() as { port: number }).port;
    await assert.rejects(admin(`127.0.0.1:${port}`, { apiTimeoutMs: 60_000 }).listGroups(), hasCode(ErrorCode.BROKER_NOT_AVAILABLE));
    assert.equal(accepted, 1);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('ListGroups asks every broker (each lists the groups it coordinates) and merges the lists; states are passed as the filter', async () => {
  const listing = (groups: string[]): Handler => (request) =>
    request.api === 'ListGroups' ? { errorCode: 0, groups: groups.map((groupId) => ({ groupId, protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' })) } : CLOSE;
  const [a, b] = await twoBrokers({ a: listing(['b-group', 'z-group']), b: listing(['a-group']) });
  const groups = await admin(a.bootstrap).listGroups({ states: ['Stable'] });
  assert.deepEqual(groups.map((group) => group.groupId), ['a-group', 'b-group', 'z-group']);
  assert.deepEqual(a.received('ListGroups')[0]!.body.statesFilter, ['Stable']);
  assert.deepEqual(b.received('ListGroups')[0]!.body.statesFilter, ['Stable']);
});

test("ListOffsets goes to each partition's leader; NOT_LEADER_OR_FOLLOWER refreshes the metadata and asks the new leader", async () => {
  let leaders = [1, 2];
  const listOffsets =
    (errorFor: (partition: number) => number): Handler =>
    (request) =>
      request.api === 'ListOffsets'
        ? {
            topics: request.body.topics.map((topic: { name: string; partitions: { partitionIndex: number }[] }) => ({
              name: topic.name,
              partitions: topic.partitions.map(({ partitionIndex }) => {
                const errorCode = errorFor(partitionIndex);
                return { partitionIndex, errorCode, timestamp: -1, offset: errorCode === 0 ? 100 + partitionIndex : -1, leaderEpoch: 0 };
              }),
            })),
          }
        : CLOSE;
  const [a, b] = await twoBrokers({
    topics: () => ({ orders: leaders }),
    // Node 1 was the leader of partition 0; it moved to node 2.
    a: listOffsets(() => {
      leaders = [2, 2];
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    }),
    b: listOffsets(() => ErrorCode.NONE),
  });
  const offsets = await admin(a.bootstrap).listOffsets([
    { topic: 'orders', partition: 0, spec: 'latest' },
    { topic: 'orders', partition: 1, spec: 'latest' },
  ]);
  assert.deepEqual(offsets.map((offset) => offset.offset), [100, 101]);
  assert.equal(a.received('ListOffsets').length, 1);
  const askedOfB = b.received('ListOffsets').flatMap((request) => request.body.topics[0].partitions.map((partition: { partitionIndex: number; timestamp: number }) => [partition.partitionIndex, partition.timestamp]));
  assert.deepEqual(askedOfB, [[1, -1], [0, -1]], 'partition 1 first, then partition 0 once node 2 leads it; latest is timestamp -1');
});
