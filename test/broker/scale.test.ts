/**
 * Scale (issue 6): a thousand partitions, thousands of idle connections, slow consumers. These
 * are functional checks — what is created, stored, recovered, accepted, closed and answered —
 * and memory bounds only where they are exact (what the fetch memory pool counts, descriptors
 * and timers per partition); never timings. The figures (RSS, recovery time, bytes per
 * partition and per connection) are in docs/BENCHMARKS.md, from `npm run bench:scale`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { apiVersions, createTopics, fetchApi, listOffsets, produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch, decodeRecords } from '../../src/protocol/records/index.js';
import { writeRequestFrame } from '../../src/protocol/request-frame.js';
import { removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { brokerOn } from '../helpers/in-process-broker.js';
import { RawClient } from '../helpers/raw-client.js';

const TOPICS = 10;
const PER_TOPIC = 100;
const PARTITIONS = TOPICS * PER_TOPIC;
const topicNames = Array.from({ length: TOPICS }, (_, index) => `scale-${index}`);

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function startBroker(dataDir: string, overrides: Record<string, string> = {}): Promise<Broker> {
  const broker = brokerOn(dataDir, overrides);
  await broker.start();
  return broker;
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

/** Records in a fetched records field (whole batches back to back). */
function countRecords(records: Buffer | null): { count: number; values: string[] } {
  const values: string[] = [];
  if (records === null) return { count: 0, values };
  for (let at = 0; at < records.length; ) {
    const size = records.readInt32BE(at + 8) + 12;
    for (const record of decodeRecords(records.subarray(at, at + size))) values.push(record.value?.toString() ?? '');
    at += size;
  }
  return { count: values.length, values };
}

