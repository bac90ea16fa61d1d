/**
 * One segment's `.txnindex` (Kafka's TransactionIndex): the aborted transactions whose ABORT
 * marker is in the segment, in marker order. A read_committed fetch collects the entries that
 * overlap the fetched range and returns them as `aborted_transactions`, so that consumers can
 * drop the aborted batches. Entries whose data starts in an earlier segment are still kept in
 * the segment holding the marker, which is why a search walks forward from the fetch segment.
 *
 * File format (Kafka's AbortedTxn, version 0), entries back to back, no header:
 *
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 *
 * 34 bytes each. `lastOffset` is the marker's offset; `lastStableOffset` is the partition's last
 * stable offset once the marker was written, and ends a search early: a later entry cannot
 * overlap a range that ends before it.
 *
 * The entries live in memory once loaded; the file follows them. An append is written and
 * fdatasync'ed at once (aborts are rare), a removal of entries at the tail (a log truncation, or
 * appends the log gave back after a failed write) cuts the file. Crash behaviour: a partial
 * entry at the end (a torn write) is dropped when the file is loaded, and entries for markers
 * that recovery cut from the log are removed by the producer state rebuild, which also adds
 * the entries of markers replayed after the last producer snapshot that the file misses.
 */
import { join } from 'node:path';
import { readInt64, writeInt64 } from './abstract-index.js';
import { writeFully, type FileSystem } from './file-system.js';
import { filenamePrefixFromOffset, TXN_INDEX_FILE_SUFFIX } from './log-segment.js';

export const ABORTED_TXN_VERSION = 0;
export const ABORTED_TXN_SIZE = 34;

/** One aborted transaction (Kafka's AbortedTxn). */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The offset of the ABORT marker. */
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

export interface TxnIndexSearchResult {
  readonly abortedTransactions: AbortedTxn[];
  /** True when no later segment can hold an entry overlapping the range. */
  readonly isComplete: boolean;
}

export function transactionIndexPath(directory: string, baseOffset: number): string {
  return join(directory, filenamePrefixFromOffset(baseOffset) + TXN_INDEX_FILE_SUFFIX);
}

export function encodeAbortedTxn(entry: AbortedTxn): Buffer {
  const bytes = Buffer.allocUnsafe(ABORTED_TXN_SIZE);
  bytes.writeInt16BE(ABORTED_TXN_VERSION, 0);
  writeInt64(bytes, 2, entry.producerId);
  writeInt64(bytes, 10, entry.firstOffset);
  writeInt64(bytes, 18, entry.lastOffset);
  writeInt64(bytes, 26, entry.lastStableOffset);
  return bytes;
}

export class TransactionIndex {
  private entriesValue: AbortedTxn[] = [];
  private loading: Promise<void> | null = null;
  /** How many leading entries the file is known to hold exactly. */
  private persistedEntries = 0;
  /** The file's size in bytes as far as this object knows (-1: not looked at yet). */
  private fileBytes = -1;
  private syncing: Promise<void> = Promise.resolve();
  /** The fewest entries kept by a truncation while a write was in flight (the rest of what it wrote is stale). */
  private keptDuringWrite = Number.POSITIVE_INFINITY;

  constructor(
    private readonly fileSystem: FileSystem,
    readonly path: string,
  ) {}

  get entries(): readonly AbortedTxn[] {
    return this.entriesValue;
  }

  get isEmpty(): boolean {
    return this.entriesValue.length === 0;
  }

  /** Reads the file once (a missing file is an empty index); later calls share the first. */
  load(): Promise<void> {
    this.loading ??= this.loadNow();
    return this.loading;
  }

  private async loadNow(): Promise<void> {
    const data = await this.fileSystem.readFile(this.path);
    const loaded: AbortedTxn[] = [];
    if (data !== null) {
      const whole = data.length - (data.length % ABORTED_TXN_SIZE);
      for (let at = 0; at < whole; at += ABORTED_TXN_SIZE) {
        const version = data.readInt16BE(at);
        if (version !== ABORTED_TXN_VERSION) break;
        loaded.push({ producerId: readInt64(data, at + 2), firstOffset: readInt64(data, at + 10), lastOffset: readInt64(data, at + 18), lastStableOffset: readInt64(data, at + 26) });
      }
    }
    // Appends made before the load finished (only by a log that never read its index) go after.
    this.entriesValue = [...loaded, ...this.entriesValue];
    this.persistedEntries = loaded.length;
    this.fileBytes = data === null ? -1 : data.length;
  }

