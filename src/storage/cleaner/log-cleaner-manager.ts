/**
 * Which compacted log to clean next, and the cleaning state of every log (Kafka's
 * LogCleanerManager).
 *
 * Choosing (grabFilthiestCompactedLog). For each log whose cleanup.policy includes `compact`:
 *   firstDirtyOffset        the checkpointed offset (cleaner-offset-checkpoint), reset to the log
 *                           start offset when it is missing, below the log start or past the log
 *                           end (the checkpoint is then rewritten);
 *   firstUncleanableOffset  the lowest of the last stable offset, the active segment's base
 *                           offset, the recovery point (Tidelog's addition: a segment must be
 *                           finished — flushed, its indexes complete — before it is rewritten),
 *                           and with min.compaction.lag.ms > 0 the first dirty segment whose
 *                           largest timestamp is within that lag; then rounded down to the base
 *                           offset of the segment holding it;
 *   cleanableRatio          bytes of the segments in [firstDirty, firstUncleanable) over those
 *                           plus the bytes below firstDirty;
 *   needCompactionNow       a dirty segment's first batch is older than max.compaction.lag.ms.
 * A log qualifies when its ratio is above min.cleanable.dirty.ratio, or when it needs compaction
 * now and has cleanable bytes; the one with the highest ratio is taken.
 *
 * States, as in Kafka (a log with no state is idle):
 *   in-progress  a task is cleaning it (or running retention on it)
 *   aborted      abortAndPauseCleaning was asked while it was in progress; the task stops at
 *                its next check and the state becomes paused(1)
 *   paused(n)    no cleaning until resumeCleaning has been called n times
 * abortAndPauseCleaning resolves once the log is paused, so a caller that deletes or truncates
 * the log afterwards knows no task is working on it.
 *
 * A log whose cleaning fails with an unexpected error is marked uncleanable and skipped until
 * it goes away (Kafka's uncleanable partitions); aborts and storage errors are not unexpected.
 */
import { basename, dirname } from 'node:path';
import { RECORD_BATCH_OVERHEAD, RecordBatchHeader } from '../../protocol/records/batch-header.js';
import type { FileSystem } from '../file-system.js';
import type { LogSegment } from '../log-segment.js';
import type { PartitionLog } from '../partition-log.js';
import { Logger } from '../../logger.js';
import { CleanerOffsetCheckpoint, type TopicPartitionName } from './cleaner-offset-checkpoint.js';
import { LogCleaningAbortedError, segmentsInRange, type LogToClean } from './cleaner.js';

const logger = new Logger('log-cleaner');

/** A log as the cleaner sees it: the broker's Partition fits (its log and its offsets). */
export interface CleanerLogSource {
  readonly log: PartitionLog;
  /** The cleaner never cleans at or past it (Kafka's lastStableOffset). */
  readonly lastStableOffset: number;
  /** Retention never deletes at or past it. */
  readonly highWatermark: number;
}

type CleaningState = { readonly kind: 'in-progress' } | { readonly kind: 'aborted' } | { readonly kind: 'paused'; readonly count: number };

const IN_PROGRESS: CleaningState = { kind: 'in-progress' };
const ABORTED: CleaningState = { kind: 'aborted' };

/** Kafka's OffsetsToClean. */
export interface OffsetsToClean {
  readonly firstDirtyOffset: number;
  readonly firstUncleanableDirtyOffset: number;
  readonly forceUpdateCheckpoint: boolean;
}

/** The `<topic>-<partition>` name of a log (its directory's name) and its log directory. */
export function logName(log: PartitionLog): { name: TopicPartitionName; dataDir: string } {
  return { name: basename(log.directory), dataDir: dirname(log.directory) };
}

/** Whether cleanup.policy includes compact. */
export function isCompacted(log: PartitionLog): boolean {
  return log.config.cleanupPolicy.includes('compact');
}