function fetchEverything(maxBytes: number, partitionMaxBytes: number) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topicNames.map((topic) => ({
      topic,
      partitions: Array.from({ length: PER_TOPIC }, (_, partition) => ({ partition, fetchOffset: 0, partitionMaxBytes })),
    })),
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
async function eventually(condition: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

test('1,000 partitions: created, produced to, read back after a restart; one descriptor and no timer each', async () => {
  const dataDir = temporaryDataDir();
  cleanups.push(() => removeDir(dataDir));
  let broker = await startBroker(dataDir);
  cleanups.push(() => broker.stop());
  const descriptorsBefore = openDescriptors();
  const timersBefore = activeTimers();

  let client = await RawClient.connect(broker.boundPort());
  const created = await client.request(createTopics, 4, {
    topics: topicNames.map((name) => ({ name, numPartitions: PER_TOPIC, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 60_000,
  });
  for (const topic of created!.body.topics) assert.equal(topic.errorCode, ErrorCode.NONE, `${topic.name}: ${topic.errorMessage}`);
  assert.equal(broker.replicaManager.allPartitions().filter((partition) => partition.topicName.startsWith('scale-')).length, PARTITIONS);

  // One request, one batch of two records for every partition; each value names its partition.
  const produced = await client.request(produce, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: topicNames.map((name) => ({
      name,
      partitionData: Array.from({ length: PER_TOPIC }, (_, index) => ({
        index,
        records: buildRecordBatch({ records: [{ value: `${name}/${index}/a` }, { value: `${name}/${index}/b` }] }),
      })),
    })),
  });
  let answered = 0;
  for (const topic of produced!.body.responses) {
    for (const partition of topic.partitionResponses) {
      assert.equal(partition.errorCode, ErrorCode.NONE);
      assert.equal(Number(partition.baseOffset), 0);
      answered += 1;
    }
  }
  assert.equal(answered, PARTITIONS);

  // Kafka keeps a descriptor per segment file (and maps the indexes); Tidelog keeps the active
  // segment's .log open and opens index files only while it writes them.
  const perPartition = (openDescriptors() - descriptorsBefore) / PARTITIONS;
  assert.ok(perPartition <= 1.01, `${perPartition} descriptors per partition`);
  // No timer per partition (flush.ms is unset; segment deletions are not scheduled).
  assert.ok(activeTimers() - timersBefore < 10, `${activeTimers() - timersBefore} timers more with ${PARTITIONS} partitions`);
  client.close();

  await broker.stop();
  broker = await startBroker(dataDir);
  assert.equal(broker.replicaManager.allPartitions().filter((partition) => partition.topicName.startsWith('scale-')).length, PARTITIONS);
  client = await RawClient.connect(broker.boundPort());
  const offsets = await client.request(listOffsets, 1, {
    replicaId: -1,
    topics: topicNames.map((name) => ({ name, partitions: Array.from({ length: PER_TOPIC }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1 })) })),
  });
  for (const topic of offsets!.body.topics) {
    for (const partition of topic.partitions) assert.equal(Number(partition.offset), 2, `${topic.name}-${partition.partitionIndex}`);
  }
  const fetched = await client.request(fetchApi, 11, fetchEverything(50 * 1024 * 1024, 1024 * 1024));
  let records = 0;
  for (const topic of fetched!.body.responses) {
    for (const partition of topic.partitions) {
      assert.equal(partition.errorCode, ErrorCode.NONE);
      const { count, values } = countRecords(partition.records as Buffer | null);
      assert.deepEqual(values, [`${topic.topic}/${partition.partitionIndex}/a`, `${topic.topic}/${partition.partitionIndex}/b`]);
      records += count;
    }
  }
  assert.equal(records, 2 * PARTITIONS);
  // Everything the answer held is given back once it is written.
  assert.ok(await eventually(() => broker.fetchMemory.usedBytes === 0), `${broker.fetchMemory.usedBytes} bytes still counted`);
  client.close();
});

test('slow consumers fetching 1,000 partitions hold at most the fetch memory pool plus one read each', async () => {
  const dataDir = temporaryDataDir();
  cleanups.push(() => removeDir(dataDir));
  let broker = await startBroker(dataDir);
  cleanups.push(() => broker.stop());
  const producer = await RawClient.connect(broker.boundPort());
  await producer.request(createTopics, 4, {
    topics: topicNames.map((name) => ({ name, numPartitions: PER_TOPIC, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 60_000,
  });
  // 4 KiB per partition, 4 MiB in all: one fetch of everything answers all of it.
  const batch = buildRecordBatch({ records: [{ value: Buffer.alloc(4000, 0x62) }] });
  const produced = await producer.request(produce, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: topicNames.map((name) => ({ name, partitionData: Array.from({ length: PER_TOPIC }, (_, index) => ({ index, records: batch })) })),
  });
  assert.ok(produced!.body.responses.every((topic) => topic.partitionResponses.every((partition) => partition.errorCode === ErrorCode.NONE)));
  producer.close();
  // Started again, so that fetches read the files (not the freshly written tail kept in memory):
  // each read's buffer is then what the pool counts.
  await broker.stop();
  broker = await startBroker(dataDir);

  const pool = broker.fetchMemory;
  pool.capacityBytes = 1024 * 1024;
  const consumers = 4;
  const pipelined = 20;
  const clients: RawClient[] = [];
  cleanups.push(() => clients.forEach((client) => client.close()));
  for (let i = 0; i < consumers; i++) {
    const client = await RawClient.connect(broker.boundPort());
    client.socket.pause();
    for (let j = 0; j < pipelined; j++) client.send(fetchApi, 11, fetchEverything(50 * 1024 * 1024, 1024 * 1024));
    clients.push(client);
  }
  // The answers fill the kernel's socket buffers, then each connection keeps one in memory
  // (read up to what the pool had left, or one batch when it had nothing) and the fetches
  // behind it wait their turn. Past the pool, each fetch adds at most the buffer of one read:
  // a batch plus index.interval.bytes read ahead, or Node's 8 KiB slab for small reads.
  // Sampled throughout: the bound holds at every moment.
  const oneRead = Math.max(8192, batch.length + 4096);
  const bound = pool.capacityBytes + consumers * oneRead;
  let peak = 0;
  const sampleUntil = Date.now() + 1500;
  while (Date.now() < sampleUntil) {
    peak = Math.max(peak, pool.usedBytes);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(peak > 0, 'fetch answers were held');
  assert.ok(peak <= bound, `${peak} bytes held by ${consumers} slow consumers' fetch answers (bound ${bound})`);

  // Reading resumes: every answer comes, in order, and the pool empties.
  for (const client of clients) client.socket.resume();
  for (const client of clients) {
    for (let j = 0; j < pipelined; j++) {
      const answer = await client.response(fetchApi, 11);
      assert.ok(answer, 'answered');
      assert.equal(answer.correlationId, j + 1);
      const records = answer.body.responses.reduce((total, topic) => total + topic.partitions.reduce((sum, partition) => sum + countRecords(partition.records as Buffer | null).count, 0), 0);
      assert.ok(records >= 1, 'every answer carries at least one batch');
    }
    client.close();
  }
  assert.ok(await eventually(() => pool.usedBytes === 0), `${pool.usedBytes} bytes still counted after every answer was read`);
});

/** The descriptors this process may open (Node raises its soft limit to the hard one). */
function descriptorLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

const API_VERSIONS_V0 = writeRequestFrame(apiVersions, 0, { correlationId: 1, clientId: 'idle' }, {}).toBuffer();

/** Opens a connection, sends ApiVersions v0 and resolves once answered (or refused: closed first). */
function openIdle(port: number, closed: Set<Socket>): Promise<{ socket: Socket; answered: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(API_VERSIONS_V0));
    let settled = false;
    socket.on('data', () => {
      if (!settled) {
        settled = true;
        resolve({ socket, answered: true });
      }
    });
    socket.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    socket.on('close', () => {
      closed.add(socket);
      if (!settled) {
        settled = true;
        resolve({ socket, answered: false });
      }
    });
  });
}

test('thousands of idle connections are accepted, answered, and closed by connections.max.idle.ms', async () => {
  // Both ends of every connection live in this process.
  const count = Math.max(100, Math.min(3000, Math.floor((descriptorLimit() - 500) / 2)));
  const dataDir = temporaryDataDir();
  cleanups.push(() => removeDir(dataDir));
  const broker = await startBroker(dataDir, { 'connections.max.idle.ms': '2000' });
  cleanups.push(() => broker.stop());
  const port = broker.boundPort();
  const closed = new Set<Socket>();
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 250) {
    const opened = await Promise.all(Array.from({ length: Math.min(250, count - i) }, () => openIdle(port, closed)));
    for (const { socket, answered } of opened) {
      assert.ok(answered, 'ApiVersions answered');
      sockets.push(socket);
    }
  }
  cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
  assert.equal(sockets.length, count);
  // Idle for 2 s, every one of them is closed by the broker (none by this side).
  assert.ok(await eventually(() => closed.size === count, 30_000), `${closed.size} of ${count} closed`);
  assert.ok(await eventually(() => broker.connectionCount === 0), `${broker.connectionCount} connections left on the broker`);
  // And a new client is served as before.
  const fresh = await RawClient.connect(port);
  const answer = await fresh.request(apiVersions, 3, { clientSoftwareName: 'scale-test', clientSoftwareVersion: '1' });
  assert.equal(answer!.body.errorCode, ErrorCode.NONE);
  fresh.close();
});

test('max.connections refuses connections past the limit and accepts again once some close', async () => {
  const dataDir = temporaryDataDir();
  cleanups.push(() => removeDir(dataDir));
  const broker = await startBroker(dataDir, { 'max.connections': '20' });
  cleanups.push(() => broker.stop());
  const port = broker.boundPort();
  const closed = new Set<Socket>();
  const results: { socket: Socket; answered: boolean }[] = [];
  for (let i = 0; i < 30; i++) results.push(await openIdle(port, closed));
  assert.equal(results.filter((result) => result.answered).length, 20);
  assert.equal(results.filter((result) => !result.answered).length, 10);
  for (const result of results.slice(0, 5)) result.socket.destroy();
  assert.ok(await eventually(() => broker.connectionCount === 15));
  const again = await openIdle(port, closed);
  assert.ok(again.answered, 'a connection is accepted again below the limit');
  for (const result of [...results, again]) result.socket.destroy();
});