  /**
   * Adds an entry (its marker follows every earlier one) and writes it. Memory changes at once;
   * the returned promise settles when the file holds it.
   */
  append(entry: AbortedTxn): Promise<void> {
    const last = this.entriesValue[this.entriesValue.length - 1];
    if (last !== undefined && entry.lastOffset <= last.lastOffset) {
      throw new Error(`The last offset of appended transactions must increase sequentially, but ${entry.lastOffset} is not greater than current last offset ${last.lastOffset} of index ${this.path}`);
    }
    this.entriesValue.push(entry);
    return this.sync();
  }

  /** Whether an entry for the marker at `lastOffset` is present (the rebuild skips those). */
  hasEntryFor(lastOffset: number): boolean {
    for (let i = this.entriesValue.length - 1; i >= 0; i--) {
      const entry = this.entriesValue[i]!;
      if (entry.lastOffset === lastOffset) return true;
      if (entry.lastOffset < lastOffset) return false;
    }
    return false;
  }

  /** Removes the entries whose marker is at or after `offset`, in memory at once and then in the file. */
  truncateTo(offset: number): Promise<void> {
    let keep = this.entriesValue.length;
    while (keep > 0 && this.entriesValue[keep - 1]!.lastOffset >= offset) keep -= 1;
    if (keep === this.entriesValue.length) return this.syncing;
    this.entriesValue.length = keep;
    this.persistedEntries = Math.min(this.persistedEntries, keep);
    this.keptDuringWrite = Math.min(this.keptDuringWrite, keep);
    return this.sync();
  }

  /**
   * Kafka's collectAbortedTxns: the entries with lastOffset >= fetchOffset and firstOffset <
   * upperBoundOffset, stopping at the first entry whose lastStableOffset reaches the bound.
   */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): TxnIndexSearchResult {
    const abortedTransactions: AbortedTxn[] = [];
    for (const entry of this.entriesValue) {
      if (entry.lastOffset >= fetchOffset && entry.firstOffset < upperBoundOffset) abortedTransactions.push(entry);
      if (entry.lastStableOffset >= upperBoundOffset) return { abortedTransactions, isComplete: true };
    }
    return { abortedTransactions, isComplete: false };
  }

  /** Settles once every change made so far is in the file. */
  flushed(): Promise<void> {
    return this.syncing;
  }

  /** Makes the file equal to the entries in memory; serialized, each run covers every change before it. */
  private sync(): Promise<void> {
    const run = this.syncing.catch(noop).then(() => this.syncNow());
    this.syncing = run;
    return run;
  }

  private async syncNow(): Promise<void> {
    await this.load();
    if (this.persistedEntries === this.entriesValue.length && this.fileBytes === this.entriesValue.length * ABORTED_TXN_SIZE) return;
    // No file and nothing to keep: leave it absent, as for a segment without aborts.
    if (this.fileBytes < 0 && this.entriesValue.length === 0) return;
    const fd = await this.fileSystem.open(this.path, this.fileBytes >= 0 ? 'r+' : 'w+');
    try {
      // From here to the end the entries may change (truncateTo); what is written is decided now.
      this.keptDuringWrite = Number.POSITIVE_INFINITY;
      const count = this.entriesValue.length;
      const keep = this.persistedEntries * ABORTED_TXN_SIZE;
      const bytes = count > this.persistedEntries ? Buffer.concat(this.entriesValue.slice(this.persistedEntries).map(encodeAbortedTxn)) : null;
      // Entries removed from memory, or a torn entry at the end: cut the file to the valid prefix.
      if (this.fileBytes > keep) await this.fileSystem.ftruncate(fd, keep);
      if (bytes !== null) await writeFully(this.fileSystem, fd, bytes, keep);
      await this.fileSystem.fdatasync(fd);
      this.persistedEntries = Math.min(count, this.keptDuringWrite);
      this.fileBytes = count * ABORTED_TXN_SIZE;
    } finally {
      await this.fileSystem.close(fd);
    }
  }
}

function noop(): void {}
