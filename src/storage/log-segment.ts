/**
 * One segment of a partition's log (Kafka's LogSegment): the files
 *
 *   <dir>/<baseOffset, 20 digits zero-padded>.log        record batches v2, as on the wire
 *   <dir>/<baseOffset, 20 digits zero-padded>.index      OffsetIndex: [relativeOffset int32][position int32]
 *   <dir>/<baseOffset, 20 digits zero-padded>.timeindex  TimeIndex: [timestamp int64][relativeOffset int32]
 *
 * and what is known about them in memory. A segment holds the batches whose offsets start at
 * baseOffset and stop before the next segment's baseOffset.
 *
 * Two states are kept side by side:
 * - the *written* state — `size`, the indexes, the largest timestamp — describes the bytes
 *   already handed to the OS. Reads and lookups see only this.
 * - the *planned* state describes every append accepted so far, including those whose bytes are
 *   still queued for the writer. Appends are placed (file position, index entries) from it
 *   synchronously; `completeWrite` publishes a planned append into the written state once its
 *   bytes are in the file; `resetPlanned` drops what was planned but never written.
 *
 * Crash behaviour: the .log file may end with a torn batch, or hold a batch whose bytes did not
 * all reach the disk. `recover()` reads every batch, checks length, magic and CRC-32C, cuts
 * the file at the first one that fails and rebuilds both indexes from what is left. Index files
 * carry no checksum; a missing file or one failing its sanity check is rebuilt from the log.
 */
import { crc32c } from '@node-rs/crc32';
import { join } from 'node:path';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
} from '../protocol/records/batch-header.js';
import { KafkaStorageError } from './errors.js';
import { renameIfExists, type FileSystem } from './file-system.js';
import { FileRecords } from './file-records.js';
import type { LogConfig } from './log-config.js';
import { Logger } from '../logger.js';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import { NO_TIMESTAMP, TimeIndex, TIME_INDEX_ENTRY_SIZE } from './time-index.js';
import type { ReadBuffers } from './read-buffer-pool.js';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
/** Kafka's TransactionIndex; written by the transactions work that comes later. */
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
/**
 * Added to every file of a segment that retention or DeleteRecords removed (Kafka's async
 * delete): the files go after file.delete.delay.ms, or at the next start (log-loader.ts).
 */
export const DELETED_FILE_SUFFIX = '.deleted';
/** A segment the log cleaner is writing (Kafka's CleanedFileSuffix); see cleaner/swap-recovery.ts. */
export const CLEANED_FILE_SUFFIX = '.cleaned';
/** A cleaned segment complete and about to replace the segments it was made from (Kafka's SwapFileSuffix). */
export const SWAP_FILE_SUFFIX = '.swap';

/** The smallest batchLength a v2 batch can have: the header after baseOffset and batchLength. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
const INT32_MAX = 0x7fffffff;

/** Recovery and index rebuilds read the log in blocks this large. */
const RECOVERY_BLOCK_BYTES = 1024 * 1024;
/** Header-only walks from an index entry (lookups) read this much at a time. */
const LOOKUP_BLOCK_BYTES = 16 * 1024;

const logger = new Logger('storage');

/** The 20-digit, zero-padded file name prefix Kafka uses for a segment's base offset. */
export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Where an offset sits in the log: Kafka's LogOffsetMetadata. */
export interface LogOffsetMetadata {
  readonly messageOffset: number;
  readonly segmentBaseOffset: number;
  readonly relativePositionInSegment: number;
}

/** The result of a read (Kafka's FetchDataInfo). */
export interface FetchDataInfo {
  /** The fetch offset and the file position where the returned data starts. */
  readonly fetchOffsetMetadata: LogOffsetMetadata;
  /**
   * Whole batches, one buffer. Empty when there is nothing to return. The first batch may start
   * before the fetch offset: batches are whole. A read answered by the tail cache joins its
   * slices into one buffer only when this is asked for; the fetch path uses `slices`.
   */
  readonly records: Buffer;
  /** The same bytes as `records`, as the buffers they are held in (one slice of a file read, or cached appends). */
  readonly slices: readonly Buffer[];
  /** The length of `records`. */
  readonly sizeInBytes: number;
  /** Base offset of the first batch returned, or the fetch offset when empty. */
  readonly firstOffset: number;
  /** The offset after the last batch returned (the next fetch offset), or the fetch offset when empty. */
  readonly nextOffset: number;
  /** The first batch was larger than maxBytes and minOneBatch was false, so nothing was returned. */
  readonly firstEntryIncomplete: boolean;
}

/** A batch found by a lookup: its offsets and largest timestamp, from its header. */
export interface BatchTimestamp {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

/**
 * One append as the segment plans it: where its bytes go and the index entries it adds. The
 * log's writer carries it until the bytes are in the file and then hands it to completeWrite.
 */
export class SegmentAppend {
  /** Flat (offset, position) pairs for the offset index, or null (the common case). */
  offsetIndexEntries: number[] | null = null;
  /** Flat (timestamp, offset) pairs for the time index, or null. */
  timeIndexEntries: number[] | null = null;
  /** The segment's largest batch timestamp, and that batch's last offset, after this append. */
  maxTimestamp = NO_TIMESTAMP;
  offsetOfMaxTimestamp = -1;

