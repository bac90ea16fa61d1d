/**
 * One cleaning of one log (Kafka's Cleaner): what a cleaner task does once the manager has
 * picked the log.
 *
 *   1. Offset map. The dirty section [firstDirtyOffset, firstUncleanableOffset) is read batch
 *      by batch and every keyed record puts (hash(key) -> offset) into the offset map, until the
 *      section ends or the map is full (log.cleaner.dedupe.buffer.size): the round then cleans
 *      only up to the map's latest offset, `endOffset`, and the rest waits for the next round.
 *      Batches of aborted transactions are left out (they must not hide a committed value).
 *   2. Groups. Every segment below endOffset — the clean section too, as in Kafka, so that keys
 *      updated again and expired tombstones leave it — is grouped with its neighbours while
 *      their sizes add up to segment.bytes and their indexes to segment.index.bytes
 *      (groupSegmentsBySize), so that segments emptied by earlier rounds merge.
 *   3. Rewrite. Each group is copied into one new segment whose files carry the `.cleaned`
 *      suffix (PartitionLog.createCleanedSegment), keeping only
 *        - records whose offset is the latest in the map for their key, or past the map's
 *          latest offset;
 *        - of those, tombstones (null value) until the delete horizon of their batch: the first
 *          round that keeps a tombstone stamps its batch with now + delete.retention.ms (KIP-534:
 *          attributes bit 6, the horizon in baseTimestamp), and a round after that time drops it;
 *        - control batches (see cleaned-transaction-metadata.ts for when markers go);
 *      and never records without a key (compacted topics refuse them on produce). Offsets are
 *      kept, so they only gain gaps. A batch keeps its producer id, epoch, base sequence,
 *      partition leader epoch, timestamp type, transactional and control flags, its codec (the
 *      retained records are compressed again with it) and its last offset delta; its
 *      maxTimestamp becomes the largest retained timestamp (the append time under LogAppendTime).
 *      A batch whose records all stay and that needs no horizon is copied byte for byte. A batch
 *      left without records is still written, empty, when it is the last batch of an active
 *      producer (its sequence and epoch must survive) or the last batch of the round (Kafka's
 *      RETAIN_EMPTY), and dropped otherwise.
 *   4. Swap. The new segment is finished (final time index entry, fdatasync, complete indexes)
 *      and swapped in for the group (PartitionLog.replaceSegments; a crash in the middle is
 *      finished or undone when the log is next opened, see swap-recovery.ts).
 *
 * Work is cut into slices that yield to the event loop, counted by the throttler, and checked
 * for an abort (the log being deleted, the broker stopping) between chunks.
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  CONTROL_FLAG_MASK,
  CURRENT_MAGIC,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  TRANSACTIONAL_FLAG_MASK,
} from '../../protocol/records/batch-header.js';
import { buildRecordBatch, buildRecordBatchAsync, type RecordBatchOptions } from '../../protocol/records/builder.js';
import { parseControlRecordKey } from '../../protocol/records/control-batch.js';
import { writeBatchCrc } from '../../protocol/records/crc32c.js';
import { decodeRecords, decodeRecordsAsync, readBatchHeader, type KafkaRecord } from '../../protocol/records/records.js';
import { floorSegmentIndex } from '../log-loader.js';
import type { LogSegment } from '../log-segment.js';
import type { PartitionLog } from '../partition-log.js';
import { Logger } from '../../logger.js';
import { CleanedTransactionMetadata, type AbortedTransaction } from './cleaned-transaction-metadata.js';
import { OffsetMap } from './offset-map.js';
import { batchesIn, readBatchChunks } from './segment-reader.js';
import { EventLoopSlicer, type Throttler } from './throttler.js';

const logger = new Logger('log-cleaner');
const INT32_MAX = 0x7fffffff;

/** The cleaning of a log was aborted (the log is going away, or the cleaner stops): Kafka's LogCleaningAbortedException. */
export class LogCleaningAbortedError extends Error {
  override name = 'LogCleaningAbortedError';
}

