/**
 * One partition as the broker serves it (Kafka's Partition): its log, the high watermark and
 * last stable offset, the leader epoch, and the produce and fetch rules that need topic
 * configuration. On this single-replica broker the high watermark is the end of what has
 * been handed to the OS (the ISR is this broker alone); with replication it will be the
 * minimum over the ISR.
 *
 * Transactions, partition side (NOTES.md §5.4): the last stable offset is the first offset of
 * the earliest open transaction, capped by the high watermark; read_committed fetches stop there
 * and get the aborted transactions of what they read. appendTxnMarker writes the COMMIT/ABORT
 * markers the transaction coordinator sends. Producer ids, sequences and duplicates are checked
 * by the log (storage/producer-state/).
 */
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  buildEndTransactionMarkerBatch,
  ControlRecordType,
  decodeRecordsAsync,
  NO_TIMESTAMP,
  validateRecords,
  type KafkaRecord,
} from '../protocol/records/index.js';
import type { PartitionState } from '../cluster/metadata-image.js';
import type { TopicConfig } from '../config/topic-config.js';
import { LONG_MAX_STRING } from '../config/config-def.js';
import type { LogAppendInfo, PartitionLog } from '../storage/partition-log.js';
import type { ReadBuffers } from '../storage/read-buffer-pool.js';
import { compressionTargetOf, needsRecompression, recompressBatch, type CompressionTarget } from './recompress.js';

const LONG_MAX = Number(LONG_MAX_STRING);
/** DeleteRecords' offset meaning "up to the high watermark" (DeleteRecordsRequest.HIGH_WATERMARK). */
export const DELETE_RECORDS_HIGH_WATERMARK = -1;

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

/** A transaction marker to write (Kafka's WriteTxnMarkers entry for one partition). */
export interface TxnMarker {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  /** true: COMMIT, false: ABORT. */
  readonly commit: boolean;
}

/**
 * Told how many bytes became readable: `bytes` below the high watermark (read_uncommitted),
 * `stableBytes` below the last stable offset (read_committed).
 */
export type ReadableListener = (bytes: number, stableBytes: number) => void;

/** The topic configuration a produce applies, parsed once per configuration (not per request). */
interface ProduceRules {
  readonly minInsyncReplicas: number;
  readonly maxMessageBytes: number;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly afterMaxMs: number;
  readonly beforeMaxMs: number;
  readonly compacted: boolean;
  readonly compressionTarget: CompressionTarget | null;
}

