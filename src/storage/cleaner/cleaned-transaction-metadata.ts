/**
 * What the cleaner knows about transactions while it walks a log (Kafka's
 * CleanedTransactionMetadata): which producers are inside an aborted or a committed
 * transaction at the batch being read, so that
 *   - batches of aborted transactions are dropped (and never enter the offset map), and
 *   - a COMMIT or ABORT marker may go once no batch of its transaction is left: the cleaner
 *     first stamps the marker's batch with a delete horizon (now + delete.retention.ms, KIP-534)
 *     and removes it in a round after that time, as it does for tombstones.
 * The aborted transactions come from the segments' transaction indexes
 * (`collectAbortedTransactions`); an ABORT marker that is kept keeps its entry in the cleaned
 * segment's index (`retainedAbortedTransactions`).
 *
 * Without a source of aborted transactions (`transactional: false`) every control batch is
 * kept and transactional batches count as ordinary data: nothing can tell an aborted batch from
 * a committed one, and dropping a marker could expose aborted data to read_committed readers.
 */
import { ControlRecordType } from '../../protocol/records/control-batch.js';

/** One aborted transaction (Kafka's AbortedTxn; the `.txnindex` entry). */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The offset of the ABORT marker. */
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

/** What the metadata needs from a batch header. */
export interface TransactionBatchView {
  readonly producerId: number;
  readonly lastOffset: number;
  readonly isTransactional: boolean;
}

export class CleanedTransactionMetadata {
  private readonly ongoingCommittedTxns = new Set<number>();
  /** producerId -> the aborted transaction under way and the last offset of a batch of it seen. */
  private readonly ongoingAbortedTxns = new Map<number, { transaction: AbortedTransaction; lastObservedBatchOffset: number }>();
  /** Not reached yet, by first offset. */
  private abortedTransactions: AbortedTransaction[] = [];
  /** ABORT markers kept so far, for the cleaned segment's transaction index. */
  retainedAbortedTransactions: AbortedTransaction[] = [];

  constructor(readonly transactional: boolean) {}

  addAbortedTransactions(transactions: readonly AbortedTransaction[]): void {
    if (transactions.length === 0) return;
    this.abortedTransactions = [...this.abortedTransactions, ...transactions].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /**
   * A control batch was read; `controlType` is its record's type (null for an empty control
   * batch, which an earlier cleaning left). Returns whether the batch may be discarded.
   */
  onControlBatchRead(batch: TransactionBatchView, controlType: number | null): boolean {
    if (!this.transactional) return false;
    this.consumeAbortedTxnsUpTo(batch.lastOffset);
    if (controlType === null) return true;
    const producerId = batch.producerId;
    if (controlType === ControlRecordType.ABORT) {
      const aborted = this.ongoingAbortedTxns.get(producerId);
      this.ongoingAbortedTxns.delete(producerId);
      // Keep the marker until every batch of the transaction is gone.
      if (aborted !== undefined && aborted.lastObservedBatchOffset >= 0) {
        this.retainedAbortedTransactions.push(aborted.transaction);
        return false;
      }
      return true;
    }
    if (controlType === ControlRecordType.COMMIT) {
      // Discardable when no batch of the transaction was read.
      const hadData = this.ongoingCommittedTxns.has(producerId);
      this.ongoingCommittedTxns.delete(producerId);
      return !hadData;
    }
    return false;
  }

  /** A data batch was read. Returns whether it belongs to an aborted transaction (and may go). */
  onBatchRead(batch: TransactionBatchView): boolean {
    if (!this.transactional) return false;
    this.consumeAbortedTxnsUpTo(batch.lastOffset);
    if (!batch.isTransactional) return false;
    const aborted = this.ongoingAbortedTxns.get(batch.producerId);
    if (aborted !== undefined) {
      aborted.lastObservedBatchOffset = batch.lastOffset;
      return true;
    }
    this.ongoingCommittedTxns.add(batch.producerId);
    return false;
  }

  /** Takes the entries collected for the segment just cleaned. */
  takeRetainedAbortedTransactions(): AbortedTransaction[] {
    const taken = this.retainedAbortedTransactions;
    this.retainedAbortedTransactions = [];
    return taken;
  }

  private consumeAbortedTxnsUpTo(offset: number): void {
    let taken = 0;
    while (taken < this.abortedTransactions.length && this.abortedTransactions[taken]!.firstOffset <= offset) {
      const transaction = this.abortedTransactions[taken]!;
      if (!this.ongoingAbortedTxns.has(transaction.producerId)) {
        this.ongoingAbortedTxns.set(transaction.producerId, { transaction, lastObservedBatchOffset: -1 });
      }
      taken += 1;
    }
    if (taken > 0) this.abortedTransactions = this.abortedTransactions.slice(taken);
  }
}
