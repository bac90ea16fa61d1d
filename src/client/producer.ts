/**
 * Tidelog's producer, in the terms of Kafka's Java producer (batch.size, linger.ms, acks,
 * compression.type, max.in.flight.requests.per.connection, buffer.memory, delivery.timeout.ms,
 * max.request.size, enable.idempotence), over the client's Connection and Cluster.
 *
 * Path of a record:
 *   produce() → partition (partitioner.ts) → the partition's open batch (RecordBatchWriter:
 *   the record's bytes are written straight into the batch buffer, nothing else is kept per
 *   record unless a callback or append times are asked for)
 *   → the batch is sealed when the next record does not fit, when linger.ms has passed since its
 *   first record and the leader's connection can take a request, or on flush(): header, CRC and
 *   compression (in libuv's thread pool for large batches)
 *   → the sender drains each leader: one Produce request per round with at most one batch per
 *   partition (what brokers accept from v3 on), up to max.request.size, with up to
 *   maxInFlightRequestsPerConnection requests in flight per connection (pipelined: a broker
 *   answers one connection's requests in order, so one partition's batches are appended in the
 *   order they were sent)
 *   → the answer completes each batch: delivery callbacks / promises with offsets, the
 *   onBatchDelivered hook, buffer memory released.
 *
 * Errors. A partition error is a KafkaError named by Kafka's code ("NOT_LEADER_OR_FOLLOWER
 * (topic 't' partition 2)"). Retriable ones (a moved leader, an unknown topic or partition
 * while metadata catches up, not enough replicas, a lost connection, a timeout) send the batch
 * again after retry.backoff.ms until delivery.timeout.ms has passed since the batch was created;
 * errors that mean stale metadata also refresh it. A retried batch goes out again before every
 * later batch of its partition; without idempotence a later batch that was already in flight may
 * still land first (as in Java, use maxInFlightRequestsPerConnection=1 or `idempotent` when a
 * retry must never reorder). With `idempotent`, the producer gets a producer id (InitProducerId)
 * and numbers every batch per partition, so the broker drops duplicates of retried batches and
 * refuses out-of-order ones, which are sent again in order.
 *
 * Left out: transactions (the transaction coordinator's client side), epoch bumps after an
 * idempotence error (KIP-360: such a batch fails), splitting a batch refused as
 * MESSAGE_TOO_LARGE, automatic topic creation (the topic must exist; records for it wait for
 * its metadata until delivery.timeout.ms).
 */
import { performance } from 'node:perf_hooks';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { initProducerId, produce as produceApi } from '../protocol/messages/index.js';
import { CompressionType, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { COMPRESSION_TYPE_NAMES } from '../protocol/records/compression/index.js';
import { Cluster, type ClientOptions, type TopicMetadata } from './cluster.js';
import type { Connection } from './connection.js';
import { brokerError, isRetriable } from './errors.js';
import { partitionForKey, type KeylessStrategy, type Partitioner } from './partitioner.js';
import { maxRecordSize, RecordBatchWriter, type ProducerRecordHeader } from './record-batch-writer.js';

export type { ProducerRecordHeader } from './record-batch-writer.js';

/** 0: no answer; 1: the leader has the batch; -1 / 'all': every in-sync replica has it. */
export type Acks = 0 | 1 | -1 | 'all';
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions extends ClientOptions {
  /** Kafka's acks; default 'all', as Java's producer since Kafka 3.0. */
  readonly acks?: Acks;
  /** Kafka's compression.type; default 'none'. */
  readonly compression?: CompressionName | CompressionType;
  /** gzip 0-9, zstd 1-22; the codec's default otherwise. */
  readonly compressionLevel?: number;
  /** batch.size: bytes of one batch (a larger record gets a batch of its own). Default 16384. */
  readonly batchSize?: number;
  /** linger.ms: how long a batch waits for more records once it has one. Default 5. */
  readonly lingerMs?: number;
  /** max.in.flight.requests.per.connection; default 5 (at most 5 with `idempotent`). */
  readonly maxInFlightRequestsPerConnection?: number;
  /** max.request.size: the largest Produce request, and so the largest record. Default 1 MiB. */
  readonly maxRequestSize?: number;
  /** buffer.memory: bytes of batches not yet delivered beyond which produce() returns false. Default 32 MiB. */
  readonly bufferMemory?: number;
  /** delivery.timeout.ms: from a batch's creation to its last possible retry. Default 120 s. */
  readonly deliveryTimeoutMs?: number;
  /** enable.idempotence (needs acks 'all'); default false. Call connect() before producing. */
  readonly idempotent?: boolean;
  /** How records without key and partition are spread, or a partitioner of one's own. Default 'sticky'. */
  readonly partitioner?: KeylessStrategy | Partitioner;
  /** Batches whose records section is at least this large compress in the thread pool. Default 64 KiB. */
  readonly asyncCompressionBytes?: number;
  /** Keep the time (performance.now()) each record was produced, for BatchDelivery.appendTimes. */
  readonly recordAppendTimes?: boolean;
  /** Called once per batch when it is delivered or fails, before the batch's record callbacks. */
  readonly onBatchDelivered?: (delivery: BatchDelivery) => void;
}

/**
 * A record to produce. produce() copies what it needs before it returns, so the object and its
 * buffers may be reused for the next record.
 */
export interface ProducerRecord {
  readonly topic: string;
  readonly value?: Buffer | string | null;
  readonly key?: Buffer | string | null;
  readonly headers?: readonly ProducerRecordHeader[] | null;
  /** The partition; omitted: chosen by the key or the partitioner. */
  readonly partition?: number;
  /** CreateTime in epoch ms; omitted: now. */
  readonly timestamp?: number;
}

export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** -1 with acks=0 or when the record failed. */
  readonly offset: number;
  /** The record's timestamp, or the broker's append time for LogAppendTime topics. */
  readonly timestamp: number;
}