function produceRulesOf(config: TopicConfig): ProduceRules {
  return {
    minInsyncReplicas: config.number('min.insync.replicas'),
    maxMessageBytes: config.number('max.message.bytes'),
    timestampType: config.string('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    afterMaxMs: config.number('message.timestamp.after.max.ms'),
    beforeMaxMs: config.number('message.timestamp.before.max.ms'),
    compacted: config.list('cleanup.policy').includes('compact'),
    compressionTarget: compressionTargetOf(config),
  };
}

/** A read that returns no records (read_committed answers an empty aborted list, read_uncommitted none). */
function noRecords(highWatermark: number, lastStableOffset: number, logStartOffset: number, readCommitted: boolean): PartitionReadResult {
  return { highWatermark, lastStableOffset, logStartOffset, abortedTransactions: readCommitted ? [] : null, records: [], sizeInBytes: 0 };
}

export class Partition {
  private readonly readableListeners = new Set<ReadableListener>();
  /** Client appends waiting for their turn (see takeAppendTurn). */
  private appendsWaiting = 0;
  private lastAppendTurn: Promise<void> = Promise.resolve();
  /** Bytes appended so far, and where that total stood at each append not yet below the LSO. */
  private appendedBytes = 0;
  private unstableAppends: { offset: number; bytesBefore: number }[] = [];
  private stableBytesNotified = 0;
  private produceRules: ProduceRules;

  constructor(
    readonly topicName: string,
    readonly topicId: string,
    readonly partitionIndex: number,
    readonly log: PartitionLog,
    private state: PartitionState,
    private topicConfig: TopicConfig,
  ) {
    this.produceRules = produceRulesOf(topicConfig);
  }

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

  /**
   * Kafka's last stable offset: the first offset of the earliest transaction not yet decided
   * (or whose marker is not yet below the high watermark), never below the log start offset,
   * capped by the high watermark; the high watermark when no transaction is open.
   */
  get lastStableOffset(): number {
    const highWatermark = this.highWatermark;
    const firstUnstable = this.log.producerStateManager.firstUnstableOffset(highWatermark);
    if (firstUnstable === null) return highWatermark;
    return Math.min(Math.max(firstUnstable, this.logStartOffset), highWatermark);
  }

  get config(): TopicConfig {
    return this.topicConfig;
  }

  updateState(state: PartitionState, topicConfig: TopicConfig): void {
    this.state = state;
    this.topicConfig = topicConfig;
    this.produceRules = produceRulesOf(topicConfig);
  }

  /** KIP-320: a client's view of the leader epoch must match ours (-1 = no check). */
  checkLeaderEpoch(currentLeaderEpoch: number): void {
    const error = this.leaderEpochError(currentLeaderEpoch);
    if (error !== null) throw error;
  }

  private leaderEpochError(currentLeaderEpoch: number): KafkaError | null {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this.state.leaderEpoch) return null;
    if (currentLeaderEpoch < this.state.leaderEpoch) {
      return new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${currentLeaderEpoch} is older than ${this.state.leaderEpoch}`);
    }
    return new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `leader epoch ${currentLeaderEpoch} is newer than ${this.state.leaderEpoch}`);
  }

  /** What read() refuses a fetch at `fetchOffset` with (a leader epoch that does not match, an offset outside the log), or null. */
  private readError(fetchOffset: number, currentLeaderEpoch: number): KafkaError | null {
    const epochError = this.leaderEpochError(currentLeaderEpoch);
    if (epochError !== null) return epochError;
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) {
      return new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `fetch offset ${fetchOffset} is outside [${this.logStartOffset}, ${this.logEndOffset}]`);
    }
    return null;
  }

  /** Listens for data becoming readable (bytes made visible); returns the unsubscribe function. */
  onReadableAdvance(listener: ReadableListener): () => void {
    this.readableListeners.add(listener);
    return () => this.readableListeners.delete(listener);
  }

  /** Counts an append's bytes (synchronously after log.append) for notifyReadable. */
  private recordAppend(info: LogAppendInfo): void {
    if (info.sizeInBytes === 0) return;
    this.unstableAppends.push({ offset: info.firstOffset, bytesBefore: this.appendedBytes });
    this.appendedBytes += info.sizeInBytes;
  }

  /** Tells the listeners that `bytes` were written, and how many bytes became stable meanwhile. */
  private notifyReadable(bytes: number): void {
    const lastStableOffset = this.lastStableOffset;
    const appends = this.unstableAppends;
    let stable = 0;
    while (stable < appends.length && appends[stable]!.offset < lastStableOffset) stable += 1;
    const stableTotal = stable < appends.length ? appends[stable]!.bytesBefore : this.appendedBytes;
    if (stable > 0) appends.splice(0, stable);
    const stableBytes = Math.max(0, stableTotal - this.stableBytesNotified);
    this.stableBytesNotified = Math.max(this.stableBytesNotified, stableTotal);
    for (const listener of this.readableListeners) listener(bytes, stableBytes);
  }

  /**
   * A client append keeps the order its request arrived in, also when an earlier one is still
   * decoding its records (a producer's sequence numbers depend on that order): an append that
   * decodes, and every append behind one, waits for the turn of the append before it. Appends
   * with nothing to wait for go to the log at once.
   */
  private takeAppendTurn(): { previous: Promise<void>; release: () => void } {
    const previous = this.lastAppendTurn;
    let done!: () => void;
    this.lastAppendTurn = new Promise((resolve) => (done = resolve));
    this.appendsWaiting += 1;
    return {
      previous,
      release: () => {
        this.appendsWaiting -= 1;
        done();
      },
    };
  }

  /**
   * Validates a client's records (batch headers; records only where a topic rule needs them)
   * and appends them; resolves once they are written (the acks=1 and, single replica, acks=all
   * point).
   */
  async appendRecordsFromClient(records: Buffer, options: { acks: number; produceVersion: number }): Promise<ProduceResult> {
    const rules = this.produceRules;
    if (options.acks === -1) {
      const minInsyncReplicas = rules.minInsyncReplicas;
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
      maxBatchBytes: rules.maxMessageBytes,
    });
    const now = Date.now();
    const { timestampType, afterMaxMs, beforeMaxMs, compacted, compressionTarget: target } = rules;
    if (timestampType === 'LogAppendTime' && summary.batches.some((batch) => batch.isLogAppendTime)) {
      throw new KafkaError(ErrorCode.INVALID_TIMESTAMP, 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.');
    }
    // Kafka's LogValidator rules on single records: the only cases where the produce path decodes
    // them. The after-max rule is first checked on the batch header's maxTimestamp.
    const checkTimestamps = timestampType === 'CreateTime' && (beforeMaxMs < LONG_MAX || (afterMaxMs < LONG_MAX && summary.maxTimestamp > now + afterMaxMs));
    const recompress = summary.batches.some((batch) => needsRecompression(batch, target));
    const decode = compacted || checkTimestamps || recompress;
    const turn = decode || this.appendsWaiting > 0 ? this.takeAppendTurn() : null;
    let info: LogAppendInfo;
    try {
      if (decode) {
        const rebuilt: Buffer[] = [];
        for (const batch of summary.batches) {
          const decoded = await decodeRecordsAsync(batch.bytes());
          for (const record of decoded) checkRecord(record, { compacted, timestamps: checkTimestamps ? { now, beforeMaxMs, afterMaxMs } : null });
          rebuilt.push(needsRecompression(batch, target) ? await recompressBatch(batch, decoded, target!, timestampType) : batch.bytes());
        }
        if (recompress) {
          // The topic's compression.type differs from the producer's: store the rebuilt batches (recompress.ts).
          const maxMessageBytes = rules.maxMessageBytes;
          for (const batch of rebuilt) {
            if (batch.length > maxMessageBytes) {
              throw new KafkaError(
                ErrorCode.MESSAGE_TOO_LARGE,
                `Message batch size is ${batch.length} bytes in append to partition ${this.topicName}-${this.partitionIndex} which exceeds the maximum configured size of ${maxMessageBytes}.`,
              );
            }
          }
          records = rebuilt.length === 1 ? rebuilt[0]! : Buffer.concat(rebuilt);
        }
      }
      if (turn !== null) await turn.previous;
      info = this.log.append(records, { leaderEpoch: this.state.leaderEpoch, now });
      this.recordAppend(info);
    } finally {
      turn?.release();
    }
    await info.written;
    this.notifyReadable(info.sizeInBytes);
    return { baseOffset: info.firstOffset, logAppendTime: info.logAppendTime, logStartOffset: info.logStartOffset };
  }

  /** Appends a batch written by a coordinator on this broker (validated as such, not as a client's). */
  /** Resolves to the offset of the first record once written. */
  async appendRecordsFromCoordinator(records: Buffer): Promise<number> {
    validateRecords(records, { origin: 'coordinator', maxBatchBytes: this.produceRules.maxMessageBytes });
    const info = this.log.append(records, { leaderEpoch: this.state.leaderEpoch, origin: 'coordinator' });
    this.recordAppend(info);
    await info.written;
    this.notifyReadable(info.sizeInBytes);
    return info.firstOffset;
  }

  /**
   * Writes a COMMIT or ABORT marker for `producerId`'s transaction (WriteTxnMarkers; the
   * transaction coordinator calls this for every partition of a transaction) and resolves to
   * its offset once it, and for an ABORT its .txnindex entry, are written. Refused with
   * TRANSACTION_COORDINATOR_FENCED when a newer coordinator epoch already wrote a marker for the
   * producer, INVALID_PRODUCER_EPOCH when the producer's epoch here is newer. A marker for a
   * producer with nothing open here is written too and completes nothing.
   */
  async appendTxnMarker(marker: TxnMarker): Promise<{ offset: number }> {
    const leaderEpoch = this.state.leaderEpoch;
    const records = buildEndTransactionMarkerBatch({
      type: marker.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      coordinatorEpoch: marker.coordinatorEpoch,
      partitionLeaderEpoch: leaderEpoch,
    });
    const info = this.log.append(records, { leaderEpoch, origin: 'coordinator' });
    this.recordAppend(info);
    await info.written;
    if (!marker.commit) await this.log.producerStateManager.transactionIndexesFlushed();
    this.notifyReadable(info.sizeInBytes);
    return { offset: info.firstOffset };
  }

  /**
   * A read at `fetchOffset` would find nothing and raise no error (the consumer is caught up):
   * a long-poll fetch may go straight to waiting. False whenever read() would throw, so the
   * error is answered at once.
   */
  isCaughtUp(fetchOffset: number, isolationLevel: number, currentLeaderEpoch: number): boolean {
    return fetchOffset >= (isolationLevel === 1 ? this.lastStableOffset : this.highWatermark) && this.readError(fetchOffset, currentLeaderEpoch) === null;
  }

  async read(options: {
    fetchOffset: number;
    maxBytes: number;
    minOneBatch: boolean;
    isolationLevel: number;
    currentLeaderEpoch: number;
    /** Pooled buffers for file reads, given back by the caller once the answer is sent (read-buffer-pool.ts). */
    buffers?: ReadBuffers;
  }): Promise<PartitionReadResult> {
    const error = this.readError(options.fetchOffset, options.currentLeaderEpoch);
    if (error !== null) throw error;
    const highWatermark = this.highWatermark;
    const lastStableOffset = this.lastStableOffset;
    const logStartOffset = this.logStartOffset;
    const readCommitted = options.isolationLevel === 1;
    const upperBound = readCommitted ? lastStableOffset : highWatermark;
    if (options.fetchOffset >= upperBound || (options.maxBytes <= 0 && !options.minOneBatch)) {
      return noRecords(highWatermark, lastStableOffset, logStartOffset, readCommitted);
    }
    const data = await this.log.read(options.fetchOffset, options.maxBytes, upperBound, options.minOneBatch, options.buffers);
    if (data.sizeInBytes === 0) return noRecords(highWatermark, lastStableOffset, logStartOffset, readCommitted);
    // Kafka's addAbortedTransactions: the aborted transactions overlapping what was read.
    const abortedTransactions = readCommitted
      ? (await this.log.producerStateManager.collectAbortedTransactions(this.log.logSegments, options.fetchOffset, data.nextOffset)).map((txn) => ({
          producerId: txn.producerId,
          firstOffset: txn.firstOffset,
        }))
      : null;
    return { highWatermark, lastStableOffset, logStartOffset, abortedTransactions, records: data.slices as Buffer[], sizeInBytes: data.sizeInBytes };
  }

  /**
   * DeleteRecords on the leader (Kafka's Partition.deleteRecordsOnLeader): raises the log start
   * offset to `offset` (-1: the high watermark) and resolves to the low watermark, which on a
   * single replica is the log start offset. Refused with POLICY_VIOLATION when cleanup.policy
   * does not include delete, OFFSET_OUT_OF_RANGE below 0 or above the high watermark. Records
   * below the new start are unreadable at once; their segments go in the next retention pass.
   */
  async deleteRecordsOnLeader(offset: number): Promise<number> {
    if (!this.topicConfig.list('cleanup.policy').includes('delete')) {
      throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Records of partition ${this.topicName}-${this.partitionIndex} can not be deleted due to the configured policy`);
    }
    const highWatermark = this.highWatermark;
    const convertedOffset = offset === DELETE_RECORDS_HIGH_WATERMARK ? highWatermark : offset;
    if (convertedOffset < 0) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `The offset ${convertedOffset} for partition ${this.topicName}-${this.partitionIndex} is not valid`);
    }
    if (convertedOffset > highWatermark) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot increment the log start offset to ${convertedOffset} of partition ${this.topicName}-${this.partitionIndex} since it is larger than the high watermark ${highWatermark}`,
      );
    }
    await this.log.maybeIncrementLogStartOffset(convertedOffset);
    return this.logStartOffset;
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

function checkRecord(
  record: KafkaRecord,
  rules: { compacted: boolean; timestamps: { now: number; beforeMaxMs: number; afterMaxMs: number } | null },
): void {
  if (rules.compacted && record.key === null) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'Compacted topic cannot accept message without key.');
  }
  const timestamps = rules.timestamps;
  // Kafka's LogValidator.validateTimestamp; records without a timestamp (-1) are let through.
  if (timestamps && record.timestamp !== NO_TIMESTAMP) {
    const difference = timestamps.now - record.timestamp;
    if (difference > timestamps.beforeMaxMs || -difference > timestamps.afterMaxMs) {
      throw new KafkaError(
        ErrorCode.INVALID_TIMESTAMP,
        `Timestamp ${record.timestamp} of message with offset ${record.offset} is out of range. ` +
          `The timestamp should be within [${timestamps.now - timestamps.beforeMaxMs}, ${timestamps.now + timestamps.afterMaxMs}]`,
      );
    }
  }
}