  /** Settles the append's `written` promise (set by the log). */
  resolve: () => void = noop;
  reject: (error: Error) => void = noop;

  constructor(
    readonly segment: LogSegment,
    readonly position: number,
    readonly records: Buffer,
    readonly firstOffset: number,
    /** The offset after this append's last batch. */
    readonly nextOffset: number,
  ) {}
}

/** Kafka's indexing rule, applied to the planned state (appends) or to a rebuild. */
interface IndexingState {
  size: number;
  bytesSinceLastIndexEntry: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  lastTimeIndexTimestamp: number;
  offsetIndexEntries: number;
  timeIndexEntries: number;
}

type ScanStop = 'end' | 'stopped' | 'torn' | 'invalid';

export interface RecoveryResult {
  /** Bytes cut from the end of the .log file. */
  readonly truncatedBytes: number;
  /** The offset after the last valid batch, or baseOffset when none is left. */
  readonly nextOffset: number;
  readonly reason: string | null;
}

export class LogSegment {
  readonly log: FileRecords;
  private offsetIndexValue: OffsetIndex | null = null;
  private timeIndexValue: TimeIndex | null = null;
  private loading: Promise<void> | null = null;

  /** Bytes handed to the OS: reads never go past this. */
  size: number;
  /** Bytes known to be on disk (fdatasync'ed). */
  syncedSize: number;
  private maxTimestampValue = NO_TIMESTAMP;
  private offsetOfMaxTimestampValue = -1;

  private readonly planned: IndexingState;
  /** Appends planned but not yet written. */
  pendingWrites = 0;
  /** maxTimestamp of the first batch; segment.ms counts from it (null when the segment is empty). */
  rollingBasedTimestamp: number | null = null;
  /** When this segment object was made: segment.ms counts from it when batches carry no timestamp. */
  readonly created: number;
  /** Kafka's per-segment random share of segment.jitter.ms. */
  readonly rollJitterMs: number;
  /** Upper bound for offsets in this segment at load time, used to sanity-check its indexes. */
  nextSegmentBaseOffset = Number.MAX_SAFE_INTEGER;
  /** Set while the segment is made inactive (final time index entry, fdatasync, complete indexes). */
  private finishing: Promise<void> | null = null;
  /** A segment made by a roll has no file yet: the writer creates it before the first write. */
  private readonly isNew: boolean;
  /** '' normally; DELETED_FILE_SUFFIX once the segment is removed from its log and waits for deletion; CLEANED/SWAP_FILE_SUFFIX while the cleaner makes it. */
  private fileSuffix = '';

  private constructor(
    private readonly fileSystem: FileSystem,
    readonly directory: string,
    readonly baseOffset: number,
    private readonly config: LogConfig,
    size: number,
    isNew: boolean,
    now: number,
    fileSuffix = '',
  ) {
    const prefix = join(directory, filenamePrefixFromOffset(baseOffset));
    this.fileSuffix = fileSuffix;
    this.log = new FileRecords(fileSystem, prefix + LOG_FILE_SUFFIX + fileSuffix);
    this.size = size;
    this.syncedSize = size;
    this.isNew = isNew;
    this.created = now;
    this.rollJitterMs = config.segmentJitterMs > 0 ? Math.floor(Math.random() * config.segmentJitterMs) : 0;
    this.planned = {
      size,
      bytesSinceLastIndexEntry: 0,
      maxTimestamp: NO_TIMESTAMP,
      offsetOfMaxTimestamp: -1,
      lastTimeIndexTimestamp: NO_TIMESTAMP,
      offsetIndexEntries: 0,
      timeIndexEntries: 0,
    };
    if (isNew) {
      this.offsetIndexValue = new OffsetIndex(fileSystem, prefix + INDEX_FILE_SUFFIX + fileSuffix, baseOffset, config.segmentIndexBytes);
      this.timeIndexValue = new TimeIndex(fileSystem, prefix + TIME_INDEX_FILE_SUFFIX + fileSuffix, baseOffset, config.segmentIndexBytes);
      this.loading = Promise.resolve();
    }
  }

  /**
   * A new, empty segment; its files are created by openForAppend. `fileSuffix` (CLEANED_FILE_SUFFIX)
   * names the files of a segment the log cleaner writes before swapping it in.
   */
  static create(fileSystem: FileSystem, directory: string, baseOffset: number, config: LogConfig, now: number, fileSuffix = ''): LogSegment {
    return new LogSegment(fileSystem, directory, baseOffset, config, 0, true, now, fileSuffix);
  }

  /** A segment found on disk with a .log file of `size` bytes; indexes load on first use. */
  static existing(fileSystem: FileSystem, directory: string, baseOffset: number, config: LogConfig, size: number, now: number): LogSegment {
    return new LogSegment(fileSystem, directory, baseOffset, config, size, false, now);
  }

  get indexPath(): string {
    return join(this.directory, filenamePrefixFromOffset(this.baseOffset) + INDEX_FILE_SUFFIX + this.fileSuffix);
  }

  get timeIndexPath(): string {
    return join(this.directory, filenamePrefixFromOffset(this.baseOffset) + TIME_INDEX_FILE_SUFFIX + this.fileSuffix);
  }

  private get txnIndexPath(): string {
    return join(this.directory, filenamePrefixFromOffset(this.baseOffset) + TXN_INDEX_FILE_SUFFIX + this.fileSuffix);
  }

  /** The offset index; only after loadIndexes(). */
  get offsetIndex(): OffsetIndex {
    if (this.offsetIndexValue === null) throw new Error(`Indexes of segment ${this.baseOffset} are not loaded`);
    return this.offsetIndexValue;
  }

  /** The time index; only after loadIndexes(). */
  get timeIndex(): TimeIndex {
    if (this.timeIndexValue === null) throw new Error(`Indexes of segment ${this.baseOffset} are not loaded`);
    return this.timeIndexValue;
  }

  get indexesLoaded(): boolean {
    return this.offsetIndexValue !== null;
  }

  /** Largest batch maxTimestamp written to this segment (NO_TIMESTAMP when none); after loadIndexes(). */
  get maxTimestampSoFar(): number {
    return this.maxTimestampValue;
  }

  /**
   * What time retention compares with retention.ms (Kafka's LogSegment.largestTimestamp): the
   * largest batch timestamp, or the .log file's last-modified time when no batch carries one.
   */
  async largestTimestamp(): Promise<number> {
    await this.loadIndexes();
    if (this.maxTimestampValue >= 0) return this.maxTimestampValue;
    return this.lastModified();
  }

  /** The .log file's last-modified time; when the file does not exist yet, when the segment was made. */
  async lastModified(): Promise<number> {
    const stat = await this.fileSystem.stat(this.log.path);
    return stat?.mtimeMs ?? this.created;
  }

  /** Last offset of the batch holding maxTimestampSoFar (Kafka's shallowOffsetOfMaxTimestampSoFar). */
  get offsetOfMaxTimestampSoFar(): number {
    return this.offsetOfMaxTimestampValue;
  }

  /** Bytes accepted so far, written or not: what a roll decision looks at. */
  get plannedSize(): number {
    return this.planned.size;
  }

  get plannedOffsetIndexEntries(): number {
    return this.planned.offsetIndexEntries;
  }

  get plannedTimeIndexEntries(): number {
    return this.planned.timeIndexEntries;
  }

  get maxOffsetIndexEntries(): number {
    return this.offsetIndex.maxEntries;
  }

  get maxTimeIndexEntries(): number {
    return this.timeIndex.maxEntries;
  }

  // ---------------------------------------------------------------------------------------------
  // Loading and recovery

  /**
   * Loads both indexes from their files (once). A file that is missing or fails its sanity check
   * is rebuilt from the log, with a header walk (no CRC: a segment that is loaded, not recovered,
   * is below the recovery point and was fsync'ed whole).
   */
  loadIndexes(): Promise<void> {
    if (this.loading === null) {
      this.loading = this.loadIndexesNow().catch((error: unknown) => {
        this.loading = null;
        throw new KafkaStorageError(`Could not load the indexes of ${this.log.path}`, { cause: error });
      });
    }
    return this.loading;
  }

  private async loadIndexesNow(): Promise<void> {
    const offsetIndex = await OffsetIndex.load(this.fileSystem, this.indexPath, this.baseOffset, this.config.segmentIndexBytes);
    const timeIndex = await TimeIndex.load(this.fileSystem, this.timeIndexPath, this.baseOffset, this.config.segmentIndexBytes);
    const offsetIndexValid = offsetIndex !== null && (await offsetIndex.sanityCheck(this.size, this.nextSegmentBaseOffset));
    const timeIndexValid = timeIndex !== null && (await timeIndex.sanityCheck(this.nextSegmentBaseOffset));
    if (offsetIndex !== null && timeIndex !== null && offsetIndexValid && timeIndexValid) {
      this.offsetIndexValue = offsetIndex;
      this.timeIndexValue = timeIndex;
      const last = timeIndex.lastEntry;
      this.maxTimestampValue = last.timestamp;
      this.offsetOfMaxTimestampValue = timeIndex.entries === 0 ? -1 : last.offset;
      this.resetPlanned();
      return;
    }
    const problem = offsetIndex === null ? 'missing or of a bad size' : !offsetIndexValid ? 'failing its sanity check' : 'a bad time index';
    logger.warn(`Rebuilding the indexes of ${this.log.path}: offset index ${problem}`);
    this.offsetIndexValue = new OffsetIndex(this.fileSystem, this.indexPath, this.baseOffset, this.config.segmentIndexBytes);
    this.timeIndexValue = new TimeIndex(this.fileSystem, this.timeIndexPath, this.baseOffset, this.config.segmentIndexBytes);
    const result = await this.rebuild(false);
    if (result.stop !== 'end') {
      logger.warn(`Segment ${this.log.path} has ${this.size - result.position} unreadable bytes at position ${result.position}; indexed what precedes them`);
    }
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
  }

