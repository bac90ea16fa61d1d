/**
 * The few filesystem calls storage makes, behind an interface so that tests can count them and
 * inject faults (a failed write, a torn write, a failed fdatasync) without touching a real disk
 * driver. Files are addressed by plain descriptors and every read and write is positional
 * (pread/pwritev), so concurrent reads and the single writer of a log never share a file cursor.
 *
 * The default implementation uses node:fs callbacks: they run on libuv's thread pool like
 * fs/promises, without a FileHandle object per file.
 */
import * as fs from 'node:fs';

export type OpenFlags =
  /** read only; the file must exist */
  | 'r'
  /** read and write; the file must exist */
  | 'r+'
  /** read and write; created, or truncated to 0 bytes if it exists */
  | 'w+';

export interface FileStat {
  readonly size: number;
  /** Last modification time in ms since the epoch (retention falls back to it, as Kafka's LogSegment.lastModified). */
  readonly mtimeMs: number;
}

export interface FileSystem {
  open(path: string, flags: OpenFlags): Promise<number>;
  close(fd: number): Promise<void>;
  /** Reads up to `length` bytes at `position` into buffer[offset..]; resolves to bytes read (0 at end of file). */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes the buffers in order at `position`; resolves to bytes written (may be fewer than asked). */
  writev(fd: number, buffers: readonly Buffer[], position: number): Promise<number>;
  /**
   * The same, on the calling thread (optional): the log's writer uses it for small writes, which
   * take the OS a few microseconds, where a round trip through the thread pool costs more than
   * the write (see PartitionLog's writer). Throws what writev would reject with.
   */
  writevSync?(fd: number, buffers: readonly Buffer[], position: number): number;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fstat(fd: number): Promise<FileStat>;
  /** null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** null when the path does not exist. */
  readFile(path: string): Promise<Buffer | null>;
  readdir(path: string): Promise<string[]>;
  /** Creates the directory and its parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; no error if it does not exist. */
  unlink(path: string): Promise<void>;
  /** Removes a directory and everything in it; no error if it does not exist. */
  removeDirectory(path: string): Promise<void>;
  /** fsync of a directory, so that creations, renames and unlinks in it survive power loss. */
  syncDirectory(path: string): Promise<void>;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export class NodeFileSystem implements FileSystem {
  open(path: string, flags: OpenFlags): Promise<number> {
    return new Promise((resolve, reject) => fs.open(path, flags, 0o644, (error, fd) => (error ? reject(error) : resolve(fd))));
  }

  close(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.close(fd, (error) => (error ? reject(error) : resolve())));
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) =>
      fs.read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
    );
  }

  writev(fd: number, buffers: readonly Buffer[], position: number): Promise<number> {
    return new Promise((resolve, reject) =>
      fs.writev(fd, buffers as Buffer[], position, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten))),
    );
  }

  writevSync(fd: number, buffers: readonly Buffer[], position: number): number {
    return fs.writevSync(fd, buffers as Buffer[], position);
  }

  fdatasync(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  ftruncate(fd: number, length: number): Promise<void> {
    return new Promise((resolve, reject) => fs.ftruncate(fd, length, (error) => (error ? reject(error) : resolve())));
  }

  fstat(fd: number): Promise<FileStat> {
    return new Promise((resolve, reject) => fs.fstat(fd, (error, stats) => (error ? reject(error) : resolve({ size: stats.size, mtimeMs: stats.mtimeMs }))));
  }

  stat(path: string): Promise<FileStat | null> {
    return new Promise((resolve, reject) =>
      fs.stat(path, (error, stats) => (error ? (isNotFound(error) ? resolve(null) : reject(error)) : resolve({ size: stats.size, mtimeMs: stats.mtimeMs }))),
    );
  }

  readFile(path: string): Promise<Buffer | null> {
    return new Promise((resolve, reject) =>
      fs.readFile(path, (error, data) => (error ? (isNotFound(error) ? resolve(null) : reject(error)) : resolve(data))),
    );
  }

  readdir(path: string): Promise<string[]> {
    return new Promise((resolve, reject) => fs.readdir(path, (error, names) => (error ? reject(error) : resolve(names))));
  }

  mkdir(path: string): Promise<void> {
    return new Promise((resolve, reject) => fs.mkdir(path, { recursive: true }, (error) => (error ? reject(error) : resolve())));
  }

  rename(from: string, to: string): Promise<void> {
    return new Promise((resolve, reject) => fs.rename(from, to, (error) => (error ? reject(error) : resolve())));
  }

  unlink(path: string): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.unlink(path, (error) => (error && !isNotFound(error) ? reject(error) : resolve())),
    );
  }

  removeDirectory(path: string): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.rm(path, { recursive: true, force: true }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async syncDirectory(path: string): Promise<void> {
    const fd = await this.open(path, 'r');
    try {
      await this.fdatasync(fd).catch(async (error: NodeJS.ErrnoException) => {
        // Some filesystems refuse fsync on a directory (EINVAL); there is nothing more to do there.
        if (error.code !== 'EINVAL' && error.code !== 'ENOTSUP') throw error;
      });
    } finally {
      await this.close(fd);
    }
  }
}

/** pwrite of the whole buffer, looping over short writes. */
export async function writeFully(fileSystem: FileSystem, fd: number, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const written = await fileSystem.writev(fd, [bytes.subarray(done)], position + done);
    if (written <= 0) throw new Error(`write of ${bytes.length} bytes at ${position} made no progress`);
    done += written;
  }
}

/**
 * Replaces the file at `path` with `bytes` so that a crash leaves either the old or the new
 * content, never a torn one: written to `<path>.tmp`, fdatasync'ed, renamed over `path`, and the
 * directory synced so the rename itself survives.
 */
export async function writeFileAtomically(fileSystem: FileSystem, path: string, directory: string, bytes: Buffer): Promise<void> {
  const temporary = `${path}.tmp`;
  const fd = await fileSystem.open(temporary, 'w+');
  try {
    await writeFully(fileSystem, fd, bytes, 0);
    await fileSystem.fdatasync(fd);
  } finally {
    await fileSystem.close(fd);
  }
  await fileSystem.rename(temporary, path);
  await fileSystem.syncDirectory(directory);
}

/** rename, doing nothing when `from` does not exist (an index file never written). Returns whether it moved. */
export async function renameIfExists(fileSystem: FileSystem, from: string, to: string): Promise<boolean> {
  try {
    await fileSystem.rename(from, to);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** One shared instance: the implementation holds no state. */
export const nodeFileSystem: FileSystem = new NodeFileSystem();
