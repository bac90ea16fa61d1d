/**
 * Tidelog's consumer, in the terms of Kafka's Java consumer (fetch.max.wait.ms, fetch.min.bytes,
 * fetch.max.bytes, max.partition.fetch.bytes, isolation.level, auto.offset.reset, check.crcs),
 * with manual assignment: the caller names the partitions and where to start (earliest, latest
 * or an offset); there is no group membership and no committed offset.
 *
 * Fetching. One fetch loop per leader sends Fetch (sessionless: every request names all its
 * partitions) for the assigned partitions it leads. When an answer comes, only the batch headers
 * are read: each complete batch is checked (CRC-32C unless checkCrcs is false) and queued as it
 * came, and the next Fetch goes out at once, from the offset after the last batch, while the
 * caller is still reading the previous ones (prefetch, bounded by queuedMaxBytes). Records are
 * decoded — and decompressed — only when the caller iterates a batch.
 *
 * Batches. A trailing partial batch (a broker may cut the answer at max bytes) is fetched again
 * next time; batches and records below the position (a compressed batch fetched from its middle)
 * are skipped; control batches (transaction markers) are never handed out. With read_committed
 * the fetch stops at the last stable offset and batches of aborted transactions are dropped by
 * the answer's aborted-transaction list, as Java's Fetcher does.
 *
 * Errors. OFFSET_OUT_OF_RANGE resets the position by autoOffsetReset ('none' reports it); a
 * moved leader, an unknown topic or partition and a lost connection refresh metadata and fetch
 * again after retry.backoff.ms; any other error is handed to the caller (poll() rejects with it,
 * named by Kafka's code) and pauses that partition until the next seek.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CorruptRecordError } from '../errors.js';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { fetchApi, listOffsets as listOffsetsApi } from '../protocol/messages/index.js';
import { CompressionType, CURRENT_MAGIC, LOG_OVERHEAD, MAGIC_OFFSET, RECORD_BATCH_OVERHEAD, type RecordBatchHeader } from '../protocol/records/batch-header.js';
import { ControlRecordType, controlBatchType } from '../protocol/records/control-batch.js';
import { decodeRecordsAsync, iterateRecords, readBatchHeader, type KafkaRecord } from '../protocol/records/records.js';
import type { RecordsData } from '../protocol/writer.js';
import { Cluster, type ClientOptions } from './cluster.js';
import { forEachRecord, type RecordView } from './record-view.js';
import { Connection } from './connection.js';
import { brokerError, ConnectionError, isRetriable } from './errors.js';

export type { RecordView } from './record-view.js';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';
/** Where to start reading a partition: its first offset, the end, or an offset. */
export type OffsetSpec = 'earliest' | 'latest' | number;

export interface ConsumerOptions extends ClientOptions {
  /** isolation.level; default read_uncommitted. */
  readonly isolationLevel?: IsolationLevel;
  /** fetch.max.wait.ms: how long the broker may hold a Fetch for fetch.min.bytes. Default 500. */
  readonly fetchMaxWaitMs?: number;
  /** fetch.min.bytes; default 1. */
  readonly fetchMinBytes?: number;
  /** fetch.max.bytes: soft limit of one answer. Default 50 MiB. */
  readonly fetchMaxBytes?: number;
  /** max.partition.fetch.bytes: soft limit per partition of one answer. Default 1 MiB. */
  readonly maxPartitionFetchBytes?: number;
  /** auto.offset.reset, after OFFSET_OUT_OF_RANGE; default 'latest'. */
  readonly autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** check.crcs; default true. */
  readonly checkCrcs?: boolean;
  /** Bytes of fetched batches queued for the caller beyond which fetching pauses. Default 64 MiB. */
  readonly queuedMaxBytes?: number;
  /**
   * Fetches in flight per broker, each for its share of the partitions that broker leads (the
   * partitions are dealt out in assignment order) and on its own connection. Default 2: while
   * the broker answers one, the previous answer is being read.
   */
  readonly fetchesInFlight?: number;
}

export interface PartitionAssignment {
  readonly topic: string;
  readonly partition: number;
  /** Default: 'latest' (auto.offset.reset's default). */
  readonly offset?: OffsetSpec;
}

/** A record with where it came from. */
export interface ConsumerRecord extends KafkaRecord {
  readonly topic: string;
  readonly partition: number;
}

