/**
 * The log cleaner (Kafka's LogCleaner): log compaction for every partition whose
 * cleanup.policy includes `compact`, in the background.
 *
 * log.cleaner.threads tasks (Kafka's CleanerThread; here async loops on the event loop) each
 * repeat: take the filthiest log (log-cleaner-manager.ts), clean it (cleaner.ts), checkpoint how
 * far it got in `cleaner-offset-checkpoint`, then run the retention pass of every compacted log
 * (PartitionLog.deleteOldSegments — for compacted logs the cleaner does it, not the broker's
 * retention task, as in Kafka, so the two never work on one log at once). When there was
 * nothing to clean a task sleeps log.cleaner.backoff.ms.
 *
 * Each task has its own offset map of log.cleaner.dedupe.buffer.size / threads bytes at most
 * and reads in chunks of log.cleaner.io.buffer.size / threads / 2; all share one I/O throttle
 * (log.cleaner.io.max.bytes.per.second). Work is sliced so that produce and fetch keep their
 * latency (throttler.ts).
 *
 * Deleting or truncating a log must first stop its cleaning: abortCleaning / removeLog (topic
 * deletion) and abortAndPauseCleaning + resumeCleaning (truncation) resolve once no task works
 * on it. shutdown() stops every task at its next check and waits for them.
 *
 * Configuration is read once, when the cleaner is made (Kafka reconfigures by restarting its
 * threads; restart the broker here).
 */
import { nodeFileSystem, type FileSystem } from '../file-system.js';
import type { PartitionLog } from '../partition-log.js';
import { KafkaStorageError } from '../errors.js';
import { Logger } from '../../logger.js';
import { CLEANED_FILE_SUFFIX, type LogSegment } from '../log-segment.js';
import { TransactionIndex, transactionIndexPath } from '../transaction-index.js';
import { Cleaner, LogCleaningAbortedError, type CleanerContext, type CleanerStats, type LastRecord, type LogToClean } from './cleaner.js';
import type { AbortedTransaction } from './cleaned-transaction-metadata.js';
import { isCompacted, LogCleanerManager, logName, type CleanerLogSource } from './log-cleaner-manager.js';
import { OffsetMap } from './offset-map.js';
import { sleep, Throttler } from './throttler.js';

const logger = new Logger('log-cleaner');

export interface LogCleanerConfig {
  /** log.cleaner.threads: cleaning tasks. */
  readonly numThreads: number;
  /** log.cleaner.dedupe.buffer.size: memory for the offset maps, shared by the tasks. */
  readonly dedupeBufferSize: number;
  /** log.cleaner.io.buffer.load.factor: how full an offset map may get. */
  readonly dedupeBufferLoadFactor: number;
  /** log.cleaner.io.buffer.size: read buffer memory, shared by the tasks (half of each share is used for reading). */
  readonly ioBufferSize: number;
  /** log.cleaner.io.max.bytes.per.second: read plus write rate of all tasks. */
  readonly maxIoBytesPerSecond: number;
  /** log.cleaner.backoff.ms: sleep when there is nothing to clean. */
  readonly backoffMs: number;
}

/** Kafka's defaults. */
export const DEFAULT_LOG_CLEANER_CONFIG: LogCleanerConfig = Object.freeze({
  numThreads: 1,
  dedupeBufferSize: 128 * 1024 * 1024,
  dedupeBufferLoadFactor: 0.9,
  ioBufferSize: 512 * 1024,
  maxIoBytesPerSecond: Number.MAX_VALUE,
  backoffMs: 15_000,
});

/** The smallest read chunk, whatever the configured share. */
const MIN_IO_BUFFER_BYTES = 16 * 1024;

export interface LogCleanerOptions {
  /** The clock (ms since the epoch); Date.now by default. */
  readonly time?: () => number;
  /** For `cleaner-offset-checkpoint` and cleaned transaction indexes; node:fs by default (the logs' own). */
  readonly fileSystem?: FileSystem;
  /** Replacements for the log's producer state, for tests; by default the log's ProducerStateManager answers. */
  readonly lastRecordsOfActiveProducers?: CleanerContext['lastRecordsOfActiveProducers'];
  readonly collectAbortedTransactions?: CleanerContext['collectAbortedTransactions'];
}

/** Kafka's UnifiedLog.lastRecordsOfActiveProducers, from the log's producer state. */
export async function lastRecordsOfActiveProducers(log: PartitionLog): Promise<ReadonlyMap<number, LastRecord>> {
  const records = new Map<number, LastRecord>();
  for (const [producerId, entry] of log.producerStateManager.activeProducers) {
    records.set(producerId, { lastDataOffset: entry.lastDataOffset, producerEpoch: entry.producerEpoch });
  }
  return records;
}

