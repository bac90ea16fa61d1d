/**
 * What the offset index and the time index share: fixed-size entries kept in memory in their
 * on-disk byte format (so persisting is writing a slice), binary search for "the greatest entry
 * <= target", and the file they are persisted to.
 *
 * Memory is the truth; the file is a copy kept for the next start. Entries are appended to the
 * file as the log is flushed and the file is made complete (trimmed to the entry count and
 * fdatasync'ed) when the segment rolls or the log closes. No checksum is kept: after a crash a
 * file may be short, long or stale, which is why the loader sanity-checks it and rebuilds it from
 * the log when it does not pass (Kafka does the same).
 */
import { renameIfExists, writeFully, type FileSystem } from './file-system.js';

/** Yield to the event loop every this many entries when walking a whole index. */
const ENTRIES_PER_SLICE = 65536;
/** Entries the first entry makes room for (then the room doubles as needed). */
const INITIAL_ENTRIES = 64;
/** An index without entries holds no buffer: most partitions of a broker with many never index their active segment. */
const NO_ENTRIES = Buffer.alloc(0);

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export abstract class AbstractIndex {
  protected buffer: Buffer;
  private entryCount: number;
  readonly maxEntries: number;
  /** Entries [0, persisted) are known to be in the file exactly as in memory. */
  private persisted: number;
  /** Whether the file holds the first `persisted` entries; when false it is recreated empty. */
  private fileIsCurrent: boolean;
  /** The file may hold bytes past what will be written next; trim it on the next persist. */
  private trimFile = false;
  /** The lowest entry count seen while a persist was in flight (see truncateEntries). */
  private lowestCountDuringPersist = Number.MAX_SAFE_INTEGER;
  private fd: number | null = null;
  private chain: Promise<void> = Promise.resolve();

  protected constructor(
    protected readonly fileSystem: FileSystem,
    private filePath: string,
    readonly baseOffset: number,
    maxIndexSize: number,
    readonly entrySize: number,
    content: Buffer | null,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexSize / entrySize));
    if (content !== null) {
      this.buffer = content;
      this.entryCount = Math.floor(content.length / entrySize);
      this.persisted = this.entryCount;
      this.fileIsCurrent = true;
    } else {
      this.buffer = NO_ENTRIES;
      this.entryCount = 0;
      this.persisted = 0;
      this.fileIsCurrent = false;
    }
  }

  get path(): string {
    return this.filePath;
  }

  get entries(): number {
    return this.entryCount;
  }

  get isFull(): boolean {
    return this.entryCount >= this.maxEntries;
  }

  /** Bytes the entries take, which is also the size of a complete file. */
  get sizeInBytes(): number {
    return this.entryCount * this.entrySize;
  }

  /** Room for one more entry at the end, growing the buffer by doubling. Returns its byte position. */
  protected nextEntryPosition(): number {
    const at = this.entryCount * this.entrySize;
    if (at + this.entrySize > this.buffer.length) {
      const initial = Math.min(this.maxEntries, INITIAL_ENTRIES) * this.entrySize;
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, initial, at + this.entrySize));
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.entryCount += 1;
    return at;
  }

  /** Keeps the first `count` entries. */
  protected truncateEntries(count: number): void {
    if (count >= this.entryCount) return;
    this.entryCount = count;
    if (this.persisted > count) {
      this.persisted = count;
      this.trimFile = true;
    }
    this.lowestCountDuringPersist = Math.min(this.lowestCountDuringPersist, count);
  }

  /** Drops every entry; the file is recreated on the next persist. */
  reset(): void {
    this.truncateEntries(0);
    this.fileIsCurrent = false;
  }

  /** Index of the greatest entry whose key is <= target, or -1 when every key is larger. */
  protected largestLowerBound(target: number, keyAt: (entry: number) => number): number {
    let low = 0;
    let high = this.entryCount - 1;
    if (high < 0 || keyAt(0) > target) return -1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (keyAt(middle) <= target) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /**
   * Writes the entries not yet in the file. `complete` also trims the file to the entry count,
   * fdatasyncs it and closes it (the segment rolled or the log is closing). Serialized per index.
   */
  persist(complete: boolean): Promise<void> {
    const run = this.chain.then(() => this.persistNow(complete));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async persistNow(complete: boolean): Promise<void> {
    if (this.fileIsCurrent && this.persisted === this.entryCount && !this.trimFile && !complete) return;
    if (this.fd === null) {
      if (this.fileIsCurrent) {
        try {
          this.fd = await this.fileSystem.open(this.filePath, 'r+');
        } catch {
          this.fileIsCurrent = false;
        }
      }
      if (this.fd === null) {
        this.fd = await this.fileSystem.open(this.filePath, 'w+');
        this.persisted = 0;
        this.trimFile = false;
        this.fileIsCurrent = true;
      }
    }
    const fd = this.fd;
    const target = this.entryCount;
    const from = this.persisted;
    this.lowestCountDuringPersist = target;
    if (target > from) {
      // The slice may be overwritten in memory by a truncation plus new appends while the write
      // is in flight; lowestCountDuringPersist tells which written entries can still be trusted.
      await writeFully(this.fileSystem, fd, this.buffer.subarray(from * this.entrySize, target * this.entrySize), from * this.entrySize);
    }
    const trusted = Math.min(target, this.lowestCountDuringPersist);
    this.lowestCountDuringPersist = Number.MAX_SAFE_INTEGER;
    this.persisted = Math.min(trusted, this.entryCount);
    if (trusted < target) this.trimFile = true;
    if (this.trimFile || complete) {
      if (this.persisted === this.entryCount) {
        await this.fileSystem.ftruncate(fd, this.persisted * this.entrySize);
        this.trimFile = false;
      }
    }
    if (complete) {
      await this.fileSystem.fdatasync(fd);
      if (this.persisted === this.entryCount) await this.closeFile();
    }
  }

  /** Closes the file (after any persist in flight); the entries stay in memory. */
  close(): Promise<void> {
    const run = this.chain.then(() => this.closeFile());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async closeFile(): Promise<void> {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    await this.fileSystem.close(fd);
  }

  /** Renames the file (after any persist in flight); later persists write to the new name. */
  renameTo(path: string): Promise<void> {
    const run = this.chain.then(async () => {
      await renameIfExists(this.fileSystem, this.filePath, path);
      this.filePath = path;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Closes and removes the file. */
  async deleteFile(): Promise<void> {
    await this.close();
    await this.fileSystem.unlink(this.filePath);
  }

  /**
   * Checks every entry with `check(entry, previous)` (-1 for the first), yielding to the event
   * loop now and then: a 10 MiB index holds over a million entries.
   */
  protected async everyEntry(check: (entry: number, previous: number) => boolean): Promise<boolean> {
    for (let entry = 0; entry < this.entryCount; entry++) {
      if (!check(entry, entry - 1)) return false;
      if (entry % ENTRIES_PER_SLICE === ENTRIES_PER_SLICE - 1) await yieldToEventLoop();
    }
    return true;
  }
}

const TWO_POW_32 = 2 ** 32;

export function readInt64(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * TWO_POW_32 + buffer.readUInt32BE(at + 4);
}

export function writeInt64(buffer: Buffer, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buffer.writeInt32BE(high, at);
  buffer.writeUInt32BE(value - high * TWO_POW_32, at + 4);
}