/** A record batch as fetched; its records are decoded when iterated. */
export class ConsumedBatch {
  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The whole batch, as the broker sent it (a view of the Fetch answer). */
    readonly bytes: Buffer,
    readonly header: RecordBatchHeader,
    /** The position when it was fetched: records below it are skipped. */
    readonly fromOffset: number,
    /** The partition's high watermark in the answer that brought the batch. */
    readonly highWatermark: number,
    /** @internal which assignment it belongs to (a seek makes queued batches stale). */
    readonly epoch: number,
  ) {}

  get baseOffset(): number {
    return this.header.baseOffset;
  }
  get lastOffset(): number {
    return this.header.lastOffset;
  }
  /** Records in the batch, including any below fromOffset. */
  get recordCount(): number {
    return this.header.recordsCount;
  }
  get sizeInBytes(): number {
    return this.bytes.length;
  }
  get compression(): CompressionType {
    return this.header.compressionType;
  }

  /** The records at or after fromOffset, decoded (and inflated) as iterated. */
  *records(): Generator<KafkaRecord, void, undefined> {
    const from = this.fromOffset;
    for (const record of iterateRecords(this.bytes, { verifyCrc: false })) if (record.offset >= from) yield record;
  }

  /**
   * Calls `visitor` for each record at or after fromOffset with one reused RecordView (where
   * the key and value lie; no object or slice per record). Returns how many records it visited.
   */
  forEachRecord(visitor: (record: RecordView) => void): number {
    return forEachRecord(this.bytes, this.header, this.fromOffset, visitor);
  }

  /** As records(), with the inflation in the thread pool (large compressed batches). */
  async recordsAsync(): Promise<KafkaRecord[]> {
    const records = await decodeRecordsAsync(this.bytes, { verifyCrc: false });
    const from = this.fromOffset;
    return records[0] !== undefined && records[0].offset >= from ? records : records.filter((record) => record.offset >= from);
  }
}

class PartitionState {
  leader = -1;
  /** Offset of the next Fetch; -1 while the start offset is being looked up. */
  fetchOffset = -1;
  /** The next offset the caller gets. */
  position = -1;
  /** Bumped by every seek or reset: answers and queued batches of an older epoch are dropped. */
  epoch = 0;
  /** A start still to look up (ListOffsets). */
  pending: OffsetSpec | null;
  paused = false;
  /** Whether metadata has named this partition. */
  known = false;
  /** Which of the fetches in flight to a broker carries this partition. */
  lane = 0;
  highWatermark = -1;
  lastStableOffset = -1;
  logStartOffset = -1;

  constructor(
    readonly topic: string,
    readonly partition: number,
    offset: OffsetSpec,
  ) {
    this.pending = offset;
  }
}

const STALE_METADATA_CODES = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
]);

