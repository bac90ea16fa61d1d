/**
 * The sparse offset index of one segment: `<20-digit baseOffset>.index`, a sequence of 8-byte
 * big-endian entries (Kafka's OffsetIndex.java)
 *
 *   0  relativeOffset int32   the last offset of an indexed batch, minus the segment's baseOffset
 *   4  position int32         the byte position of that batch in the segment's .log file
 *
 * One entry is added for the first batch after every `index.interval.bytes` of log, so offsets
 * and positions strictly increase. `lookup(offset)` gives the greatest entry whose offset is
 * <= the target; the batch holding the target starts at that position or after it.
 *
 * Crash behaviour: no checksum. A file whose size is not a multiple of 8, whose entries do not
 * increase, or whose positions lie past the end of the .log file fails the sanity check and is
 * rebuilt by scanning the segment; so is a missing file.
 */
import { AbstractIndex } from './abstract-index.js';
import type { FileSystem } from './file-system.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex extends AbstractIndex {
  constructor(fileSystem: FileSystem, path: string, baseOffset: number, maxIndexSize: number, content: Buffer | null = null) {
    super(fileSystem, path, baseOffset, maxIndexSize, OFFSET_INDEX_ENTRY_SIZE, content);
  }

  /** Reads the file; null when it is missing or its size is not a whole number of entries. */
  static async load(fileSystem: FileSystem, path: string, baseOffset: number, maxIndexSize: number): Promise<OffsetIndex | null> {
    const content = await fileSystem.readFile(path);
    if (content === null || content.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return null;
    return new OffsetIndex(fileSystem, path, baseOffset, maxIndexSize, content);
  }

  private relativeOffsetAt(entry: number): number {
    return this.buffer.readInt32BE(entry * OFFSET_INDEX_ENTRY_SIZE);
  }

  private positionAt(entry: number): number {
    return this.buffer.readInt32BE(entry * OFFSET_INDEX_ENTRY_SIZE + 4);
  }

  entry(entry: number): OffsetPosition {
    return { offset: this.baseOffset + this.relativeOffsetAt(entry), position: this.positionAt(entry) };
  }

  /** The last entry, or (baseOffset, 0) when empty. */
  get lastEntry(): OffsetPosition {
    return this.entries === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this.entries - 1);
  }

  /** The greatest entry whose offset is <= targetOffset, or (baseOffset, 0) when there is none. */
  lookup(targetOffset: number): OffsetPosition {
    const relative = targetOffset - this.baseOffset;
    const found = this.largestLowerBound(relative, (entry) => this.relativeOffsetAt(entry));
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(found);
  }

  /** Adds an entry; the caller keeps offsets and positions increasing and checks isFull. */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (this.entries > 0) {
      const last = this.entries - 1;
      if (relative <= this.relativeOffsetAt(last) || position <= this.positionAt(last)) {
        throw new Error(`Offset index entry (${offset}, ${position}) does not follow ${this.lastEntry.offset}, ${this.lastEntry.position} in ${this.path}`);
      }
    }
    const at = this.nextEntryPosition();
    this.buffer.writeInt32BE(relative, at);
    this.buffer.writeInt32BE(position, at + 4);
  }

  /** Removes every entry whose offset is >= offset (the batches they point at are being cut). */
  truncateTo(offset: number): void {
    const found = this.largestLowerBound(offset - this.baseOffset - 1, (entry) => this.relativeOffsetAt(entry));
    this.truncateEntries(found + 1);
  }

  /**
   * Whether the entries can describe this segment: offsets and positions strictly increase,
   * offsets lie in [baseOffset, nextSegmentBaseOffset) and positions inside the .log file.
   */
  sanityCheck(logSize: number, nextSegmentBaseOffset: number = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    const limit = nextSegmentBaseOffset - this.baseOffset;
    return this.everyEntry((entry, previous) => {
      const relative = this.relativeOffsetAt(entry);
      const position = this.positionAt(entry);
      if (relative < 0 || relative >= limit || position < 0 || position >= logSize) return false;
      return previous < 0 || (relative > this.relativeOffsetAt(previous) && position > this.positionAt(previous));
    });
  }
}
