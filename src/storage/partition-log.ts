/**
 * One partition's log on disk (Kafka's UnifiedLog and LocalLog): an ordered list of segments
 * in the partition directory, the offsets that describe them, the writer that moves appended
 * batches into the active segment, and the flush policy.
 *
 * Directory layout (Kafka's, see log-segment.ts and log-loader.ts):
 *   00000000000000000000.log / .index / .timeindex     one set per segment, named by base offset
 *   recovery-point-offset-checkpoint                    "0\n1\n<offset>\n"
 *   log-start-offset-checkpoint                         "0\n1\n<offset>\n"
 *   .kafka_cleanshutdown                                only between close() and the next open()
 * Kafka keeps the two checkpoints per log directory (one line per partition); Tidelog keeps
 * them per partition so that a partition directory is self-contained.
 *   00000000000000000000.txnindex                       aborted transactions (transaction-index.ts)
 *   00000000000000000000.snapshot                       producer state below that offset
 *                                                       (producer-state/snapshot-file.ts)
 * Later work adds, without changing this layout: leader-epoch-checkpoint and partition.metadata.
 *
 * Producer state (producer-state/producer-state-manager.ts, Kafka's ProducerStateManager):
 * append() checks producer ids, epochs and sequences and detects retried batches synchronously,
 * before offsets are assigned; a duplicate is not appended and its LogAppendInfo carries the
 * original offsets. A roll snapshots the state at the new segment's base offset, close() at the
 * log end; open() loads the newest snapshot and replays the batches after it.
 *
 * Offsets (JS numbers; exact up to 2^53):
 *   logStartOffset    first offset readable (raised by retention and DeleteRecords)
 *   recoveryPoint     below it everything is fdatasync'ed and indexed on disk
 *   writtenEndOffset  below it every batch has been handed to the OS; reads stop here
 *   logEndOffset      the next offset append() assigns; batches between writtenEndOffset and
 *                     logEndOffset are queued for the writer
 * The high watermark and last stable offset belong to the broker, which passes them to read()
 * as the upper bound.
 *
 * The append path. append() is synchronous: it checks that the buffer holds whole v2 batches,
 * patches baseOffset, partitionLeaderEpoch (and maxTimestamp plus the CRC for LogAppendTime) in
 * place, rolls the segment if needed, plans positions and index entries and advances
 * logEndOffset. Its `written` promise settles later: one writer per log takes every append
 * queued so far for the same segment and hands them to one positional writev, so many small
 * produce requests cost one syscall. When flush.messages is reached, `written` also waits for an
 * fdatasync; fdatasyncs are group commits: one covers everything written before it started,
 * and appends that arrive while one runs share the next.
 *
 * Retention (Kafka's UnifiedLog.deleteOldSegments; the rules are in retention.ts):
 * deleteOldSegments() removes whole segments from the front of the log, raises logStartOffset
 * to the first remaining segment, checkpoints it, renames the segments' files to `.deleted`
 * and removes them file.delete.delay.ms later (reads already under way finish on the renamed
 * files; the loader removes `.deleted` files left by a stop or crash). The broker runs it every
 * log.retention.check.interval.ms. DeleteRecords only raises logStartOffset
 * (maybeIncrementLogStartOffset); the segments below it go in the next deleteOldSegments, as
 * in Kafka. Retention passes are serialized per log.
 *
 * Failure (chosen behaviour):
 * - A failed write (EIO, ENOSPC, …) rejects the `written` promise of that append and of every
 *   append queued after it (their offsets followed it), rolls logEndOffset back to the written
 *   end, cuts any partial bytes from the file and drops segments that were rolled for them. The
 *   log stays consistent and accepts new appends, which reuse the offsets; a restart recovers
 *   the same state. If cutting the partial bytes fails too, the log goes offline.
 * - A failed fdatasync takes the log offline: after a failed fsync Linux may have dropped the
 *   dirty pages, so nothing written since the last good fdatasync can be trusted. Every later
 *   append or flush fails with KafkaStorageError (Kafka takes the log directory offline);
 *   reads of written data still work. Reopening the log runs recovery.
 */
import { crc32c } from '@node-rs/crc32';
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
  TIMESTAMP_TYPE_MASK,
} from '../protocol/records/batch-header.js';
import { Logger } from '../logger.js';
import { InvalidRecordBatchError, KafkaStorageError, OffsetOutOfRangeError } from './errors.js';
import { nodeFileSystem, type FileSystem } from './file-system.js';
import { planSegmentDeletion, type SegmentDeletionReason } from './retention.js';
import { logConfig, type LogConfig } from './log-config.js';
import { CLEAN_SHUTDOWN_FILE, floorSegmentIndex, LogLoader } from './log-loader.js';
import type { OffsetCheckpointFile } from './checkpoint-file.js';
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  EMPTY_RECORDS,
  LogSegment,
  SWAP_FILE_SUFFIX,
  MIN_BATCH_LENGTH,
  type BatchTimestamp,
  type FetchDataInfo,
  type LogOffsetMetadata,
  type SegmentAppend,
} from './log-segment.js';
import { NO_TIMESTAMP } from './time-index.js';
import { ProducerStateManager, type AppendOrigin } from './producer-state/producer-state-manager.js';
import type { ReadBuffers } from './read-buffer-pool.js';
import { DEFAULT_TAIL_CACHE_BYTES_PER_LOG, sharedTailCacheBudget, TailCache, type TailCacheBudget } from './tail-cache.js';
import type { BatchMetadata } from './producer-state/producer-state-entry.js';
import { join } from 'node:path';

const logger = new Logger('storage');

/** Linux's IOV_MAX: the most buffers one writev takes. */
const IOV_MAX = 1024;
/** Writes up to this many bytes are made on the event loop (see writeNext). */
const SYNC_WRITE_MAX_BYTES = 256 * 1024;
/** setInterval cannot wait longer than this; flush.ms above it means "never" (Kafka's default). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const INT32_MAX = 0x7fffffff;

export interface PartitionLogOptions {
  /** The filesystem to use (tests inject faults); node:fs by default. */
  readonly fileSystem?: FileSystem;
  /** The clock, in ms since the epoch, for LogAppendTime and segment.ms; Date.now by default. */
  readonly time?: () => number;
  /** producer.id.expiration.ms (default one day): idle producers are forgotten after it. */
  readonly producerIdExpirationMs?: number;
  /** The memory budget the log's tail cache shares with other logs (tail-cache.ts); one per process by default. */
  readonly tailCacheBudget?: TailCacheBudget;
  /** The most this log keeps of its freshly written tail in memory; 0 turns the tail cache off. */
  readonly tailCacheBytes?: number;
}