const EARLIEST_TIMESTAMP = -2;
const LATEST_TIMESTAMP = -1;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function checkOffset(offset: OffsetSpec): OffsetSpec {
  if (offset === 'earliest' || offset === 'latest') return offset;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be 'earliest', 'latest' or a non-negative integer, got ${String(offset)}`);
  return offset;
}

export class Consumer {
  readonly cluster: Cluster;
  private readonly isolationLevel: 0 | 1;
  private readonly fetchMaxWaitMs: number;
  private readonly fetchMinBytes: number;
  private readonly fetchMaxBytes: number;
  private readonly maxPartitionFetchBytes: number;
  private readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
  private readonly checkCrcs: boolean;
  private readonly queuedMaxBytes: number;
  private readonly retryBackoffMs: number;
  private readonly fetchesInFlight: number;

  private readonly partitions = new Map<string, PartitionState>();
  private readonly topicIds = new Map<string, string>();
  private readonly topicNames = new Map<string, string>();
  /** Fetch loops running, by "leader/lane". */
  private readonly fetchers = new Set<string>();
  private nextLane = 0;
  private readonly laneConnections = new Map<string, Promise<Connection>>();
  private queue: ConsumedBatch[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private errors: KafkaError[] = [];
  private dataWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private metadataRefresh: Promise<void> | null = null;
  private lookups: Promise<void> | null = null;
  private closed = false;

  constructor(options: ConsumerOptions) {
    this.cluster = new Cluster({ clientId: 'tidelog-consumer', ...options });
    this.isolationLevel = (options.isolationLevel ?? 'read_uncommitted') === 'read_committed' ? 1 : 0;
    if (options.isolationLevel !== undefined && options.isolationLevel !== 'read_committed' && options.isolationLevel !== 'read_uncommitted') {
      throw new RangeError(`isolationLevel must be read_uncommitted or read_committed, got '${String(options.isolationLevel)}'`);
    }
    this.fetchMaxWaitMs = options.fetchMaxWaitMs ?? 500;
    this.fetchMinBytes = options.fetchMinBytes ?? 1;
    this.fetchMaxBytes = options.fetchMaxBytes ?? 52_428_800;
    this.maxPartitionFetchBytes = options.maxPartitionFetchBytes ?? 1_048_576;
    this.autoOffsetReset = options.autoOffsetReset ?? 'latest';
    this.checkCrcs = options.checkCrcs ?? true;
    this.queuedMaxBytes = options.queuedMaxBytes ?? 64 * 1024 * 1024;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.fetchesInFlight = options.fetchesInFlight ?? 2;
    if (!Number.isInteger(this.fetchesInFlight) || this.fetchesInFlight < 1) throw new RangeError(`fetchesInFlight must be a positive integer, got ${this.fetchesInFlight}`);
  }

  // ---- assignment --------------------------------------------------------------------------

  /**
   * Reads these partitions (in addition to those already assigned; a partition named again is
   * sought to its new offset). Resolves once every start offset is known.
   */
  async assign(assignments: readonly PartitionAssignment[]): Promise<void> {
    if (this.closed) throw new Error('the consumer is closed');
    const added: PartitionState[] = [];
    for (const assignment of assignments) {
      const offset = checkOffset(assignment.offset ?? 'latest');
      if (!Number.isInteger(assignment.partition) || assignment.partition < 0) throw new RangeError(`partition must be a non-negative integer, got ${assignment.partition}`);
      const key = keyOf(assignment.topic, assignment.partition);
      const existing = this.partitions.get(key);
      if (existing) {
        this.seek(assignment.topic, assignment.partition, offset);
        continue;
      }
      const state = new PartitionState(assignment.topic, assignment.partition, offset);
      state.lane = this.nextLane++ % this.fetchesInFlight;
      this.partitions.set(key, state);
      added.push(state);
    }
    try {
      await this.refreshMetadataNow();
      for (const state of added) {
        if (!state.known) throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${state.topic}' partition ${state.partition}`);
      }
    } catch (error) {
      for (const state of added) this.partitions.delete(keyOf(state.topic, state.partition));
      throw error;
    }
    await this.resolvePending();
    this.startFetchers();
  }

  /** Assigns every partition of the topics, each from `offset`. */
  async assignTopics(topics: readonly string[], offset: OffsetSpec = 'latest'): Promise<PartitionAssignment[]> {
    const assignments: PartitionAssignment[] = [];
    for (const name of topics) {
      const topic = await this.cluster.retry(() => this.cluster.topic(name, { refresh: true }));
      for (const partition of topic.partitions) assignments.push({ topic: name, partition: partition.partition, offset });
    }
    await this.assign(assignments);
    return assignments;
  }

  /** Stops reading these partitions; their queued batches are dropped. */
  unassign(partitions: readonly { topic: string; partition: number }[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.partitions.get(keyOf(topic, partition));
      if (!state) continue;
      state.epoch++;
      this.partitions.delete(keyOf(topic, partition));
    }
    this.dropStale();
  }

  assignment(): { topic: string; partition: number }[] {
    return [...this.partitions.values()].map((state) => ({ topic: state.topic, partition: state.partition }));
  }

  /** Moves a partition's position; what was fetched and not yet handed out is dropped. */
  seek(topic: string, partition: number, offset: OffsetSpec): void {
    const state = this.partitions.get(keyOf(topic, partition));
    if (!state) throw new RangeError(`topic '${topic}' partition ${partition} is not assigned`);
    state.epoch++;
    state.paused = false;
    state.pending = checkOffset(offset);
    state.fetchOffset = -1;
    state.position = -1;
    this.dropStale();
    void this.resolvePending().then(
      () => this.startFetchers(),
      (error: unknown) => this.pushError(error),
    );
  }

  /** The next offset the caller will get from a partition (-1 while it is being looked up). */
  position(topic: string, partition: number): number {
    return this.partitions.get(keyOf(topic, partition))?.position ?? -1;
  }

  /** The high watermark of a partition, from the last Fetch answer (-1 before one). */
  highWatermark(topic: string, partition: number): number {
    return this.partitions.get(keyOf(topic, partition))?.highWatermark ?? -1;
  }

  pause(partitions: readonly { topic: string; partition: number }[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.partitions.get(keyOf(topic, partition));
      if (state) state.paused = true;
    }
  }

  resume(partitions: readonly { topic: string; partition: number }[]): void {
    for (const { topic, partition } of partitions) {
      const state = this.partitions.get(keyOf(topic, partition));
      if (state) state.paused = false;
    }
    this.startFetchers();
  }

  // ---- reading -----------------------------------------------------------------------------

  /**
   * The batches fetched so far (every one queued), or, when none is, waits up to timeoutMs for
   * some (an empty list then). Rejects with a partition's error, once, when one happened.
   */
  async poll(timeoutMs = 1_000): Promise<ConsumedBatch[]> {
    if (this.queueHead === this.queue.length && this.errors.length === 0 && timeoutMs > 0 && !this.closed) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.dataWaiters.push(resolve);
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
    }
    const error = this.errors.shift();
    if (error) throw error;
    return this.take();
  }

  /** Every batch, as it comes; ends when the consumer is closed. */
  async *batches(): AsyncGenerator<ConsumedBatch, void, undefined> {
    while (!this.closed) {
      for (const batch of await this.poll(this.fetchMaxWaitMs + 1_000)) yield batch;
    }
  }

  /** Every record, as it comes; ends when the consumer is closed. */
  async *records(): AsyncGenerator<ConsumerRecord, void, undefined> {
    for await (const batch of this.batches()) {
      for (const record of batch.records()) yield { ...record, topic: batch.topic, partition: batch.partition };
    }
  }

  private take(): ConsumedBatch[] {
    const taken: ConsumedBatch[] = [];
    const queue = this.queue;
    for (let i = this.queueHead; i < queue.length; i++) {
      const batch = queue[i]!;
      this.queuedBytes -= batch.bytes.length;
      const state = this.partitions.get(keyOf(batch.topic, batch.partition));
      if (state === undefined || state.epoch !== batch.epoch) continue;
      state.position = batch.lastOffset + 1;
      taken.push(batch);
    }
    this.queue = [];
    this.queueHead = 0;
    this.wakeFetchers();
    return taken;
  }

  private dropStale(): void {
    const kept: ConsumedBatch[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const batch = this.queue[i]!;
      const state = this.partitions.get(keyOf(batch.topic, batch.partition));
      if (state !== undefined && state.epoch === batch.epoch) kept.push(batch);
      else this.queuedBytes -= batch.bytes.length;
    }
    this.queue = kept;
    this.queueHead = 0;
    this.wakeFetchers();
  }

  private deliver(batch: ConsumedBatch): void {
    this.queue.push(batch);
    this.queuedBytes += batch.bytes.length;
  }

  private wakeReaders(): void {
    if (this.dataWaiters.length === 0) return;
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private wakeFetchers(): void {
    if (this.roomWaiters.length === 0 || this.queuedBytes >= this.queuedMaxBytes) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private pushError(error: unknown): void {
    if (this.closed) return;
    this.errors.push(error instanceof KafkaError ? error : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, String(error)));
    this.wakeReaders();
  }

  /** Stops fetching and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeReaders();
    for (const resolve of this.roomWaiters.splice(0)) resolve();
    const lanes = [...this.laneConnections.values()];
    this.laneConnections.clear();
    await Promise.all([this.cluster.close(), ...lanes.map(async (pending) => (await pending.catch(() => null))?.close())]);
  }

  /**
   * The connection a lane fetches on: the cluster's connection to the broker for the first lane,
   * one of its own for each other. A broker answers one connection's requests one at a time, so
   * two fetches on one connection would wait for each other's long poll.
   */
  private async fetchConnection(leader: number, lane: number): Promise<Connection> {
    if (lane === 0) return this.cluster.nodeConnection(leader);
    const key = `${leader}/${lane}`;
    const existing = await this.laneConnections.get(key)?.catch(() => null);
    if (existing?.isOpen) return existing;
    const node = (await this.cluster.knownBrokers()).find((broker) => broker.nodeId === leader);
    if (!node) throw brokerError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${leader} is not in the cluster metadata`);
    const opening = Connection.connect({ host: node.host, port: node.port, clientId: this.cluster.clientId, requestTimeoutMs: this.cluster.requestTimeoutMs });
    this.laneConnections.set(key, opening);
    const connection = await opening;
    if (this.closed) {
      connection.destroy();
      throw new ConnectionError('the consumer is closed');
    }
    return connection;
  }

  // ---- offsets and metadata ----------------------------------------------------------------

  private async refreshMetadataNow(): Promise<void> {
    const topics = [...new Set([...this.partitions.values()].map((state) => state.topic))];
    if (topics.length === 0) return;
    const answer = await this.cluster.retry(() => this.cluster.refreshMetadata(topics));
    for (const topic of answer.topics) {
      if (topic.errorCode !== ErrorCode.NONE) continue;
      if (topic.topicId && topic.topicId !== ZERO_UUID) {
        this.topicIds.set(topic.name, topic.topicId);
        this.topicNames.set(topic.topicId, topic.name);
      }
      for (const partition of topic.partitions) {
        const state = this.partitions.get(keyOf(topic.name, partition.partition));
        if (state) {
          state.leader = partition.leader;
          state.known = true;
        }
      }
    }
  }

  /** Refreshes metadata once at a time, and starts fetching for the partitions it moved. */
  private requestMetadataRefresh(): void {
    if (this.metadataRefresh !== null || this.closed) return;
    this.metadataRefresh = sleep(this.retryBackoffMs)
      .then(() => this.refreshMetadataNow())
      .catch(() => undefined)
      .then(() => {
        this.metadataRefresh = null;
        if (this.closed) return;
        if ([...this.partitions.values()].some((state) => state.leader < 0)) this.requestMetadataRefresh();
        this.startFetchers();
      });
  }

  /** Looks up the start offsets still pending (ListOffsets at each leader). */
  private resolvePending(): Promise<void> {
    const run = async (): Promise<void> => {
      await this.cluster.retry(async () => {
        const pending = [...this.partitions.values()].filter((state) => state.pending !== null);
        if (pending.length === 0) return;
        for (const state of pending) {
          if (typeof state.pending === 'number') this.startAt(state, state.pending);
        }
        const lookups = pending.filter((state) => state.pending !== null);
        if (lookups.length === 0) return;
        if (lookups.some((state) => state.leader < 0)) await this.refreshMetadataNow();
        const byLeader = new Map<number, PartitionState[]>();
        for (const state of lookups) {
          if (state.leader < 0) throw brokerError(ErrorCode.LEADER_NOT_AVAILABLE, `topic '${state.topic}' partition ${state.partition}`);
          byLeader.set(state.leader, [...(byLeader.get(state.leader) ?? []), state]);
        }
        let retriable: KafkaError | null = null;
        await Promise.all(
          [...byLeader].map(async ([leader, states]) => {
            const asked = states.map((state) => ({ state, epoch: state.epoch, spec: state.pending }));
            const connection = await this.cluster.nodeConnection(leader);
            const version = connection.versionFor(listOffsetsApi);
            const byTopic = new Map<string, { partitionIndex: number; timestamp: number; currentLeaderEpoch: number; maxNumOffsets: number }[]>();
            for (const { state, spec } of asked) {
              const list = byTopic.get(state.topic) ?? [];
              list.push({ partitionIndex: state.partition, timestamp: spec === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP, currentLeaderEpoch: -1, maxNumOffsets: 1 });
              byTopic.set(state.topic, list);
            }
            const response = await connection.send(listOffsetsApi, {
              replicaId: -1,
              isolationLevel: this.isolationLevel,
              topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
              timeoutMs: this.cluster.requestTimeoutMs,
            });
            for (const topic of response.topics) {
              for (const partition of topic.partitions) {
                const entry = asked.find((candidate) => candidate.state.topic === topic.name && candidate.state.partition === partition.partitionIndex);
                if (!entry || entry.state.epoch !== entry.epoch) continue;
                if (partition.errorCode !== ErrorCode.NONE) {
                  const error = brokerError(partition.errorCode, `ListOffsets for topic '${topic.name}' partition ${partition.partitionIndex}`);
                  if (isRetriable(error) || STALE_METADATA_CODES.has(partition.errorCode)) {
                    entry.state.leader = -1;
                    retriable = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, error.message);
                  } else throw error;
                  continue;
                }
                const offset = version === 0 ? (partition.oldStyleOffsets[0] ?? 0) : partition.offset;
                this.startAt(entry.state, offset);
              }
            }
          }),
        );
        if (retriable) throw retriable;
      });
    };
    // One lookup at a time; a second caller runs after the first.
    const next = (this.lookups ?? Promise.resolve()).catch(() => undefined).then(run);
    this.lookups = next;
    return next;
  }

  private startAt(state: PartitionState, offset: number): void {
    state.pending = null;
    state.fetchOffset = offset;
    state.position = offset;
  }

  // ---- fetching ----------------------------------------------------------------------------

  private startFetchers(): void {
    if (this.closed) return;
    for (const state of this.partitions.values()) {
      const fetcher = `${state.leader}/${state.lane}`;
      if (state.leader >= 0 && state.fetchOffset >= 0 && !state.paused && !this.fetchers.has(fetcher)) {
        const { leader, lane } = state;
        this.fetchers.add(fetcher);
        void this.fetchLoop(leader, lane).finally(() => {
          this.fetchers.delete(fetcher);
          // A partition may have moved to this leader while its loop was ending.
          if (!this.closed && this.fetchable(leader, lane).length > 0) this.startFetchers();
        });
      }
    }
  }

  private fetchable(leader: number, lane: number): PartitionState[] {
    const states: PartitionState[] = [];
    for (const state of this.partitions.values()) {
      if (state.leader === leader && state.lane === lane && state.fetchOffset >= 0 && !state.paused) states.push(state);
    }
    return states;
  }

  /** Fetches, again and again, the partitions of one lane that `leader` leads. */
  private async fetchLoop(leader: number, lane: number): Promise<void> {
    while (!this.closed) {
      if (this.queuedBytes >= this.queuedMaxBytes) {
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
        continue;
      }
      const states = this.fetchable(leader, lane);
      if (states.length === 0) return;
      const asked = states.map((state) => ({ state, epoch: state.epoch, offset: state.fetchOffset }));
      let response;
      let version: number;
      try {
        const connection = await this.fetchConnection(leader, lane);
        version = connection.versionFor(fetchApi);
        response = await connection.send(fetchApi, this.fetchRequest(asked, version), { timeoutMs: this.cluster.requestTimeoutMs + this.fetchMaxWaitMs });
      } catch (error) {
        if (this.closed) return;
        if (isRetriable(error)) {
          for (const { state } of asked) if (state.leader === leader) state.leader = -1;
          this.requestMetadataRefresh();
          return;
        }
        this.pushError(error);
        await sleep(this.retryBackoffMs);
        continue;
      }
      if (this.closed) return;
      if (response.errorCode !== ErrorCode.NONE) {
        this.pushError(brokerError(response.errorCode, `Fetch from broker ${leader}`));
        await sleep(this.retryBackoffMs);
        continue;
      }
      let delivered = false;
      let moved = false;
      for (const topic of response.responses) {
        const name = version >= 13 ? this.topicNames.get(topic.topicId) : topic.topic;
        if (name === undefined) continue;
        for (const partition of topic.partitions) {
          const entry = asked.find((candidate) => candidate.state.partition === partition.partitionIndex && candidate.state.topic === name);
          if (!entry || entry.state.epoch !== entry.epoch || entry.state.leader !== leader) continue;
          const outcome = this.handlePartition(entry.state, entry.offset, partition);
          if (outcome === 'delivered') delivered = true;
          else if (outcome === 'moved') moved = true;
        }
      }
      if (delivered) this.wakeReaders();
      if (moved) {
        this.requestMetadataRefresh();
        await sleep(this.retryBackoffMs);
      }
    }
  }

  private fetchRequest(asked: readonly { state: PartitionState; offset: number }[], version: number) {
    const byTopic = new Map<string, { partition: number; currentLeaderEpoch: number; fetchOffset: number; lastFetchedEpoch: number; logStartOffset: number; partitionMaxBytes: number }[]>();
    for (const { state, offset } of asked) {
      let list = byTopic.get(state.topic);
      if (!list) byTopic.set(state.topic, (list = []));
      list.push({ partition: state.partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: this.maxPartitionFetchBytes });
    }
    return {
      replicaId: -1,
      maxWaitMs: this.fetchMaxWaitMs,
      minBytes: this.fetchMinBytes,
      maxBytes: this.fetchMaxBytes,
      isolationLevel: this.isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, partitions]) => {
        const topicId = this.topicIds.get(topic);
        if (version >= 13 && topicId === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `UNKNOWN_TOPIC_ID: the metadata gave no id for topic '${topic}', which Fetch v${version} needs`);
        return { topic, topicId: topicId ?? ZERO_UUID, partitions };
      }),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  /** Queues the complete batches of one partition's answer and moves its fetch offset past them. */
  private handlePartition(
    state: PartitionState,
    fetchOffset: number,
    partition: { errorCode: number; highWatermark: number; lastStableOffset: number; logStartOffset: number; abortedTransactions: readonly { producerId: number; firstOffset: number }[] | null; records: RecordsData | null },
  ): 'delivered' | 'moved' | 'none' {
    const code = partition.errorCode;
    if (code !== ErrorCode.NONE) {
      const context = `topic '${state.topic}' partition ${state.partition} at offset ${fetchOffset}`;
      if (code === ErrorCode.OFFSET_OUT_OF_RANGE && this.autoOffsetReset !== 'none') {
        state.epoch++;
        state.pending = this.autoOffsetReset;
        state.fetchOffset = -1;
        void this.resolvePending().then(
          () => this.startFetchers(),
          (error: unknown) => this.pushError(error),
        );
        return 'none';
      }
      if (STALE_METADATA_CODES.has(code)) {
        state.leader = -1;
        return 'moved';
      }
      state.paused = true;
      this.pushError(brokerError(code, context));
      return 'none';
    }
    state.highWatermark = partition.highWatermark;
    state.lastStableOffset = partition.lastStableOffset;
    state.logStartOffset = partition.logStartOffset;
    // Decoded answers hold one buffer (a view of the response frame).
    const records = partition.records === null || Buffer.isBuffer(partition.records) ? partition.records : Buffer.concat(partition.records);
    if (records === null || records.length === 0) return 'none';
    const readCommitted = this.isolationLevel === 1;
    const aborted = readCommitted && partition.abortedTransactions !== null ? [...partition.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset) : null;
    let abortedIndex = 0;
    const abortedProducers = new Set<number>();
    let next = fetchOffset;
    let position = 0;
    let delivered = false;
    const length = records.length;
    while (length - position >= LOG_OVERHEAD + 5) {
      const size = records.readInt32BE(position + 8) + LOG_OVERHEAD;
      if (records[position + MAGIC_OFFSET] !== CURRENT_MAGIC) {
        state.paused = true;
        this.pushError(new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `UNSUPPORTED_FOR_MESSAGE_FORMAT (topic '${state.topic}' partition ${state.partition}): message format v${records[position + MAGIC_OFFSET]} at offset ${records.readInt32BE(position) * 2 ** 32 + records.readUInt32BE(position + 4)}; this client reads record batches v2 only`));
        break;
      }
      if (size < RECORD_BATCH_OVERHEAD || position + size > length) break; // a partial batch at the end
      const bytes = records.subarray(position, position + size);
      position += size;
      let header: RecordBatchHeader;
      try {
        header = readBatchHeader(bytes, this.checkCrcs);
      } catch (error) {
        state.paused = true;
        const code = error instanceof CorruptRecordError ? error.code : ErrorCode.CORRUPT_MESSAGE;
        this.pushError(new KafkaError(code, `${ErrorCode[code]} (topic '${state.topic}' partition ${state.partition} at offset ${next}): ${error instanceof Error ? error.message : String(error)}`));
        break;
      }
      const lastOffset = header.lastOffset;
      if (lastOffset < next) continue;
      next = lastOffset + 1;
      if (readCommitted && header.producerId >= 0) {
        while (aborted !== null && abortedIndex < aborted.length && aborted[abortedIndex]!.firstOffset <= lastOffset) abortedProducers.add(aborted[abortedIndex++]!.producerId);
        if (header.isControl) {
          if (abortedProducers.has(header.producerId) && controlBatchType(bytes, { verifyCrc: false }) === ControlRecordType.ABORT) abortedProducers.delete(header.producerId);
          continue;
        }
        if (header.isTransactional && abortedProducers.has(header.producerId)) continue;
      }
      if (header.isControl || header.recordsCount === 0) continue;
      this.deliver(new ConsumedBatch(state.topic, state.partition, bytes, header, fetchOffset, partition.highWatermark, state.epoch));
      delivered = true;
    }
    state.fetchOffset = next;
    return delivered ? 'delivered' : 'none';
  }
}