  /**
   * Recovery of a segment written after the last recovery point: every batch is checked
   * (length, magic 2, CRC-32C, offsets increasing), the file is cut at the first batch that
   * fails, and both indexes are rebuilt and written out complete.
   */
  async recover(): Promise<RecoveryResult> {
    this.offsetIndexValue ??= new OffsetIndex(this.fileSystem, this.indexPath, this.baseOffset, this.config.segmentIndexBytes);
    this.timeIndexValue ??= new TimeIndex(this.fileSystem, this.timeIndexPath, this.baseOffset, this.config.segmentIndexBytes);
    this.loading = Promise.resolve();
    const result = await this.rebuild(true);
    let truncatedBytes = 0;
    if (result.stop !== 'end') {
      truncatedBytes = this.size - result.position;
      await this.log.truncate(result.position);
      this.size = result.position;
      this.syncedSize = Math.min(this.syncedSize, this.size);
      this.resetPlanned();
    }
    // What survived the crash may still be only in the page cache: make it durable once, so
    // that the recovery point can move past it.
    if (this.size > 0) await this.log.fdatasync();
    this.syncedSize = this.size;
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    return { truncatedBytes, nextOffset: result.nextOffset, reason: result.reason };
  }

  /** Empties both indexes and walks the whole log to refill them. */
  private async rebuild(validate: boolean): Promise<{ position: number; stop: ScanStop; nextOffset: number; reason: string | null }> {
    const offsetIndex = this.offsetIndex;
    const timeIndex = this.timeIndex;
    offsetIndex.reset();
    timeIndex.reset();
    const state: IndexingState = {
      size: 0,
      bytesSinceLastIndexEntry: 0,
      maxTimestamp: NO_TIMESTAMP,
      offsetOfMaxTimestamp: -1,
      lastTimeIndexTimestamp: NO_TIMESTAMP,
      offsetIndexEntries: 0,
      timeIndexEntries: 0,
    };
    const offsetEntries: number[] = [];
    const timeEntries: number[] = [];
    let nextOffset = this.baseOffset;
    let firstTimestamp: number | null = null;
    let reason: string | null = null;
    const scan = await this.scanBatches(0, this.size, validate, RECOVERY_BLOCK_BYTES, (buffer, at, position, size) => {
      const header = new RecordBatchHeader(buffer, at);
      const baseOffset = header.baseOffset;
      const lastOffsetDelta = header.lastOffsetDelta;
      if (header.magic !== CURRENT_MAGIC) {
        reason = `magic ${header.magic} at position ${position}`;
        return false;
      }
      if (baseOffset < nextOffset || lastOffsetDelta < 0 || baseOffset + lastOffsetDelta - this.baseOffset > INT32_MAX) {
        reason = `offsets ${baseOffset}+${lastOffsetDelta} out of order at position ${position}`;
        return false;
      }
      if (validate) {
        const computed = crc32c(buffer.subarray(at + ATTRIBUTES_OFFSET, at + size)) >>> 0;
        if (computed !== buffer.readUInt32BE(at + CRC_OFFSET)) {
          reason = `CRC mismatch at position ${position}`;
          return false;
        }
      }
      const lastOffset = baseOffset + lastOffsetDelta;
      const maxTimestamp = header.maxTimestamp;
      if (firstTimestamp === null) firstTimestamp = maxTimestamp;
      if (position !== state.size) throw new Error('scan out of step');
      this.indexBatch(state, lastOffset, maxTimestamp, size, offsetEntries, timeEntries);
      for (let i = 0; i < offsetEntries.length; i += 2) offsetIndex.append(offsetEntries[i]!, offsetEntries[i + 1]!);
      for (let i = 0; i < timeEntries.length; i += 2) timeIndex.maybeAppend(timeEntries[i]!, timeEntries[i + 1]!);
      offsetEntries.length = 0;
      timeEntries.length = 0;
      nextOffset = lastOffset + 1;
      return true;
    });
    if (scan.stop === 'torn') reason ??= `a torn batch at position ${scan.position}`;
    if (scan.stop === 'invalid') reason ??= `an impossible batch length at position ${scan.position}`;
    // Like Kafka's LogSegment.recover (and finish() below): the segment's largest timestamp
    // closes the time index, so a rebuilt index equals the one written while appending.
    if (state.maxTimestamp !== NO_TIMESTAMP) timeIndex.maybeAppend(state.maxTimestamp, state.offsetOfMaxTimestamp, true);
    this.maxTimestampValue = state.maxTimestamp;
    this.offsetOfMaxTimestampValue = state.offsetOfMaxTimestamp;
    this.resetPlanned();
    this.rollingBasedTimestamp = firstTimestamp;
    return { position: scan.position, stop: scan.stop, nextOffset, reason };
  }

  /**
   * The offset after the last batch, found from the last offset index entry with a header walk
   * to the end. Null when the walk does not end cleanly (the caller recovers the segment).
   */
  async readNextOffset(): Promise<number | null> {
    await this.loadIndexes();
    const start = this.offsetIndex.lastEntry.position;
    let nextOffset = this.baseOffset;
    const scan = await this.scanBatches(start, this.size, false, LOOKUP_BLOCK_BYTES, (buffer, at) => {
      nextOffset = new RecordBatchHeader(buffer, at).lastOffset + 1;
      return true;
    });
    return scan.stop === 'end' ? nextOffset : null;
  }