/** Kafka's UnifiedLog.collectAbortedTransactions, from the log's transaction indexes. */
export function collectAbortedTransactions(log: PartitionLog, startOffset: number, endOffset: number): Promise<readonly AbortedTransaction[]> {
  return log.producerStateManager.collectAbortedTransactions(log.logSegments, startOffset, endOffset);
}

export class LogCleaner {
  readonly config: LogCleanerConfig;
  readonly manager: LogCleanerManager;
  readonly throttler: Throttler;
  private readonly time: () => number;
  private readonly cleaners: Cleaner[];
  private running = false;
  private tasks: Promise<void>[] = [];
  private stopping = false;
  private stopController = new AbortController();
  /** awaitCleaned callers, woken after every round. */
  private readonly roundListeners = new Set<() => void>();

  constructor(
    config: Partial<LogCleanerConfig>,
    sources: () => Iterable<CleanerLogSource>,
    options: LogCleanerOptions = {},
  ) {
    this.config = { ...DEFAULT_LOG_CLEANER_CONFIG, ...config };
    const numThreads = Math.max(1, Math.floor(this.config.numThreads));
    this.time = options.time ?? Date.now;
    this.manager = new LogCleanerManager(sources, options.fileSystem ?? nodeFileSystem);
    this.throttler = new Throttler(this.config.maxIoBytesPerSecond, this.time);
    const memory = Math.min(this.config.dedupeBufferSize / numThreads, 2 ** 31 - 1);
    const ioBufferBytes = Math.max(MIN_IO_BUFFER_BYTES, Math.floor(this.config.ioBufferSize / numThreads / 2));
    const owner = this;
    const fileSystem = options.fileSystem ?? nodeFileSystem;
    const context: CleanerContext = {
      checkDone: (log) => this.checkDone(log),
      throttler: this.throttler,
      // The throttler's sleeps end when the cleaner stops.
      get signal() {
        return owner.stopController.signal;
      },
      ioBufferBytes,
      lastRecordsOfActiveProducers: options.lastRecordsOfActiveProducers ?? lastRecordsOfActiveProducers,
      collectAbortedTransactions: options.collectAbortedTransactions ?? collectAbortedTransactions,
      writeCleanedTransactionIndex: (segment, entries) => writeCleanedTransactionIndex(fileSystem, segment, entries),
    };
    this.cleaners = Array.from({ length: numThreads }, (_, id) => new Cleaner(id, new OffsetMap(memory, this.config.dedupeBufferLoadFactor), context));
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the cleaning tasks. */
  startup(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.stopController = new AbortController();
    logger.info(`Starting the log cleaner with ${this.cleaners.length} task(s)`);
    this.tasks = this.cleaners.map((cleaner) => this.runTask(cleaner));
  }

  /** Stops every task at its next check and waits for them; cleanings under way are dropped (their `.cleaned` files removed). */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    logger.info('Shutting down the log cleaner');
    this.running = false;
    this.stopping = true;
    this.stopController.abort();
    await Promise.all(this.tasks);
    this.tasks = [];
    this.stopping = false;
    logger.info('The log cleaner is shut down');
  }

  /** Stops the cleaning of `log` under way, if any, and resolves once no task works on it. */
  async abortCleaning(log: PartitionLog): Promise<void> {
    await this.manager.abortAndPauseCleaning(log);
    this.manager.resumeCleaning(log);
  }

  /** As abortCleaning, keeping the log from being cleaned until resumeCleaning (a truncation). */
  abortAndPauseCleaning(log: PartitionLog): Promise<void> {
    return this.manager.abortAndPauseCleaning(log);
  }

  resumeCleaning(log: PartitionLog): void {
    this.manager.resumeCleaning(log);
  }

  /** A log about to be deleted: stops its cleaning and drops it from `cleaner-offset-checkpoint`. */
  async removeLog(log: PartitionLog): Promise<void> {
    await this.manager.abortAndPauseCleaning(log);
    await this.manager.removeLog(log);
  }

  /** After a truncation to `offset`: the checkpoint must not stay above it (Kafka's maybeTruncateCheckpoint). */
  maybeTruncateCheckpoint(log: PartitionLog, offset: number): Promise<void> {
    return this.manager.maybeTruncateCheckpoint(log, offset);
  }

