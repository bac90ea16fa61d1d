/**
 * The sparse time index of one segment: `<20-digit baseOffset>.timeindex`, a sequence of
 * 12-byte big-endian entries (Kafka's TimeIndex.java)
 *
 *   0  timestamp int64        the largest batch maxTimestamp seen in the segment so far
 *   8  relativeOffset int32   the last offset of the batch that carried it, minus baseOffset
 *
 * An entry is written alongside an offset index entry, and only when the timestamp grew, so
 * timestamps strictly increase and offsets never decrease. The last slot is kept for the entry
 * written when the segment stops being active, which records the segment's final maximum: the
 * last entry of a rolled segment is its largest timestamp.
 *
 * `lookup(timestamp)` gives the greatest entry whose timestamp is <= the target: every batch
 * before that offset has a smaller maxTimestamp, so a search for the first batch with
 * maxTimestamp >= target starts there.
 *
 * Crash behaviour: as for the offset index — no checksum; missing or failing the sanity check
 * (size, increasing timestamps and offsets inside the segment) means rebuilt from the log.
 */
import { AbstractIndex, readInt64, writeInt64 } from './abstract-index.js';
import type { FileSystem } from './file-system.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex extends AbstractIndex {
  constructor(fileSystem: FileSystem, path: string, baseOffset: number, maxIndexSize: number, content: Buffer | null = null) {
    super(fileSystem, path, baseOffset, maxIndexSize, TIME_INDEX_ENTRY_SIZE, content);
  }

  /** Reads the file; null when it is missing or its size is not a whole number of entries. */
  static async load(fileSystem: FileSystem, path: string, baseOffset: number, maxIndexSize: number): Promise<TimeIndex | null> {
    const content = await fileSystem.readFile(path);
    if (content === null || content.length % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    return new TimeIndex(fileSystem, path, baseOffset, maxIndexSize, content);
  }

  private timestampAt(entry: number): number {
    return readInt64(this.buffer, entry * TIME_INDEX_ENTRY_SIZE);
  }

  private relativeOffsetAt(entry: number): number {
    return this.buffer.readInt32BE(entry * TIME_INDEX_ENTRY_SIZE + 8);
  }

  entry(entry: number): TimestampOffset {
    return { timestamp: this.timestampAt(entry), offset: this.baseOffset + this.relativeOffsetAt(entry) };
  }

  /** The last entry, or (NO_TIMESTAMP, baseOffset) when empty. */
  get lastEntry(): TimestampOffset {
    return this.entries === 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entry(this.entries - 1);
  }

  get lastTimestamp(): number {
    return this.entries === 0 ? NO_TIMESTAMP : this.timestampAt(this.entries - 1);
  }

  /** Full one entry early: the last slot is reserved for the entry written on roll. */
  override get isFull(): boolean {
    return this.entries >= this.maxEntries - 1;
  }

  /** The greatest entry whose timestamp is <= target, or (NO_TIMESTAMP, baseOffset). */
  lookup(targetTimestamp: number): TimestampOffset {
    const found = this.largestLowerBound(targetTimestamp, (entry) => this.timestampAt(entry));
    return found < 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entry(found);
  }

  /**
   * Adds (timestamp, offset) when the timestamp is larger than the last entry's. With
   * skipFullCheck the reserved last slot may be used (the segment is becoming inactive).
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    if (timestamp <= this.lastTimestamp) return;
    if (this.entries >= this.maxEntries || (!skipFullCheck && this.isFull)) return;
    if (this.entries > 0 && offset < this.lastEntry.offset) {
      throw new Error(`Time index entry (${timestamp}, ${offset}) goes back from offset ${this.lastEntry.offset} in ${this.path}`);
    }
    const at = this.nextEntryPosition();
    writeInt64(this.buffer, at, timestamp);
    this.buffer.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /** Removes every entry whose offset is >= offset. */
  truncateTo(offset: number): void {
    // Offsets never decrease, so the entries to keep are a prefix: those with offset < target.
    const found = this.largestLowerBound(offset - this.baseOffset - 1, (entry) => this.relativeOffsetAt(entry));
    this.truncateEntries(found + 1);
  }

  /** Timestamps strictly increase, offsets never decrease and lie in [baseOffset, nextSegmentBaseOffset). */
  sanityCheck(nextSegmentBaseOffset: number = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    const limit = nextSegmentBaseOffset - this.baseOffset;
    return this.everyEntry((entry, previous) => {
      const relative = this.relativeOffsetAt(entry);
      if (relative < 0 || relative >= limit) return false;
      return previous < 0 || (this.timestampAt(entry) > this.timestampAt(previous) && relative >= this.relativeOffsetAt(previous));
    });
  }
}