  /** Reads the first batch's maxTimestamp, which segment.ms counts from. */
  async loadRollingBasedTimestamp(): Promise<void> {
    if (this.size === 0) {
      this.rollingBasedTimestamp = null;
      return;
    }
    const header = await this.log.read(0, RECORD_BATCH_OVERHEAD);
    if (header.length === RECORD_BATCH_OVERHEAD) this.rollingBasedTimestamp = new RecordBatchHeader(header).maxTimestamp;
  }

  /**
   * Visits the batches in [start, end) in file order, reading the file in blocks (a fresh read
   * only when the next header, or with wholeBatches the next whole batch, is not in the block).
   * `visit` gets a view that is valid only during the call; returning false stops the walk.
   * Stops with 'torn' at a batch that runs past `end` and 'invalid' at an impossible length.
   */
  private async scanBatches(
    start: number,
    end: number,
    wholeBatches: boolean,
    blockSize: number,
    visit: (buffer: Buffer, at: number, position: number, size: number) => boolean,
  ): Promise<{ position: number; stop: ScanStop }> {
    let block = Buffer.allocUnsafe(Math.min(blockSize, Math.max(end - start, 0)));
    let blockLength = 0;
    let blockStart = start;
    let position = start;
    const refill = async (length: number): Promise<void> => {
      if (block.length < length) block = Buffer.allocUnsafe(length);
      blockLength = await this.log.readInto(block, length, position);
      blockStart = position;
    };
    while (position < end) {
      let at = position - blockStart;
      if (at + RECORD_BATCH_OVERHEAD > blockLength) {
        await refill(Math.min(blockSize, end - position));
        at = 0;
        if (blockLength < LOG_OVERHEAD) return { position, stop: 'torn' };
      }
      if (at + LOG_OVERHEAD > blockLength) return { position, stop: 'torn' };
      const batchLength = block.readInt32BE(at + BATCH_LENGTH_OFFSET);
      if (batchLength < MIN_BATCH_LENGTH) return { position, stop: blockLength - at < RECORD_BATCH_OVERHEAD ? 'torn' : 'invalid' };
      const size = batchLength + LOG_OVERHEAD;
      if (size > end - position) return { position, stop: 'torn' };
      const needed = wholeBatches ? size : RECORD_BATCH_OVERHEAD;
      if (at + needed > blockLength) {
        await refill(Math.min(Math.max(blockSize, needed), end - position));
        at = 0;
        if (blockLength < needed) return { position, stop: 'torn' };
      }
      if (!visit(block, at, position, size)) return { position, stop: 'stopped' };
      position += size;
    }
    return { position, stop: 'end' };
  }

  // ---------------------------------------------------------------------------------------------
  // Appends

  /**
   * Kafka's LogSegment.append indexing rule for one batch: an offset index entry (and a time
   * index entry when the largest timestamp grew) for the first batch after more than
   * index.interval.bytes of log since the previous entry.
   */
  private indexBatch(state: IndexingState, lastOffset: number, maxTimestamp: number, size: number, offsetEntries: number[], timeEntries: number[]): void {
    if (maxTimestamp > state.maxTimestamp) {
      state.maxTimestamp = maxTimestamp;
      state.offsetOfMaxTimestamp = lastOffset;
    }
    if (state.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      if (state.offsetIndexEntries < this.offsetIndex.maxEntries) {
        offsetEntries.push(lastOffset, state.size);
        state.offsetIndexEntries += 1;
      }
      if (state.maxTimestamp > state.lastTimeIndexTimestamp && state.timeIndexEntries < this.timeIndex.maxEntries - 1) {
        timeEntries.push(state.maxTimestamp, state.offsetOfMaxTimestamp);
        state.timeIndexEntries += 1;
        state.lastTimeIndexTimestamp = state.maxTimestamp;
      }
      state.bytesSinceLastIndexEntry = 0;
    }
    state.size += size;
    state.bytesSinceLastIndexEntry += size;
  }

  /** Starts planning an append of `records` at the end of the planned bytes. */
  beginAppend(records: Buffer, firstOffset: number, nextOffset: number): SegmentAppend {
    const append = new SegmentAppend(this, this.planned.size, records, firstOffset, nextOffset);
    this.pendingWrites += 1;
    return append;
  }

  /** Plans one batch of `append` (called in file order, batch by batch). */
  planBatch(append: SegmentAppend, lastOffset: number, maxTimestamp: number, size: number): void {
    if (this.planned.size === 0) this.rollingBasedTimestamp = maxTimestamp;
    // Most batches add no index entry; only allocate the entry lists for those that do.
    if (this.planned.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      this.indexBatch(this.planned, lastOffset, maxTimestamp, size, (append.offsetIndexEntries ??= []), (append.timeIndexEntries ??= []));
    } else {
      this.indexBatch(this.planned, lastOffset, maxTimestamp, size, NO_ENTRIES, NO_ENTRIES);
    }
    append.maxTimestamp = this.planned.maxTimestamp;
    append.offsetOfMaxTimestamp = this.planned.offsetOfMaxTimestamp;
  }

