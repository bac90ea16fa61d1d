/**
 * The broker-wide budget for record data held by fetch answers. Kafka needs none: its fetch
 * answers go from the page cache to the socket (sendfile), so a consumer that reads slowly costs
 * it no memory. Tidelog reads the record data into buffers, and those stay in memory until the
 * kernel has taken the whole answer; without a budget, a few slow consumers with large fetches
 * (or many partitions) would hold max_bytes each.
 *
 * Before each partition's read a fetch reserves what it may read (partition_max_bytes, or what
 * is left); after it, what the answer keeps alive is counted instead — the buffers behind its
 * record slices, each once — until the answer has been handed to the OS or its connection
 * closed. When nothing is left a fetch still returns one batch (KIP-74: a consumer must always
 * make progress), and a connection handles one fetch at a time
 * (HandlerRegistration.onePerConnection), so what is counted stays below the capacity plus, per
 * connection with a fetch in flight, one read's buffer (a batch and the read-ahead, or the
 * in-memory tail append the batch is a slice of).
 */
export class FetchMemoryPool {
  private used = 0;

  /** May be changed at any time (tests lower it); bytes already held stay held until released. */
  constructor(public capacityBytes: number) {}

  /** Bytes held by fetches now (reserved or read and not yet handed to the OS). */
  get usedBytes(): number {
    return this.used;
  }

  get availableBytes(): number {
    return Math.max(0, this.capacityBytes - this.used);
  }

  /** Takes up to `wanted` bytes, fewer when less is left (0 when nothing is); returns how many. */
  reserve(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.capacityBytes - this.used));
    this.used += granted;
    return granted;
  }

  /** Counts bytes held beyond a reservation (the one batch a fetch always returns). */
  take(bytes: number): void {
    if (bytes > 0) this.used += bytes;
  }

  release(bytes: number): void {
    if (bytes > 0) this.used = Math.max(0, this.used - bytes);
  }
}
