/**
 * The producer state of one partition (Kafka's ProducerStateManager): for each producer id
 * the entry of producer-state-entry.ts, the transactions still open (their first offsets give
 * the last stable offset), and the aborted-transaction indexes of the segments.
 *
 * The append path (partition-log.ts), all synchronous so that pipelined requests see each other:
 *   analyzeAppend   before anything changes: a client batch that repeats one of the producer's
 *                   last 5 batches is a duplicate (the log answers with the original offsets and
 *                   appends nothing); otherwise every batch is checked (producer-append-info.ts)
 *                   and a KafkaError refuses the whole append.
 *   commitAppend    once offsets are assigned: entries replaced, transactions opened and
 *                   completed, ABORTs added to the segment's .txnindex.
 * Until the log has written an append, the entries it replaced are kept: if the write fails the
 * log gives its offsets back (onAppendsRolledBack) and the state goes back with them, so a retry
 * of a batch that never reached the file is appended again and not taken for a duplicate.
 *
 * Snapshots (snapshot-file.ts): takeSnapshot(offset) serializes the state at once (the log calls
 * it when it rolls a segment and when it closes) and writes it once everything below the offset
 * is written. The newest MAX_SNAPSHOTS are kept; older ones, and ones below the log start
 * offset, are deleted.
 *
 * Loading (at open, and after a truncation): snapshots above the log end or below the log start
 * are deleted, the newest one that passes its checks is read (a corrupt one is deleted and the
 * next older tried), and the batches from its offset to the log end are replayed, headers only
 * (control batches whole). Replaying also adds the ABORT entries a .txnindex misses, and the
 * last segment's index loses entries for markers that recovery cut off.
 *
 * Expiration: removeExpiredProducers drops producers without an open transaction whose last
 * append is producer.id.expiration.ms old. Unlike Kafka, which compares with the batch's
 * timestamp (the producer's clock under CreateTime), the broker's time of the append is used,
 * so that old or skewed record timestamps do not expire a live producer; producers replayed
 * from the log count as active when the log was loaded.
 */
import { basename, join } from 'node:path';
import { Logger } from '../../logger.js';
import { NO_PRODUCER_ID, RecordBatchHeader } from '../../protocol/records/batch-header.js';
import { ControlRecordType, readEndTransactionMarker } from '../../protocol/records/control-batch.js';
import type { AppendOrigin } from '../../protocol/records/validate.js';
import { KafkaStorageError } from '../errors.js';
import { writeFileAtomically, type FileSystem } from '../file-system.js';
import { floorSegmentIndex } from '../log-loader.js';
import type { LogSegment } from '../log-segment.js';
import { TransactionIndex, transactionIndexPath, type AbortedTxn } from '../transaction-index.js';
import { forEachBatchHeader } from './log-replay.js';
import { ProducerAppendInfo, type CompletedTxn } from './producer-append-info.js';
import { ProducerStateEntry, type BatchMetadata } from './producer-state-entry.js';
import { CorruptSnapshotError, decodeSnapshot, encodeSnapshot, SNAPSHOT_FILE, snapshotFileName } from './snapshot-file.js';

export type { AppendOrigin } from '../../protocol/records/validate.js';

const logger = new Logger('storage');

/** producer.id.expiration.ms's default (one day). */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;
/** Snapshots kept on disk: the newest one, and older ones in case it turns out corrupt. */
export const MAX_SNAPSHOTS = 3;

export interface ProducerStateManagerOptions {
  readonly fileSystem: FileSystem;
  readonly directory: string;
  /** The clock, in ms since the epoch. */
  readonly time: () => number;
  readonly producerIdExpirationMs?: number;
}

/** What the log knows when producer state is (re)loaded. */
export interface LogExtent {
  readonly segments: readonly LogSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * The log was closed cleanly. With no snapshot at all, its producer state is then taken to be
   * empty instead of being rebuilt by a scan of the whole log (Kafka does the same: such a log
   * was written by a version without producer state).
   */
  readonly hadCleanShutdown?: boolean;
}

/** One batch as producer state sees it. */
interface BatchInfo {
  producerId: number;
  producerEpoch: number;
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  isTransactional: boolean;
  /** Null for a data batch; for a control batch the marker, or 'other' for other control types. */
  marker: { commit: boolean; coordinatorEpoch: number } | 'other' | null;
  timestamp: number;
}

/** The outcome of analyzeAppend: a duplicate to answer, or the changes commitAppend makes. */
export interface ProducerStateAppend {
  /** The retained batch this (client) append repeats; nothing is appended then. */
  readonly duplicate: BatchMetadata | null;
  readonly producers: ReadonlyMap<number, ProducerAppendInfo>;
  readonly completedTxns: readonly CompletedTxn[];
  readonly firstOffset: number;
  readonly nextOffset: number;
}

const NO_CHANGE: ProducerStateAppend = Object.freeze({ duplicate: null, producers: new Map(), completedTxns: [], firstOffset: -1, nextOffset: -1 });

/** What undoing a not-yet-written append needs. */
interface PendingAppend {
  readonly firstOffset: number;
  readonly nextOffset: number;
  readonly previous: Map<number, ProducerStateEntry | null>;
  readonly indexes: TransactionIndex[];
}

interface UnreplicatedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  /** Open transactions: first offset -> producer id, in offset order (the first is the earliest). */
  private ongoingTxns = new Map<number, number>();
  /** Completed transactions whose marker may still be above the high watermark. */
  private unreplicatedTxns: UnreplicatedTxn[] = [];
  private readonly txnIndexes = new WeakMap<LogSegment, TransactionIndex>();
  /** Index writes not yet settled (a snapshot waits for those made before it, and is not written if one fails). */
  private readonly indexWrites = new Set<Promise<void>>();
  /** Whether any .txnindex may hold an entry; read_committed fetches skip the search otherwise. */
  private mayHaveAbortedTransactions = false;

  /** Offsets of the snapshot files on disk, ascending. */
  private snapshotOffsets: number[] = [];
  /** The newest snapshot taken (written or about to be). */
  private lastSnapshotOffset = -1;
  /** File work (snapshot writes and deletions), one at a time. */
  private io: Promise<void> = Promise.resolve();

  private writtenEndOffset = 0;
  private pendingAppends: PendingAppend[] = [];
  private writtenWaiters: { offset: number; resolve: (written: boolean) => void }[] = [];

  private readonly fileSystem: FileSystem;
  readonly directory: string;
  private readonly time: () => number;
  private readonly partition: string;
  producerIdExpirationMs: number;

  private constructor(options: ProducerStateManagerOptions) {
    this.fileSystem = options.fileSystem;
    this.directory = options.directory;
    this.time = options.time;
    this.partition = basename(options.directory);
    this.producerIdExpirationMs = options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
  }

  /** Loads the state of a log that has just been opened (and recovered). */
  static async load(options: ProducerStateManagerOptions & LogExtent): Promise<ProducerStateManager> {
    const manager = new ProducerStateManager(options);
    await manager.reload(options);
    return manager;
  }

  // ---------------------------------------------------------------------------------------------
  // State

  /** The producers with state here (read only; entries are replaced, not changed). */
  get activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers;
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  /** First offsets of the open transactions, ascending. */
  get ongoingTransactionFirstOffsets(): number[] {
    return [...this.ongoingTxns.keys()];
  }

  /** The snapshot files on disk, by offset. */
  get snapshots(): readonly number[] {
    return this.snapshotOffsets;
  }

  /**
   * Kafka's firstUnstableOffset: the first offset of the earliest transaction that is open, or
   * completed with its marker not yet below `highWatermark`; null when there is none. The last
   * stable offset is min(this, high watermark), and never below the log start offset.
   */
  firstUnstableOffset(highWatermark: number): number | null {
    if (this.unreplicatedTxns.length > 0) this.unreplicatedTxns = this.unreplicatedTxns.filter((txn) => txn.lastOffset >= highWatermark);
    let first: number | null = null;
    for (const offset of this.ongoingTxns.keys()) {
      first = offset;
      break;
    }
    for (const txn of this.unreplicatedTxns) if (first === null || txn.firstOffset < first) first = txn.firstOffset;
    return first;
  }

  // ---------------------------------------------------------------------------------------------
  // The append path

  /**
   * Checks the batches of one append (whole v2 batches, already checked for structure by the
   * log). `firstOffset` is the offset the log will give the first batch, or null when the
   * batches carry their offsets (replication). `appendTime` is the LogAppendTime the log
   * stamps, null under CreateTime. Throws KafkaError when a producer rule refuses a batch.
   */
  analyzeAppend(records: Buffer, options: { origin: AppendOrigin; firstOffset: number | null; appendTime: number | null; now: number }): ProducerStateAppend {
    let producers: Map<number, ProducerAppendInfo> | null = null;
    let completedTxns: CompletedTxn[] | null = null;
    let nextOffset = options.firstOffset ?? -1;
    let firstOffset = -1;
    for (let at = 0; at < records.length; ) {
      const header = new RecordBatchHeader(records, at);
      const size = header.sizeInBytes;
      const baseOffset = options.firstOffset === null ? header.baseOffset : nextOffset;
      const lastOffset = baseOffset + header.lastOffsetDelta;
      if (firstOffset < 0) firstOffset = baseOffset;
      nextOffset = lastOffset + 1;
      at += size;
      const producerId = header.producerId;
      if (producerId <= NO_PRODUCER_ID) continue;
      if (options.origin === 'client') {
        const duplicate = this.producers.get(producerId)?.findDuplicateBatch(header.producerEpoch, header.baseSequence, header.lastSequence) ?? null;
        if (duplicate !== null) return { ...NO_CHANGE, duplicate };
      }
      const batch = batchInfo(header, baseOffset, lastOffset, options.appendTime ?? header.maxTimestamp);
      producers ??= new Map();
      let info = producers.get(producerId);
      if (info === undefined) {
        info = new ProducerAppendInfo(producerId, this.producers.get(producerId) ?? ProducerStateEntry.empty(producerId), options.origin, this.partition);
        producers.set(producerId, info);
      }
      const completed = applyBatch(info, batch, options.now);
      if (completed !== null) (completedTxns ??= []).push(completed);
    }
    if (producers === null) return NO_CHANGE;
    return { duplicate: null, producers, completedTxns: completedTxns ?? [], firstOffset, nextOffset };
  }

  /**
   * Applies an analyzed append whose offsets the log has assigned, `segment` being the segment
   * it goes to (ABORT markers are indexed there).
   */
  commitAppend(append: ProducerStateAppend, segment: LogSegment): void {
    if (append.producers.size === 0) return;
    const pending: PendingAppend | null =
      append.nextOffset > this.writtenEndOffset ? { firstOffset: append.firstOffset, nextOffset: append.nextOffset, previous: new Map(), indexes: [] } : null;
    for (const [producerId, info] of append.producers) {
      pending?.previous.set(producerId, this.producers.get(producerId) ?? null);
      this.producers.set(producerId, info.updatedEntry);
      for (const firstOffset of info.startedTransactions) this.ongoingTxns.set(firstOffset, producerId);
    }
    for (const txn of append.completedTxns) {
      if (txn.isAborted) {
        const index = this.transactionIndexFor(segment);
        this.trackIndexWrite(index.append(this.abortedTxn(txn)));
        pending?.indexes.push(index);
        this.mayHaveAbortedTransactions = true;
      }
      this.completeTxn(txn);
    }
    if (pending !== null) this.pendingAppends.push(pending);
  }

  /** Kafka's lastStableOffset(completedTxn): where the LSO is once this transaction is complete. */
  private abortedTxn(txn: CompletedTxn): AbortedTxn {
    let lastStableOffset = txn.lastOffset + 1;
    for (const [firstOffset, producerId] of this.ongoingTxns) {
      if (producerId !== txn.producerId) {
        lastStableOffset = firstOffset;
        break;
      }
    }
    return { producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset };
  }

  private completeTxn(txn: CompletedTxn): void {
    this.ongoingTxns.delete(txn.firstOffset);
    this.unreplicatedTxns.push({ producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset });
  }

  private trackIndexWrite(write: Promise<void>): void {
    this.indexWrites.add(write);
    write.then(
      () => this.indexWrites.delete(write),
      (error: unknown) => {
        this.indexWrites.delete(write);
        logger.error(`Writing a transaction index in ${this.directory} failed`, error);
      },
    );
  }

  /**
   * Settles once every transaction index change made so far is in its file; rejects when one
   * failed (the entries stay in memory, and the index's next change writes them again).
   */
  async transactionIndexesFlushed(): Promise<void> {
    await Promise.all([...this.indexWrites]);
  }

  /** The log has written everything below `offset`. */
  onWrittenEndOffsetAdvanced(offset: number): void {
    this.writtenEndOffset = offset;
    let done = 0;
    while (done < this.pendingAppends.length && this.pendingAppends[done]!.nextOffset <= offset) done += 1;
    if (done > 0) this.pendingAppends.splice(0, done);
    if (this.writtenWaiters.length > 0) {
      const ready = this.writtenWaiters.filter((waiter) => waiter.offset <= offset);
      this.writtenWaiters = this.writtenWaiters.filter((waiter) => waiter.offset > offset);
      for (const waiter of ready) waiter.resolve(true);
    }
  }

  /**
   * The log gave back every offset from `offset` on (a failed write, or the log went offline):
   * appends there are undone, and waits for them end with false.
   */
  onAppendsRolledBack(offset: number): void {
    let undone = false;
    while (this.pendingAppends.length > 0 && this.pendingAppends[this.pendingAppends.length - 1]!.firstOffset >= offset) {
      const pending = this.pendingAppends.pop()!;
      for (const [producerId, previous] of pending.previous) {
        if (previous === null) this.producers.delete(producerId);
        else this.producers.set(producerId, previous);
      }
      for (const index of pending.indexes) this.trackIndexWrite(index.truncateTo(offset));
      undone = true;
    }
    if (undone) {
      this.rebuildOngoingTxns();
      this.unreplicatedTxns = this.unreplicatedTxns.filter((txn) => txn.lastOffset < offset);
    }
    this.writtenEndOffset = Math.min(this.writtenEndOffset, offset);
    const cancelled = this.writtenWaiters.filter((waiter) => waiter.offset > offset);
    this.writtenWaiters = this.writtenWaiters.filter((waiter) => waiter.offset <= offset);
    for (const waiter of cancelled) waiter.resolve(false);
    if (this.lastSnapshotOffset > offset) this.lastSnapshotOffset = this.snapshotOffsets.filter((snapshot) => snapshot <= offset).pop() ?? -1;
  }

  /** Resolves true once everything below `offset` is written, false if those offsets are given back first. */
  waitForWritten(offset: number): Promise<boolean> {
    if (offset <= this.writtenEndOffset) return Promise.resolve(true);
    return new Promise((resolve) => this.writtenWaiters.push({ offset, resolve }));
  }

  /**
   * The `written` promise of a duplicate: the original batch may still be queued for the writer.
   * Rejects when that write failed (the retry is then appended anew).
   */
  duplicateWritten(duplicate: BatchMetadata): Promise<void> {
    const written = this.waitForWritten(duplicate.lastOffset + 1).then((ok) => {
      if (!ok) throw new KafkaStorageError(`The first append of this batch (offsets ${duplicate.firstOffset}-${duplicate.lastOffset}) was not written`);
    });
    written.catch(noop);
    return written;
  }

  private rebuildOngoingTxns(): void {
    const open = [...this.producers.values()].filter((entry) => entry.hasOngoingTransaction).sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
    this.ongoingTxns = new Map(open.map((entry) => [entry.currentTxnFirstOffset, entry.producerId]));
  }

  // ---------------------------------------------------------------------------------------------
  // Aborted transactions (read_committed fetches)

  private transactionIndexFor(segment: LogSegment): TransactionIndex {
    let index = this.txnIndexes.get(segment);
    if (index === undefined) {
      index = new TransactionIndex(this.fileSystem, transactionIndexPath(segment.directory, segment.baseOffset));
      this.txnIndexes.set(segment, index);
    }
    return index;
  }

  /**
   * Kafka's collectAbortedTransactions: the aborted transactions overlapping [fetchOffset,
   * upperBoundOffset) from the indexes of the segment holding fetchOffset and the ones after it,
   * sorted by first offset (kafkajs walks the list in order).
   */
  async collectAbortedTransactions(segments: readonly LogSegment[], fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
    if (!this.mayHaveAbortedTransactions) return [];
    const found: AbortedTxn[] = [];
    for (let i = floorSegmentIndex(segments, fetchOffset); i < segments.length; i++) {
      const index = this.transactionIndexFor(segments[i]!);
      await index.load();
      const result = index.collectAbortedTxns(fetchOffset, upperBoundOffset);
      found.push(...result.abortedTransactions);
      if (result.isComplete) break;
    }
    return found.sort((a, b) => a.firstOffset - b.firstOffset);
  }

  // ---------------------------------------------------------------------------------------------
  // Expiration

  /** Forgets producers idle for producer.id.expiration.ms with no open transaction; returns how many. */
  removeExpiredProducers(now: number = this.time()): number {
    let removed = 0;
    for (const [producerId, entry] of this.producers) {
      if (this.isExpired(entry, now)) {
        this.producers.delete(producerId);
        removed += 1;
      }
    }
    return removed;
  }

  private isExpired(entry: ProducerStateEntry, now: number): boolean {
    return !entry.hasOngoingTransaction && now - entry.lastTimestamp >= this.producerIdExpirationMs;
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Takes a snapshot of the state as it is now, which must be the state for every offset below
   * `offset` (the log calls this when a new segment starts there, and at close with its end).
   * The file is written once the log has written up to `offset`; nothing new is taken when a
   * snapshot at or above `offset` exists. The promise settles when the file work queued so far
   * is done, and rejects when this snapshot's write failed (callers that do not wait may drop
   * it: the failure is logged).
   */
  takeSnapshot(offset: number, logStartOffset: number): Promise<void> {
    if (offset <= this.lastSnapshotOffset) {
      const flushed = this.flush();
      flushed.catch(noop);
      return flushed;
    }
    this.lastSnapshotOffset = offset;
    const bytes = encodeSnapshot(this.producers.values());
    const indexWrites = [...this.indexWrites];
    return this.enqueueIo(async () => {
      if (!(await this.waitForWritten(offset))) return;
      await Promise.all(indexWrites);
      await this.writeSnapshotFile(offset, bytes);
      await this.deleteOldSnapshots(logStartOffset);
    });
  }

  /**
   * Settles once every snapshot taken so far is written (or has failed, which is logged) and
   * every transaction index change is in its file (rejects when one failed).
   */
  flush(): Promise<void> {
    return this.io.then(() => this.transactionIndexesFlushed());
  }

  /** Queues file work behind the work before it; the result rejects if this work fails (logged either way). */
  private enqueueIo(work: () => Promise<void>): Promise<void> {
    const run = this.io.then(work);
    this.io = run.catch((error: unknown) => logger.error(`Producer state file work in ${this.directory} failed`, error));
    run.catch(noop);
    return run;
  }

  private async writeSnapshotFile(offset: number, bytes: Buffer): Promise<void> {
    await writeFileAtomically(this.fileSystem, join(this.directory, snapshotFileName(offset)), this.directory, bytes);
    this.snapshotOffsets = [...this.snapshotOffsets.filter((existing) => existing !== offset), offset].sort((a, b) => a - b);
  }

  private async deleteOldSnapshots(logStartOffset: number): Promise<void> {
    const newest = this.snapshotOffsets[this.snapshotOffsets.length - 1];
    const doomed = this.snapshotOffsets.filter((offset, i) => offset !== newest && (i < this.snapshotOffsets.length - MAX_SNAPSHOTS || offset < logStartOffset));
    for (const offset of doomed) await this.deleteSnapshot(offset);
  }

  private async deleteSnapshot(offset: number): Promise<void> {
    this.snapshotOffsets = this.snapshotOffsets.filter((existing) => existing !== offset);
    await this.fileSystem.unlink(join(this.directory, snapshotFileName(offset)));
  }

  // ---------------------------------------------------------------------------------------------
  // Loading and truncation

  /** After a truncation of the log (a follower cutting to its leader): the state for the log as it now is. */
  async truncateAndReload(extent: LogExtent): Promise<void> {
    await this.io;
    await this.transactionIndexesFlushed();
    await this.reload(extent);
  }

  /** The log was emptied and starts at `offset`: no state, no snapshots. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.io;
    await this.transactionIndexesFlushed();
    this.clear();
    for (const snapshot of this.snapshotOffsets.slice()) await this.deleteSnapshot(snapshot);
    this.lastSnapshotOffset = -1;
    this.writtenEndOffset = offset;
  }

  private clear(): void {
    this.producers.clear();
    this.ongoingTxns.clear();
    this.unreplicatedTxns = [];
    this.pendingAppends = [];
    const waiters = this.writtenWaiters;
    this.writtenWaiters = [];
    for (const waiter of waiters) waiter.resolve(false);
  }

  private async reload(extent: LogExtent): Promise<void> {
    const { segments, logStartOffset, logEndOffset } = extent;
    const now = this.time();
    this.clear();
    this.writtenEndOffset = logEndOffset;
    const names = await this.fileSystem.readdir(this.directory);
    this.mayHaveAbortedTransactions = this.mayHaveAbortedTransactions || names.some((name) => name.endsWith('.txnindex'));
    const offsets: number[] = [];
    for (const name of names) {
      const match = SNAPSHOT_FILE.exec(name);
      if (match !== null) offsets.push(Number(match[1]));
    }
    this.snapshotOffsets = offsets.sort((a, b) => a - b);
    for (const offset of this.snapshotOffsets.slice()) {
      if (offset > logEndOffset || offset < logStartOffset) await this.deleteSnapshot(offset);
    }

    let replayFrom = logStartOffset;
    while (this.snapshotOffsets.length > 0) {
      const offset = this.snapshotOffsets[this.snapshotOffsets.length - 1]!;
      const path = join(this.directory, snapshotFileName(offset));
      try {
        const bytes = await this.fileSystem.readFile(path);
        if (bytes === null) throw new CorruptSnapshotError('the file is gone');
        for (const entry of decodeSnapshot(bytes)) {
          if (!this.isExpired(entry, now)) this.producers.set(entry.producerId, entry);
        }
        replayFrom = offset;
        break;
      } catch (error) {
        if (!(error instanceof CorruptSnapshotError)) throw error;
        logger.warn(`Ignoring producer snapshot ${path}: ${error.message}; the state is rebuilt from the log`);
        this.producers.clear();
        await this.deleteSnapshot(offset);
      }
    }
    this.rebuildOngoingTxns();
    this.lastSnapshotOffset = this.snapshotOffsets[this.snapshotOffsets.length - 1] ?? -1;

    // Markers that recovery or a truncation cut off leave no entry behind.
    const last = segments[segments.length - 1];
    if (last !== undefined) {
      const index = this.transactionIndexFor(last);
      await index.load();
      await index.truncateTo(logEndOffset);
    }

    if (this.snapshotOffsets.length === 0 && extent.hadCleanShutdown === true) replayFrom = logEndOffset;
    let replayed = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const next = segments[i + 1];
      if (segment.baseOffset >= logEndOffset || (next !== undefined && next.baseOffset <= replayFrom)) continue;
      const index = this.transactionIndexFor(segment);
      await index.load();
      await forEachBatchHeader(segment, replayFrom, logEndOffset, (header) => {
        replayed += 1;
        this.replayBatch(header, index, now);
      });
    }
    this.unreplicatedTxns = [];
    await this.transactionIndexesFlushed();
    // A snapshot at the end saves the next start a replay (none for a log that holds nothing).
    if (replayed > 0 || (this.snapshotOffsets.length === 0 && logEndOffset > logStartOffset)) {
      if (replayed > 0) logger.info(`Rebuilt the producer state of ${this.directory} from ${replayed} batch(es) after offset ${replayFrom}: ${this.producers.size} producer(s), ${this.ongoingTxns.size} open transaction(s)`);
      await this.takeSnapshot(logEndOffset, logStartOffset).catch(noop);
    }
  }

  /** A batch from the log (replication rules: applied, not checked). */
  private replayBatch(header: RecordBatchHeader, index: TransactionIndex, now: number): void {
    const producerId = header.producerId;
    if (producerId <= NO_PRODUCER_ID) return;
    const batch = batchInfo(header, header.baseOffset, header.lastOffset, header.maxTimestamp);
    const info = new ProducerAppendInfo(producerId, this.producers.get(producerId) ?? ProducerStateEntry.empty(producerId), 'replication', this.partition);
    const completed = applyBatch(info, batch, now);
    this.producers.set(producerId, info.updatedEntry);
    for (const firstOffset of info.startedTransactions) this.ongoingTxns.set(firstOffset, producerId);
    if (completed !== null) {
      if (completed.isAborted && !index.hasEntryFor(completed.lastOffset)) {
        this.trackIndexWrite(index.append(this.abortedTxn(completed)));
        this.mayHaveAbortedTransactions = true;
      }
      this.completeTxn(completed);
    }
  }
}