export interface AppendOptions {
  /** The leader epoch stamped into each batch's partitionLeaderEpoch. */
  readonly leaderEpoch: number;
  /** The time of the append in ms (LogAppendTime, segment.ms); the log's clock by default. */
  readonly now?: number;
  /**
   * false for a follower's append (replication): the batches carry the leader's offsets and
   * epoch, which must continue from logEndOffset, and are stored untouched. Default true.
   */
  readonly assignOffsets?: boolean;
  /**
   * Kafka's AppendOrigin: 'client' batches get every producer check and duplicate detection,
   * 'coordinator' batches (transaction markers, offset commits) epoch checks only. Default
   * 'client'; a follower's append (assignOffsets false) is always 'replication'.
   */
  readonly origin?: AppendOrigin;
}

/** One batch as appended. */
export interface AppendedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly sizeInBytes: number;
}

/** The outcome of append() (Kafka's LogAppendInfo). */
export interface LogAppendInfo {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The largest batch maxTimestamp (the append time under LogAppendTime). */
  readonly maxTimestamp: number;
  /** The last offset of the batch carrying maxTimestamp (batch level, as Kafka's shallow offset). */
  readonly offsetOfMaxTimestamp: number;
  /** The broker time stamped under LogAppendTime, else -1 (what ProduceResponse reports). */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  readonly sizeInBytes: number;
  readonly batches: readonly AppendedBatch[];
  /**
   * Settles when the bytes are handed to the OS (and fdatasync'ed when flush.messages says so).
   * Rejects with KafkaStorageError when they could not be written. Already has a handler, so an
   * append whose caller does not wait (acks=0) never raises an unhandled rejection.
   */
  readonly written: Promise<void>;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(noop);
  return { promise, resolve, reject };
}

function noop(): void {}

/** The buffers after the first `skip` bytes (a writev that wrote only part). */
function remainingBuffers(buffers: readonly Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}

export class PartitionLog {
  private segments: LogSegment[];
  private logStartOffsetValue: number;
  private logEndOffsetValue: number;
  private writtenEndOffsetValue: number;
  private recoveryPointValue: number;
  private configValue: LogConfig;
  private readonly time: () => number;
  /** The freshly written appends of the active segment, answering reads at the tail without a file read. */
  private readonly tailCache: TailCache;

  /** Appends planned and not yet written, in offset order. */
  private pendingWrites: SegmentAppend[] = [];
  private writerRunning = false;
  private writerScheduled = false;
  private writtenWaiters: { offset: number; resolve: () => void }[] = [];
  private readonly writtenListeners = new Set<(writtenEndOffset: number) => void>();

  private flushing: Promise<void> | null = null;
  private flushingTarget = 0;
  private nextFlush: Deferred | null = null;
  /** Rolled segments are finished one after the other, each then moving the recovery point. */
  private finishChain: Promise<void> = Promise.resolve();
  private checkpointedRecoverySegment = -1;
  private flushTimer: NodeJS.Timeout | null = null;

  private failure: KafkaStorageError | null = null;
  private closing = false;
  private closed = false;
  private truncating = false;

  /** Retention passes and segment removals, one at a time. */
  private retentionChain: Promise<unknown> = Promise.resolve();
  /** Segments removed from the log, renamed to `.deleted`, waiting for file.delete.delay.ms. */
  private readonly pendingDeletions = new Map<LogSegment, NodeJS.Timeout>();

  private constructor(
    readonly directory: string,
    config: LogConfig,
    private readonly fileSystem: FileSystem,
    time: () => number,
    segments: LogSegment[],
    logStartOffset: number,
    logEndOffset: number,
    recoveryPoint: number,
    private readonly recoveryPointCheckpoint: OffsetCheckpointFile,
    private readonly logStartOffsetCheckpoint: OffsetCheckpointFile,
    /** The producer ids, open transactions and aborted-transaction indexes of this log. */
    readonly producerStateManager: ProducerStateManager,
    tailCache: TailCache,
  ) {
    this.tailCache = tailCache;
    this.configValue = config;
    this.time = time;
    this.segments = segments;
    this.logStartOffsetValue = logStartOffset;
    this.logEndOffsetValue = logEndOffset;
    this.writtenEndOffsetValue = logEndOffset;
    this.recoveryPointValue = recoveryPoint;
    this.checkpointedRecoverySegment = this.floorSegment(recoveryPoint).baseOffset;
    this.writtenListeners.add((offset) => producerStateManager.onWrittenEndOffsetAdvanced(offset));
    this.startFlushTimer();
  }

