/**
 * Fetch answers read from segment files into reused buffers (storage/read-buffer-pool.ts) and
 * from the log's in-memory tail (storage/tail-cache.ts): the bytes a consumer gets must be the
 * log's, whatever other fetches run meanwhile, and a pooled buffer goes back only once its
 * answer has been handed to the OS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { createTopics, fetchApi } from '../../src/protocol/messages/index.js';
import { buildRecordBatch, decodeRecords, isBatchCrcValid } from '../../src/protocol/records/index.js';
import { fetchHandler } from '../../src/broker/handlers/01-fetch.js';
import { sharedReadBufferPool } from '../../src/storage/read-buffer-pool.js';
import type { RequestContext } from '../../src/broker/handler.js';
import { fetchBody, RawClient } from '../helpers/raw-client.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';

const TOPIC = 'reuse';
const PARTITIONS = 4;
const BATCHES = 40;
const VALUE_BYTES = 30_000;

let server: InProcessBroker;

function valueOf(partition: number, index: number): Buffer {
  return Buffer.alloc(VALUE_BYTES, (partition * 31 + index) & 0xff);
}

before(async () => {
  server = await startInProcessBroker();
  const client = await RawClient.connect(server.port);
  const created = await client.request(createTopics, 4, {
    topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
  client.close();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const target = server.broker.replicaManager.getPartition(TOPIC, partition)!;
    for (let index = 0; index < BATCHES; index++) {
      const records = buildRecordBatch({ records: [{ value: valueOf(partition, index) }, { value: valueOf(partition, index + 1000) }] });
      await target.appendRecordsFromClient(records, { acks: 1, produceVersion: 9 });
    }
  }
});

after(async () => {
  await server.stop();
});

/** Reads a partition to its end, fetch after fetch, checking every batch and value. */
async function readAndCheck(client: RawClient, partition: number, partitionMaxBytes: number): Promise<number> {
  let offset = 0;
  let fetches = 0;
  while (offset < BATCHES * 2) {
    const answer = await client.request(
      fetchApi,
      11,
      fetchBody([{ topic: TOPIC, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 }] }]),
    );
    fetches += 1;
    const data = answer!.body.responses[0]!.partitions[0]!;
    assert.equal(data.errorCode, ErrorCode.NONE);
    const records = data.records as Buffer;
    assert.ok(records.length > 0);
    for (let at = 0; at < records.length; ) {
      const size = records.readInt32BE(at + 8) + 12;
      const batch = records.subarray(at, at + size);
      assert.ok(isBatchCrcValid(batch), `partition ${partition}: a batch with a bad CRC at offset ${offset}`);
      const baseOffset = Number(batch.readBigInt64BE(0));
      for (const record of decodeRecords(batch)) {
        const recordOffset = baseOffset + record.offsetDelta;
        const index = Math.floor(recordOffset / 2) + (recordOffset % 2 === 1 ? 1000 : 0);
        assert.ok(record.value!.equals(valueOf(partition, index)), `partition ${partition}, offset ${recordOffset}: another's bytes`);
      }
      offset = baseOffset + batch.readInt32BE(23) + 1;
      at += size;
    }
  }
  return fetches;
}

test('concurrent consumers of file data each get their own partition, byte for byte', async () => {
  const clients = await Promise.all(Array.from({ length: PARTITIONS }, () => RawClient.connect(server.port)));
  try {
    for (let round = 0; round < 3; round++) {
      // Different sizes, so that the reads use several buffer classes and reuse each other's.
      const fetches = await Promise.all(clients.map((client, partition) => readAndCheck(client, partition, 70_000 + partition * 50_000 + round * 20_000)));
      assert.ok(fetches.every((count) => count > 3));
    }
  } finally {
    for (const client of clients) client.close();
  }
});

test('a fetch gives its read buffers back only once its answer has been handed to the OS', async () => {
  const written: (() => void)[] = [];
  const context: RequestContext = {
    header: { apiKey: fetchApi.apiKey, apiVersion: 11, correlationId: 1, clientId: 'test' } as RequestContext['header'],
    apiVersion: 11,
    connection: { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', closed: false, close: () => undefined },
    broker: server.broker,
    onResponseWritten: (release) => written.push(release),
  };
  const before = sharedReadBufferPool.outstanding;
  const request = fetchBody([{ topic: TOPIC, partitions: [{ partition: 1, fetchOffset: 0, partitionMaxBytes: 500_000, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 }] }]);
  const answer = (await fetchHandler.handle(request as never, context)) as unknown as { responses: { partitions: { records: Buffer[] }[] }[] };
  assert.ok(answer.responses[0]!.partitions[0]!.records.length > 0);
  assert.ok(sharedReadBufferPool.outstanding > before, 'the answer holds pooled buffers');
  assert.equal(written.length, 1);
  written[0]!();
  assert.equal(sharedReadBufferPool.outstanding, before, 'given back when written');
});
