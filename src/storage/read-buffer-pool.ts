/**
 * Buffers for reads of segment files, reused from one fetch to the next.
 *
 * Why: a fetch reads up to max_partition_bytes (1 MiB by default) of each partition into a new
 * buffer, and that buffer lives until the answer has been handed to the OS. A new ArrayBuffer
 * per read is external memory to V8, and allocating it at hundreds of MB/s keeps V8's
 * incremental marking running back to back: measured, a warm consume at 300 MB/s spent 37% of
 * the broker's time in the garbage collector (a mark-compact every 10-20 ms, each 3-6 ms), and
 * reading into reused buffers took that to nothing (3 mark-compacts in the whole run) and the
 * consume to 880 MB/s. See docs/PROFILING.md.
 *
 * Rules: a ReadBuffers lease belongs to one request. Reads made with it take their buffers from
 * the pool and the lease remembers them; the owner calls release() once nothing refers to the
 * bytes any more — for a fetch, once its answer has been handed to the OS (the socket write
 * completed) or will never be. A buffer released early would be overwritten by another read
 * while the answer is still being sent, so callers that cannot tell when their data is no
 * longer used simply do not pass a lease (reads then allocate, as before). A lease never
 * released costs nothing but the reuse: its buffers are garbage collected.
 *
 * Sizes: buffers come in classes 2^k and 1.5 x 2^k bytes from MIN_POOLED_BYTES to
 * MAX_POOLED_BYTES, so that a read of max_partition_bytes plus index.interval.bytes (the common
 * size) wastes at most a third. Smaller and larger reads are not pooled. The free buffers held
 * are bounded by maxFreeBytes; the buffers in use are bounded by what fetches may hold (the
 * broker's FetchMemoryPool).
 */

/** Reads smaller than this allocate (Node's own 8 KiB pool serves the smallest ones). */
export const MIN_POOLED_BYTES = 16 * 1024;
/** Reads larger than this allocate: rare (a batch over 16 MiB), and not worth keeping. */
export const MAX_POOLED_BYTES = 16 * 1024 * 1024;
/** Free buffers kept by default. */
export const DEFAULT_MAX_FREE_BYTES = 32 * 1024 * 1024;

/** The size class (buffer length) a read of `length` bytes gets. */
export function sizeClassOf(length: number): number {
  let size = MIN_POOLED_BYTES;
  while (size < length) {
    const between = size + size / 2;
    if (between >= length) return between;
    size *= 2;
  }
  return size;
}

export class ReadBufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytesValue = 0;
  /** Buffers handed out and not yet given back (for tests and diagnostics). */
  outstanding = 0;

  constructor(readonly maxFreeBytes: number = DEFAULT_MAX_FREE_BYTES) {}

  get freeBytes(): number {
    return this.freeBytesValue;
  }

  /** A buffer of at least `length` bytes (its length is its size class); null when not pooled. */
  acquire(length: number): Buffer | null {
    if (length < MIN_POOLED_BYTES || length > MAX_POOLED_BYTES) return null;
    const size = sizeClassOf(length);
    const list = this.free.get(size);
    const reused = list?.pop();
    this.outstanding += 1;
    if (reused !== undefined) {
      this.freeBytesValue -= size;
      return reused;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Takes back a buffer from acquire(); nothing may refer to its bytes any more. */
  release(buffer: Buffer): void {
    this.outstanding -= 1;
    const size = buffer.length;
    if (this.freeBytesValue + size > this.maxFreeBytes) return;
    let list = this.free.get(size);
    if (list === undefined) {
      list = [];
      this.free.set(size, list);
    }
    list.push(buffer);
    this.freeBytesValue += size;
  }
}

/** The pool of the process: a broker's fetches share it. */
export const sharedReadBufferPool = new ReadBufferPool();

/** The buffers one request's reads took from a pool; release() gives them back together. */
export class ReadBuffers {
  private held: Buffer[] = [];

  constructor(private readonly pool: ReadBufferPool = sharedReadBufferPool) {}

  /** A buffer of exactly `length` bytes for a read (a view of a pooled buffer when pooled). */
  allocate(length: number): Buffer {
    const buffer = this.pool.acquire(length);
    if (buffer === null) return Buffer.allocUnsafe(length);
    this.held.push(buffer);
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** Gives every buffer back to the pool. Call only once nothing refers to what was read. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const buffer of held) this.pool.release(buffer);
  }
}
