/**
 * Hands out producer ids (Kafka's ProducerIdManager): ids come from blocks of
 * PRODUCER_ID_BLOCK_SIZE that the controller reserves durably in the metadata log (a
 * ProducerIds record, as KRaft's ProducerIdsRecord), so an id is never given twice, also after a
 * crash: a restart starts at the next unreserved block, and the unused rest of the old block is
 * skipped. The next block is fetched when 90% of the current one is used (Kafka's
 * RPCProducerIdManager does the same), so a caller rarely waits for a metadata write.
 *
 * Used by InitProducerId for idempotent producers and by the transaction coordinator for new
 * transactional ids and for epoch exhaustion.
 */

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

interface ProducerIdBlock {
  next: number;
  readonly end: number;
}

export class ProducerIdManager {
  private current: ProducerIdBlock = { next: 0, end: 0 };
  private nextBlock: Promise<ProducerIdBlock> | null = null;

  constructor(
    /** Reserves `count` ids durably and resolves to the first (Controller.allocateProducerIds). */
    private readonly allocate: (count: number) => Promise<number>,
    readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  /** A producer id no one has had. Rejects when no block could be reserved (the caller answers a retriable error). */
  async generateProducerId(): Promise<number> {
    while (this.current.next >= this.current.end) {
      const block = await this.fetchNextBlock();
      // Concurrent callers share one fetch; the first to resume installs the block.
      if (this.current.next >= this.current.end && block.next < block.end) {
        this.current = block;
        this.nextBlock = null;
      }
    }
    const id = this.current.next++;
    if (this.nextBlock === null && this.current.end - this.current.next <= this.blockSize / 10) this.fetchNextBlock().catch(() => undefined);
    return id;
  }

  private fetchNextBlock(): Promise<ProducerIdBlock> {
    if (this.nextBlock === null) {
      const fetching = this.allocate(this.blockSize).then((first) => ({ next: first, end: first + this.blockSize }));
      this.nextBlock = fetching;
      // A failed reservation is retried by the next caller.
      fetching.catch(() => {
        if (this.nextBlock === fetching) this.nextBlock = null;
      });
    }
    return this.nextBlock;
  }
}