export type DeliveryCallback = (error: KafkaError | null, metadata: RecordMetadata) => void;

/** What onBatchDelivered reports for each batch. */
export interface BatchDelivery {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the batch's first record; -1 with acks=0 or on failure. */
  readonly baseOffset: number;
  readonly recordCount: number;
  /** Bytes of the batch as sent (compressed, header included). */
  readonly sizeInBytes: number;
  readonly error: KafkaError | null;
  /** performance.now() at each record's produce(), with recordAppendTimes; else null. */
  readonly appendTimes: Float64Array | null;
  /** performance.now() when the answer came (or the bytes were written, with acks=0). */
  readonly completedAt: number;
}

const COMPRESSION_BY_NAME: Readonly<Record<string, CompressionType>> = Object.fromEntries(
  Object.entries(COMPRESSION_TYPE_NAMES).map(([code, name]) => [name, Number(code) as CompressionType]),
);

/** Errors after which a batch is sent again (Java's RetriableException subclasses the producer meets). */
const RETRIABLE_CODES = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
]);

/** Errors that mean the cached leader is wrong: metadata is asked for again. */
const STALE_METADATA_CODES = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

const MAX_SEQUENCE = 0x7fffffff;

type BatchState = 'open' | 'compressing' | 'ready' | 'in-flight' | 'done';

/** One batch from its first record to its answer. */
class ProducerBatch {
  writer: RecordBatchWriter | null;
  bytes: Buffer | null = null;
  state: BatchState = 'open';
  recordCount = 0;
  /** Bytes counted against buffer.memory while the batch is not done. */
  memory: number;
  callbacks: (DeliveryCallback | undefined)[] | null = null;
  timestamps: number[] | null = null;
  appendTimes: Float64Array | null;
  baseSequence = -1;
  private waiters: (() => void)[] | null = null;

  constructor(
    readonly queue: PartitionQueue,
    capacity: number,
    readonly createdAt: number,
    recordAppendTimes: boolean,
  ) {
    this.writer = new RecordBatchWriter(capacity);
    this.memory = capacity;
    // Room for the records of a batch of 100-byte values; grown when more come.
    this.appendTimes = recordAppendTimes ? new Float64Array(Math.max(16, Math.min(capacity >> 7, 65_536))) : null;
  }

  /** Bookkeeping for the record just written by the writer. */
  added(callback: DeliveryCallback | undefined, timestamp: number): void {
    const index = this.recordCount++;
    const appendTimes = this.appendTimes;
    if (appendTimes !== null) {
      if (index === appendTimes.length) {
        const grown = new Float64Array(appendTimes.length * 2);
        grown.set(appendTimes);
        this.appendTimes = grown;
      }
      this.appendTimes![index] = performance.now();
    }
    if (callback !== undefined) {
      (this.callbacks ??= [])[index] = callback;
      (this.timestamps ??= [])[index] = timestamp;
    }
  }

  whenDone(): Promise<void> {
    if (this.state === 'done') return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  settle(): void {
    this.state = 'done';
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters !== null) for (const resolve of waiters) resolve();
  }
}

/** One partition of a topic: its open batch and its sealed, undelivered batches in order. */
class PartitionQueue {
  open: ProducerBatch | null = null;
  /** Sealed batches not yet done, oldest first: the order they must be appended in. */
  readonly sealed: ProducerBatch[] = [];
  inFlight = 0;
  leader = -1;
  retryNotBefore = 0;
  /** Idempotence: the sequence number of the next batch's first record. */
  nextSequence = 0;

  constructor(
    readonly topic: TopicState,
    readonly partition: number,
  ) {}
}

interface WaitingRecord {
  readonly record: ProducerRecord;
  readonly callback: DeliveryCallback | undefined;
  readonly since: number;
}

class TopicState {
  /** Empty until the topic's metadata is known. */
  partitions: PartitionQueue[] = [];
  /** Records produced before the metadata came, in order. */
  waiting: WaitingRecord[] = [];
  sticky = -1;
  roundRobin = 0;
  lastError: KafkaError | null = null;

  constructor(readonly name: string) {}
}