/** A log the manager picked, with the offsets and sizes that made it the filthiest (Kafka's LogToClean). */
export interface LogToClean {
  /** `<topic>-<partition>`. */
  readonly name: string;
  readonly log: PartitionLog;
  /** Where the dirty section starts (the checkpointed offset, or the log start offset). */
  readonly firstDirtyOffset: number;
  /** The base offset of the first segment the round may not touch. */
  readonly firstUncleanableOffset: number;
  /** Bytes of the segments below firstDirtyOffset. */
  readonly cleanBytes: number;
  /** Bytes of the segments in [firstDirtyOffset, firstUncleanableOffset). */
  readonly cleanableBytes: number;
  readonly totalBytes: number;
  readonly cleanableRatio: number;
  /** The dirty section holds records older than max.compaction.lag.ms. */
  readonly needCompactionNow: boolean;
}

/** Figures of one round (Kafka's CleanerStats). */
export class CleanerStats {
  readonly startTime = performance.now();
  mapCompleteTime = -1;
  endTime = -1;
  mapBytesRead = 0;
  mapMessagesRead = 0;
  bytesRead = 0;
  bytesWritten = 0;
  messagesRead = 0;
  messagesWritten = 0;
  invalidMessagesRead = 0;
  bufferUtilization = 0;

  indexDone(): void {
    this.mapCompleteTime = performance.now();
  }

  allDone(): void {
    this.endTime = performance.now();
  }

  get elapsedSeconds(): number {
    return ((this.endTime < 0 ? performance.now() : this.endTime) - this.startTime) / 1000;
  }

  get elapsedIndexSeconds(): number {
    return ((this.mapCompleteTime < 0 ? performance.now() : this.mapCompleteTime) - this.startTime) / 1000;
  }
}

/**
 * Kafka's LastRecord: a producer's last data batch (its last offset; -1 when it has none since
 * its epoch began) and its epoch. The cleaner keeps that batch, emptied of its records when they
 * are obsolete, so that the producer's epoch and last sequence survive compaction and a replay of
 * the log rebuilds the same producer state (Kafka's RETAIN_EMPTY).
 */
export interface LastRecord {
  readonly lastDataOffset: number;
  readonly producerEpoch: number;
}

/** What a cleaner needs besides the log (the LogCleaner supplies it). */
export interface CleanerContext {
  /** Throws LogCleaningAbortedError when the cleaning of `log` was aborted or the cleaner is stopping. */
  checkDone(log: PartitionLog): void;
  readonly throttler: Throttler;
  /** Aborts the throttler's sleeps when the cleaner stops. */
  readonly signal?: AbortSignal;
  /** Read chunk size (log.cleaner.io.buffer.size / threads / 2, Kafka's per-buffer share). */
  readonly ioBufferBytes: number;
  /** Producers whose last batch must survive as at least an empty batch. */
  lastRecordsOfActiveProducers(log: PartitionLog, now: number): Promise<ReadonlyMap<number, LastRecord>>;
  /**
   * Aborted transactions overlapping [startOffset, endOffset) (Kafka's
   * UnifiedLog.collectAbortedTransactions); absent until the log has transaction indexes, in
   * which case control batches are always kept (cleaned-transaction-metadata.ts).
   */
  collectAbortedTransactions?(log: PartitionLog, startOffset: number, endOffset: number): Promise<readonly AbortedTransaction[]>;
  /** Writes the transaction index entries kept for a cleaned segment, before it is finished. */
  writeCleanedTransactionIndex?(segment: LogSegment, entries: readonly AbortedTransaction[]): Promise<void>;
}

/** The segments with an offset in [from, to) (Kafka's LogSegments.values(from, to)): from the one holding `from`. */
export function segmentsInRange(segments: readonly LogSegment[], from: number, to: number): LogSegment[] {
  if (from >= to || segments.length === 0) return [];
  const result: LogSegment[] = [];
  for (let i = floorSegmentIndex(segments, from); i < segments.length && segments[i]!.baseOffset < to; i++) result.push(segments[i]!);
  return result;
}