/**
 * The producer fields of a batch at [firstOffset, lastOffset]; a control batch is decoded for
 * its marker ('other' for other control types, and for an unreadable or emptied one).
 */
function batchInfo(header: RecordBatchHeader, firstOffset: number, lastOffset: number, timestamp: number): BatchInfo {
  let marker: BatchInfo['marker'] = null;
  if (header.isControl) {
    if (header.recordsCount === 0) {
      marker = 'other';
    } else {
      try {
        const parsed = readEndTransactionMarker(header.bytes(), { verifyCrc: false });
        marker = { commit: parsed.type === ControlRecordType.COMMIT, coordinatorEpoch: parsed.coordinatorEpoch };
      } catch {
        marker = 'other';
      }
    }
  }
  return {
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    firstSeq: header.baseSequence,
    lastSeq: header.lastSequence,
    firstOffset,
    lastOffset,
    isTransactional: header.isTransactional,
    marker,
    timestamp,
  };
}

function applyBatch(info: ProducerAppendInfo, batch: BatchInfo, now: number): CompletedTxn | null {
  if (batch.marker === 'other') return null;
  if (batch.marker !== null) {
    return info.appendEndTxnMarker({ commit: batch.marker.commit, coordinatorEpoch: batch.marker.coordinatorEpoch, producerEpoch: batch.producerEpoch, offset: batch.firstOffset, now });
  }
  info.appendDataBatch({
    producerEpoch: batch.producerEpoch,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    firstOffset: batch.firstOffset,
    lastOffset: batch.lastOffset,
    isTransactional: batch.isTransactional,
    timestamp: batch.timestamp,
    now,
  });
  return null;
}

function noop(): void {}