  /** The append's bytes are in the file: publish its size, index entries and timestamps. */
  completeWrite(append: SegmentAppend): void {
    if (append.position !== this.size) throw new Error(`Write at ${append.position} completes out of order (size ${this.size}) in ${this.log.path}`);
    const offsetEntries = append.offsetIndexEntries;
    if (offsetEntries !== null) {
      for (let i = 0; i < offsetEntries.length; i += 2) this.offsetIndex.append(offsetEntries[i]!, offsetEntries[i + 1]!);
    }
    const timeEntries = append.timeIndexEntries;
    if (timeEntries !== null) {
      for (let i = 0; i < timeEntries.length; i += 2) this.timeIndex.maybeAppend(timeEntries[i]!, timeEntries[i + 1]!);
    }
    this.size = append.position + append.records.length;
    if (append.maxTimestamp > this.maxTimestampValue) {
      this.maxTimestampValue = append.maxTimestamp;
      this.offsetOfMaxTimestampValue = append.offsetOfMaxTimestamp;
    }
    this.pendingWrites -= 1;
  }

  /** Forgets every planned append not yet written: the planned state becomes the written one. */
  resetPlanned(): void {
    const offsetIndex = this.offsetIndex;
    const timeIndex = this.timeIndex;
    this.planned.size = this.size;
    // After an entry for the batch at position P, the rule has counted every byte from P on.
    this.planned.bytesSinceLastIndexEntry = offsetIndex.entries > 0 ? this.size - offsetIndex.lastEntry.position : this.size;
    this.planned.maxTimestamp = this.maxTimestampValue;
    this.planned.offsetOfMaxTimestamp = this.offsetOfMaxTimestampValue;
    this.planned.lastTimeIndexTimestamp = timeIndex.lastTimestamp;
    this.planned.offsetIndexEntries = offsetIndex.entries;
    this.planned.timeIndexEntries = timeIndex.entries;
    if (this.size === 0) this.rollingBasedTimestamp = null;
  }

  /** Opens (a rolled segment: creates) the .log file for the writer. */
  async openForAppend(): Promise<void> {
    if (this.log.isOpen) return;
    await this.log.open(this.isNew ? 'w+' : 'r+');
    // The new file's directory entry must survive power loss like its contents.
    if (this.isNew) await this.fileSystem.syncDirectory(this.directory);
  }

  /** Undoes a write the OS took only part of: cut the file back to the written size. */
  async truncateToWrittenSize(): Promise<void> {
    if (this.log.isOpen) await this.log.truncate(this.size);
  }

  // ---------------------------------------------------------------------------------------------
  // Reads and lookups

  /**
   * Whole batches from the first one whose lastOffset >= fetchOffset (Kafka's LogSegment.read),
   * stopping before a batch that would pass maxBytes (unless it is the first and minOneBatch,
   * KIP-74) or whose lastOffset reaches upperOffset (the high watermark, the last stable offset
   * or the written end). Null when this segment has no batch at or after fetchOffset.
   *
   * One read normally does: it starts at the offset index entry and is long enough for the
   * walk to the fetch offset (at most index.interval.bytes plus a batch) and maxBytes after it.
   * With `buffers` the reads use pooled buffers, which the caller gives back (read-buffer-pool.ts).
   */
  async read(fetchOffset: number, maxBytes: number, upperOffset: number, minOneBatch: boolean, buffers?: ReadBuffers): Promise<FetchDataInfo | null> {
    await this.loadIndexes();
    const limit = this.size;
    let position = this.offsetIndex.lookup(fetchOffset).position;
    const readSize = Math.max(maxBytes, RECORD_BATCH_OVERHEAD) + this.config.indexIntervalBytes;
    while (position < limit) {
      const buffer = await this.log.read(position, Math.min(limit - position, readSize), buffers);
      let at = 0;
      let found = -1;
      while (at + RECORD_BATCH_OVERHEAD <= buffer.length) {
        const size = this.batchSizeAt(buffer, at, position);
        const lastOffset = new RecordBatchHeader(buffer, at).lastOffset;
        if (lastOffset >= fetchOffset) {
          found = at;
          break;
        }
        at += size;
      }
      if (found < 0) {
        if (at === 0) throw new KafkaStorageError(`Short read at position ${position} of ${this.log.path}`);
        position += at;
        continue;
      }
      const metadata: LogOffsetMetadata = { messageOffset: fetchOffset, segmentBaseOffset: this.baseOffset, relativePositionInSegment: position + found };
      let end = found;
      let nextOffset = fetchOffset;
      while (end + RECORD_BATCH_OVERHEAD <= buffer.length) {
        const size = this.batchSizeAt(buffer, end, position);
        const lastOffset = new RecordBatchHeader(buffer, end).lastOffset;
        if (end + size > buffer.length || end - found + size > maxBytes || lastOffset >= upperOffset) break;
        end += size;
        nextOffset = lastOffset + 1;
      }
      const first = new RecordBatchHeader(buffer, found);
      if (end > found) {
        const records = buffer.subarray(found, end);
        return { fetchOffsetMetadata: metadata, records, slices: [records], sizeInBytes: records.length, firstOffset: first.baseOffset, nextOffset, firstEntryIncomplete: false };
      }
      if (first.lastOffset >= upperOffset) return emptyFetch(metadata, false);
      const firstSize = this.batchSizeAt(buffer, found, position);
      if (firstSize > maxBytes) {
        if (!minOneBatch) return emptyFetch(metadata, true);
        const whole = await this.log.read(position + found, firstSize, buffers);
        if (whole.length < firstSize) throw new KafkaStorageError(`Short read at position ${position + found} of ${this.log.path}`);
        return { fetchOffsetMetadata: metadata, records: whole, slices: [whole], sizeInBytes: whole.length, firstOffset: first.baseOffset, nextOffset: first.lastOffset + 1, firstEntryIncomplete: false };
      }
      // The walk to the fetch offset used up the read; read again from the batch itself.
      if (found === 0) throw new KafkaStorageError(`Short read at position ${position} of ${this.log.path}`);
      position += found;
    }
    return null;
  }