/** A broker that leads some partitions: its connection and the requests in flight on it. */
class NodeState {
  connection: Connection | null = null;
  connecting = false;
  inFlight = 0;
  partitions: PartitionQueue[] = [];
  rotation = 0;

  constructor(readonly nodeId: number) {}
}

function toBytes(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function positiveInteger(name: string, value: number, minimum = 1): number {
  if (!Number.isInteger(value) || value < minimum) throw new RangeError(`${name} must be an integer of at least ${minimum}, got ${value}`);
  return value;
}

export function compressionTypeOf(compression: CompressionName | CompressionType | undefined): CompressionType {
  if (compression === undefined) return CompressionType.NONE;
  if (typeof compression === 'number') {
    if (COMPRESSION_TYPE_NAMES[compression] === undefined) throw new RangeError(`unknown compression type ${compression}`);
    return compression;
  }
  const type = COMPRESSION_BY_NAME[compression];
  if (type === undefined) throw new RangeError(`unknown compression '${compression}' (none, gzip, snappy, lz4, zstd)`);
  return type;
}

export class Producer {
  readonly cluster: Cluster;
  readonly acks: 0 | 1 | -1;
  readonly compression: CompressionType;
  private readonly compressionLevel: number | undefined;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;
  private readonly maxRequestSize: number;
  private readonly bufferMemory: number;
  private readonly deliveryTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly idempotent: boolean;
  private readonly keyless: KeylessStrategy;
  private readonly partitioner: Partitioner | null;
  private readonly asyncCompressionBytes: number;
  private readonly recordAppendTimes: boolean;
  private readonly onBatchDelivered: ((delivery: BatchDelivery) => void) | null;

  private readonly topics = new Map<string, TopicState>();
  private readonly nodes = new Map<number, NodeState>();
  /** Every batch not yet done, to flush and to expire. */
  private readonly incomplete = new Set<ProducerBatch>();
  private bufferedBytes = 0;
  private bufferWaiters: (() => void)[] = [];
  private flushing = 0;
  private closed = false;
  private producerId = -1;
  private producerEpoch = -1;

  private lingerTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private drainScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  private metadataRefresh: Promise<void> | null = null;
  private metadataAgain = false;
  private metadataWaiters: (() => void)[] = [];

  constructor(options: ProducerOptions) {
    this.cluster = new Cluster({ clientId: 'tidelog-producer', ...options });
    const acks = options.acks ?? 'all';
    if (acks !== 0 && acks !== 1 && acks !== -1 && acks !== 'all') throw new RangeError(`acks must be 0, 1, -1 or 'all', got ${String(acks)}`);
    this.acks = acks === 'all' ? -1 : acks;
    this.compression = compressionTypeOf(options.compression);
    this.compressionLevel = options.compressionLevel;
    this.batchSize = positiveInteger('batchSize', options.batchSize ?? 16_384);
    this.lingerMs = positiveInteger('lingerMs', options.lingerMs ?? 5, 0);
    this.maxInFlight = positiveInteger('maxInFlightRequestsPerConnection', options.maxInFlightRequestsPerConnection ?? 5);
    this.maxRequestSize = positiveInteger('maxRequestSize', options.maxRequestSize ?? 1_048_576, RECORD_BATCH_OVERHEAD + 1);
    this.bufferMemory = positiveInteger('bufferMemory', options.bufferMemory ?? 33_554_432);
    this.deliveryTimeoutMs = positiveInteger('deliveryTimeoutMs', options.deliveryTimeoutMs ?? 120_000);
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.idempotent = options.idempotent ?? false;
    if (this.idempotent && this.acks !== -1) throw new RangeError("idempotence needs acks 'all'");
    if (this.idempotent && this.maxInFlight > 5) throw new RangeError('idempotence allows at most 5 requests in flight per connection');
    const partitioner = options.partitioner ?? 'sticky';
    if (typeof partitioner === 'function') {
      this.partitioner = partitioner;
      this.keyless = 'sticky';
    } else {
      if (partitioner !== 'sticky' && partitioner !== 'round-robin') throw new RangeError(`unknown partitioner '${String(partitioner)}' (sticky, round-robin)`);
      this.partitioner = null;
      this.keyless = partitioner;
    }
    this.asyncCompressionBytes = options.asyncCompressionBytes ?? 65_536;
    this.recordAppendTimes = options.recordAppendTimes ?? false;
    this.onBatchDelivered = options.onBatchDelivered ?? null;
  }

  /**
   * Checks that a broker answers, learns the named topics' partitions (so the first records
   * need not wait) and, with idempotence, gets a producer id. Optional without idempotence.
   */
  async connect(topics: readonly string[] = []): Promise<void> {
    for (const name of topics) if (!this.topics.has(name)) this.addTopic(name);
    await this.cluster.retry(async () => {
      if (topics.length > 0) await this.refreshMetadataNow();
      else await this.cluster.refreshMetadata([]);
    });
    if (this.idempotent && this.producerId < 0) {
      const answer = await this.cluster.withAnyBroker(async (connection) => {
        const response = await connection.send(initProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
        if (response.errorCode !== ErrorCode.NONE) throw brokerError(response.errorCode, 'InitProducerId');
        return response;
      });
      this.producerId = answer.producerId;
      this.producerEpoch = answer.producerEpoch;
    }
  }

  /** The producer id and epoch (idempotence), or -1 / -1. */
  get producerIdentity(): { producerId: number; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /** Bytes of batches produced and not yet delivered. */
  get bufferedSize(): number {
    return this.bufferedBytes;
  }

  /** Produces a record; resolves with its offset once delivered (acks), rejects with a KafkaError. */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise((resolve, reject) => {
      this.produce(record, (error, metadata) => (error ? reject(error) : resolve(metadata)));
    });
  }

  /**
   * Produces a record: it is copied into its partition's batch before this returns. The callback
   * (optional) is told of its delivery. Returns false once more than bufferMemory bytes wait
   * for delivery: the caller should then wait for waitForBufferSpace() (the record is accepted
   * either way). Throws for a record that can never be sent (too large, a partition the topic
   * does not have, a closed producer).
   */
  produce(record: ProducerRecord, callback?: DeliveryCallback): boolean {
    if (this.closed) throw new Error('the producer is closed');
    if (this.idempotent && this.producerId < 0) throw new Error('an idempotent producer needs connect() before produce()');
    let topic = this.topics.get(record.topic);
    if (topic === undefined) topic = this.addTopic(record.topic);
    if (topic.partitions.length === 0) {
      this.waitForMetadata(topic, record, callback);
      return this.bufferedBytes < this.bufferMemory;
    }
    const key = toBytes(record.key);
    const value = toBytes(record.value);
    const headers = record.headers ?? null;
    const timestamp = record.timestamp ?? Date.now();
    const partitions = topic.partitions;
    let partition = record.partition ?? -1;
    let sticky = false;
    if (partition >= 0) {
      if (!Number.isInteger(partition) || partition >= partitions.length) {
        throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic.name}' has ${partitions.length} partitions, not partition ${partition}`);
      }
    } else {
      if (this.partitioner !== null) partition = this.partitioner(topic.name, key, partitions.length);
      if (partition < 0) {
        if (key !== null) partition = partitionForKey(key, partitions.length);
        else if (this.keyless === 'round-robin') partition = topic.roundRobin++ % partitions.length;
        else {
          if (topic.sticky < 0) topic.sticky = this.nextStickyPartition(topic, Math.floor(Math.random() * partitions.length));
          partition = topic.sticky;
          sticky = true;
        }
      } else if (!(partition < partitions.length)) {
        throw new RangeError(`the partitioner chose partition ${partition} of topic '${topic.name}', which has ${partitions.length}`);
      }
    }
    let queue = partitions[partition]!;
    const open = queue.open;
    if (open !== null && open.writer!.append(timestamp, key, value, headers)) {
      open.added(callback, timestamp);
    } else {
      const needed = RECORD_BATCH_OVERHEAD + maxRecordSize(key === null ? -1 : key.length, value === null ? -1 : value.length, headers);
      if (needed > this.maxRequestSize) {
        throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `MESSAGE_TOO_LARGE (topic '${topic.name}'): a record of up to ${needed} bytes with its batch header is larger than maxRequestSize ${this.maxRequestSize}`);
      }
      if (open !== null) {
        this.sealFull(queue);
        if (sticky) queue = partitions[topic.sticky]!;
      }
      let batch = queue.open;
      if (batch === null || !batch.writer!.append(timestamp, key, value, headers)) {
        if (batch !== null) this.sealFull(queue);
        batch = this.openBatch(queue, Math.max(this.batchSize, needed));
        if (!batch.writer!.append(timestamp, key, value, headers)) throw new Error(`a record did not fit a batch sized for it (${needed} bytes)`);
      }
      batch.added(callback, timestamp);
    }
    return this.bufferedBytes < this.bufferMemory;
  }

  /** Resolves once the batches waiting for delivery take less than bufferMemory bytes. */
  waitForBufferSpace(): Promise<void> {
    if (this.bufferedBytes < this.bufferMemory || this.closed) return Promise.resolve();
    // While someone waits for space, every open batch may go at once, as Java's accumulator
    // does when memory runs out.
    const waiting = new Promise<void>((resolve) => this.bufferWaiters.push(resolve));
    this.drainAll();
    return waiting;
  }

  /**
   * Sends every batch at once (linger.ms is not waited for) and resolves when every record
   * produced before the call has been delivered or has failed.
   */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      while (this.hasWaitingRecords()) await new Promise<void>((resolve) => this.metadataWaiters.push(resolve));
      const pending = [...this.incomplete];
      this.drainAll();
      await Promise.all(pending.map((batch) => batch.whenDone()));
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.clearTimers();
      for (const resolve of this.bufferWaiters.splice(0)) resolve();
      await this.cluster.close();
    }
  }

  // ---- accumulating --------------------------------------------------------------------------

  private addTopic(name: string): TopicState {
    const topic = new TopicState(name);
    this.topics.set(name, topic);
    return topic;
  }

  private hasWaitingRecords(): boolean {
    for (const topic of this.topics.values()) if (topic.waiting.length > 0) return true;
    return false;
  }

  /** Keeps a copy of a record for a topic whose partitions are not known yet. */
  private waitForMetadata(topic: TopicState, record: ProducerRecord, callback: DeliveryCallback | undefined): void {
    const copy: ProducerRecord = {
      topic: record.topic,
      value: typeof record.value === 'string' || record.value == null ? record.value : Buffer.from(record.value),
      key: typeof record.key === 'string' || record.key == null ? record.key : Buffer.from(record.key),
      headers: record.headers ? record.headers.map((header) => ({ key: header.key, value: Buffer.isBuffer(header.value) ? Buffer.from(header.value) : header.value })) : null,
      timestamp: record.timestamp ?? Date.now(),
      ...(record.partition !== undefined ? { partition: record.partition } : {}),
    };
    topic.waiting.push({ record: copy, callback, since: Date.now() });
    this.requestMetadataRefresh();
    this.startHousekeeping();
  }

  private openBatch(queue: PartitionQueue, capacity: number): ProducerBatch {
    const batch = new ProducerBatch(queue, capacity, Date.now(), this.recordAppendTimes);
    queue.open = batch;
    this.incomplete.add(batch);
    this.bufferedBytes += capacity;
    if (this.lingerTimer === null) {
      this.lingerTimer = this.lingerMs === 0 ? setImmediate(this.onLinger) : setTimeout(this.onLinger, this.lingerMs);
    }
    this.startHousekeeping();
    return batch;
  }

  private readonly onLinger = (): void => {
    this.lingerTimer = null;
    this.drainAll();
    // Batches whose linger has not run out yet get a timer; the others go as soon as their
    // leader's connection can take a request (the sender runs again on every answer).
    const now = Date.now();
    let earliest = Infinity;
    for (const topic of this.topics.values()) {
      for (const queue of topic.partitions) {
        const open = queue.open;
        if (open !== null && open.recordCount > 0 && open.createdAt + this.lingerMs > now) earliest = Math.min(earliest, open.createdAt + this.lingerMs);
      }
    }
    if (earliest < Infinity && this.lingerTimer === null && !this.closed) this.lingerTimer = setTimeout(this.onLinger, Math.max(1, earliest - now));
  };

  /** A batch that is full goes as soon as the producer's caller yields to the event loop. */
  private sealFull(queue: PartitionQueue): void {
    this.seal(queue);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.onDrainScheduled);
    }
  }

  private readonly onDrainScheduled = (): void => {
    this.drainScheduled = false;
    this.drainAll();
  };

  /** Closes the open batch of a partition: header, CRC, compression; it joins the partition's sealed batches. */
  private seal(queue: PartitionQueue): void {
    const batch = queue.open!;
    queue.open = null;
    const topic = queue.topic;
    if (topic.sticky === queue.partition) topic.sticky = this.nextStickyPartition(topic, queue.partition + 1);
    const writer = batch.writer!;
    batch.writer = null;
    queue.sealed.push(batch);
    const producer = this.producerFields(queue, batch.recordCount);
    if (this.compression === CompressionType.NONE || writer.sizeInBytes - RECORD_BATCH_OVERHEAD < this.asyncCompressionBytes) {
      try {
        batch.bytes = writer.finish(this.compression, producer, this.compressionLevel);
      } catch (error) {
        this.fail(batch, error instanceof KafkaError ? error : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `compression failed: ${String(error)}`));
        return;
      }
      this.sealed(batch);
      return;
    }
    batch.state = 'compressing';
    writer.finishAsync(this.compression, producer, this.compressionLevel).then(
      (bytes) => {
        if (batch.state !== 'compressing') return;
        batch.bytes = bytes;
        this.sealed(batch);
        const node = this.nodes.get(queue.leader);
        if (node !== undefined) this.drainNode(node, Date.now());
      },
      (error: unknown) => this.fail(batch, error instanceof KafkaError ? error : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `compression failed: ${String(error)}`)),
    );
  }

  /** A batch's bytes are final: its memory becomes their size, and it may be sent. */
  private sealed(batch: ProducerBatch): void {
    batch.state = 'ready';
    const bytes = batch.bytes!;
    // Uncompressed bytes are a view of the writer's buffer, which stays allocated.
    if (this.compression !== CompressionType.NONE) {
      this.bufferedBytes += bytes.length - batch.memory;
      batch.memory = bytes.length;
      this.wakeBufferWaiters();
    }
  }

  private producerFields(queue: PartitionQueue, recordCount: number): { producerId?: number; producerEpoch?: number; baseSequence?: number } {
    if (!this.idempotent) return {};
    const baseSequence = queue.nextSequence;
    queue.nextSequence = (baseSequence + recordCount) % (MAX_SEQUENCE + 1);
    return { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence };
  }

  /** The next partition for records without a key, from `from` on, preferring partitions that have a leader. */
  private nextStickyPartition(topic: TopicState, from: number): number {
    const count = topic.partitions.length;
    for (let i = 0; i < count; i++) {
      const partition = (from + i) % count;
      if (topic.partitions[partition]!.leader >= 0) return partition;
    }
    return from % count;
  }

  // ---- sending -------------------------------------------------------------------------------

  private drainAll(): void {
    const now = Date.now();
    for (const node of this.nodes.values()) this.drainNode(node, now);
  }

  /** Sends requests to one broker while it has room for more in flight and batches are ready. */
  private drainNode(node: NodeState, now: number): void {
    if (this.closed && this.incomplete.size === 0) return;
    const connection = node.connection;
    if (connection === null || !connection.isOpen) {
      node.connection = null;
      if (!node.connecting && node.partitions.length > 0) this.connectNode(node);
      return;
    }
    while (node.inFlight < this.maxInFlight) {
      const batches = this.collect(node, now);
      if (batches === null) return;
      this.sendBatches(node, connection, batches);
    }
  }

  /** At most one batch per partition of this leader, oldest first, within max.request.size. */
  private collect(node: NodeState, now: number): ProducerBatch[] | null {
    const partitions = node.partitions;
    const count = partitions.length;
    let picked: ProducerBatch[] | null = null;
    let size = 0;
    const start = node.rotation;
    for (let i = 0; i < count; i++) {
      const queue = partitions[(start + i) % count]!;
      if (queue.leader !== node.nodeId || queue.retryNotBefore > now) continue;
      if (this.idempotent && queue.inFlight >= 5) continue;
      let batch = this.nextToSend(queue);
      if (batch === null) {
        // Nothing sealed is waiting: the open batch goes if its linger is over (or on flush, or
        // while memory is short), unless a batch ahead of it is still being compressed.
        const open = queue.open;
        const sealed = queue.sealed;
        if (
          open !== null &&
          open.recordCount > 0 &&
          (this.flushing > 0 || now - open.createdAt >= this.lingerMs || this.bufferWaiters.length > 0) &&
          (sealed.length === 0 || sealed[sealed.length - 1]!.state === 'in-flight')
        ) {
          this.seal(queue);
          batch = this.nextToSend(queue);
        }
      }
      if (batch === null) continue;
      const length = batch.bytes!.length;
      if (picked !== null && size + length > this.maxRequestSize) continue;
      (picked ??= []).push(batch);
      size += length;
    }
    node.rotation = count > 0 ? (start + 1) % count : 0;
    return picked;
  }

  /** The partition's oldest sealed batch that is ready to go, if every older one has gone. */
  private nextToSend(queue: PartitionQueue): ProducerBatch | null {
    const sealed = queue.sealed;
    for (let i = 0; i < sealed.length; i++) {
      const batch = sealed[i]!;
      if (batch.state === 'ready') return batch;
      if (batch.state !== 'in-flight') return null; // still compressing: nothing behind it may overtake
    }
    return null;
  }

  private sendBatches(node: NodeState, connection: Connection, batches: ProducerBatch[]): void {
    const topicData: { name: string; partitionData: { index: number; records: Buffer }[] }[] = [];
    for (const batch of batches) {
      batch.state = 'in-flight';
      batch.queue.inFlight++;
      const name = batch.queue.topic.name;
      let entry = topicData.length > 0 && topicData[topicData.length - 1]!.name === name ? topicData[topicData.length - 1] : topicData.find((candidate) => candidate.name === name);
      if (entry === undefined) topicData.push((entry = { name, partitionData: [] }));
      entry.partitionData.push({ index: batch.queue.partition, records: batch.bytes! });
    }
    node.inFlight++;
    const body = { transactionalId: null, acks: this.acks, timeoutMs: this.cluster.requestTimeoutMs, topicData };
    if (this.acks === 0) {
      connection.sendWithoutResponse(produceApi, body).then(
        () => {
          node.inFlight--;
          const completedAt = performance.now();
          for (const batch of batches) this.complete(batch, -1, -1, completedAt);
          this.drainNode(node, Date.now());
        },
        (error: unknown) => this.onRequestFailed(node, batches, error),
      );
      return;
    }
    connection.send(produceApi, body).then(
      (response) => {
        node.inFlight--;
        const completedAt = performance.now();
        const now = Date.now();
        let answered = 0;
        for (const topic of response.responses) {
          for (const partition of topic.partitionResponses) {
            const batch = batches.find((candidate) => candidate.queue.partition === partition.index && candidate.queue.topic.name === topic.name && candidate.state === 'in-flight');
            if (batch === undefined) continue;
            answered++;
            const code = partition.errorCode;
            if (code === ErrorCode.NONE || (code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && this.idempotent)) {
              this.complete(batch, Number(partition.baseOffset), Number(partition.logAppendTimeMs), completedAt);
            } else {
              const context = `topic '${topic.name}' partition ${partition.index}`;
              const detail = partition.recordErrors.length > 0 ? partition.recordErrors.map((record) => `record ${record.batchIndex}: ${record.batchIndexErrorMessage ?? ''}`).join('; ') : null;
              this.onBatchError(batch, brokerError(code, context, partition.errorMessage ?? detail), now);
            }
          }
        }
        if (answered < batches.length) {
          for (const batch of batches) {
            if (batch.state === 'in-flight') this.onBatchError(batch, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the broker did not answer for topic '${batch.queue.topic.name}' partition ${batch.queue.partition}`), now);
          }
        }
        this.drainNode(node, now);
      },
      (error: unknown) => this.onRequestFailed(node, batches, error),
    );
  }

  private onRequestFailed(node: NodeState, batches: readonly ProducerBatch[], error: unknown): void {
    node.inFlight--;
    const kafkaError = error instanceof KafkaError ? error : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(error));
    if (node.connection !== null && !node.connection.isOpen) node.connection = null;
    const now = Date.now();
    for (const batch of batches) if (batch.state === 'in-flight') this.onBatchError(batch, kafkaError, now, isRetriable(error));
    this.drainNode(node, now);
  }

  /** Sends a batch again after a retriable error (until delivery.timeout.ms), or fails it. */
  private onBatchError(batch: ProducerBatch, error: KafkaError, now: number, retriable = RETRIABLE_CODES.has(error.code)): void {
    const queue = batch.queue;
    queue.inFlight--;
    // With idempotence, a batch refused as out of order because an older one has not landed
    // yet goes again behind that one.
    if (error.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && this.idempotent && queue.sealed[0] !== batch) retriable = true;
    if (retriable && now - batch.createdAt < this.deliveryTimeoutMs) {
      batch.state = 'ready';
      queue.retryNotBefore = now + this.retryBackoffMs;
      if (STALE_METADATA_CODES.has(error.code)) this.requestMetadataRefresh();
      this.scheduleRetry();
      return;
    }
    this.fail(batch, error);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.drainAll();
    }, this.retryBackoffMs);
  }

  private connectNode(node: NodeState): void {
    node.connecting = true;
    this.cluster.nodeConnection(node.nodeId).then(
      (connection) => {
        node.connecting = false;
        node.connection = connection;
        this.drainNode(node, Date.now());
      },
      () => {
        node.connecting = false;
        this.requestMetadataRefresh();
        this.scheduleRetry();
      },
    );
  }

  // ---- delivery ------------------------------------------------------------------------------

  private complete(batch: ProducerBatch, baseOffset: number, logAppendTime: number, completedAt: number): void {
    this.finishBatch(batch, baseOffset, logAppendTime, null, completedAt);
  }

  private fail(batch: ProducerBatch, error: KafkaError): void {
    this.finishBatch(batch, -1, -1, error, performance.now());
  }

  private finishBatch(batch: ProducerBatch, baseOffset: number, logAppendTime: number, error: KafkaError | null, completedAt: number): void {
    if (batch.state === 'done') return;
    const queue = batch.queue;
    if (batch.state === 'in-flight' && error === null) queue.inFlight--;
    if (queue.open === batch) queue.open = null;
    const index = queue.sealed.indexOf(batch);
    if (index === 0) queue.sealed.shift();
    else if (index > 0) queue.sealed.splice(index, 1);
    batch.settle();
    this.incomplete.delete(batch);
    this.bufferedBytes -= batch.memory;
    const sizeInBytes = batch.bytes?.length ?? 0;
    batch.bytes = null;
    if (this.onBatchDelivered !== null) {
      try {
        this.onBatchDelivered({
          topic: queue.topic.name,
          partition: queue.partition,
          baseOffset: error === null ? baseOffset : -1,
          recordCount: batch.recordCount,
          sizeInBytes,
          error,
          appendTimes: batch.appendTimes === null ? null : batch.appendTimes.subarray(0, batch.recordCount),
          completedAt,
        });
      } catch (hookError) {
        queueMicrotask(() => {
          throw hookError;
        });
      }
    }
    const callbacks = batch.callbacks;
    if (callbacks !== null) {
      const topic = queue.topic.name;
      const timestamps = batch.timestamps!;
      for (let i = 0; i < callbacks.length; i++) {
        const callback = callbacks[i];
        if (callback === undefined) continue;
        const offset = error === null && baseOffset >= 0 ? baseOffset + i : -1;
        callback(error, { topic, partition: queue.partition, offset, timestamp: logAppendTime >= 0 ? logAppendTime : timestamps[i]! });
      }
    }
    this.wakeBufferWaiters();
  }

  private wakeBufferWaiters(): void {
    if (this.bufferWaiters.length > 0 && this.bufferedBytes < this.bufferMemory) {
      const waiters = this.bufferWaiters;
      this.bufferWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  // ---- metadata ------------------------------------------------------------------------------

  /** Asks for the metadata of every topic produced to, once at a time (a request during one asks again after it). */
  private requestMetadataRefresh(): void {
    if (this.closed) return;
    if (this.metadataRefresh !== null) {
      this.metadataAgain = true;
      return;
    }
    this.metadataRefresh = this.refreshMetadataNow()
      .catch(() => {
        // Retried below, and by the batches' own retries, until their delivery timeout.
        this.metadataAgain = true;
      })
      .then(async () => {
        this.metadataRefresh = null;
        if (this.metadataAgain && !this.closed) {
          this.metadataAgain = false;
          await new Promise((resolve) => setTimeout(resolve, this.retryBackoffMs));
          this.requestMetadataRefresh();
        }
      });
  }

  private async refreshMetadataNow(): Promise<void> {
    const names = [...this.topics.keys()];
    if (names.length === 0) return;
    const answer = await this.cluster.refreshMetadata(names);
    const now = Date.now();
    for (const described of answer.topics) {
      const topic = this.topics.get(described.name);
      if (topic === undefined) continue;
      if (described.errorCode === ErrorCode.NONE && described.partitions.length > 0) this.applyTopicMetadata(topic, described);
      else {
        const error = brokerError(described.errorCode === ErrorCode.NONE ? ErrorCode.LEADER_NOT_AVAILABLE : described.errorCode, `topic '${topic.name}'`);
        topic.lastError = error;
        if (RETRIABLE_CODES.has(error.code)) this.metadataAgain = true;
        else this.failWaiting(topic, error);
      }
    }
    this.rebuildNodes();
    this.expire(now);
    for (const resolve of this.metadataWaiters.splice(0)) resolve();
    this.drainAll();
  }

  private applyTopicMetadata(topic: TopicState, described: TopicMetadata): void {
    topic.lastError = null;
    for (const partition of described.partitions) {
      while (topic.partitions.length <= partition.partition) topic.partitions.push(new PartitionQueue(topic, topic.partitions.length));
      const queue = topic.partitions[partition.partition]!;
      queue.leader = partition.leader;
      if (partition.leader < 0) this.metadataAgain = true;
    }
    if (topic.waiting.length > 0) {
      const waiting = topic.waiting;
      topic.waiting = [];
      for (const entry of waiting) {
        try {
          this.produce(entry.record, entry.callback);
        } catch (error) {
          const kafkaError = error instanceof KafkaError ? error : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(error));
          entry.callback?.(kafkaError, { topic: topic.name, partition: entry.record.partition ?? -1, offset: -1, timestamp: entry.record.timestamp ?? -1 });
        }
      }
    }
  }

  private rebuildNodes(): void {
    for (const node of this.nodes.values()) node.partitions = [];
    for (const topic of this.topics.values()) {
      for (const queue of topic.partitions) {
        if (queue.leader < 0) continue;
        let node = this.nodes.get(queue.leader);
        if (node === undefined) this.nodes.set(queue.leader, (node = new NodeState(queue.leader)));
        node.partitions.push(queue);
      }
    }
  }

  private failWaiting(topic: TopicState, error: KafkaError): void {
    const waiting = topic.waiting;
    topic.waiting = [];
    for (const entry of waiting) entry.callback?.(error, { topic: topic.name, partition: entry.record.partition ?? -1, offset: -1, timestamp: entry.record.timestamp ?? -1 });
    if (waiting.length > 0) for (const resolve of this.metadataWaiters.splice(0)) resolve();
  }

  // ---- expiry --------------------------------------------------------------------------------

  /** Once a second while anything waits: expire what waited past delivery.timeout.ms, retry what can go. */
  private startHousekeeping(): void {
    if (this.housekeeping !== null || this.closed) return;
    this.housekeeping = setInterval(() => {
      const now = Date.now();
      this.expire(now);
      if (this.incomplete.size === 0 && !this.hasWaitingRecords()) {
        clearInterval(this.housekeeping!);
        this.housekeeping = null;
        return;
      }
      for (const topic of this.topics.values()) {
        if (topic.waiting.length > 0 || topic.partitions.some((queue) => queue.leader < 0)) this.requestMetadataRefresh();
      }
      this.drainAll();
    }, 1_000);
    this.housekeeping.unref();
  }

  private expire(now: number): void {
    for (const batch of this.incomplete) {
      if (batch.state !== 'in-flight' && batch.state !== 'compressing' && now - batch.createdAt >= this.deliveryTimeoutMs) {
        const queue = batch.queue;
        this.fail(
          batch,
          new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `REQUEST_TIMED_OUT (topic '${queue.topic.name}' partition ${queue.partition}): expiring ${batch.recordCount} record(s): ${now - batch.createdAt} ms has passed since batch creation${queue.topic.lastError ? ` (last error: ${queue.topic.lastError.message})` : ''}`),
        );
      }
    }
    for (const topic of this.topics.values()) {
      if (topic.waiting.length > 0 && now - topic.waiting[0]!.since >= this.deliveryTimeoutMs) {
        this.failWaiting(topic, topic.lastError ?? new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `REQUEST_TIMED_OUT: topic '${topic.name}' not present in metadata after ${this.deliveryTimeoutMs} ms`));
      }
    }
  }

  private clearTimers(): void {
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer as NodeJS.Timeout);
      clearImmediate(this.lingerTimer as NodeJS.Immediate);
      this.lingerTimer = null;
    }
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.housekeeping !== null) clearInterval(this.housekeeping);
    this.housekeeping = null;
  }
}