/** The first batch's maxTimestamp of each segment, read once (Kafka's LogSegment.getFirstBatchTimestamp). */
const firstBatchTimestamps = new WeakMap<LogSegment, number>();

async function firstBatchTimestamp(segment: LogSegment): Promise<number> {
  const known = firstBatchTimestamps.get(segment);
  if (known !== undefined) return known;
  let timestamp = Number.MAX_SAFE_INTEGER;
  if (segment.size >= RECORD_BATCH_OVERHEAD) {
    const header = await segment.log.read(0, RECORD_BATCH_OVERHEAD);
    if (header.length === RECORD_BATCH_OVERHEAD) timestamp = new RecordBatchHeader(header).maxTimestamp;
  }
  firstBatchTimestamps.set(segment, timestamp);
  return timestamp;
}

/**
 * Kafka's cleanableOffsets: where the dirty section starts and the first offset that may not
 * be cleaned (before rounding to a segment, which calculateCleanableBytes does).
 */
export async function cleanableOffsets(log: PartitionLog, lastCleanOffset: number | undefined, now: number, lastStableOffset: number): Promise<OffsetsToClean> {
  const logStartOffset = log.logStartOffset;
  const checkpointDirtyOffset = lastCleanOffset ?? logStartOffset;
  let firstDirtyOffset = checkpointDirtyOffset;
  let forceUpdateCheckpoint = false;
  if (checkpointDirtyOffset < logStartOffset) {
    if (!log.config.cleanupPolicy.includes('delete')) {
      logger.warn(`Resetting first dirty offset of ${log.directory} to log start offset ${logStartOffset} since the checkpointed offset ${checkpointDirtyOffset} is invalid`);
    }
    firstDirtyOffset = logStartOffset;
    forceUpdateCheckpoint = true;
  } else if (checkpointDirtyOffset > log.logEndOffset) {
    logger.warn(
      `The last checkpoint dirty offset of ${log.directory} is ${checkpointDirtyOffset}, which is larger than the log end offset ${log.logEndOffset}; ` +
        `resetting to the log start offset ${logStartOffset}`,
    );
    firstDirtyOffset = logStartOffset;
    forceUpdateCheckpoint = true;
  }
  let firstUncleanable = Math.min(lastStableOffset, log.activeSegment.baseOffset, log.recoveryPoint, log.writtenEndOffset);
  const minCompactionLagMs = Math.max(log.config.minCompactionLagMs, 0);
  if (minCompactionLagMs > 0) {
    for (const segment of nonActiveSegmentsFrom(log, firstDirtyOffset)) {
      await segment.loadIndexes();
      if (segment.maxTimestampSoFar > now - minCompactionLagMs) {
        firstUncleanable = Math.min(firstUncleanable, segment.baseOffset);
        break;
      }
    }
  }
  return { firstDirtyOffset, firstUncleanableDirtyOffset: Math.max(firstDirtyOffset, firstUncleanable), forceUpdateCheckpoint };
}

/** The segments from the one holding `from` up to (not including) the active one. */
function nonActiveSegmentsFrom(log: PartitionLog, from: number): LogSegment[] {
  return segmentsInRange(log.logSegments, from, log.activeSegment.baseOffset);
}

/**
 * Kafka's calculateCleanableBytes: the base offset of the segment holding `uncleanableOffset`
 * (the active one at most), and the bytes of the segments in [firstDirty, that offset).
 */
export function calculateCleanableBytes(log: PartitionLog, firstDirtyOffset: number, uncleanableOffset: number): { firstUncleanableOffset: number; cleanableBytes: number } {
  const nonActive = nonActiveSegmentsFrom(log, uncleanableOffset);
  const firstUncleanableOffset = (nonActive[0] ?? log.activeSegment).baseOffset;
  let cleanableBytes = 0;
  for (const segment of segmentsInRange(log.logSegments, Math.min(firstDirtyOffset, firstUncleanableOffset), firstUncleanableOffset)) cleanableBytes += segment.size;
  return { firstUncleanableOffset, cleanableBytes };
}

/** Kafka's maxCompactionDelay: how long past max.compaction.lag.ms the oldest dirty record is (0 when it is not). */
export async function maxCompactionDelay(log: PartitionLog, firstDirtyOffset: number, now: number): Promise<number> {
  const maxCompactionLagMs = Math.max(log.config.maxCompactionLagMs, 0);
  const cleanUntilTime = now - maxCompactionLagMs;
  if (cleanUntilTime <= 0) return 0;
  let earliest = Number.MAX_SAFE_INTEGER;
  for (const segment of nonActiveSegmentsFrom(log, firstDirtyOffset)) {
    const timestamp = await firstBatchTimestamp(segment);
    if (timestamp > 0) earliest = Math.min(earliest, timestamp);
  }
  return earliest < cleanUntilTime ? cleanUntilTime - earliest : 0;
}

/** Kafka's LogToClean constructor: the sizes and the ratio. */
export function logToClean(log: PartitionLog, firstDirtyOffset: number, uncleanableOffset: number, needCompactionNow: boolean): LogToClean {
  let cleanBytes = 0;
  for (const segment of log.logSegments) {
    if (segment.baseOffset >= firstDirtyOffset) break;
    cleanBytes += segment.size;
  }
  const { firstUncleanableOffset, cleanableBytes } = calculateCleanableBytes(log, firstDirtyOffset, uncleanableOffset);
  const totalBytes = cleanBytes + cleanableBytes;
  return {
    name: logName(log).name,
    log,
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    totalBytes,
    cleanableRatio: totalBytes === 0 ? 0 : cleanableBytes / totalBytes,
    needCompactionNow,
  };
}

export class LogCleanerManager {
  private readonly inProgress = new Map<PartitionLog, CleaningState>();
  private readonly uncleanable = new Set<PartitionLog>();
  private readonly pausedWaiters = new Map<PartitionLog, (() => void)[]>();
  /** Per log directory: the checkpoint file and its entries once read. */
  private readonly checkpoints = new Map<string, { file: CleanerOffsetCheckpoint; entries: Promise<Map<TopicPartitionName, number>> }>();
  private checkpointWrites: Promise<void> = Promise.resolve();
  /** grabFilthiestCompactedLog runs one at a time, so two tasks never take the same log. */
  private grabbing: Promise<unknown> = Promise.resolve();
  /** The highest cleanable ratio seen by the last choice (Kafka's max-dirty-percent gauge). */
  dirtiestLogCleanableRatio = 0;
  timeOfLastRun = 0;

  constructor(
    private readonly sources: () => Iterable<CleanerLogSource>,
    private readonly fileSystem: FileSystem,
  ) {}

  private checkpointOf(dataDir: string): { file: CleanerOffsetCheckpoint; entries: Promise<Map<TopicPartitionName, number>> } {
    let checkpoint = this.checkpoints.get(dataDir);
    if (checkpoint === undefined) {
      const file = new CleanerOffsetCheckpoint(this.fileSystem, dataDir);
      checkpoint = { file, entries: file.read() };
      this.checkpoints.set(dataDir, checkpoint);
    }
    return checkpoint;
  }

  /** The checkpointed first dirty offset of `log`, if any. */
  async lastCleanOffset(log: PartitionLog): Promise<number | undefined> {
    const { name, dataDir } = logName(log);
    return (await this.checkpointOf(dataDir).entries).get(name);
  }

  /**
   * Sets (or with null removes) the checkpointed offset of `log` and rewrites its directory's
   * file, keeping only entries of logs the cleaner still sees (Kafka's updateCheckpoints).
   */
  updateCheckpoint(log: PartitionLog, offset: number | null): Promise<void> {
    const { name, dataDir } = logName(log);
    const checkpoint = this.checkpointOf(dataDir);
    const run = this.checkpointWrites.then(async () => {
      const entries = await checkpoint.entries;
      const live = new Set<TopicPartitionName>();
      for (const source of this.sources()) {
        const other = logName(source.log);
        if (other.dataDir === dataDir) live.add(other.name);
      }
      // The new entries are built apart and become the ones lastCleanOffset answers from only once
      // the file holds them: a reader must never see an offset that a crash would take back.
      const next = new Map([...entries].filter(([entryName]) => entryName === name || live.has(entryName)));
      if (offset === null) next.delete(name);
      else next.set(name, offset);
      await checkpoint.file.write(next);
      entries.clear();
      for (const [entryName, entryOffset] of next) entries.set(entryName, entryOffset);
    });
    this.checkpointWrites = run.catch(() => undefined);
    return run.catch((error: unknown) => logger.error(`Failed to write ${checkpoint.file.path}`, error));
  }

  /** Kafka's maybeTruncateCheckpoint: a log truncated below its checkpoint is dirty from there. */
  async maybeTruncateCheckpoint(log: PartitionLog, offset: number): Promise<void> {
    if (!isCompacted(log)) return;
    const current = await this.lastCleanOffset(log);
    if (current !== undefined && current > offset) await this.updateCheckpoint(log, offset);
  }

  /** Chooses the log to clean and marks it in progress; null when none qualifies. */
  grabFilthiestCompactedLog(now: number): Promise<LogToClean | null> {
    const run = this.grabbing.then(() => this.grabNow(now));
    this.grabbing = run.catch(() => undefined);
    return run;
  }

  private async grabNow(now: number): Promise<LogToClean | null> {
    this.timeOfLastRun = now;
    const dirtyLogs: LogToClean[] = [];
    for (const source of [...this.sources()]) {
      const log = source.log;
      if (!isCompacted(log) || this.inProgress.has(log) || this.uncleanable.has(log) || log.offlineError !== null) continue;
      try {
        const offsets = await cleanableOffsets(log, await this.lastCleanOffset(log), now, source.lastStableOffset);
        if (offsets.forceUpdateCheckpoint) await this.updateCheckpoint(log, offsets.firstDirtyOffset);
        const compactionDelayMs = await maxCompactionDelay(log, offsets.firstDirtyOffset, now);
        const candidate = logToClean(log, offsets.firstDirtyOffset, offsets.firstUncleanableDirtyOffset, compactionDelayMs > 0);
        if (candidate.totalBytes > 0) dirtyLogs.push(candidate);
      } catch (error) {
        // A log closed or deleted while it was looked at; it is no candidate.
        logger.debug(`Skipping ${log.directory} this round: ${(error as Error)?.message ?? String(error)}`);
      }
    }
    this.dirtiestLogCleanableRatio = dirtyLogs.reduce((max, candidate) => Math.max(max, candidate.cleanableRatio), 0);
    const cleanable = dirtyLogs.filter(
      (candidate) => (candidate.needCompactionNow && candidate.cleanableBytes > 0) || candidate.cleanableRatio > candidate.log.config.minCleanableDirtyRatio,
    );
    let filthiest: LogToClean | null = null;
    for (const candidate of cleanable) {
      if (this.inProgress.has(candidate.log)) continue;
      if (filthiest === null || candidate.cleanableRatio > filthiest.cleanableRatio) filthiest = candidate;
    }
    if (filthiest !== null) this.inProgress.set(filthiest.log, IN_PROGRESS);
    return filthiest;
  }

  /**
   * Compacted logs nobody is working on, marked in progress, for the retention pass the cleaner
   * runs on them (Kafka's deletableLogs); hand them back with doneDeleting.
   */
  deletableLogs(): CleanerLogSource[] {
    const deletable: CleanerLogSource[] = [];
    for (const source of this.sources()) {
      const log = source.log;
      if (!isCompacted(log) || this.inProgress.has(log) || this.uncleanable.has(log)) continue;
      this.inProgress.set(log, IN_PROGRESS);
      deletable.push(source);
    }
    return deletable;
  }

  doneDeleting(logs: readonly PartitionLog[]): void {
    for (const log of logs) this.finish(log);
  }

  /**
   * The end of a cleaning (Kafka's doneCleaning): checkpoints `endOffset` when the cleaning
   * was not aborted; an aborted one leaves the log paused.
   */
  async doneCleaning(log: PartitionLog, endOffset: number): Promise<void> {
    const state = this.inProgress.get(log);
    if (state?.kind === 'in-progress') await this.updateCheckpoint(log, endOffset);
    this.finish(log);
  }

  private finish(log: PartitionLog): void {
    const state = this.inProgress.get(log);
    if (state === undefined) throw new Error(`The cleaning state of ${log.directory} should exist`);
    if (state.kind === 'in-progress') {
      this.inProgress.delete(log);
    } else if (state.kind === 'aborted') {
      this.inProgress.set(log, { kind: 'paused', count: 1 });
      this.notifyPaused(log);
    } else {
      throw new Error(`The in-progress log ${log.directory} cannot be ${state.kind}`);
    }
  }

  /** Throws LogCleaningAbortedError when the cleaning of `log` was aborted. */
  checkCleaningAborted(log: PartitionLog): void {
    if (this.inProgress.get(log)?.kind === 'aborted') throw new LogCleaningAbortedError(`The cleaning of ${log.directory} was aborted`);
  }

  /**
   * Stops the cleaning of `log` if one is under way and keeps it from starting until
   * resumeCleaning; resolves once no task works on it. Pauses nest.
   */
  abortAndPauseCleaning(log: PartitionLog): Promise<void> {
    const state = this.inProgress.get(log);
    if (state === undefined) this.inProgress.set(log, { kind: 'paused', count: 1 });
    else if (state.kind === 'in-progress') this.inProgress.set(log, ABORTED);
    else if (state.kind === 'paused') this.inProgress.set(log, { kind: 'paused', count: state.count + 1 });
    if (this.inProgress.get(log)?.kind === 'paused') return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.pausedWaiters.get(log) ?? [];
      waiters.push(resolve);
      this.pausedWaiters.set(log, waiters);
    });
  }

  /** Undoes one pause. */
  resumeCleaning(log: PartitionLog): void {
    const state = this.inProgress.get(log);
    if (state === undefined || state.kind !== 'paused') {
      throw new Error(`Compaction for ${log.directory} cannot be resumed since it is ${state === undefined ? 'not paused' : state.kind}`);
    }
    if (state.count <= 1) this.inProgress.delete(log);
    else this.inProgress.set(log, { kind: 'paused', count: state.count - 1 });
  }

  /** Whether `log` is paused (for tests and operators). */
  isPaused(log: PartitionLog): boolean {
    return this.inProgress.get(log)?.kind === 'paused';
  }

  markUncleanable(log: PartitionLog): void {
    this.uncleanable.add(log);
  }

  isUncleanable(log: PartitionLog): boolean {
    return this.uncleanable.has(log);
  }

  /** Forgets logs that went away (Kafka's maintainUncleanablePartitions), and their states. */
  maintainUncleanablePartitions(): void {
    if (this.uncleanable.size === 0) return;
    const live = new Set<PartitionLog>();
    for (const source of this.sources()) live.add(source.log);
    for (const log of this.uncleanable) if (!live.has(log)) this.uncleanable.delete(log);
  }

  /** Forgets a log that is gone (its pause included) and drops its checkpoint entry. */
  async removeLog(log: PartitionLog): Promise<void> {
    this.inProgress.delete(log);
    this.uncleanable.delete(log);
    await this.updateCheckpoint(log, null);
  }

  private notifyPaused(log: PartitionLog): void {
    const waiters = this.pausedWaiters.get(log);
    this.pausedWaiters.delete(log);
    for (const resolve of waiters ?? []) resolve();
  }
}