  private batchSizeAt(buffer: Buffer, at: number, readPosition: number): number {
    const batchLength = buffer.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH || buffer.readInt8(at + MAGIC_OFFSET) !== CURRENT_MAGIC) {
      throw new KafkaStorageError(`Corrupt batch at position ${readPosition + at} of ${this.log.path}`);
    }
    return batchLength + LOG_OVERHEAD;
  }

  /**
   * The first batch at or after startingOffset whose maxTimestamp >= timestamp and whose last
   * offset is below upperOffset (Kafka's findOffsetByTimestamp, at batch level): the time index
   * gives where to start, a header walk finds the batch.
   */
  async findOffsetByTimestamp(timestamp: number, startingOffset: number, upperOffset: number): Promise<BatchTimestamp | null> {
    await this.loadIndexes();
    const indexed = this.timeIndex.lookup(timestamp);
    const start = this.offsetIndex.lookup(Math.max(indexed.offset, startingOffset)).position;
    let found: BatchTimestamp | null = null;
    await this.scanBatches(start, this.size, false, LOOKUP_BLOCK_BYTES, (buffer, at) => {
      const header = new RecordBatchHeader(buffer, at);
      const lastOffset = header.lastOffset;
      if (lastOffset >= upperOffset) return false;
      const maxTimestamp = header.maxTimestamp;
      if (maxTimestamp >= timestamp && lastOffset >= startingOffset) {
        found = { baseOffset: header.baseOffset, lastOffset, maxTimestamp };
        return false;
      }
      return true;
    });
    return found;
  }

  /** The header of the batch that holds `offset`, or the first batch after it; null past the end. */
  async findBatch(offset: number): Promise<BatchTimestamp | null> {
    await this.loadIndexes();
    const start = this.offsetIndex.lookup(offset).position;
    let found: BatchTimestamp | null = null;
    await this.scanBatches(start, this.size, false, LOOKUP_BLOCK_BYTES, (buffer, at) => {
      const header = new RecordBatchHeader(buffer, at);
      if (header.lastOffset < offset) return true;
      found = { baseOffset: header.baseOffset, lastOffset: header.lastOffset, maxTimestamp: header.maxTimestamp };
      return false;
    });
    return found;
  }

  // ---------------------------------------------------------------------------------------------
  // Truncation, flushing, closing

  /**
   * Removes the batches whose lastOffset >= offset (a batch holding `offset` goes whole).
   * Returns the new end offset of the segment's data, or null when nothing was removed. The
   * caller makes sure no write to this segment is in flight.
   */
  async truncateTo(offset: number): Promise<number | null> {
    await this.loadIndexes();
    const start = this.offsetIndex.lookup(offset).position;
    let cutPosition = -1;
    let cutBaseOffset = offset;
    await this.scanBatches(start, this.size, false, LOOKUP_BLOCK_BYTES, (buffer, at, position) => {
      const header = new RecordBatchHeader(buffer, at);
      if (header.lastOffset < offset) return true;
      cutPosition = position;
      cutBaseOffset = header.baseOffset;
      return false;
    });
    if (cutPosition < 0) return null;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    await this.log.truncate(cutPosition);
    this.size = cutPosition;
    this.syncedSize = Math.min(this.syncedSize, cutPosition);
    if (this.offsetOfMaxTimestampValue >= offset) await this.reloadLargestTimestamp();
    this.resetPlanned();
    if (this.size === 0) this.rollingBasedTimestamp = null;
    this.finishing = null;
    return Math.min(offset, cutBaseOffset);
  }

