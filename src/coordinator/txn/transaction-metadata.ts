/**
 * One transactional id's state at its coordinator (Kafka's TransactionMetadata): the producer id
 * and epoch it hands out, the transaction timeout, the state of the current transaction and the
 * partitions in it.
 *
 * A change is made in two steps, as in Kafka: `prepare…` checks the transition against the
 * table below and returns the metadata after it (a TransitMetadata) while marking the change
 * pending; once the record is in `__transaction_state`, `completeTransitionTo` applies it. A
 * pending change makes every other request for the id wait (CONCURRENT_TRANSACTIONS), which is
 * what keeps interleaved requests apart while a write is in flight.
 *
 * States (id as written in TransactionLogValue.transactionStatus) and the states they may follow
 * (NOTES.md §5.3; TV1, so PrepareAbort follows only Ongoing and PrepareEpochFence):
 *   Empty (0)             <- Empty | CompleteCommit | CompleteAbort
 *   Ongoing (1)           <- Ongoing | Empty | CompleteCommit | CompleteAbort
 *   PrepareCommit (2)     <- Ongoing
 *   PrepareAbort (3)      <- Ongoing | PrepareEpochFence
 *   CompleteCommit (4)    <- PrepareCommit
 *   CompleteAbort (5)     <- PrepareAbort
 *   Dead (6)              <- Empty | CompleteCommit | CompleteAbort
 *   PrepareEpochFence (7) <- Ongoing        (never written: it becomes PrepareAbort at once)
 */

export enum TransactionState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

const VALID_PREVIOUS: Record<TransactionState, readonly TransactionState[]> = {
  [TransactionState.Empty]: [TransactionState.Empty, TransactionState.CompleteCommit, TransactionState.CompleteAbort],
  [TransactionState.Ongoing]: [TransactionState.Ongoing, TransactionState.Empty, TransactionState.CompleteCommit, TransactionState.CompleteAbort],
  [TransactionState.PrepareCommit]: [TransactionState.Ongoing],
  [TransactionState.PrepareAbort]: [TransactionState.Ongoing, TransactionState.PrepareEpochFence],
  [TransactionState.CompleteCommit]: [TransactionState.PrepareCommit],
  [TransactionState.CompleteAbort]: [TransactionState.PrepareAbort],
  [TransactionState.Dead]: [TransactionState.Empty, TransactionState.CompleteCommit, TransactionState.CompleteAbort],
  [TransactionState.PrepareEpochFence]: [TransactionState.Ongoing],
};

/** The names DescribeTransactions and ListTransactions use (Kafka's TransactionState.name). */
export function transactionStateName(state: TransactionState): string {
  return TransactionState[state];
}

export function transactionStateFromName(name: string): TransactionState | undefined {
  const value = (TransactionState as unknown as Record<string, TransactionState | undefined>)[name];
  return typeof value === 'number' ? value : undefined;
}

export function transactionStateFromId(id: number): TransactionState {
  if (!Number.isInteger(id) || id < 0 || id > 7) throw new RangeError(`unknown transaction state ${id}`);
  return id as TransactionState;
}

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
const SHORT_MAX = 32767;

/**
 * The coordinator never hands out epoch 32767, so that it can always fence a producer holding
 * 32766 by one more bump (TransactionMetadata.isEpochExhausted).
 */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= SHORT_MAX - 1;
}

/** `topic:partition`, the key of a transaction's partition set. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The metadata after a prepared transition, written to the log before it is applied. */
export interface TransitMetadata {
  readonly producerId: number;
  readonly lastProducerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  readonly topicPartitions: ReadonlyMap<string, TopicPartition>;
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
}

export class TransactionMetadata {
  /** The state being written, while a transition is in flight. */
  pendingState: TransactionState | null = null;
  /** A fence whose write failed: the epoch was bumped but never returned, so the next fence keeps it. */
  hasFailedEpochFence = false;
  readonly topicPartitions = new Map<string, TopicPartition>();

  constructor(
    readonly transactionalId: string,
    public producerId: number,
    public lastProducerId: number,
    public producerEpoch: number,
    public lastProducerEpoch: number,
    public txnTimeoutMs: number,
    public state: TransactionState,
    public txnStartTimestamp: number,
    public txnLastUpdateTimestamp: number,
  ) {}

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  get hasPendingTransaction(): boolean {
    return this.state === TransactionState.Ongoing || this.state === TransactionState.PrepareAbort || this.state === TransactionState.PrepareCommit;
  }

  /** Empty, CompleteCommit and CompleteAbort ids may expire (transactional.id.expiration.ms). */
  get isExpirationAllowed(): boolean {
    return this.state === TransactionState.Empty || this.state === TransactionState.CompleteCommit || this.state === TransactionState.CompleteAbort;
  }

  /** The current metadata as a transit, for writing it again (markers resent after a load). */
  snapshot(): TransitMetadata {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      state: this.state,
      topicPartitions: new Map(this.topicPartitions),
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
    };
  }

  private prepareTransitionTo(state: TransactionState, changes: Partial<Omit<TransitMetadata, 'state'>>): TransitMetadata {
    if (this.pendingState !== null) {
      throw new IllegalTransitionError(`${this.transactionalId}: preparing ${TransactionState[state]} while ${TransactionState[this.pendingState]} is pending`);
    }
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new IllegalTransitionError(`${this.transactionalId}: ${TransactionState[this.state]} cannot become ${TransactionState[state]}`);
    }
    // Every transition remembers the id it came from (Kafka's TxnTransitMetadata.lastProducerId).
    const transit: TransitMetadata = { ...this.snapshot(), lastProducerId: this.producerId, ...changes, state };
    if (transit.producerId < 0) throw new IllegalTransitionError(`illegal producer id ${transit.producerId}`);
    if (state !== TransactionState.Dead && transit.producerEpoch < 0) throw new IllegalTransitionError(`illegal producer epoch ${transit.producerEpoch}`);
    this.pendingState = state;
    return transit;
  }

  /** InitProducerId on an Ongoing transaction: bump the epoch (unless a failed fence already did), then abort. */
  prepareFenceProducerEpoch(): TransitMetadata {
    if (this.producerEpoch === SHORT_MAX) throw new IllegalTransitionError(`cannot fence producer ${this.producerId} at epoch ${SHORT_MAX}`);
    const bumpedEpoch = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.prepareTransitionTo(TransactionState.PrepareEpochFence, { producerEpoch: bumpedEpoch, lastProducerEpoch: NO_PRODUCER_EPOCH });
  }

  /**
   * InitProducerId: the next epoch for a new producer (no expected epoch), or for a producer
   * bumping its own epoch (KIP-360) — a retry of a bump that already happened gets the current
   * epoch again; any other epoch is fenced.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedProducerEpoch: number | null, now: number): TransitMetadata | 'PRODUCER_FENCED' {
    if (this.isProducerEpochExhausted) throw new IllegalTransitionError(`no epochs left for producer id ${this.producerId}`);
    const bumpedEpoch = this.producerEpoch + 1;
    let next: { producerEpoch: number; lastProducerEpoch: number };
    if (expectedProducerEpoch === null) next = { producerEpoch: bumpedEpoch, lastProducerEpoch: NO_PRODUCER_EPOCH };
    else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === this.producerEpoch) {
      next = { producerEpoch: bumpedEpoch, lastProducerEpoch: this.producerEpoch };
    } else if (expectedProducerEpoch === this.lastProducerEpoch) {
      next = { producerEpoch: this.producerEpoch, lastProducerEpoch: this.lastProducerEpoch };
    } else return 'PRODUCER_FENCED';
    return this.prepareTransitionTo(TransactionState.Empty, {
      ...next,
      txnTimeoutMs: newTxnTimeoutMs,
      topicPartitions: new Map(),
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    });
  }

  /** InitProducerId when the epoch is exhausted: a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: number, newTxnTimeoutMs: number, now: number, recordLastEpoch: boolean): TransitMetadata {
    if (this.hasPendingTransaction) throw new IllegalTransitionError('cannot rotate producer ids while a transaction is pending');
    return this.prepareTransitionTo(TransactionState.Empty, {
      producerId: newProducerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: newTxnTimeoutMs,
      topicPartitions: new Map(),
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    });
  }

  prepareAddPartitions(added: readonly TopicPartition[], now: number): TransitMetadata {
    const startsTransaction =
      this.state === TransactionState.Empty || this.state === TransactionState.CompleteAbort || this.state === TransactionState.CompleteCommit;
    const topicPartitions = new Map(this.topicPartitions);
    for (const topicPartition of added) topicPartitions.set(topicPartitionKey(topicPartition.topic, topicPartition.partition), topicPartition);
    return this.prepareTransitionTo(TransactionState.Ongoing, {
      topicPartitions,
      txnStartTimestamp: startsTransaction ? now : this.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
    });
  }

  prepareAbortOrCommit(state: TransactionState.PrepareCommit | TransactionState.PrepareAbort, now: number): TransitMetadata {
    return this.prepareTransitionTo(state, { txnLastUpdateTimestamp: now });
  }

  /** After every marker is written: CompleteCommit or CompleteAbort, with no partitions. */
  prepareComplete(now: number): TransitMetadata {
    const state = this.state === TransactionState.PrepareCommit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;
    // The prepare record was written, so a failed fence before it no longer matters.
    this.hasFailedEpochFence = false;
    return this.prepareTransitionTo(state, { topicPartitions: new Map(), txnLastUpdateTimestamp: now });
  }

  prepareDead(): TransitMetadata {
    return this.prepareTransitionTo(TransactionState.Dead, { topicPartitions: new Map() });
  }

  /** Applies a transition whose record is in the log (Kafka's completeTransitionTo checks). */
  completeTransitionTo(transit: TransitMetadata): void {
    const toState = this.pendingState;
    if (toState === null || toState !== transit.state) {
      throw new IllegalTransitionError(`${this.transactionalId}: completing ${TransactionState[transit.state]} but ${toState === null ? 'nothing' : TransactionState[toState]} is pending`);
    }
    if (transit.txnLastUpdateTimestamp < this.txnLastUpdateTimestamp) {
      throw new IllegalTransitionError(`${this.transactionalId}: update time goes backwards`);
    }
    const fail = () => {
      throw new IllegalTransitionError(`${this.transactionalId}: invalid transition from ${TransactionState[this.state]} to ${JSON.stringify({ ...transit, topicPartitions: [...transit.topicPartitions.keys()] })}`);
    };
    switch (toState) {
      case TransactionState.Empty: {
        const validBump =
          transit.producerEpoch === this.producerEpoch + 1 || transit.producerEpoch === this.producerEpoch || (transit.producerEpoch === 0 && transit.producerId !== this.producerId);
        if (!validBump || transit.topicPartitions.size > 0 || transit.txnStartTimestamp !== -1) fail();
        this.producerId = transit.producerId;
        this.lastProducerId = transit.lastProducerId;
        this.producerEpoch = transit.producerEpoch;
        this.lastProducerEpoch = transit.lastProducerEpoch;
        this.txnTimeoutMs = transit.txnTimeoutMs;
        this.topicPartitions.clear();
        this.txnStartTimestamp = -1;
        break;
      }
      case TransactionState.Ongoing: {
        if (this.producerId !== transit.producerId || this.producerEpoch !== transit.producerEpoch) fail();
        for (const key of this.topicPartitions.keys()) if (!transit.topicPartitions.has(key)) fail();
        this.txnTimeoutMs = transit.txnTimeoutMs;
        for (const [key, value] of transit.topicPartitions) this.topicPartitions.set(key, value);
        this.txnStartTimestamp = transit.txnStartTimestamp;
        break;
      }
      case TransactionState.PrepareCommit:
      case TransactionState.PrepareAbort: {
        if (this.producerId !== transit.producerId || this.producerEpoch !== transit.producerEpoch || this.txnStartTimestamp !== transit.txnStartTimestamp) fail();
        break;
      }
      case TransactionState.CompleteCommit:
      case TransactionState.CompleteAbort: {
        if (this.producerId !== transit.producerId || this.producerEpoch !== transit.producerEpoch || transit.topicPartitions.size > 0) fail();
        this.topicPartitions.clear();
        break;
      }
      case TransactionState.Dead: {
        if (!this.isExpirationAllowed || this.producerId !== transit.producerId || transit.topicPartitions.size > 0) fail();
        this.topicPartitions.clear();
        break;
      }
      case TransactionState.PrepareEpochFence:
        // It is never written: the fence goes straight on as PrepareAbort.
        fail();
    }
    this.txnLastUpdateTimestamp = transit.txnLastUpdateTimestamp;
    this.pendingState = null;
    this.state = toState;
  }
}