/** What grouping needs from a segment. */
export interface GroupableSegment {
  readonly baseOffset: number;
  readonly size: number;
  /** Bytes of the offset index and of the time index. */
  readonly offsetIndexBytes: number;
  readonly timeIndexBytes: number;
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose log bytes stay within `maxSize` and
 * whose offset and time index bytes each stay within `maxIndexSize`, and whose offsets fit the
 * int32 relative offsets of one segment (estimated from the next segment's base offset, or
 * firstUncleanableOffset for the last one; an empty segment always fits).
 */
export function groupSegmentsBySize<S extends GroupableSegment>(segments: readonly S[], maxSize: number, maxIndexSize: number, firstUncleanableOffset: number): S[][] {
  const groups: S[][] = [];
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [first];
    let logSize = first.size;
    let indexSize = first.offsetIndexBytes;
    let timeIndexSize = first.timeIndexBytes;
    i += 1;
    while (i < segments.length) {
      const next = segments[i]!;
      const lastOffsetOfNext = i + 1 < segments.length ? segments[i + 1]!.baseOffset - 1 : firstUncleanableOffset - 1;
      if (
        logSize + next.size > maxSize ||
        indexSize + next.offsetIndexBytes > maxIndexSize ||
        timeIndexSize + next.timeIndexBytes > maxIndexSize ||
        (next.size !== 0 && lastOffsetOfNext - first.baseOffset > INT32_MAX)
      ) {
        break;
      }
      group.push(next);
      logSize += next.size;
      indexSize += next.offsetIndexBytes;
      timeIndexSize += next.timeIndexBytes;
      i += 1;
    }
    groups.push(group);
  }
  return groups;
}

/** The delete horizon of a batch (KIP-534), or null when its attributes do not carry one. */
export function deleteHorizonOf(header: RecordBatchHeader): number | null {
  return (header.attributes & DELETE_HORIZON_FLAG_MASK) !== 0 ? header.baseTimestamp : null;
}

/**
 * A batch without records that keeps `header`'s offsets, producer fields, flags, partition
 * leader epoch and maxTimestamp (Kafka's DefaultRecordBatch.writeEmptyHeader): no codec, no
 * base timestamp, no delete horizon.
 */
