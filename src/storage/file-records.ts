/**
 * The `.log` file of one segment (Kafka's FileRecords): record batches v2 back to back, exactly
 * as on the wire with the broker-assigned baseOffset and partitionLeaderEpoch. There is no
 * header, footer or padding; the file size is the sum of the batch sizes.
 *
 * The descriptor is opened lazily (a log may hold thousands of segments nobody reads) and
 * closed only after every read, write, fsync or truncate in flight on it has finished: closing
 * a descriptor under a pending pread would let the number be reused by another file.
 */
import { renameIfExists, type FileSystem, type OpenFlags } from './file-system.js';
import { KafkaStorageError } from './errors.js';
import type { ReadBuffers } from './read-buffer-pool.js';

export class FileRecords {
  private fd: number | null = null;
  private opening: Promise<number> | null = null;
  private inFlight = 0;
  private closed = false;
  private onIdle: (() => void) | null = null;

  constructor(
    private readonly fileSystem: FileSystem,
    private filePath: string,
  ) {}

  /** Where the file is now (a segment being deleted is renamed to `.deleted` first). */
  get path(): string {
    return this.filePath;
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Opens the file once: 'r+' for an existing segment, 'w+' to create (or empty) a new one. */
  open(flags: OpenFlags = 'r+'): Promise<number> {
    if (this.fd !== null) return Promise.resolve(this.fd);
    if (this.closed) return Promise.reject(new KafkaStorageError(`${this.path} is closed`));
    if (this.opening === null) {
      this.opening = this.fileSystem.open(this.path, flags).then(
        (fd) => {
          this.fd = fd;
          this.opening = null;
          return fd;
        },
        (error: unknown) => {
          this.opening = null;
          throw error;
        },
      );
    }
    return this.opening;
  }

  /** Runs `operation` on the descriptor, keeping close() waiting until it is done. */
  private async use<T>(operation: (fd: number) => Promise<T>): Promise<T> {
    if (this.closed) throw new KafkaStorageError(`${this.path} is closed`);
    this.inFlight += 1;
    try {
      const fd = this.fd ?? (await this.open());
      return await operation(fd);
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.onIdle !== null) this.onIdle();
    }
  }

  /**
   * Reads `length` bytes at `position` into a new buffer, or one from `buffers` (a pooled buffer
   * the caller gives back once done with the bytes; read-buffer-pool.ts). The result is shorter
   * only when the file ends first.
   */
  read(position: number, length: number, buffers?: ReadBuffers): Promise<Buffer> {
    return this.use(async (fd) => {
      const buffer = buffers !== undefined ? buffers.allocate(length) : Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const bytesRead = await this.fileSystem.read(fd, buffer, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buffer : buffer.subarray(0, done);
    });
  }

  /** Reads into `buffer` (whole length) at `position`; resolves to the bytes read. */
  readInto(buffer: Buffer, length: number, position: number): Promise<number> {
    return this.use(async (fd) => {
      let done = 0;
      while (done < length) {
        const bytesRead = await this.fileSystem.read(fd, buffer, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    });
  }

  /** One positional writev; may write fewer bytes than given (the caller continues). */
  writev(buffers: readonly Buffer[], position: number): Promise<number> {
    return this.use((fd) => this.fileSystem.writev(fd, buffers, position));
  }

  /**
   * One positional writev on the calling thread, when the file is open and the filesystem can
   * (FileSystem.writevSync); returns the bytes written (may be fewer than given), or -1 when it
   * cannot, and the caller then uses writev.
   */
  writevSync(buffers: readonly Buffer[], position: number): number {
    if (this.fd === null || this.closed || this.fileSystem.writevSync === undefined) return -1;
    return this.fileSystem.writevSync(this.fd, buffers, position);
  }

  fdatasync(): Promise<void> {
    return this.use((fd) => this.fileSystem.fdatasync(fd));
  }

  truncate(size: number): Promise<void> {
    return this.use((fd) => this.fileSystem.ftruncate(fd, size));
  }

  /** Waits for operations in flight, then closes the descriptor. Later operations fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    if (this.opening !== null) await this.opening.catch(() => undefined);
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      await this.fileSystem.close(fd);
    }
  }

  async delete(): Promise<void> {
    await this.close();
    await this.fileSystem.unlink(this.path);
  }

  /**
   * Renames the file (Kafka's FileRecords.renameTo). An open descriptor, and reads in flight on
   * it, keep working; a later lazy open uses the new name. Nothing happens when the file was
   * never created.
   */
  async renameTo(path: string): Promise<void> {
    if (this.opening !== null) await this.opening.catch(() => undefined);
    await renameIfExists(this.fileSystem, this.filePath, path);
    this.filePath = path;
  }
}