  /** The largest timestamp after a truncation: the last time index entry, then a walk past it. */
  private async reloadLargestTimestamp(): Promise<void> {
    const last = this.timeIndex.lastEntry;
    this.maxTimestampValue = last.timestamp;
    this.offsetOfMaxTimestampValue = this.timeIndex.entries === 0 ? -1 : last.offset;
    const start = this.offsetIndex.lookup(last.offset).position;
    await this.scanBatches(start, this.size, false, LOOKUP_BLOCK_BYTES, (buffer, at) => {
      const header = new RecordBatchHeader(buffer, at);
      const maxTimestamp = header.maxTimestamp;
      if (maxTimestamp > this.maxTimestampValue) {
        this.maxTimestampValue = maxTimestamp;
        this.offsetOfMaxTimestampValue = header.lastOffset;
      }
      return true;
    });
  }

  /** fdatasync of the .log file, when written bytes are not yet synced. */
  async sync(): Promise<void> {
    const size = this.size;
    if (size <= this.syncedSize) return;
    await this.log.fdatasync();
    this.syncedSize = Math.max(this.syncedSize, size);
  }

  /** Writes new index entries to the index files (no fdatasync: recovery rebuilds what is lost). */
  async persistIndexes(): Promise<void> {
    if (!this.indexesLoaded) return;
    await this.offsetIndex.persist(false);
    await this.timeIndex.persist(false);
  }

  /**
   * Kafka's onBecomeInactiveSegment plus flush: the final time index entry (the segment's
   * largest timestamp), fdatasync of the log, and both index files complete and fdatasync'ed.
   * Called once all writes to the segment are done (a roll, or closing the log).
   */
  finish(): Promise<void> {
    this.finishing ??= (async () => {
      await this.loadIndexes();
      this.timeIndex.maybeAppend(this.maxTimestampValue, this.offsetOfMaxTimestampValue, true);
      this.planned.timeIndexEntries = Math.max(this.planned.timeIndexEntries, this.timeIndex.entries);
      this.planned.lastTimeIndexTimestamp = Math.max(this.planned.lastTimeIndexTimestamp, this.timeIndex.lastTimestamp);
      await this.sync();
      await this.offsetIndex.persist(true);
      await this.timeIndex.persist(true);
    })();
    return this.finishing;
  }

  /** Lets a finished segment take appends again (the segments after it were removed). */
  reactivate(): void {
    this.finishing = null;
    this.resetPlanned();
  }

  /** Closes the files; waits for I/O in flight. */
  async close(): Promise<void> {
    await this.log.close();
    if (this.offsetIndexValue !== null) await this.offsetIndexValue.close();
    if (this.timeIndexValue !== null) await this.timeIndexValue.close();
  }

  /** Closes and removes the segment's files. */
  async delete(): Promise<void> {
    await this.close();
    await this.fileSystem.unlink(this.log.path);
    await this.fileSystem.unlink(this.indexPath);
    await this.fileSystem.unlink(this.timeIndexPath);
    await this.fileSystem.unlink(this.txnIndexPath);
  }

  /**
   * Renames every file of the segment from `<name><oldSuffix>` to `<name><newSuffix>` (Kafka's
   * changeFileSuffixes; '' -> '.deleted' before an async delete). Open descriptors and reads in
   * flight keep working; files that do not exist are skipped. The directory is synced so that
   * after a crash the files have either name, and both mean the same to the loader.
   */
  async changeFileSuffixes(oldSuffix: string, newSuffix: string): Promise<void> {
    if (this.fileSuffix !== oldSuffix) throw new Error(`Segment ${this.baseOffset} has suffix '${this.fileSuffix}', not '${oldSuffix}'`);
    // A load in flight reads the files under their old names; let it finish first.
    if (this.loading !== null) await this.loading.catch(noop);
    const indexPath = this.indexPath;
    const timeIndexPath = this.timeIndexPath;
    const txnIndexPath = this.txnIndexPath;
    this.fileSuffix = newSuffix;
    const logPath = this.log.path;
    await this.log.renameTo(logPath.slice(0, logPath.length - oldSuffix.length) + newSuffix);
    if (this.offsetIndexValue !== null) await this.offsetIndexValue.renameTo(this.indexPath);
    else await renameIfExists(this.fileSystem, indexPath, this.indexPath);
    if (this.timeIndexValue !== null) await this.timeIndexValue.renameTo(this.timeIndexPath);
    else await renameIfExists(this.fileSystem, timeIndexPath, this.timeIndexPath);
    await renameIfExists(this.fileSystem, txnIndexPath, this.txnIndexPath);
    await this.fileSystem.syncDirectory(this.directory);
  }

  toString(): string {
    return `LogSegment(baseOffset=${this.baseOffset}, size=${this.size})`;
  }
}

function noop(): void {}

/** Shared empty target for batches that add no index entry; indexBatch never pushes into it then. */
const NO_ENTRIES: number[] = [];

function emptyFetch(metadata: LogOffsetMetadata, firstEntryIncomplete: boolean): FetchDataInfo {
  return {
    fetchOffsetMetadata: metadata,
    records: EMPTY_RECORDS,
    slices: [],
    sizeInBytes: 0,
    firstOffset: metadata.messageOffset,
    nextOffset: metadata.messageOffset,
    firstEntryIncomplete,
  };
}

export const EMPTY_RECORDS: Buffer = Buffer.alloc(0);

export { OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE };
