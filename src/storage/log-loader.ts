/**
 * Opens a partition directory and brings it to a consistent state (Kafka's LogLoader).
 *
 * Files it looks at, besides the segments:
 *   .kafka_cleanshutdown               written last by a clean close(); removed here before
 *                                      anything else can be written
 *   recovery-point-offset-checkpoint   offsets below it are on disk with complete indexes
 *   log-start-offset-checkpoint        the first offset clients may read
 *   *.tmp, *.deleted, *.cleaned        leftovers of interrupted writes; removed
 *   *.swap                             a log cleaner swap a crash interrupted: first completed
 *                                      (or, with .cleaned files of the same swap, undone) by
 *                                      cleaner/swap-recovery.ts, as Kafka's LogLoader does
 *
 * Recovery after a shutdown that was not clean (no marker): every segment from the one holding
 * the recovery point to the end — at least the active one — is read batch by batch (length,
 * magic 2, CRC-32C, increasing offsets). The first batch that fails, usually one torn by the
 * crash, and everything after it is cut: the rest of that segment is truncated and any later
 * segment is deleted. The scanned segments get rebuilt indexes and are fdatasync'ed, so the
 * recovery point moves to the log end. (Kafka keeps the old recovery point and rescans after a
 * second crash; syncing once here is cheap next to the scan.)
 *
 * After a clean shutdown nothing is scanned: the log end comes from the active segment's last
 * offset index entry and a header walk to the end of the file, and other segments load their
 * indexes when first used.
 */
import { join } from 'node:path';
import { OffsetCheckpointFile } from './checkpoint-file.js';
import type { FileSystem } from './file-system.js';
import type { LogConfig } from './log-config.js';
import { Logger } from '../logger.js';
import { recoverInterruptedSwaps } from './cleaner/swap-recovery.js';
import { LogSegment, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX } from './log-segment.js';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';

const SEGMENT_FILE = /^(\d{20})(\.log|\.index|\.timeindex|\.txnindex)$/;
const LEFTOVER_SUFFIXES = ['.tmp', '.deleted', '.cleaned'];

const logger = new Logger('storage');

export interface LoadedLog {
  readonly segments: LogSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly recoveryPoint: number;
  readonly hadCleanShutdown: boolean;
  readonly recoveryPointCheckpoint: OffsetCheckpointFile;
  readonly logStartOffsetCheckpoint: OffsetCheckpointFile;
}

/** Index of the last segment whose baseOffset <= offset; 0 when offset is below them all. */
export function floorSegmentIndex(segments: readonly LogSegment[], offset: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (segments[middle]!.baseOffset <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

export class LogLoader {
  constructor(
    private readonly fileSystem: FileSystem,
    private readonly directory: string,
    private readonly config: LogConfig,
    private readonly now: number,
  ) {}

  async load(): Promise<LoadedLog> {
    const fileSystem = this.fileSystem;
    const directory = this.directory;
    await fileSystem.mkdir(directory);
    const names = await recoverInterruptedSwaps(fileSystem, directory, await fileSystem.readdir(directory));
    const hadCleanShutdown = names.includes(CLEAN_SHUTDOWN_FILE);

    const logFiles = new Set<number>();
    const otherSegmentFiles: { baseOffset: number; name: string }[] = [];
    for (const name of names) {
      if (LEFTOVER_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
        await fileSystem.unlink(join(directory, name));
        continue;
      }
      const match = SEGMENT_FILE.exec(name);
      if (match === null) continue;
      const baseOffset = Number(match[1]);
      if (match[2] === LOG_FILE_SUFFIX) logFiles.add(baseOffset);
      else otherSegmentFiles.push({ baseOffset, name });
    }
    // Index files without a .log file: a segment deleted or never created; nothing to keep.
    for (const file of otherSegmentFiles) {
      if (!logFiles.has(file.baseOffset)) await fileSystem.unlink(join(directory, file.name));
    }

    const recoveryPointCheckpoint = new OffsetCheckpointFile(fileSystem, directory, RECOVERY_POINT_CHECKPOINT_FILE);
    const logStartOffsetCheckpoint = new OffsetCheckpointFile(fileSystem, directory, LOG_START_OFFSET_CHECKPOINT_FILE);
    const storedLogStartOffset = await logStartOffsetCheckpoint.read();
    const storedRecoveryPoint = await recoveryPointCheckpoint.read();
    let logStartOffset = Math.max(0, storedLogStartOffset ?? 0);
    const checkpointedRecoveryPoint = storedRecoveryPoint ?? 0;

    const baseOffsets = [...logFiles].sort((a, b) => a - b);
    let segments: LogSegment[] = [];
    for (const baseOffset of baseOffsets) {
      const stat = await fileSystem.stat(join(directory, `${String(baseOffset).padStart(20, '0')}${LOG_FILE_SUFFIX}`));
      segments.push(LogSegment.existing(fileSystem, directory, baseOffset, this.config, stat?.size ?? 0, this.now));
    }
    for (let i = 0; i + 1 < segments.length; i++) segments[i]!.nextSegmentBaseOffset = segments[i + 1]!.baseOffset;
    if (segments.length === 0) segments.push(await this.createSegment(logStartOffset));
    logStartOffset = Math.max(logStartOffset, segments[0]!.baseOffset);

    // Segments wholly below the log start offset: a deletion the crash interrupted.
    while (segments.length > 1 && segments[1]!.baseOffset <= logStartOffset) {
      await segments.shift()!.delete();
    }

    let logEndOffset: number | null = null;
    // A log with no segment file yet is new, not crashed: there is nothing to recover.
    const isNewLog = logFiles.size === 0;
    if (!hadCleanShutdown && !isNewLog) {
      const from = floorSegmentIndex(segments, checkpointedRecoveryPoint);
      logger.info(`Recovering ${directory} from segment ${segments[from]!.baseOffset} (recovery point ${checkpointedRecoveryPoint}); the last shutdown was not clean`);
      for (let i = from; i < segments.length; i++) {
        const segment = segments[i]!;
        const result = await segment.recover();
        logEndOffset = result.nextOffset;
        if (result.truncatedBytes > 0) {
          const later = segments.splice(i + 1);
          logger.warn(
            `Recovery cut ${result.truncatedBytes} bytes from ${segment.log.path} at ${result.reason ?? 'an invalid batch'}` +
              (later.length > 0 ? ` and deleted ${later.length} later segment(s)` : ''),
          );
          for (const dropped of later) await dropped.delete();
          break;
        }
      }
    }

    const active = segments[segments.length - 1]!;
    active.nextSegmentBaseOffset = Number.MAX_SAFE_INTEGER;
    await active.loadIndexes();
    if (logEndOffset === null) {
      logEndOffset = await active.readNextOffset();
      if (logEndOffset === null) {
        // The marker says clean, but the file does not end on a batch boundary: trust the bytes.
        const result = await active.recover();
        logger.warn(`Active segment ${active.log.path} did not end cleanly; cut ${result.truncatedBytes} bytes`);
        logEndOffset = result.nextOffset;
      } else {
        await active.loadRollingBasedTimestamp();
      }
    }

    if (logStartOffset > logEndOffset) {
      // Everything readable is below the log start offset: start over there, as Kafka does.
      logger.warn(`Log start offset ${logStartOffset} is past the log end ${logEndOffset} in ${directory}; starting an empty log there`);
      for (const segment of segments) await segment.delete();
      segments = [await this.createSegment(logStartOffset)];
      logEndOffset = logStartOffset;
    }

    if (hadCleanShutdown) {
      // From here on the log changes; a crash must not find the marker.
      await fileSystem.unlink(join(directory, CLEAN_SHUTDOWN_FILE));
      await fileSystem.syncDirectory(directory);
    }
    const recoveryPoint = logEndOffset;
    // A missing checkpoint reads as 0, so a new log's zeros need no file: creating a partition
    // then costs one fsync (its directory) instead of five. (A value read back is not rewritten.)
    if (storedRecoveryPoint !== null || recoveryPoint !== 0) await recoveryPointCheckpoint.write(recoveryPoint);
    if (storedLogStartOffset !== null || logStartOffset !== 0) await logStartOffsetCheckpoint.write(logStartOffset);
    return { segments, logStartOffset, logEndOffset, recoveryPoint, hadCleanShutdown, recoveryPointCheckpoint, logStartOffsetCheckpoint };
  }

  private async createSegment(baseOffset: number): Promise<LogSegment> {
    const segment = LogSegment.create(this.fileSystem, this.directory, baseOffset, this.config, this.now);
    await segment.openForAppend();
    return segment;
  }
}

export { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX };
