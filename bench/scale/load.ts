/**
 * The loads of the scale benchmark, on bare protocol connections (wire.ts):
 * - createTopics: `topics` topics of `perTopic` partitions each;
 * - produceToAll: Produce requests that each carry one batch for every partition, pipelined;
 * - logEndOffsets: ListOffsets(latest) of every partition (what survived a restart);
 * - slowConsumers: fetchers that ask for every partition from offset 0 with large max_bytes and
 *   then read their socket slowly;
 * - requestLatency: how fast a fresh client is answered (ApiVersions and Metadata of one topic).
 */
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { apiVersions, createTopics, fetchApi, listOffsets, metadata, produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { WireConnection } from './wire.js';

export interface Layout {
  topics: number;
  perTopic: number;
}

export function topicName(index: number): string {
  return `scale-${String(index).padStart(4, '0')}`;
}

function topicNames(layout: Layout): string[] {
  return Array.from({ length: layout.topics }, (_, index) => topicName(index));
}

export async function createTopicsFor(port: number, layout: Layout): Promise<void> {
  const connection = await WireConnection.open(port);
  try {
    const names = topicNames(layout);
    // A few topics per request keeps each answer small.
    for (let from = 0; from < names.length; from += 50) {
      const answer = await connection.request(createTopics, 4, {
        topics: names.slice(from, from + 50).map((name) => ({ name, numPartitions: layout.perTopic, replicationFactor: 1, assignments: [], configs: [] })),
        timeoutMs: 60_000,
      });
      for (const topic of answer.topics) {
        if (topic.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${topic.name}: error ${topic.errorCode} ${topic.errorMessage ?? ''}`);
      }
    }
  } finally {
    connection.close();
  }
}

export interface ProduceSettings {
  /** Records per batch (one batch per partition per request). */
  records: number;
  valueBytes: number;
  /** Requests awaiting their answer at once. */
  inFlight: number;
  durationS: number;
}

export interface ProduceResult {
  requests: number;
  records: number;
  /** Bytes of record values. */
  valueBytes: number;
  /** Bytes of the Produce requests sent. */
  requestBytes: number;
  seconds: number;
  errors: number;
}

/**
 * acks=1 Produce v7 requests, each with one batch of `records` records for every partition of
 * the layout, `inFlight` pipelined, for `durationS`. One request is encoded once and resent with a
 * new correlation id: the broker assigns offsets to its own copy of the bytes.
 */
export async function produceToAll(port: number, layout: Layout, settings: ProduceSettings, onTick?: () => void): Promise<ProduceResult> {
  const connection = await WireConnection.open(port);
  const value = Buffer.alloc(settings.valueBytes, 0x61);
  const batch = buildRecordBatch({ records: Array.from({ length: settings.records }, () => ({ key: null, value })) });
  const { frame } = connection.encode(produce, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: topicNames(layout).map((name) => ({
      name,
      partitionData: Array.from({ length: layout.perTopic }, (_, index) => ({ index, records: batch })),
    })),
  });
  let requests = 0;
  let errors = 0;
  let correlationId = 1_000_000;
  const started = performance.now();
  const deadline = started + settings.durationS * 1000;
  const tick = setInterval(() => onTick?.(), 250);
  try {
    const lane = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const id = correlationId++;
        const copy = Buffer.from(frame);
        copy.writeInt32BE(id, 8);
        const answer = await connection.sendFrame(copy, id);
        errors += countProduceErrors(answer);
        requests += 1;
      }
    };
    await Promise.all(Array.from({ length: settings.inFlight }, lane));
  } finally {
    clearInterval(tick);
    connection.close();
  }
  const partitions = layout.topics * layout.perTopic;
  return {
    requests,
    records: requests * partitions * settings.records,
    valueBytes: requests * partitions * settings.records * settings.valueBytes,
    requestBytes: requests * frame.length,
    seconds: (performance.now() - started) / 1000,
    errors,
  };
}

/** Partitions answered with an error in a Produce v7 answer. */
function countProduceErrors(answer: Buffer): number {
  // Decoding every answer would cost the load generator more than the broker; the error codes
  // sit at known places: header(4) throttle-less layout: [topics: name, [partitions: index(4) error(2) base(8) time(8) start(8)]].
  let at = 4;
  const topics = answer.readInt32BE(at);
  at += 4;
  let errors = 0;
  for (let t = 0; t < topics; t++) {
    at += 2 + answer.readInt16BE(at);
    const partitions = answer.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      if (answer.readInt16BE(at + 4) !== 0) errors += 1;
      at += 4 + 2 + 8 + 8 + 8;
    }
  }
  return errors;
}

/** The log end offset of every partition, summed (ListOffsets v1, timestamp -1). */
export async function sumOfLogEndOffsets(port: number, layout: Layout): Promise<number> {
  const connection = await WireConnection.open(port);
  try {
    const answer = await connection.request(listOffsets, 1, {
      replicaId: -1,
      topics: topicNames(layout).map((name) => ({ name, partitions: Array.from({ length: layout.perTopic }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1 })) })),
    });
    let total = 0;
    for (const topic of answer.topics) {
      for (const partition of topic.partitions) {
        if (partition.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic.name}-${partition.partitionIndex}: error ${partition.errorCode}`);
        total += Number(partition.offset);
      }
    }
    return total;
  } finally {
    connection.close();
  }
}

export interface SlowConsumerSettings {
  consumers: number;
  /** Fetches each consumer pipelines at once. */
  pipelined: number;
  /** Fetch max_bytes (the response-wide limit) and partition_max_bytes. */
  maxBytes: number;
  partitionMaxBytes: number;
  /** How fast each consumer reads its socket. */
  readBytesPerSecond: number;
  durationS: number;
}

export interface SlowConsumerResult {
  /** Response bytes the consumers read in the time given. */
  bytesRead: number;
  seconds: number;
}

/**
 * `consumers` connections each pipeline `pipelined` fetches of every partition from offset 0 and
 * then read their socket at about `readBytesPerSecond` (paused whenever they are ahead of that
 * rate), for `durationS`. The broker's memory is sampled by the caller through onTick.
 */
export async function slowConsumers(port: number, layout: Layout, settings: SlowConsumerSettings, onTick: () => void): Promise<SlowConsumerResult> {
  const connections = await Promise.all(Array.from({ length: settings.consumers }, () => WireConnection.open(port)));
  const tickMs = 50;
  const allowance = Math.max(1, Math.round((settings.readBytesPerSecond * tickMs) / 1000));
  const started = performance.now();
  for (const connection of connections) {
    connection.socket.pause();
    for (let i = 0; i < settings.pipelined; i++) {
      const { frame, correlationId } = connection.encode(fetchApi, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: settings.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: topicNames(layout).map((topic) => ({
          topic,
          partitions: Array.from({ length: layout.perTopic }, (_, partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: settings.partitionMaxBytes })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      });
      connection.sendFrame(frame, correlationId).catch(() => undefined);
    }
  }
  // A token bucket per consumer: a tick adds its allowance, a chunk taken off the socket spends
  // its size, and the socket is paused while the bucket is empty (a chunk may overdraw it; the
  // next ticks pay that back first).
  const tokens = new Map<WireConnection, number>(connections.map((connection) => [connection, 0]));
  for (const connection of connections) {
    connection.socket.on('data', (chunk: Buffer) => {
      const left = tokens.get(connection)! - chunk.length;
      tokens.set(connection, left);
      if (left <= 0) connection.socket.pause();
    });
  }
  const timer = setInterval(() => {
    onTick();
    for (const connection of connections) {
      const left = Math.min(tokens.get(connection)! + allowance, allowance);
      tokens.set(connection, left);
      if (left > 0) connection.socket.resume();
    }
  }, tickMs);
  await new Promise((done) => setTimeout(done, settings.durationS * 1000));
  clearInterval(timer);
  const bytesRead = connections.reduce((total, connection) => total + connection.receivedBytes, 0);
  for (const connection of connections) connection.close();
  return { bytesRead, seconds: (performance.now() - started) / 1000 };
}

export interface LatencyResult {
  apiVersionsMs: { p50: number; p99: number; max: number };
  metadataMs: { p50: number; p99: number; max: number };
  connectMs: number;
}

/** A fresh connection: its connect time, then `count` ApiVersions and `count` Metadata (one topic) one after another. */
export async function requestLatency(port: number, count: number): Promise<LatencyResult> {
  const connectStarted = performance.now();
  const connection = await WireConnection.open(port);
  const connectMs = performance.now() - connectStarted;
  try {
    const time = async (call: () => Promise<unknown>): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        await call();
        samples.push(performance.now() - started);
      }
      return samples;
    };
    const versions = await time(() => connection.request(apiVersions, 3, { clientSoftwareName: 'bench-scale', clientSoftwareVersion: '1' }));
    const topic = topicName(0);
    const meta = await time(() => connection.request(metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    return { apiVersionsMs: percentiles(versions), metadataMs: percentiles(meta), connectMs };
  } finally {
    connection.close();
  }
}

function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