  /** Resolves once `log` is cleaned up to `offset` (its checkpoint reached it), or false after maxWaitMs. */
  async awaitCleaned(log: PartitionLog, offset: number, maxWaitMs: number): Promise<boolean> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (((await this.manager.lastCleanOffset(log)) ?? -1) >= offset) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 100));
        const listeners = this.roundListeners;
        function done(): void {
          clearTimeout(timer);
          listeners.delete(done);
          resolve();
        }
        listeners.add(done);
      });
    }
  }

  /**
   * One turn of a task (Kafka's cleanFilthiestLog): cleans the filthiest log if one qualifies,
   * then runs retention on the compacted logs. Resolves to whether a log was cleaned.
   */
  async cleanFilthiestLog(cleaner: Cleaner = this.cleaners[0]!): Promise<boolean> {
    const now = this.time();
    const cleanable = await this.manager.grabFilthiestCompactedLog(now);
    let cleaned = false;
    // A round that failed counts as nothing cleaned, so that the task backs off before retrying.
    if (cleanable !== null) cleaned = await this.cleanLog(cleaner, cleanable, now);
    const deletable = this.manager.deletableLogs();
    try {
      for (const source of deletable) {
        if (this.stopping) break;
        try {
          await source.log.deleteOldSegments({ highWatermark: source.highWatermark });
        } catch (error) {
          logger.error(`Retention of the compacted log ${logName(source.log).name} failed`, error);
        }
      }
    } finally {
      this.manager.doneDeleting(deletable.map((source) => source.log));
    }
    return cleaned;
  }

  /** Kafka's cleanLog; resolves to whether the round completed. */
  private async cleanLog(cleaner: Cleaner, cleanable: LogToClean, now: number): Promise<boolean> {
    const startOffset = cleanable.firstDirtyOffset;
    let endOffset = startOffset;
    try {
      const result = await cleaner.clean(cleanable, now);
      endOffset = result.endOffset;
      this.recordStats(cleaner.id, cleanable.name, startOffset, endOffset, result.stats);
      return true;
    } catch (error) {
      if (error instanceof LogCleaningAbortedError) {
        logger.info(`Cleaner ${cleaner.id}: the cleaning of log ${cleanable.name} was aborted`);
      } else if (error instanceof KafkaStorageError || cleanable.log.offlineError !== null) {
        logger.warn(`Cleaner ${cleaner.id}: the cleaning of log ${cleanable.name} stopped on a storage error: ${(error as Error)?.message ?? String(error)}`);
      } else {
        logger.warn(`Cleaner ${cleaner.id}: unexpected error while cleaning log ${cleanable.name}; marking it uncleanable`, error);
        this.manager.markUncleanable(cleanable.log);
      }
      return false;
    } finally {
      await this.manager.doneCleaning(cleanable.log, endOffset);
      for (const listener of [...this.roundListeners]) listener();
    }
  }

  private async runTask(cleaner: Cleaner): Promise<void> {
    while (this.running) {
      let cleaned = false;
      try {
        cleaned = await this.cleanFilthiestLog(cleaner);
      } catch (error) {
        logger.error(`Cleaner ${cleaner.id} failed a round`, error);
      }
      this.manager.maintainUncleanablePartitions();
      if (!this.running) break;
      if (!cleaned) await sleep(this.config.backoffMs, this.stopController.signal);
    }
  }

  private checkDone(log: PartitionLog): void {
    if (this.stopping) throw new LogCleaningAbortedError('The log cleaner is shutting down');
    this.manager.checkCleaningAborted(log);
  }

  /** Kafka's recordStats, on one line. */
  private recordStats(id: number, name: string, from: number, to: number, stats: CleanerStats): void {
    const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
    const elapsed = Math.max(stats.elapsedSeconds, 1e-6);
    const reduction = stats.bytesRead === 0 ? 0 : 100 * (1 - stats.bytesWritten / stats.bytesRead);
    const fewer = stats.messagesRead === 0 ? 0 : 100 * (1 - stats.messagesWritten / stats.messagesRead);
    logger.info(
      `Cleaner ${id}: cleaned log ${name} (dirty section = [${from}, ${to}]): ${mb(stats.bytesRead)} MB of log processed in ${elapsed.toFixed(1)} s ` +
        `(${mb(stats.bytesRead / elapsed)} MB/s); indexed ${mb(stats.mapBytesRead)} MB in ${stats.elapsedIndexSeconds.toFixed(1)} s; ` +
        `buffer utilization ${(100 * stats.bufferUtilization).toFixed(1)}%; start size ${mb(stats.bytesRead)} MB (${stats.messagesRead} messages), ` +
        `end size ${mb(stats.bytesWritten)} MB (${stats.messagesWritten} messages): ${reduction.toFixed(1)}% size reduction (${fewer.toFixed(1)}% fewer messages)`,
    );
    if (stats.invalidMessagesRead > 0) logger.warn(`Cleaner ${id}: found ${stats.invalidMessagesRead} invalid messages (without a key) while cleaning log ${name}`);
  }
}

/**
 * The `.txnindex` of a cleaned segment, written under the `.cleaned` suffix so that the swap
 * renames it with the segment's other files (Kafka's cleanedIndex).
 */
async function writeCleanedTransactionIndex(fileSystem: FileSystem, segment: LogSegment, entries: readonly AbortedTransaction[]): Promise<void> {
  const path = transactionIndexPath(segment.directory, segment.baseOffset) + CLEANED_FILE_SUFFIX;
  await fileSystem.unlink(path);
  const index = new TransactionIndex(fileSystem, path);
  await index.load();
  for (const entry of entries) await index.append(entry);
}

export { isCompacted };
