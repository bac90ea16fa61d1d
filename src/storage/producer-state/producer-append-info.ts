/**
 * Validates the batches one producer adds in one append and accumulates its new state (Kafka's
 * ProducerAppendInfo). It starts from a copy of the producer's entry and checks each batch
 * against what the batches before it left (NOTES.md §5.2):
 *
 *   epoch below the known one                        INVALID_PRODUCER_EPOCH (47)   client, coordinator
 *   new epoch, first sequence not 0, epoch known     OUT_OF_ORDER_SEQUENCE_NUMBER  client
 *   same epoch, first sequence not last + 1          OUT_OF_ORDER_SEQUENCE_NUMBER  client, unless no
 *                                                                                  epoch is known (any
 *                                                                                  sequence is accepted)
 *   non-transactional batch inside an open txn       INVALID_TXN_STATE (48)        client, coordinator
 *   marker from an older coordinator epoch           TRANSACTION_COORDINATOR_FENCED coordinator
 *
 * Replicated batches (a follower copying its leader) are not checked, only applied. Duplicate
 * detection happens before this, against the stored entry (producer-state-manager.ts).
 * A transactional batch opens a transaction when none is open (its first offset is the
 * transaction's); a COMMIT or ABORT marker closes it and yields a CompletedTxn. Markers use
 * transaction version 1's epoch rule (marker epoch >= producer epoch).
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from '../../protocol/records/batch-header.js';
import type { AppendOrigin } from '../../protocol/records/validate.js';
import { ProducerStateEntry } from './producer-state-entry.js';

const INT32_MAX = 0x7fffffff;

/** A transaction whose marker has been appended (Kafka's CompletedTxn). */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The marker's offset. */
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerAppendInfo {
  readonly updatedEntry: ProducerStateEntry;
  /** First offsets of the transactions this append opened. */
  readonly startedTransactions: number[] = [];

  constructor(
    readonly producerId: number,
    /** The stored entry, or an empty one for a producer not seen (or expired). */
    private readonly currentEntry: ProducerStateEntry,
    private readonly origin: AppendOrigin,
    /** The partition, for error messages. */
    private readonly partition: string,
  ) {
    this.updatedEntry = currentEntry.copy();
  }

  private checkProducerEpoch(producerEpoch: number, offset: number): void {
    const current = this.updatedEntry.producerEpoch;
    if (producerEpoch >= current || this.origin === 'replication') return;
    throw new KafkaError(
      ErrorCode.INVALID_PRODUCER_EPOCH,
      `Epoch of producer ${this.producerId} at offset ${offset} in ${this.partition} is ${producerEpoch}, which is smaller than the last seen epoch ${current}`,
    );
  }

  private checkSequence(producerEpoch: number, firstSeq: number, offset: number): void {
    const updated = this.updatedEntry;
    if (producerEpoch !== updated.producerEpoch) {
      if (firstSeq !== 0 && updated.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Invalid sequence number for new epoch of producer ${this.producerId} at offset ${offset} in ${this.partition}: ` +
            `${producerEpoch} (request epoch), ${firstSeq} (seq. number), ${updated.producerEpoch} (current producer epoch)`,
        );
      }
      return;
    }
    const currentLastSeq = updated.isEmpty ? NO_SEQUENCE : updated.lastSeq;
    // No known epoch (a new producer id, or its state expired or was deleted with the log): any sequence.
    if (this.currentEntry.producerEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, firstSeq)) return;
    throw new KafkaError(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      `Out of order sequence number for producer ${this.producerId} at offset ${offset} in ${this.partition}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
    );
  }

  /**
   * A data batch at [firstOffset, lastOffset]. `timestamp` is its stored maxTimestamp (kept for
   * duplicates), `now` the broker time of the append (kept for expiration).
   */
  appendDataBatch(batch: {
    producerEpoch: number;
    firstSeq: number;
    lastSeq: number;
    firstOffset: number;
    lastOffset: number;
    isTransactional: boolean;
    timestamp: number;
    now: number;
  }): void {
    if (this.origin !== 'replication') this.checkProducerEpoch(batch.producerEpoch, batch.firstOffset);
    if (this.origin === 'client') this.checkSequence(batch.producerEpoch, batch.firstSeq, batch.firstOffset);
    const entry = this.updatedEntry;
    entry.addBatch(batch.producerEpoch, batch.lastSeq, batch.lastOffset, batch.lastOffset - batch.firstOffset, batch.timestamp);
    entry.lastTimestamp = batch.now;
    if (entry.hasOngoingTransaction && !batch.isTransactional) {
      if (this.origin === 'replication') return;
      throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `Expected transactional write from producer ${this.producerId} at offset ${batch.firstOffset} in ${this.partition}`);
    }
    if (!entry.hasOngoingTransaction && batch.isTransactional) {
      entry.currentTxnFirstOffset = batch.firstOffset;
      this.startedTransactions.push(batch.firstOffset);
    }
  }

  /** A COMMIT or ABORT marker at `offset`; the transaction it closes, or null when none was open. */
  appendEndTxnMarker(marker: { commit: boolean; coordinatorEpoch: number; producerEpoch: number; offset: number; now: number }): CompletedTxn | null {
    const entry = this.updatedEntry;
    if (this.origin !== 'replication') {
      this.checkProducerEpoch(marker.producerEpoch, marker.offset);
      if (entry.coordinatorEpoch > marker.coordinatorEpoch) {
        throw new KafkaError(
          ErrorCode.TRANSACTION_COORDINATOR_FENCED,
          `Invalid coordinator epoch for producerId ${this.producerId} at offset ${marker.offset} in ${this.partition}: ${marker.coordinatorEpoch} (zombie), ${entry.coordinatorEpoch} (current)`,
        );
      }
    }
    // Only a transaction that wrote data here is completed; an empty one leaves nothing to index.
    const completed = entry.hasOngoingTransaction
      ? { producerId: this.producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: marker.offset, isAborted: !marker.commit }
      : null;
    entry.maybeUpdateProducerEpoch(marker.producerEpoch);
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    entry.currentTxnFirstOffset = -1;
    entry.lastTimestamp = marker.now;
    return completed;
  }
}
