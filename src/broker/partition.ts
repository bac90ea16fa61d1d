/**
 * One partition as the broker serves it (Kafka's Partition): its log, the high watermark and
 * last stable offset, the leader epoch, and the produce and fetch rules that need topic
 * configuration. On this single-replica broker the high watermark is the end of what has
 * been handed to the OS (the ISR is this broker alone); with replication it will be the
 * minimum over the ISR.
 */
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRecordsAsync, validateRecords, type KafkaRecord } from '../protocol/records/index.js';
import type { PartitionState } from '../cluster/metadata-image.js';
import type { TopicConfig } from '../config/topic-config.js';
import { LONG_MAX_STRING } from '../config/config-def.js';
import type { PartitionLog } from '../storage/partition-log.js';

const LONG_MAX = Number(LONG_MAX_STRING);

export interface PartitionReadResult {
  readonly records: Buffer[];
  readonly sizeInBytes: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly abortedTransactions: { producerId: number; firstOffset: number }[] | null;
}

export interface ProduceResult {
  readonly baseOffset: number;
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

export class Partition {
  private readonly readableListeners = new Set<(bytes: number) => void>();

  constructor(
    readonly topicName: string,
    readonly topicId: string,
    readonly partitionIndex: number,
    readonly log: PartitionLog,
    private state: PartitionState,
    private topicConfig: TopicConfig,
  ) {}

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get isr(): readonly number[] {
    return this.state.isr;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get highWatermark(): number {
    return this.log.writtenEndOffset;
  }

  /** No transactions yet, so every offset below the high watermark is stable. */
  get lastStableOffset(): number {
    return this.highWatermark;
  }

  get config(): TopicConfig {
    return this.topicConfig;
  }

  updateState(state: PartitionState, topicConfig: TopicConfig): void {
    this.state = state;
    this.topicConfig = topicConfig;
  }

  /** KIP-320: a client's view of the leader epoch must match ours (-1 = no check). */
  checkLeaderEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this.state.leaderEpoch) return;
    if (currentLeaderEpoch < this.state.leaderEpoch) {
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${currentLeaderEpoch} is older than ${this.state.leaderEpoch}`);
    }
    throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `leader epoch ${currentLeaderEpoch} is newer than ${this.state.leaderEpoch}`);
  }

  /** Listens for data becoming readable (bytes made visible); returns the unsubscribe function. */
  onReadableAdvance(listener: (bytes: number) => void): () => void {
    this.readableListeners.add(listener);
    return () => this.readableListeners.delete(listener);
  }

  /**
   * Validates a client's records (batch headers; records only where a topic rule needs them)
   * and appends them; resolves once they are written (the acks=1 and, single replica, acks=all
   * point).
   */
  async appendRecordsFromClient(records: Buffer, options: { acks: number; produceVersion: number }): Promise<ProduceResult> {
    const config = this.topicConfig;
    if (options.acks === -1) {
      const minInsyncReplicas = config.number('min.insync.replicas');
      if (this.state.isr.length < minInsyncReplicas) {
        throw new KafkaError(
          ErrorCode.NOT_ENOUGH_REPLICAS,
          `The size of the current ISR ${this.state.isr.length} is insufficient to satisfy the min.isr requirement of ${minInsyncReplicas}`,
        );
      }
    }
    const summary = validateRecords(records, {
      origin: 'client',
      produceVersion: options.produceVersion,
      maxBatchBytes: config.number('max.message.bytes'),
    });
    const now = Date.now();
    if (config.string('message.timestamp.type') === 'CreateTime') {
      const afterMaxMs = config.number('message.timestamp.after.max.ms');
      if (afterMaxMs < LONG_MAX && summary.maxTimestamp > now + afterMaxMs) {
        throw new KafkaError(
          ErrorCode.INVALID_TIMESTAMP,
          `Timestamp ${summary.maxTimestamp} of a record is more than message.timestamp.after.max.ms=${afterMaxMs} ahead of the broker's time ${now}`,
        );
      }
    }
    const beforeMaxMs = config.number('message.timestamp.before.max.ms');
    const compacted = config.list('cleanup.policy').includes('compact');
    if (compacted || (beforeMaxMs < LONG_MAX && config.string('message.timestamp.type') === 'CreateTime')) {
      // Rules on individual records: the only case where the produce path decodes them.
      for (const batch of summary.batches) {
        for (const record of await decodeRecordsAsync(batch.bytes())) {
          checkRecord(record, { compacted, earliest: beforeMaxMs < LONG_MAX ? now - beforeMaxMs : Number.NEGATIVE_INFINITY, beforeMaxMs });
        }
      }
    }
    const info = this.log.append(records, { leaderEpoch: this.state.leaderEpoch, now });
    await info.written;
    for (const listener of this.readableListeners) listener(info.sizeInBytes);
    return { baseOffset: info.firstOffset, logAppendTime: info.logAppendTime, logStartOffset: info.logStartOffset };
  }

  /** Appends a batch written by a coordinator on this broker (validated as such, not as a client's). */
  async appendRecordsFromCoordinator(records: Buffer): Promise<void> {
    validateRecords(records, { origin: 'coordinator', maxBatchBytes: this.topicConfig.number('max.message.bytes') });
    const info = this.log.append(records, { leaderEpoch: this.state.leaderEpoch });
    await info.written;
    for (const listener of this.readableListeners) listener(info.sizeInBytes);
  }

  async read(options: {
    fetchOffset: number;
    maxBytes: number;
    minOneBatch: boolean;
    isolationLevel: number;
    currentLeaderEpoch: number;
  }): Promise<PartitionReadResult> {
    this.checkLeaderEpoch(options.currentLeaderEpoch);
    const highWatermark = this.highWatermark;
    const lastStableOffset = this.lastStableOffset;
    const logStartOffset = this.logStartOffset;
    const readCommitted = options.isolationLevel === 1;
    const upperBound = readCommitted ? lastStableOffset : highWatermark;
    if (options.fetchOffset < logStartOffset || options.fetchOffset > this.logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `fetch offset ${options.fetchOffset} is outside [${logStartOffset}, ${this.logEndOffset}]`,
      );
    }
    const empty = { highWatermark, lastStableOffset, logStartOffset, abortedTransactions: readCommitted ? [] : null };
    if (options.fetchOffset >= upperBound || (options.maxBytes <= 0 && !options.minOneBatch)) {
      return { ...empty, records: [], sizeInBytes: 0 };
    }
    const data = await this.log.read(options.fetchOffset, options.maxBytes, upperBound, options.minOneBatch);
    return { ...empty, records: data.records.length > 0 ? [data.records] : [], sizeInBytes: data.records.length };
  }

  /** The first record at or after `timestamp` below the high watermark (or LSO), or null. */
  async offsetForTimestamp(timestamp: number, isolationLevel: number): Promise<{ offset: number; timestamp: number } | null> {
    const batch = await this.log.offsetForTimestamp(timestamp);
    if (!batch) return null;
    const upperBound = isolationLevel === 1 ? this.lastStableOffset : this.highWatermark;
    for (const record of await this.recordsOfBatchAt(batch.baseOffset, upperBound)) {
      if (record.timestamp >= timestamp && record.offset < upperBound) return { offset: record.offset, timestamp: record.timestamp };
    }
    return null;
  }

  /** The record carrying the largest timestamp (ListOffsets -3, KIP-734), or null when empty. */
  async offsetOfMaxTimestamp(isolationLevel: number): Promise<{ offset: number; timestamp: number } | null> {
    const batch = await this.log.maxTimestampBatch();
    if (!batch) return null;
    const upperBound = isolationLevel === 1 ? this.lastStableOffset : this.highWatermark;
    let best: { offset: number; timestamp: number } | null = null;
    for (const record of await this.recordsOfBatchAt(batch.baseOffset, upperBound)) {
      if (record.offset < upperBound && (best === null || record.timestamp > best.timestamp)) best = { offset: record.offset, timestamp: record.timestamp };
    }
    return best;
  }

  private async recordsOfBatchAt(offset: number, upperBound: number): Promise<KafkaRecord[]> {
    if (offset >= upperBound || offset < this.logStartOffset) return [];
    const data = await this.log.read(offset, 1, upperBound, true);
    if (data.records.length === 0) return [];
    return decodeRecordsAsync(data.records.subarray(0, data.records.readInt32BE(8) + 12));
  }
}

function checkRecord(record: KafkaRecord, rules: { compacted: boolean; earliest: number; beforeMaxMs: number }): void {
  if (rules.compacted && record.key === null) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'Compacted topic cannot accept message without key.');
  }
  if (record.timestamp < rules.earliest) {
    throw new KafkaError(
      ErrorCode.INVALID_TIMESTAMP,
      `Timestamp ${record.timestamp} of a record is more than message.timestamp.before.max.ms=${rules.beforeMaxMs} behind the broker's time`,
    );
  }
}
