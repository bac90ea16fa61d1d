/**
 * A checkpoint holding one offset for one partition, in Kafka's CheckpointFile text format with
 * a single entry (Kafka keeps these per log directory with a `topic partition offset` line per
 * partition; Tidelog keeps one file per partition directory so that a log is self-contained and
 * opening or deleting one partition never rewrites a file shared with the others):
 *
 *   0          version
 *   1          number of entries
 *   <offset>   the value
 *
 * Crash behaviour: a new value is written to `<file>.tmp`, fdatasync'ed, renamed over the file,
 * and the directory is synced, so after a crash the file holds either the old or the new value,
 * never a mix. A missing or unreadable file reads as null; callers fall back to a safe value.
 */
import { join } from 'node:path';
import { writeFileAtomically, type FileSystem } from './file-system.js';

const VERSION = 0;

export class OffsetCheckpointFile {
  private writing: Promise<void> | null = null;
  /** The value the next write will store, when writes are queued behind the one in flight. */
  private queued: number | null = null;
  private written: number | null = null;

  constructor(
    private readonly fileSystem: FileSystem,
    readonly directory: string,
    readonly name: string,
  ) {}

  get path(): string {
    return join(this.directory, this.name);
  }

  async read(): Promise<number | null> {
    const data = await this.fileSystem.readFile(this.path);
    if (data === null) return null;
    const lines = data.toString('utf8').split('\n');
    if (lines[0]?.trim() !== String(VERSION) || lines[1]?.trim() !== '1') return null;
    const text = lines[2]?.trim() ?? '';
    if (!/^-?\d+$/.test(text)) return null;
    const value = Number(text);
    if (!Number.isSafeInteger(value)) return null;
    this.written = value;
    return value;
  }

  /**
   * Stores `offset`. Writes are serialized, and values that arrive while one is in flight are
   * coalesced: only the newest is written next.
   */
  write(offset: number): Promise<void> {
    if (this.written === offset && this.writing === null) return Promise.resolve();
    this.queued = offset;
    if (this.writing === null) this.writing = this.drain();
    return this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued !== null) {
        const value = this.queued;
        this.queued = null;
        if (value !== this.written) await this.writeNow(value);
      }
    } finally {
      this.writing = null;
    }
  }

  private async writeNow(offset: number): Promise<void> {
    await writeFileAtomically(this.fileSystem, this.path, this.directory, Buffer.from(`${VERSION}\n1\n${offset}\n`, 'utf8'));
    this.written = offset;
  }
}