  /**
   * Opens the log in `directory` (created if missing, with an empty first segment), running
   * recovery when the last shutdown was not clean (see log-loader.ts).
   */
  static async open(directory: string, config: Partial<LogConfig> = {}, options: PartitionLogOptions = {}): Promise<PartitionLog> {
    const fullConfig = logConfig(config);
    const fileSystem = options.fileSystem ?? nodeFileSystem;
    const time = options.time ?? Date.now;
    const loaded = await new LogLoader(fileSystem, directory, fullConfig, time()).load();
    const producerStateManager = await ProducerStateManager.load({
      fileSystem,
      directory,
      time,
      producerIdExpirationMs: options.producerIdExpirationMs,
      segments: loaded.segments,
      logStartOffset: loaded.logStartOffset,
      logEndOffset: loaded.logEndOffset,
      hadCleanShutdown: loaded.hadCleanShutdown,
    });
    return new PartitionLog(
      directory,
      fullConfig,
      fileSystem,
      time,
      loaded.segments,
      loaded.logStartOffset,
      loaded.logEndOffset,
      loaded.recoveryPoint,
      loaded.recoveryPointCheckpoint,
      loaded.logStartOffsetCheckpoint,
      producerStateManager,
      new TailCache(options.tailCacheBudget ?? sharedTailCacheBudget, options.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES_PER_LOG),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // State

  get config(): LogConfig {
    return this.configValue;
  }

  get logStartOffset(): number {
    return this.logStartOffsetValue;
  }

  get logEndOffset(): number {
    return this.logEndOffsetValue;
  }

  /** Every batch below this offset has been handed to the OS; reads never go past it. */
  get writtenEndOffset(): number {
    return this.writtenEndOffsetValue;
  }

  get recoveryPoint(): number {
    return this.recoveryPointValue;
  }

  /** Where the written end is in the files (the broker compares it with a fetch position for min_bytes). */
  get writtenEndMetadata(): LogOffsetMetadata {
    const segment = this.floorSegment(this.writtenEndOffsetValue);
    return { messageOffset: this.writtenEndOffsetValue, segmentBaseOffset: segment.baseOffset, relativePositionInSegment: segment.size };
  }

  /** The segments, oldest first (retention and compaction walk them). */
  get logSegments(): readonly LogSegment[] {
    return this.segments;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Bytes written in all segments. */
  get size(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  /** The error that took the log offline, or null. */
  get offlineError(): KafkaStorageError | null {
    return this.failure;
  }

  /**
   * Calls `listener` with the new written end offset each time it advances (the broker wakes
   * long-poll fetches with it). Listeners run synchronously inside the writer and must not
   * throw. Returns a function that removes the listener.
   */
  onWrittenEndOffsetAdvanced(listener: (writtenEndOffset: number) => void): () => void {
    this.writtenListeners.add(listener);
    return () => this.writtenListeners.delete(listener);
  }

  /** New topic configs take effect for segments rolled from now on (as in Kafka) and for the flush policy at once. */
  updateConfig(config: Partial<LogConfig>): void {
    this.configValue = logConfig({ ...this.configValue, ...config });
    this.stopFlushTimer();
    this.startFlushTimer();
  }

  // ---------------------------------------------------------------------------------------------
  // Appends

  /**
   * Appends record batches the broker has validated: one or more whole v2 batches in `records`,
   * which is patched in place (baseOffset, partitionLeaderEpoch; under LogAppendTime the
   * timestamp type bit, maxTimestamp and CRC) and must not be modified by the caller afterwards:
   * the log writes it and, once written, may answer reads of the tail from it (tail-cache.ts).
   * Throws InvalidRecordBatchError when the buffer is not whole v2 batches, KafkaStorageError
   * when the log is offline or closed, and the KafkaError of a producer rule
   * (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, …) when one refuses a batch. A client
   * batch that repeats one of its producer's last 5 batches is not appended: the result holds
   * that batch's offsets, no batches, and a `written` that settles with the original's.
   */
  append(records: Buffer, options: AppendOptions): LogAppendInfo {
    this.ensureWritable();
    const assignOffsets = options.assignOffsets ?? true;
    const now = options.now ?? this.time();
    const stampTime = assignOffsets && this.configValue.messageTimestampType === 'LogAppendTime';

    // First pass: whole batches only, and the totals the roll decision needs.
    let batchCount = 0;
    let offsetCount = 0;
    let maxTimestamp = NO_TIMESTAMP;
    let followerFirstOffset = -1;
    let followerNextOffset = this.logEndOffsetValue;
    for (let at = 0; at < records.length; ) {
      if (records.length - at < RECORD_BATCH_OVERHEAD) throw new InvalidRecordBatchError(`${records.length - at} bytes at ${at} are not a record batch`);
      const header = new RecordBatchHeader(records, at);
      const batchLength = header.batchLength;
      if (batchLength < MIN_BATCH_LENGTH || batchLength > records.length - at - LOG_OVERHEAD) {
        throw new InvalidRecordBatchError(`Batch at ${at} has batchLength ${batchLength} for ${records.length - at} bytes`);
      }
      if (header.magic !== CURRENT_MAGIC) throw new InvalidRecordBatchError(`Batch at ${at} has magic ${header.magic}`);
      const lastOffsetDelta = header.lastOffsetDelta;
      if (lastOffsetDelta < 0) throw new InvalidRecordBatchError(`Batch at ${at} has lastOffsetDelta ${lastOffsetDelta}`);
      if (!assignOffsets) {
        const baseOffset = header.baseOffset;
        if (baseOffset < followerNextOffset) {
          throw new InvalidRecordBatchError(`Replicated batch at offset ${baseOffset} does not follow offset ${followerNextOffset - 1}`);
        }
        if (followerFirstOffset < 0) followerFirstOffset = baseOffset;
        followerNextOffset = baseOffset + lastOffsetDelta + 1;
      }
      if (!stampTime && header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
      offsetCount += lastOffsetDelta + 1;
      batchCount += 1;
      at += batchLength + LOG_OVERHEAD;
    }
    if (batchCount === 0) throw new InvalidRecordBatchError('No record batch to append');
    if (stampTime) maxTimestamp = now;
    const firstOffset = assignOffsets ? this.logEndOffsetValue : followerFirstOffset;
    const lastOffset = assignOffsets ? firstOffset + offsetCount - 1 : followerNextOffset - 1;

    const producerAppend = this.producerStateManager.analyzeAppend(records, {
      origin: assignOffsets ? (options.origin ?? 'client') : 'replication',
      firstOffset: assignOffsets ? firstOffset : null,
      appendTime: stampTime ? now : null,
      now,
    });
    if (producerAppend.duplicate !== null) return this.duplicateAppendInfo(producerAppend.duplicate, stampTime);

    const segment = this.maybeRoll(records.length, firstOffset, lastOffset, maxTimestamp, batchCount, now);

    // Second pass: patch and plan. Nothing here can fail, so an append is all or nothing.
    const append = segment.beginAppend(records, firstOffset, lastOffset + 1);
    const batches: AppendedBatch[] = [];
    let appendMaxTimestamp = NO_TIMESTAMP;
    let offsetOfMaxTimestamp = firstOffset;
    let nextOffset = firstOffset;
    for (let at = 0; at < records.length; ) {
      const header = new RecordBatchHeader(records, at);
      const size = header.sizeInBytes;
      if (assignOffsets) {
        header.baseOffset = nextOffset;
        header.partitionLeaderEpoch = options.leaderEpoch;
      }
      if (stampTime) {
        records.writeInt16BE(header.attributes | TIMESTAMP_TYPE_MASK, at + ATTRIBUTES_OFFSET);
        header.maxTimestamp = now;
        records.writeUInt32BE(crc32c(records.subarray(at + ATTRIBUTES_OFFSET, at + size)) >>> 0, at + CRC_OFFSET);
      }
      const baseOffset = header.baseOffset;
      const batchLastOffset = baseOffset + header.lastOffsetDelta;
      const batchMaxTimestamp = header.maxTimestamp;
      segment.planBatch(append, batchLastOffset, batchMaxTimestamp, size);
      if (batchMaxTimestamp > appendMaxTimestamp) {
        appendMaxTimestamp = batchMaxTimestamp;
        offsetOfMaxTimestamp = batchLastOffset;
      }
      batches.push({ baseOffset, lastOffset: batchLastOffset, maxTimestamp: batchMaxTimestamp, sizeInBytes: size });
      nextOffset = batchLastOffset + 1;
      at += size;
    }
    this.producerStateManager.commitAppend(producerAppend, segment);
    this.logEndOffsetValue = nextOffset;

    const written = new Promise<void>((resolve, reject) => {
      append.resolve = resolve;
      append.reject = reject;
    });
    written.catch(noop);
    this.pendingWrites.push(append);
    this.scheduleWriter();
    return {
      firstOffset,
      lastOffset,
      maxTimestamp: appendMaxTimestamp,
      offsetOfMaxTimestamp,
      logAppendTime: stampTime ? now : NO_TIMESTAMP,
      logStartOffset: this.logStartOffsetValue,
      sizeInBytes: records.length,
      batches,
      written,
    };
  }

  /** What append() answers for a retried batch: the original's offsets (Kafka's maybeDuplicate). */
  private duplicateAppendInfo(duplicate: BatchMetadata, logAppendTime: boolean): LogAppendInfo {
    return {
      firstOffset: duplicate.firstOffset,
      lastOffset: duplicate.lastOffset,
      maxTimestamp: duplicate.timestamp,
      offsetOfMaxTimestamp: duplicate.lastOffset,
      logAppendTime: logAppendTime ? duplicate.timestamp : NO_TIMESTAMP,
      logStartOffset: this.logStartOffsetValue,
      sizeInBytes: 0,
      batches: [],
      written: this.producerStateManager.duplicateWritten(duplicate),
    };
  }

  private ensureWritable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closing || this.closed) throw new KafkaStorageError(`Log ${this.directory} is closed`);
    if (this.truncating) throw new KafkaStorageError(`Log ${this.directory} is being truncated`);
  }

  /**
   * Kafka's roll rules (UnifiedLog.maybeRoll): the append would push the segment past
   * segment.bytes, the segment's first batch is older than segment.ms (minus its jitter), an
   * index could not take one entry per batch, or an offset would not fit the indexes' int32
   * relative offsets. An empty segment never rolls. Only an append rolls, as in Kafka: a topic
   * that receives nothing keeps its active segment until retention finds all of it expired
   * (deleteOldSegments then rolls it itself).
   */
  private maybeRoll(size: number, firstOffset: number, lastOffset: number, maxTimestamp: number, batchCount: number, now: number): LogSegment {
    const segment = this.activeSegment;
    if (segment.plannedSize === 0) return segment;
    const config = this.configValue;
    const rollingBasedTimestamp = segment.rollingBasedTimestamp;
    const timeWaited = rollingBasedTimestamp !== null && rollingBasedTimestamp >= 0 ? maxTimestamp - rollingBasedTimestamp : now - segment.created;
    const roll =
      segment.plannedSize + size > config.segmentBytes ||
      timeWaited > config.segmentMs - segment.rollJitterMs ||
      segment.plannedOffsetIndexEntries + batchCount > segment.maxOffsetIndexEntries ||
      segment.plannedTimeIndexEntries + batchCount > segment.maxTimeIndexEntries - 1 ||
      lastOffset - segment.baseOffset > INT32_MAX;
    return roll ? this.rollAt(firstOffset, now) : segment;
  }

  /** Starts a new active segment at `baseOffset`; the previous one is finished once its writes are done. */
  private rollAt(baseOffset: number, now: number): LogSegment {
    const previous = this.activeSegment;
    const segment = LogSegment.create(this.fileSystem, this.directory, baseOffset, this.configValue, now);
    this.segments.push(segment);
    // The cache holds only the active segment: retention and the cleaner may replace the others.
    this.tailCache.clear();
    if (previous.pendingWrites === 0) this.scheduleFinish(previous);
    // Kafka snapshots the producer state at every roll; the file is written once the data below is.
    this.producerStateManager.takeSnapshot(baseOffset, this.logStartOffsetValue);
    return segment;
  }

  /** Rolls the active segment now unless it is empty (retention and compaction need an inactive segment). */
  roll(): void {
    this.ensureWritable();
    if (this.activeSegment.plannedSize > 0) this.rollAt(this.logEndOffsetValue, this.time());
  }

  /**
   * Finishes a segment that no longer takes writes (final time index entry, fdatasync, complete
   * index files) and then moves the recovery point to the next segment. Chained, so the recovery
   * point passes a segment only when every segment before it is finished.
   */
  private scheduleFinish(segment: LogSegment): void {
    this.finishChain = this.finishChain
      .then(async () => {
        if (this.failure !== null || this.closed) return;
        await segment.finish();
        const index = this.segments.indexOf(segment, floorSegmentIndex(this.segments, segment.baseOffset));
        const next = this.segments[index + 1];
        if (index >= 0 && next !== undefined) this.advanceRecoveryPoint(Math.min(next.baseOffset, this.writtenEndOffsetValue));
      })
      .catch((error: unknown) => {
        this.markOffline(error);
      });
  }

  // ---------------------------------------------------------------------------------------------
  // The writer

  private scheduleWriter(): void {
    if (this.writerRunning || this.writerScheduled) return;
    this.writerScheduled = true;
    // A microtask, so that appends made in the same synchronous run share the first writev.
    queueMicrotask(() => {
      this.writerScheduled = false;
      void this.runWriter();
    });
  }

  private async runWriter(): Promise<void> {
    if (this.writerRunning) return;
    this.writerRunning = true;
    try {
      while (this.pendingWrites.length > 0 && this.failure === null) await this.writeNext();
    } catch (error) {
      this.markOffline(error);
    } finally {
      this.writerRunning = false;
    }
  }

  /** One writev of every queued append for the same segment (up to IOV_MAX). */
  private async writeNext(): Promise<void> {
    const queue = this.pendingWrites;
    const first = queue[0]!;
    const segment = first.segment;
    const buffers: Buffer[] = [];
    let bytes = 0;
    let count = 0;
    while (count < queue.length && count < IOV_MAX && queue[count]!.segment === segment) {
      const records = queue[count]!.records;
      buffers.push(records);
      bytes += records.length;
      count += 1;
    }
    let written = 0;
    try {
      if (!segment.log.isOpen) await segment.openForAppend();
      // A small write is made here, on the event loop: the OS copies it to the page cache in
      // microseconds, while a round trip through the thread pool (and waking its thread) costs
      // more, and delays the produce answer and the fetches waiting for these bytes. Larger
      // writes go to the thread pool, so that the event loop never copies much at once.
      if (bytes <= SYNC_WRITE_MAX_BYTES) written = Math.max(0, segment.log.writevSync(buffers, first.position));
      while (written < bytes) {
        const result = await segment.log.writev(written === 0 ? buffers : remainingBuffers(buffers, written), first.position + written);
        if (result <= 0) throw new Error(`writev to ${segment.log.path} made no progress`);
        written += result;
      }
    } catch (error) {
      await this.handleWriteFailure(segment, error, written, count);
      return;
    }
    // markOffline (a failed fdatasync meanwhile) has already rejected these appends.
    if (this.failure !== null) return;
    this.completeWrites(count);
  }

  /** The first `count` queued appends are in the file: publish them and settle their promises. */
  private completeWrites(count: number): void {
    const done = this.pendingWrites.splice(0, count);
    const active = this.activeSegment;
    for (const append of done) {
      const segment = append.segment;
      segment.completeWrite(append);
      if (segment === active) this.tailCache.add(append.records, append.firstOffset, append.nextOffset, segment.baseOffset, append.position);
    }
    const last = done[done.length - 1]!;
    this.writtenEndOffsetValue = last.nextOffset;
    const segment = last.segment;
    if (segment !== this.activeSegment && segment.pendingWrites === 0) this.scheduleFinish(segment);

    const waiters = this.writtenWaiters;
    while (waiters.length > 0 && waiters[0]!.offset <= this.writtenEndOffsetValue) waiters.shift()!.resolve();
    for (const listener of this.writtenListeners) {
      try {
        listener(this.writtenEndOffsetValue);
      } catch (error) {
        logger.error(`A written-end listener of ${this.directory} threw`, error);
      }
    }

    if (this.writtenEndOffsetValue - this.recoveryPointValue >= this.configValue.flushMessages) {
      this.flushUpTo(this.writtenEndOffsetValue).then(
        () => {
          for (const append of done) append.resolve();
        },
        (error: Error) => {
          for (const append of done) append.reject(error);
        },
      );
    } else {
      for (const append of done) append.resolve();
    }
  }

  /**
   * A writev failed after `bytesWritten` bytes. Appends wholly inside those bytes are written;
   * the rest, and every append queued after them, are rejected and their offsets given back.
   */
  private async handleWriteFailure(segment: LogSegment, cause: unknown, bytesWritten: number, count: number): Promise<void> {
    if (this.failure !== null) return;
    let complete = 0;
    let covered = 0;
    while (complete < count && covered + this.pendingWrites[complete]!.records.length <= bytesWritten) {
      covered += this.pendingWrites[complete]!.records.length;
      complete += 1;
    }
    if (complete > 0) this.completeWrites(complete);

    const failed = this.pendingWrites.splice(0);
    const error = new KafkaStorageError(`Write to ${segment.log.path} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    logger.error(`Write to ${segment.log.path} failed; ${failed.length} append(s) rejected, log end back to ${this.writtenEndOffsetValue}`, cause);
    for (const append of failed) {
      append.segment.pendingWrites -= 1;
      append.reject(error);
    }
    this.logEndOffsetValue = this.writtenEndOffsetValue;
    this.producerStateManager.onAppendsRolledBack(this.writtenEndOffsetValue);
    // Segments rolled for the rejected appends hold nothing and start past the log end.
    const dropped: LogSegment[] = [];
    while (this.segments.length > 1) {
      const last = this.activeSegment;
      if (last.size > 0 || last.baseOffset <= this.writtenEndOffsetValue) break;
      dropped.push(this.segments.pop()!);
    }
    segment.resetPlanned();
    if (dropped.length > 0) this.activeSegment.reactivate();
    else this.activeSegment.resetPlanned();
    this.releaseWrittenWaiters();
    try {
      // Bytes of the failed write may have reached the file; the next write goes at the written size.
      await segment.truncateToWrittenSize();
      for (const segmentToDrop of dropped) await segmentToDrop.delete();
    } catch (truncateError) {
      this.markOffline(truncateError);
    }
  }

  private releaseWrittenWaiters(): void {
    const waiters = this.writtenWaiters;
    this.writtenWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Resolves once the written end reaches `offset`, or once that can no longer happen. */
  private waitForWritten(offset: number): Promise<void> {
    if (this.writtenEndOffsetValue >= offset || this.failure !== null || this.pendingWrites.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.writtenWaiters.push({ offset, resolve }));
  }

  /**
   * Takes the log offline: every queued append and waiting flush fails with the same
   * KafkaStorageError, and so does every later append or flush.
   */
  private markOffline(cause: unknown): KafkaStorageError {
    if (this.failure !== null) return this.failure;
    const error =
      cause instanceof KafkaStorageError ? cause : new KafkaStorageError(`Log ${this.directory} is offline after an I/O error: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.failure = error;
    logger.error(`Log ${this.directory} is offline`, cause);
    this.stopFlushTimer();
    this.producerStateManager.onAppendsRolledBack(this.writtenEndOffsetValue);
    const pending = this.pendingWrites.splice(0);
    for (const append of pending) {
      append.segment.pendingWrites -= 1;
      append.reject(error);
    }
    const next = this.nextFlush;
    this.nextFlush = null;
    next?.reject(error);
    this.releaseWrittenWaiters();
    return error;
  }

  // ---------------------------------------------------------------------------------------------
  // Flushing

  /**
   * Group commit: makes everything below `offset` durable. One fdatasync runs at a time and
   * covers all bytes written before it started; callers whose offset it does not cover share
   * the next one.
   */
  private flushUpTo(offset: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (offset <= this.recoveryPointValue) return Promise.resolve();
    if (this.flushing === null) return this.startFlush();
    if (offset <= this.flushingTarget) return this.flushing;
    this.nextFlush ??= deferred();
    return this.nextFlush.promise;
  }

  private startFlush(): Promise<void> {
    const target = this.writtenEndOffsetValue;
    this.flushingTarget = target;
    const run = this.syncTo(target)
      .then(
        () => this.advanceRecoveryPoint(target),
        (error: unknown) => {
          throw this.markOffline(error);
        },
      )
      .finally(() => {
        this.flushing = null;
        const next = this.nextFlush;
        if (next !== null) {
          this.nextFlush = null;
          this.flushUpTo(this.writtenEndOffsetValue).then(next.resolve, next.reject);
        }
      });
    run.catch(noop);
    this.flushing = run;
    return run;
  }

  /** fdatasync of the segments from the recovery point to `target`; earlier ones are finished first. */
  private async syncTo(target: number): Promise<void> {
    const from = floorSegmentIndex(this.segments, this.recoveryPointValue);
    const to = floorSegmentIndex(this.segments, Math.max(target - 1, 0));
    const segments = this.segments.slice(from, Math.max(from, to) + 1);
    for (let i = 0; i < segments.length; i++) {
      // Every segment before the one holding `target` has had all its writes.
      if (i < segments.length - 1) await segments[i]!.finish();
      else await segments[i]!.sync();
    }
  }

  private advanceRecoveryPoint(offset: number): void {
    if (offset <= this.recoveryPointValue) return;
    this.recoveryPointValue = offset;
    // The checkpoint only matters at segment granularity (recovery always scans the segment
    // holding the recovery point), so it is rewritten when that segment changes.
    const segmentBase = this.floorSegment(offset).baseOffset;
    if (segmentBase !== this.checkpointedRecoverySegment) {
      this.checkpointedRecoverySegment = segmentBase;
      this.recoveryPointCheckpoint.write(offset).catch((error: unknown) => this.markOffline(error));
    }
  }

  /**
   * Writes everything appended so far to the OS and fdatasyncs it, appends new index entries
   * to the index files and checkpoints the recovery point. The flush.ms timer calls this too.
   */
  async flush(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await this.waitForWritten(this.logEndOffsetValue);
    if (this.failure !== null) throw this.failure;
    await this.flushUpTo(this.writtenEndOffsetValue);
    await this.activeSegment.persistIndexes();
    await this.recoveryPointCheckpoint.write(this.recoveryPointValue);
  }

  private startFlushTimer(): void {
    const flushMs = this.configValue.flushMs;
    if (flushMs >= MAX_TIMER_MS || this.closing || this.closed) return;
    this.flushTimer = setInterval(() => {
      if (this.failure === null && !this.closing && this.writtenEndOffsetValue > this.recoveryPointValue) this.flush().catch(noop);
    }, Math.max(flushMs, 1));
    this.flushTimer.unref();
  }

  private stopFlushTimer(): void {
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
  }

  /** Waits until no fdatasync or segment finish is running or queued. */
  private async settleFlushes(): Promise<void> {
    while (this.flushing !== null || this.nextFlush !== null) {
      await (this.flushing ?? this.nextFlush?.promise)?.catch(noop);
    }
    await this.finishChain;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /**
   * Whole batches from the one holding `fetchOffset` (Kafka's UnifiedLog.read): at most
   * `maxBytes`, except that with minOneBatch the first batch comes whole even when larger
   * (KIP-74); only batches whose last offset is below `maxOffset` (the high watermark or last
   * stable offset; exclusive) and below the written end. Data comes from one segment: the
   * consumer's next fetch continues at `nextOffset`.
   * Data just written comes from memory (the tail cache, tail-cache.ts), older data from the file:
   * with `buffers`, into pooled buffers the caller gives back once done (read-buffer-pool.ts).
   * Throws OffsetOutOfRangeError when fetchOffset is outside [logStartOffset, logEndOffset].
   */
  async read(fetchOffset: number, maxBytes: number, maxOffset: number = Number.MAX_SAFE_INTEGER, minOneBatch = true, buffers?: ReadBuffers): Promise<FetchDataInfo> {
    if (this.closed) throw new KafkaStorageError(`Log ${this.directory} is closed`);
    if (fetchOffset < this.logStartOffsetValue || fetchOffset > this.logEndOffsetValue) {
      throw new OffsetOutOfRangeError(fetchOffset, this.logStartOffsetValue, this.logEndOffsetValue);
    }
    const upperOffset = Math.min(maxOffset, this.writtenEndOffsetValue);
    if (fetchOffset < upperOffset) {
      const cached = this.tailCache.read(fetchOffset, maxBytes, upperOffset, minOneBatch);
      if (cached !== null) return cached;
      let index = floorSegmentIndex(this.segments, fetchOffset);
      let segment: LogSegment | undefined = this.segments[index];
      while (segment !== undefined) {
        let result: FetchDataInfo | null;
        try {
          result = await segment.read(fetchOffset, maxBytes, upperOffset, minOneBatch, buffers);
        } catch (error) {
          // Retention removed the segment and its files went while this read waited: the
          // offset is now below the log start, which is what the reader should hear.
          if (fetchOffset < this.logStartOffsetValue && !this.segments.includes(segment)) {
            throw new OffsetOutOfRangeError(fetchOffset, this.logStartOffsetValue, this.logEndOffsetValue);
          }
          throw error;
        }
        if (result !== null) return result;
        // Nothing at or after fetchOffset in this segment (a gap left by compaction): try the next.
        index = floorSegmentIndex(this.segments, segment.baseOffset) + 1;
        segment = this.segments[index];
        if (segment !== undefined && segment.baseOffset >= upperOffset) break;
      }
    }
    const atWrittenEnd = fetchOffset === this.writtenEndOffsetValue;
    const segment = this.floorSegment(fetchOffset);
    return {
      fetchOffsetMetadata: {
        messageOffset: fetchOffset,
        segmentBaseOffset: segment.baseOffset,
        relativePositionInSegment: atWrittenEnd ? this.writtenEndMetadata.relativePositionInSegment : -1,
      },
      records: EMPTY_RECORDS,
      slices: [],
      sizeInBytes: 0,
      firstOffset: fetchOffset,
      nextOffset: fetchOffset,
      firstEntryIncomplete: false,
    };
  }

  /**
   * The first batch at or after logStartOffset whose maxTimestamp >= timestamp, in written data
   * (ListOffsets by timestamp). Batch level: the broker may decode the batch for the exact record.
   * Null when no batch is that late.
   */
  async offsetForTimestamp(timestamp: number): Promise<BatchTimestamp | null> {
    const startingOffset = this.logStartOffsetValue;
    const upperOffset = this.writtenEndOffsetValue;
    for (const segment of this.segments.slice()) {
      if (segment.size === 0) continue;
      await segment.loadIndexes();
      if (segment.maxTimestampSoFar < timestamp) continue;
      const found = await segment.findOffsetByTimestamp(timestamp, startingOffset, upperOffset);
      if (found !== null) return found;
    }
    return null;
  }

  /**
   * The batch with the largest maxTimestamp in the log (ListOffsets MAX_TIMESTAMP, -3), the
   * first one when several share it. Null for an empty log.
   */
  async maxTimestampBatch(): Promise<BatchTimestamp | null> {
    let best: LogSegment | null = null;
    for (const segment of this.segments.slice()) {
      if (segment.size === 0) continue;
      await segment.loadIndexes();
      if (best === null || segment.maxTimestampSoFar > best.maxTimestampSoFar) best = segment;
    }
    if (best === null || best.offsetOfMaxTimestampSoFar < 0) return null;
    return best.findBatch(best.offsetOfMaxTimestampSoFar);
  }

  // ---------------------------------------------------------------------------------------------
  // Truncation and deletion

  /**
   * Removes every batch whose last offset is >= targetOffset (a follower truncating to its
   * leader's log). The log end becomes targetOffset, or the base offset of a batch holding it.
   * Appends made while this runs fail; the caller does not append during a truncation.
   */
  async truncateTo(targetOffset: number): Promise<boolean> {
    this.ensureWritable();
    if (targetOffset < 0) throw new OffsetOutOfRangeError(targetOffset, this.logStartOffsetValue, this.logEndOffsetValue, 'Truncation offset');
    if (targetOffset >= this.logEndOffsetValue) return false;
    if (targetOffset < this.logStartOffsetValue) {
      await this.truncateFullyAndStartAt(targetOffset);
      return true;
    }
    this.truncating = true;
    try {
      await this.waitForWritten(this.logEndOffsetValue);
      await this.settleFlushes();
      if (this.failure !== null) throw this.failure;
      this.tailCache.clear();
      // Lower the recovery point first: a crash in the middle then rescans what is being cut.
      this.recoveryPointValue = Math.min(this.recoveryPointValue, targetOffset);
      this.checkpointedRecoverySegment = -1;
      await this.recoveryPointCheckpoint.write(this.recoveryPointValue);
      const index = floorSegmentIndex(this.segments, targetOffset);
      // Later segments go first, so that a crash never leaves data after a gap.
      const removed = this.segments.splice(index + 1);
      for (let i = removed.length - 1; i >= 0; i--) await removed[i]!.delete();
      const segment = this.segments[index]!;
      const cutTo = await segment.truncateTo(targetOffset);
      segment.reactivate();
      const newEnd = cutTo ?? targetOffset;
      this.logEndOffsetValue = newEnd;
      this.writtenEndOffsetValue = newEnd;
      this.recoveryPointValue = Math.min(this.recoveryPointValue, newEnd);
      await this.producerStateManager.truncateAndReload({ segments: this.segments, logStartOffset: this.logStartOffsetValue, logEndOffset: newEnd });
      return true;
    } catch (error) {
      throw this.markOffline(error);
    } finally {
      this.truncating = false;
    }
  }

  /** Deletes every segment and starts an empty log at `newOffset` (a follower far behind its leader). */
  async truncateFullyAndStartAt(newOffset: number): Promise<void> {
    this.ensureWritable();
    this.truncating = true;
    try {
      await this.waitForWritten(this.logEndOffsetValue);
      await this.settleFlushes();
      if (this.failure !== null) throw this.failure;
      this.tailCache.clear();
      await this.logStartOffsetCheckpoint.write(newOffset);
      await this.recoveryPointCheckpoint.write(newOffset);
      await this.producerStateManager.truncateFullyAndStartAt(newOffset);
      const removed = this.segments.splice(0);
      for (let i = removed.length - 1; i >= 0; i--) await removed[i]!.delete();
      const segment = LogSegment.create(this.fileSystem, this.directory, newOffset, this.configValue, this.time());
      await segment.openForAppend();
      this.segments.push(segment);
      this.logStartOffsetValue = newOffset;
      this.logEndOffsetValue = newOffset;
      this.writtenEndOffsetValue = newOffset;
      this.recoveryPointValue = newOffset;
      this.checkpointedRecoverySegment = newOffset;
    } catch (error) {
      throw this.markOffline(error);
    } finally {
      this.truncating = false;
    }
  }

  /**
   * Raises logStartOffset (DeleteRecords) and checkpoints it (Kafka's
   * maybeIncrementLogStartOffset): reads below it fail with OffsetOutOfRangeError at once, and
   * the segments wholly below it go in the next deleteOldSegments. The broker checks the bound
   * it cares about (the high watermark); here it must not pass the written end.
   */
  async maybeIncrementLogStartOffset(newLogStartOffset: number): Promise<boolean> {
    if (this.failure !== null) throw this.failure;
    if (this.closing || this.closed) throw new KafkaStorageError(`Log ${this.directory} is closed`);
    if (newLogStartOffset > this.writtenEndOffsetValue) {
      throw new OffsetOutOfRangeError(newLogStartOffset, this.logStartOffsetValue, this.writtenEndOffsetValue, 'New log start offset');
    }
    if (newLogStartOffset <= this.logStartOffsetValue) return false;
    this.logStartOffsetValue = newLogStartOffset;
    logger.info(`Incremented the log start offset of ${this.directory} to ${newLogStartOffset}`);
    await this.logStartOffsetCheckpoint.write(newLogStartOffset);
    return true;
  }

  /**
   * One retention pass (Kafka's UnifiedLog.deleteOldSegments; the rules are in retention.ts):
   * segments below the log start offset always go; with cleanup.policy `delete`, also the
   * oldest segments beyond retention.bytes and those older than retention.ms. Nothing at or
   * above `highWatermark` (default: the written end) goes. When every segment goes, a new empty
   * active segment is rolled first. Returns how many segments were removed.
   * The broker calls this for logs whose cleanup.policy does not include `compact`; for
   * compacted logs the log cleaner calls it after cleaning, as Kafka's LogCleaner does.
   */
  deleteOldSegments(options: { highWatermark?: number } = {}): Promise<number> {
    const run = this.retentionChain.then(() => this.deleteOldSegmentsNow(options.highWatermark ?? Number.MAX_SAFE_INTEGER));
    this.retentionChain = run.catch(noop);
    return run;
  }

  private async deleteOldSegmentsNow(highWatermark: number): Promise<number> {
    if (this.failure !== null || this.closing || this.closed || this.truncating) return 0;
    const segments = this.segments.slice();
    const logEndOffset = this.logEndOffsetValue;
    const state = { logStartOffset: this.logStartOffsetValue, logEndOffset, highWatermark: Math.min(highWatermark, this.writtenEndOffsetValue) };
    const plan = await planSegmentDeletion(segments, state, this.configValue, this.time());
    if (plan.segments.length === 0 || this.failure !== null || this.closing || this.closed) return 0;
    let doomed = plan.segments;
    if (plan.rollFirst) {
      if (this.logEndOffsetValue !== logEndOffset || this.activeSegment !== segments[segments.length - 1]) {
        // Appended to while the plan was made: the active segment holds more than was judged.
        doomed = doomed.slice(0, -1);
      } else {
        logger.info(`Rolling ${this.directory} at ${logEndOffset}: every segment, the active one too, is to be deleted`);
        this.roll();
      }
    }
    // A rolled segment may still be finishing (fdatasync, index files); let it, before its files go.
    await this.finishChain;
    if (this.failure !== null || this.closing || this.closed) return 0;
    // Take only what is still the front of the log (the cleaner may have replaced segments meanwhile).
    let count = 0;
    while (count < doomed.length && count + 1 < this.segments.length && this.segments[count] === doomed[count]) count += 1;
    return this.removeSegments(count, plan.reasons[count - 1] ?? 'log-start-offset-breach');
  }

  /**
   * Removes the `count` oldest segments (never all: the caller rolls first) from the log,
   * raises logStartOffset to the first remaining one and checkpoints it, then renames their
   * files to `.deleted` and schedules their removal after file.delete.delay.ms (Kafka's async
   * delete). Reads already holding one of them finish on the renamed files.
   * Crash: the checkpoint is written before the renames, and the loader deletes segments below
   * the checkpointed start offset as well as `.deleted` files, so a crash at any point leaves
   * the same log.
   */
  private async removeSegments(count: number, reason: SegmentDeletionReason): Promise<number> {
    if (count <= 0) return 0;
    const removed = this.segments.splice(0, count);
    const first = this.segments[0]!;
    if (first.baseOffset > this.logStartOffsetValue) this.logStartOffsetValue = first.baseOffset;
    logger.info(
      `Deleting ${removed.length} segment(s) of ${this.directory} (${reason}): offsets ${removed[0]!.baseOffset} to ${first.baseOffset - 1}, ` +
        `${removed.reduce((total, segment) => total + segment.size, 0)} bytes; log start offset ${this.logStartOffsetValue}`,
    );
    try {
      await this.logStartOffsetCheckpoint.write(this.logStartOffsetValue);
      for (const segment of removed) await segment.changeFileSuffixes('', DELETED_FILE_SUFFIX);
    } catch (error) {
      throw this.markOffline(error);
    }
    for (const segment of removed) this.scheduleSegmentDeletion(segment);
    return removed.length;
  }

  private scheduleSegmentDeletion(segment: LogSegment): void {
    const timer = setTimeout(() => {
      this.pendingDeletions.delete(segment);
      segment.delete().catch((error: unknown) => {
        if (!this.closed) this.markOffline(error);
      });
    }, Math.min(this.configValue.fileDeleteDelayMs, MAX_TIMER_MS));
    timer.unref();
    this.pendingDeletions.set(segment, timer);
  }

  /**
   * Stops the scheduled deletions and closes those segments' files; the `.deleted` files stay
   * until the next open, whose loader removes them (Kafka does the same).
   */
  private async abandonPendingDeletions(): Promise<void> {
    for (const [segment, timer] of this.pendingDeletions) {
      clearTimeout(timer);
      await segment.close().catch(noop);
    }
    this.pendingDeletions.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Compaction (the log cleaner, cleaner/)

  /** A new segment whose files carry the `.cleaned` suffix, for the log cleaner to fill (Kafka's createNewCleanedSegment). */
  createCleanedSegment(baseOffset: number): LogSegment {
    return LogSegment.create(this.fileSystem, this.directory, baseOffset, this.configValue, this.time(), CLEANED_FILE_SUFFIX);
  }

  /**
   * Swaps `cleaned` (made by createCleanedSegment, written and finished by the log cleaner) in
   * for `oldSegments`, which must be consecutive and not include the active segment (Kafka's
   * LocalLog.replaceSegments). It runs between retention passes, so the two never change the
   * segment list at once. Steps, each ending with a directory sync, so that a crash anywhere is
   * completed or undone when the log is next opened (cleaner/swap-recovery.ts):
   *   1. the cleaned files are renamed `.cleaned` -> `.swap`;
   *   2. the segment list takes `cleaned` in place of the old segments (reads holding an old
   *      segment finish on it: its descriptor stays open);
   *   3. the old segments' files are renamed to `.deleted` and removed after file.delete.delay.ms;
   *   4. the `.swap` files take their final names.
   * Resolves to false, having changed nothing, when the log changed under the cleaner: closed,
   * offline, being truncated, or the old segments are no longer where they were. A truncation
   * must stop the cleaner first (LogCleaner.abortAndPauseCleaning), as in Kafka.
   */
  replaceSegments(oldSegments: readonly LogSegment[], cleaned: LogSegment): Promise<boolean> {
    const run = this.retentionChain.then(async () => {
      if (this.failure !== null || this.closing || this.closed || this.truncating || oldSegments.length === 0) return false;
      const first = this.segments.indexOf(oldSegments[0]!);
      if (first < 0 || first + oldSegments.length >= this.segments.length) return false;
      for (let i = 1; i < oldSegments.length; i++) if (this.segments[first + i] !== oldSegments[i]) return false;
      try {
        await cleaned.changeFileSuffixes(CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX);
        cleaned.nextSegmentBaseOffset = this.segments[first + oldSegments.length]!.baseOffset;
        this.segments.splice(first, oldSegments.length, cleaned);
        for (const segment of oldSegments) await segment.changeFileSuffixes('', DELETED_FILE_SUFFIX);
        await cleaned.changeFileSuffixes(SWAP_FILE_SUFFIX, '');
      } catch (error) {
        throw this.markOffline(error);
      }
      for (const segment of oldSegments) this.scheduleSegmentDeletion(segment);
      return true;
    });
    this.retentionChain = run.catch(noop);
    return run;
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  /**
   * Writes and fdatasyncs everything appended, completes the active segment's index files,
   * checkpoints the recovery point (the log end) and the log start offset, and last writes the
   * clean-shutdown marker, so that the next open skips recovery. A log that went offline is
   * closed without the marker (the next open recovers it).
   */
  async close(): Promise<void> {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.stopFlushTimer();
    await this.retentionChain;
    await this.abandonPendingDeletions();
    await this.waitForWritten(this.logEndOffsetValue);
    await this.settleFlushes();
    if (this.failure === null) {
      try {
        await this.flushUpTo(this.writtenEndOffsetValue);
        await this.settleFlushes();
        const active = this.activeSegment;
        await active.openForAppend();
        await active.finish();
        await this.recoveryPointCheckpoint.write(this.logEndOffsetValue);
        await this.logStartOffsetCheckpoint.write(this.logStartOffsetValue);
        this.recoveryPointValue = this.logEndOffsetValue;
        // The next open loads this instead of replaying; a failure leaves the shutdown unclean.
        await this.producerStateManager.takeSnapshot(this.logEndOffsetValue, this.logStartOffsetValue);
        await this.producerStateManager.flush();
        await this.writeCleanShutdownMarker();
      } catch (error) {
        this.markOffline(error);
      }
    }
    this.tailCache.clear();
    for (const segment of this.segments) await segment.close().catch(noop);
    this.closed = true;
  }

  private async writeCleanShutdownMarker(): Promise<void> {
    const fd = await this.fileSystem.open(join(this.directory, CLEAN_SHUTDOWN_FILE), 'w+');
    try {
      await this.fileSystem.fdatasync(fd);
    } finally {
      await this.fileSystem.close(fd);
    }
    await this.fileSystem.syncDirectory(this.directory);
  }

  /** Closes the log without a clean-shutdown marker and removes its directory (topic deletion). */
  async delete(): Promise<void> {
    this.closing = true;
    this.stopFlushTimer();
    await this.retentionChain;
    await this.abandonPendingDeletions();
    await this.waitForWritten(this.logEndOffsetValue);
    await this.settleFlushes();
    await this.producerStateManager.flush().catch(noop);
    this.tailCache.clear();
    for (const segment of this.segments) await segment.close().catch(noop);
    this.closed = true;
    await this.fileSystem.removeDirectory(this.directory);
  }

  // ---------------------------------------------------------------------------------------------

  /** The segment holding `offset` (the first segment for offsets below it). */
  private floorSegment(offset: number): LogSegment {
    return this.segments[floorSegmentIndex(this.segments, offset)]!;
  }
}