export function emptyBatchLike(header: RecordBatchHeader): Buffer {
  const batch = Buffer.alloc(RECORD_BATCH_OVERHEAD);
  const source = header.buffer;
  const at = header.position;
  source.copy(batch, 0, at, at + 8); // baseOffset
  batch.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  batch.writeInt32BE(source.readInt32BE(at + PARTITION_LEADER_EPOCH_OFFSET), PARTITION_LEADER_EPOCH_OFFSET);
  batch.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  batch.writeInt16BE(header.attributes & (TIMESTAMP_TYPE_MASK | TRANSACTIONAL_FLAG_MASK | CONTROL_FLAG_MASK), ATTRIBUTES_OFFSET);
  batch.writeInt32BE(header.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  batch.writeInt32BE(-1, BASE_TIMESTAMP_OFFSET);
  batch.writeInt32BE(-1, BASE_TIMESTAMP_OFFSET + 4);
  source.copy(batch, MAX_TIMESTAMP_OFFSET, at + MAX_TIMESTAMP_OFFSET, at + MAX_TIMESTAMP_OFFSET + 8);
  source.copy(batch, PRODUCER_ID_OFFSET, at + PRODUCER_ID_OFFSET, at + PRODUCER_EPOCH_OFFSET + 2);
  batch.writeInt32BE(header.baseSequence, BASE_SEQUENCE_OFFSET);
  batch.writeInt32BE(0, RECORDS_COUNT_OFFSET);
  writeBatchCrc(batch);
  return batch;
}

/** Kafka's BatchRetention. */
const enum BatchRetention {
  /** Drop the batch whole. */
  DELETE,
  /** Keep the retained records; drop the batch when none is. */
  DELETE_EMPTY,
  /** Keep the batch even without records. */
  RETAIN_EMPTY,
}

/** One batch as it goes into the cleaned segment. */
interface RetainedBatch {
  readonly bytes: Buffer;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

export class Cleaner {
  private readonly slicer = new EventLoopSlicer();

  constructor(
    readonly id: number,
    readonly offsetMap: OffsetMap,
    private readonly context: CleanerContext,
  ) {}

  /**
   * Cleans `cleanable` as of `currentTime` (Kafka's doClean). Returns the first offset not
   * cleaned (the next round's first dirty offset) and the round's figures.
   */
  async clean(cleanable: LogToClean, currentTime: number): Promise<{ endOffset: number; stats: CleanerStats }> {
    const log = cleanable.log;
    const stats = new CleanerStats();
    logger.info(`Cleaner ${this.id}: beginning cleaning of log ${cleanable.name}`);

    const upperBoundOffset = cleanable.firstUncleanableOffset;
    await this.buildOffsetMap(log, cleanable.firstDirtyOffset, upperBoundOffset, this.offsetMap, stats);
    const endOffset = this.offsetMap.latestOffset + 1;
    stats.indexDone();

    const lastRecordsOfActiveProducers = await this.context.lastRecordsOfActiveProducers(log, currentTime);
    const transactions = new CleanedTransactionMetadata(this.context.collectAbortedTransactions !== undefined);
    const segments = segmentsInRange(log.logSegments, 0, endOffset);
    for (const segment of segments) await segment.loadIndexes();
    const groups = groupSegmentsBySize(
      segments.map((segment) => ({
        segment,
        baseOffset: segment.baseOffset,
        size: segment.size,
        offsetIndexBytes: segment.offsetIndex.sizeInBytes,
        timeIndexBytes: segment.timeIndex.sizeInBytes,
      })),
      log.config.segmentBytes,
      log.config.segmentIndexBytes,
      upperBoundOffset,
    );
    logger.info(
      `Cleaner ${this.id}: cleaning log ${cleanable.name} up to offset ${endOffset} in ${groups.length} group(s) of ${segments.length} segment(s), ` +
        `discarding tombstones whose delete horizon is before ${new Date(currentTime).toISOString()}`,
    );
    for (const group of groups) {
      await this.cleanSegments(
        cleanable,
        group.map((entry) => entry.segment),
        currentTime,
        stats,
        transactions,
        lastRecordsOfActiveProducers,
        upperBoundOffset,
      );
    }
    stats.bufferUtilization = this.offsetMap.utilization;
    stats.allDone();
    return { endOffset, stats };
  }

  /**
   * Kafka's buildOffsetMap: maps the keys of [start, end), segment by segment, until the end or
   * until the map is full. Afterwards map.latestOffset + 1 is where this round's cleaning ends.
   */
  async buildOffsetMap(log: PartitionLog, start: number, end: number, map: OffsetMap, stats: CleanerStats): Promise<void> {
    map.clear();
    const dirty = segmentsInRange(log.logSegments, start, end);
    logger.info(`Cleaner ${this.id}: building offset map for ${log.directory} for ${dirty.length} segment(s) in offset range [${start}, ${end})`);
    const transactions = new CleanedTransactionMetadata(this.context.collectAbortedTransactions !== undefined);
    if (this.context.collectAbortedTransactions !== undefined) {
      transactions.addAbortedTransactions(await this.context.collectAbortedTransactions(log, start, end));
    }
    for (let i = 0; i < dirty.length; i++) {
      this.context.checkDone(log);
      const nextSegmentStartOffset = i + 1 < dirty.length ? dirty[i + 1]!.baseOffset : end;
      const full = await this.buildOffsetMapForSegment(log, dirty[i]!, map, start, nextSegmentStartOffset, transactions, stats);
      if (full) {
        logger.debug(`Cleaner ${this.id}: offset map is full; ${i} segment(s) fully mapped, segment ${dirty[i]!.baseOffset} partially`);
        break;
      }
    }
  }

  /** Adds the keys of one segment from `startOffset`; true when the map filled up. */
  private async buildOffsetMapForSegment(
    log: PartitionLog,
    segment: LogSegment,
    map: OffsetMap,
    startOffset: number,
    nextSegmentStartOffset: number,
    transactions: CleanedTransactionMetadata,
    stats: CleanerStats,
  ): Promise<boolean> {
    await segment.loadIndexes();
    const position = segment.offsetIndex.lookup(startOffset).position;
    for await (const chunk of readBatchChunks(segment, position, this.context.ioBufferBytes)) {
      this.context.checkDone(log);
      await this.context.throttler.maybeThrottle(chunk.buffer.length, this.context.signal);
      for (const { at, size } of batchesIn(chunk.buffer)) {
        const bytes = chunk.buffer.subarray(at, at + size);
        const header = readBatchHeader(bytes, true);
        if (header.isControl) {
          transactions.onControlBatchRead(header, await controlTypeOf(bytes, header));
          stats.mapMessagesRead += 1;
        } else if (transactions.onBatchRead(header)) {
          // An aborted transaction's batch never enters the map.
          stats.mapMessagesRead += Math.max(header.recordsCount, 0);
        } else {
          for (const record of await recordsOf(bytes, header)) {
            if (record.key !== null && record.offset >= startOffset) {
              if (map.isFull) return true;
              if (map.needsGrowth) await map.grow();
              map.put(record.key, record.offset);
            }
            stats.mapMessagesRead += 1;
            await this.slicer.maybeYield();
          }
        }
        const lastOffset = header.lastOffset;
        if (lastOffset >= startOffset) map.updateLatestOffset(lastOffset);
        stats.mapBytesRead += size;
        await this.slicer.maybeYield();
      }
    }
    // Offsets missing at the end of the segment (a gap) are covered too.
    map.updateLatestOffset(nextSegmentStartOffset - 1);
    return false;
  }

  /** Cleans one group into one new segment and swaps it in (Kafka's cleanSegments). */
  private async cleanSegments(
    cleanable: LogToClean,
    segments: readonly LogSegment[],
    currentTime: number,
    stats: CleanerStats,
    transactions: CleanedTransactionMetadata,
    lastRecordsOfActiveProducers: ReadonlyMap<number, LastRecord>,
    upperBoundOffsetOfCleaningRound: number,
  ): Promise<void> {
    const log = cleanable.log;
    const cleaned = log.createCleanedSegment(segments[0]!.baseOffset);
    // Once the swap has begun, its files belong to it: a failure there takes the log offline and
    // the loader completes or undoes the swap, so they must stay as they are.
    let swapping = false;
    try {
      await cleaned.openForAppend();
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        if (this.context.collectAbortedTransactions !== undefined) {
          const upper = i + 1 < segments.length ? segments[i + 1]!.baseOffset : Math.max(segment.baseOffset, (await segment.readNextOffset()) ?? segment.baseOffset);
          transactions.addAbortedTransactions(await this.context.collectAbortedTransactions(log, segment.baseOffset, upper));
        }
        logger.debug(`Cleaner ${this.id}: cleaning ${segment} of log ${cleanable.name} into ${cleaned.baseOffset}`);
        await this.cleanInto(log, segment, cleaned, currentTime, stats, transactions, lastRecordsOfActiveProducers, upperBoundOffsetOfCleaningRound);
      }
      const retainedAborted = transactions.takeRetainedAbortedTransactions();
      if (retainedAborted.length > 0 && this.context.writeCleanedTransactionIndex !== undefined) {
        await this.context.writeCleanedTransactionIndex(cleaned, retainedAborted);
      }
      await cleaned.finish();
      this.context.checkDone(log);
      logger.info(`Cleaner ${this.id}: swapping in cleaned segment ${cleaned} for segment(s) ${segments.map((segment) => segment.baseOffset).join(', ')} in log ${cleanable.name}`);
      swapping = true;
      if (!(await log.replaceSegments(segments, cleaned))) {
        swapping = false;
        throw new LogCleaningAbortedError(`The segments of ${cleanable.name} changed while they were cleaned`);
      }
    } catch (error) {
      if (!swapping) await cleaned.delete().catch(() => undefined);
      throw error;
    }
  }

  /** Copies what stays of `source` into `dest` (Kafka's cleanInto with MemoryRecords.filterTo). */
  private async cleanInto(
    log: PartitionLog,
    source: LogSegment,
    dest: LogSegment,
    currentTime: number,
    stats: CleanerStats,
    transactions: CleanedTransactionMetadata,
    lastRecordsOfActiveProducers: ReadonlyMap<number, LastRecord>,
    upperBoundOffsetOfCleaningRound: number,
  ): Promise<void> {
    const map = this.offsetMap;
    const deleteRetentionMs = log.config.deleteRetentionMs;
    for await (const chunk of readBatchChunks(source, 0, this.context.ioBufferBytes)) {
      this.context.checkDone(log);
      await this.context.throttler.maybeThrottle(chunk.buffer.length, this.context.signal);
      const retained: RetainedBatch[] = [];
      for (const { at, size } of batchesIn(chunk.buffer)) {
        const bytes = chunk.buffer.subarray(at, at + size);
        const header = readBatchHeader(bytes, true);
        stats.bytesRead += size;
        const deleteHorizon = deleteHorizonOf(header);
        // checkBatchRetention: transactions first, then the batches that must stay even empty.
        const isControl = header.isControl;
        let records = isControl ? await recordsOf(bytes, header) : null;
        const canDiscardBatch = isControl
          ? transactions.onControlBatchRead(header, records!.length > 0 ? parseControlRecordKey(records![0]!.key).type : null)
          : transactions.onBatchRead(header);
        const discardBatchRecords = isControl ? canDiscardBatch && deleteHorizon !== null && deleteHorizon <= currentTime : canDiscardBatch;
        const hasProducerId = header.producerId >= 0;
        const lastRecord = hasProducerId ? lastRecordsOfActiveProducers.get(header.producerId) : undefined;
        const isBatchLastRecordOfProducer =
          lastRecord !== undefined &&
          (lastRecord.lastDataOffset >= 0 ? header.lastOffset === lastRecord.lastDataOffset : isControl && header.producerEpoch === lastRecord.producerEpoch);
        let retention: BatchRetention;
        if (hasProducerId && isBatchLastRecordOfProducer) retention = BatchRetention.RETAIN_EMPTY;
        else if (header.lastOffset + 1 === upperBoundOffsetOfCleaningRound) retention = BatchRetention.RETAIN_EMPTY;
        else if (discardBatchRecords) retention = BatchRetention.DELETE;
        else retention = BatchRetention.DELETE_EMPTY;
        const containsMarkerForEmptyTxn = canDiscardBatch && isControl;
        if (retention === BatchRetention.DELETE) {
          stats.messagesRead += Math.max(header.recordsCount, 0);
          continue;
        }
        records ??= await recordsOf(bytes, header);
        stats.messagesRead += records.length;

        // shouldRetainRecord for each record.
        const kept: KafkaRecord[] = [];
        let containsTombstones = false;
        for (const record of records) {
          let keep: boolean;
          if (discardBatchRecords) keep = false;
          else if (isControl) keep = true;
          else if (record.offset > map.latestOffset) keep = true;
          else if (record.key === null) {
            stats.invalidMessagesRead += 1;
            keep = false;
          } else {
            const latestOffsetForKey = record.offset >= map.get(record.key);
            const retainDeletes = deleteHorizon === null || currentTime < deleteHorizon;
            keep = latestOffsetForKey && (record.value !== null || retainDeletes);
          }
          if (keep) {
            kept.push(record);
            if (record.value === null) containsTombstones = true;
          }
          await this.slicer.maybeYield();
        }

        if (kept.length > 0) {
          const needToSetDeleteHorizon = (containsTombstones || containsMarkerForEmptyTxn) && deleteHorizon === null;
          if (kept.length === records.length && !needToSetDeleteHorizon) {
            retained.push({ bytes, lastOffset: header.lastOffset, maxTimestamp: header.maxTimestamp });
          } else {
            const horizon = needToSetDeleteHorizon ? currentTime + deleteRetentionMs : deleteHorizon;
            const rebuilt = await rebuildBatch(header, kept, horizon);
            retained.push({ bytes: rebuilt, lastOffset: header.lastOffset, maxTimestamp: new RecordBatchHeader(rebuilt).maxTimestamp });
          }
          stats.messagesWritten += kept.length;
        } else if (retention === BatchRetention.RETAIN_EMPTY) {
          retained.push({ bytes: emptyBatchLike(header), lastOffset: header.lastOffset, maxTimestamp: header.maxTimestamp });
        }
        await this.slicer.maybeYield();
      }
      if (retained.length > 0) {
        const written = await appendRetained(dest, retained);
        stats.bytesWritten += written;
        await this.context.throttler.maybeThrottle(written, this.context.signal);
      }
    }
  }
}

/** The records of a batch: compressed ones are inflated in the thread pool. */
async function recordsOf(bytes: Buffer, header: RecordBatchHeader): Promise<KafkaRecord[]> {
  if (header.compressionType === CompressionType.NONE || header.recordsCount <= 0) return decodeRecords(bytes, { verifyCrc: false });
  return decodeRecordsAsync(bytes, { verifyCrc: false });
}

/** The control record type of a control batch, or null for an empty one. */
async function controlTypeOf(bytes: Buffer, header: RecordBatchHeader): Promise<number | null> {
  const records = await recordsOf(bytes, header);
  return records.length > 0 ? parseControlRecordKey(records[0]!.key).type : null;
}

/**
 * The retained records of `header`'s batch in a new batch with the same attributes (Kafka's
 * buildRetainedRecordsInto): same base offset and last offset delta, codec, producer fields,
 * flags and partition leader epoch; with `deleteHorizonMs`, the KIP-534 horizon.
 */
async function rebuildBatch(header: RecordBatchHeader, records: readonly KafkaRecord[], deleteHorizonMs: number | null): Promise<Buffer> {
  const baseOffset = header.baseOffset;
  const logAppendTime = header.isLogAppendTime;
  const options: RecordBatchOptions = {
    records: records.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
      offsetDelta: record.offset - baseOffset,
    })),
    baseOffset,
    compression: header.compressionType,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    isTransactional: header.isTransactional,
    isControl: header.isControl,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    timestampType: logAppendTime ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    lastOffsetDelta: header.lastOffsetDelta,
    ...(logAppendTime ? { logAppendTime: header.maxTimestamp } : {}),
    ...(deleteHorizonMs !== null ? { deleteHorizonMs } : {}),
  };
  return header.compressionType === CompressionType.NONE ? buildRecordBatch(options) : buildRecordBatchAsync(options);
}

/** Appends retained batches to the cleaned segment with the log's indexing rule; returns the bytes written. */
async function appendRetained(dest: LogSegment, batches: readonly RetainedBatch[]): Promise<number> {
  const bytes = batches.length === 1 ? batches[0]!.bytes : Buffer.concat(batches.map((batch) => batch.bytes));
  const first = new RecordBatchHeader(batches[0]!.bytes);
  const append = dest.beginAppend(bytes, first.baseOffset, batches[batches.length - 1]!.lastOffset + 1);
  for (const batch of batches) dest.planBatch(append, batch.lastOffset, batch.maxTimestamp, batch.bytes.length);
  let written = 0;
  while (written < bytes.length) {
    const result = await dest.log.writev([written === 0 ? bytes : bytes.subarray(written)], append.position + written);
    if (result <= 0) throw new Error(`writev to ${dest.log.path} made no progress`);
    written += result;
  }
  dest.completeWrite(append);
  return bytes.length;
}
