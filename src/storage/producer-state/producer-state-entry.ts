/**
 * What one partition knows about one producer id (Kafka's ProducerStateEntry and
 * BatchMetadata): its epoch, the metadata of its last NUM_BATCHES_TO_RETAIN batches (oldest
 * first) for duplicate detection, the epoch of the last transaction coordinator that wrote a
 * marker for it, the first offset of its open transaction, and when it was last active.
 *
 * Entries are replaced, never changed in place, once they are in the producer state: an append
 * works on a copy (ProducerAppendInfo) that replaces the entry when the append is accepted, so
 * the previous object is what undoing the append puts back.
 */
import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from '../../protocol/records/batch-header.js';

/** Kafka's NUM_BATCHES_TO_RETAIN; why idempotent clients keep at most 5 requests in flight. */
export const NUM_BATCHES_TO_RETAIN = 5;

const INT32_MAX = 0x7fffffff;

/** Sequence numbers wrap from Int32.MAX to 0 (DefaultRecordBatch.decrementSequence). */
export function decrementSequence(sequence: number, decrement: number): number {
  return sequence < decrement ? INT32_MAX - (decrement - sequence) + 1 : sequence - decrement;
}

/** One retained batch: sequences and offsets by their last value and the delta to the first. */
export class BatchMetadata {
  constructor(
    readonly lastSeq: number,
    readonly lastOffset: number,
    readonly offsetDelta: number,
    /** The batch's maxTimestamp as stored (the append time under LogAppendTime). */
    readonly timestamp: number,
  ) {}

  get firstSeq(): number {
    return decrementSequence(this.lastSeq, this.offsetDelta);
  }

  get firstOffset(): number {
    return this.lastOffset - this.offsetDelta;
  }
}

export class ProducerStateEntry {
  constructor(
    readonly producerId: number,
    public producerEpoch: number,
    public coordinatorEpoch: number,
    /** Broker time of the last append (producer.id.expiration.ms counts from it). */
    public lastTimestamp: number,
    /** First offset of the open transaction, -1 when none. */
    public currentTxnFirstOffset: number,
    public batches: BatchMetadata[],
  ) {}

  static empty(producerId: number): ProducerStateEntry {
    return new ProducerStateEntry(producerId, NO_PRODUCER_EPOCH, -1, -1, -1, []);
  }

  copy(): ProducerStateEntry {
    return new ProducerStateEntry(this.producerId, this.producerEpoch, this.coordinatorEpoch, this.lastTimestamp, this.currentTxnFirstOffset, this.batches.slice());
  }

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get lastSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[this.batches.length - 1]!.lastSeq;
  }

  get lastDataOffset(): number {
    return this.batches.length === 0 ? -1 : this.batches[this.batches.length - 1]!.lastOffset;
  }

  get hasOngoingTransaction(): boolean {
    return this.currentTxnFirstOffset >= 0;
  }

  /** A new epoch forgets the batches of the old one. Returns whether the epoch changed. */
  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch === producerEpoch) return false;
    this.batches = [];
    this.producerEpoch = producerEpoch;
    return true;
  }

  addBatch(producerEpoch: number, lastSeq: number, lastOffset: number, offsetDelta: number, timestamp: number): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(new BatchMetadata(lastSeq, lastOffset, offsetDelta, timestamp));
  }

  /** The retained batch with exactly this epoch and sequence range: the batch is a retry. */
  findDuplicateBatch(producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | null {
    if (producerEpoch !== this.producerEpoch) return null;
    for (const batch of this.batches) {
      if (batch.lastSeq === lastSeq && batch.firstSeq === firstSeq) return batch;
    }
    return null;
  }

  toString(): string {
    return (
      `ProducerStateEntry(producerId=${this.producerId}, producerEpoch=${this.producerEpoch}, currentTxnFirstOffset=${this.currentTxnFirstOffset}, ` +
      `coordinatorEpoch=${this.coordinatorEpoch}, lastTimestamp=${this.lastTimestamp}, batches=[${this.batches.map((b) => `${b.firstSeq}-${b.lastSeq}@${b.firstOffset}`).join(', ')}])`
    );
  }
}
