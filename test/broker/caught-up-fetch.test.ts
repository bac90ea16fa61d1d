/**
 * A long-poll fetch from the end of its partitions waits without a first read
 * (Partition.isCaughtUp), and one whose read would fail is answered at once with the error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { createTopics, fetchApi } from '../../src/protocol/messages/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import type { Partition } from '../../src/broker/partition.js';
import { fetchBody, RawClient } from '../helpers/raw-client.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';

const TOPIC = 'caught-up';
/** The fetches' max_wait_ms; an answer that waited for it would miss ANSWERED_WITHIN_MS. */
const LONG_WAIT_MS = 120_000;
const ANSWERED_WITHIN_MS = 30_000;

let server: InProcessBroker;
let client: RawClient;
let partition: Partition;

async function append(count: number): Promise<void> {
  const records = buildRecordBatch({ records: Array.from({ length: count }, (_, index) => ({ value: Buffer.from(`v${index}`) })) });
  await partition.appendRecordsFromClient(records, { acks: 1, produceVersion: 9 });
}

async function fetchAt(fetchOffset: number, currentLeaderEpoch = -1) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWERED_WITHIN_MS} ms: the fetch waited for max_wait_ms`)), ANSWERED_WITHIN_MS);
  });
  try {
    return await Promise.race([late, request(fetchOffset, currentLeaderEpoch)]);
  } finally {
    clearTimeout(timer);
  }
}

function request(fetchOffset: number, currentLeaderEpoch: number) {
  return client.request(
    fetchApi,
    12,
    fetchBody([{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch, logStartOffset: -1, lastFetchedEpoch: -1 }] }], {
      maxWaitMs: LONG_WAIT_MS,
      minBytes: 1,
    }),
  );
}

before(async () => {
  server = await startInProcessBroker();
  client = await RawClient.connect(server.port);
  const created = await client.request(createTopics, 4, {
    topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
  partition = server.broker.replicaManager.getPartition(TOPIC, 0)!;
  await append(3);
});

after(async () => {
  client.close();
  await server.stop();
});

test('isCaughtUp: only at the high watermark, inside the log and with a matching leader epoch', () => {
  assert.equal(partition.highWatermark, 3);
  assert.equal(partition.isCaughtUp(3, 0, -1), true);
  assert.equal(partition.isCaughtUp(2, 0, -1), false, 'a record to read');
  assert.equal(partition.isCaughtUp(4, 0, -1), false, 'past the log end: OFFSET_OUT_OF_RANGE');
  assert.equal(partition.isCaughtUp(3, 0, partition.leaderEpoch), true);
  assert.equal(partition.isCaughtUp(3, 0, partition.leaderEpoch + 1), false, 'UNKNOWN_LEADER_EPOCH');
  assert.equal(partition.isCaughtUp(3, 1, -1), true, 'read_committed with nothing open: the last stable offset is the high watermark');
});

test('a fetch at the end waits for the next append and answers with it', async () => {
  const answer = fetchAt(3);
  await append(2);
  const data = (await answer)!.body.responses[0]!.partitions[0]!;
  assert.equal(data.errorCode, ErrorCode.NONE);
  assert.equal(data.highWatermark, 5);
  const records = data.records as Buffer;
  assert.equal(records.readBigInt64BE(0), 3n, 'the batch appended while the fetch waited');
});

test('a fetch whose read would fail is answered at once, not after max_wait_ms', async () => {
  const end = partition.logEndOffset;
  const outOfRange = (await fetchAt(end + 1))!.body.responses[0]!.partitions[0]!;
  assert.equal(outOfRange.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const newerEpoch = (await fetchAt(end, partition.leaderEpoch + 1))!.body.responses[0]!.partitions[0]!;
  assert.equal(newerEpoch.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
});
