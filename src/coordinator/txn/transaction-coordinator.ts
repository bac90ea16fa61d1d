/**
 * The transaction coordinator (Kafka's TransactionCoordinator, TransactionStateManager and the
 * marker side of TransactionMarkerChannelManager), transaction.version 1 (KIP-98, KIP-360,
 * KIP-588; no KIP-890 part 2).
 *
 * Each transactional id lives in partition `abs(hashCode(id)) % transaction.state.log.num.partitions`
 * of `__transaction_state`. Every state change is written there (transaction-records.ts) before
 * it is applied and before the client is answered, so a restart rebuilds the coordinator by
 * replaying the topic (`loadRecord`, `completeLoading`); transactions found half-way through
 * PrepareCommit/PrepareAbort get their markers written again, Ongoing ones time out.
 *
 * The life of a transaction:
 *   InitProducerId      → Empty, epoch bumped (an Ongoing transaction is aborted first: the
 *                         caller gets CONCURRENT_TRANSACTIONS and retries)
 *   AddPartitionsToTxn  → Ongoing, partitions added (AddOffsetsToTxn adds the group's
 *                         `__consumer_offsets` partition the same way)
 *   EndTxn              → PrepareCommit/PrepareAbort written (the outcome is decided), then a
 *                         COMMIT or ABORT marker is written to every partition of the transaction
 *                         (retried until it is), then CompleteCommit/CompleteAbort written; the
 *                         client is answered once every marker has been tried once (Kafka
 *                         answers before the markers)
 * Timed-out Ongoing transactions are aborted with a bumped epoch (which fences the producer), and
 * ids idle for `transactional.id.expiration.ms` are tombstoned.
 *
 * Time runs on an injected Scheduler; the log, the markers and producer ids come through
 * interfaces, so the unit tests drive all of it in memory.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { Reader } from '../../protocol/reader.js';
import { KafkaError } from '../../errors.js';
import { Logger } from '../../logger.js';
import type { Scheduler } from '../scheduler.js';
import { recordKeyVersion } from '../record-codec.js';
import { javaStringHashCode, type CoordinatorRecord } from '../group/group-coordinator.js';
import {
  IllegalTransitionError,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TransactionMetadata,
  TransactionState,
  isEpochExhausted,
  topicPartitionKey,
  transactionStateFromId,
  transactionStateFromName,
  transactionStateName,
  type TopicPartition,
  type TransitMetadata,
} from './transaction-metadata.js';
import { TRANSACTION_LOG_KEY_VERSION, TRANSACTION_LOG_VALUE_VERSION, transactionLogKey, transactionLogValue } from './transaction-records.js';

const log = new Logger('transaction-coordinator');

export interface TransactionCoordinatorConfig {
  /** transaction.state.log.num.partitions */
  readonly numPartitions: number;
  /** transaction.max.timeout.ms */
  readonly transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  readonly transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredTransactionalIdsIntervalMs: number;
  /** Wait before writing markers (or the Complete record) again after a failure. */
  readonly markerRetryBackoffMs?: number;
}

/** Where the coordinator's records go: partitions of `__transaction_state`. */
export interface TransactionStateLog {
  /** Resolves once the records are written (a `__consumer_offsets` log also says where: not needed here). */
  append(partition: number, records: readonly CoordinatorRecord[]): Promise<unknown>;
  /** The coordinator epoch of a partition (its leader epoch), stamped on every marker. */
  coordinatorEpoch(partition: number): number;
  /** The topic's partition count once it exists (Kafka places ids by it, not by the config). */
  partitionCount?(): number | undefined;
}

export interface TransactionMarker {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  readonly topic: string;
  readonly partition: number;
}

/**
 * Writes COMMIT/ABORT control batches (the single-node form of WriteTxnMarkers). Resolves once
 * the marker is in the partition's log; a KafkaError UNKNOWN_TOPIC_OR_PARTITION means the
 * partition is gone (its marker is dropped, as Kafka does for deleted topics); any other
 * failure is retried.
 */
export interface TransactionMarkerWriter {
  writeMarker(marker: TransactionMarker): Promise<void>;
}

export interface InitProducerIdRequest {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  /** v3+ (KIP-360): the producer's current id and epoch, or -1/-1. */
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface InitProducerIdResult {
  readonly errorCode: ErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface TransactionDescription {
  readonly errorCode: ErrorCode;
  readonly transactionalId: string;
  readonly transactionState: string;
  readonly transactionTimeoutMs: number;
  readonly transactionStartTimeMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: { topic: string; partitions: number[] }[];
}

export interface TransactionListing {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly transactionState: string;
}

const DEFAULT_MARKER_RETRY_BACKOFF_MS = 100;
const MAX_MARKER_RETRY_BACKOFF_MS = 5_000;

/** Kafka's appendTransactionToLog: what a failed write means to the client. */
function appendErrorCode(error: unknown): ErrorCode {
  const code = error instanceof KafkaError ? error.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

function initError(errorCode: ErrorCode): InitProducerIdResult {
  return { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
}

export class TransactionCoordinator {
  private readonly transactions = new Map<string, TransactionMetadata>();
  private loaded = false;
  /** EndTxn answers waiting for their markers; a shutdown lets them go. */
  private readonly endTxnWaiters = new Set<() => void>();

  constructor(
    private readonly config: TransactionCoordinatorConfig,
    private readonly stateLog: TransactionStateLog,
    private readonly markers: TransactionMarkerWriter,
    /** A fresh producer id (the broker's producer-id blocks). */
    private readonly generateProducerId: () => Promise<number>,
    private readonly scheduler: Scheduler,
  ) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  partitionFor(transactionalId: string): number {
    const hash = javaStringHashCode(transactionalId);
    return (hash === -2147483648 ? 0 : Math.abs(hash)) % (this.stateLog.partitionCount?.() ?? this.config.numPartitions);
  }

  /** For tests and tools: the metadata of an id. */
  transaction(transactionalId: string): TransactionMetadata | undefined {
    return this.transactions.get(transactionalId);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /** Applies one record read back from `__transaction_state` (at start-up, in log order). */
  loadRecord(record: CoordinatorRecord): void {
    const keyVersion = recordKeyVersion(record.key);
    if (keyVersion !== TRANSACTION_LOG_KEY_VERSION) return;
    const { transactionalId } = transactionLogKey.decodeBody(new Reader(record.key, 2), keyVersion);
    if (record.value === null) {
      this.transactions.delete(transactionalId);
      return;
    }
    const { message } = transactionLogValue.decode(record.value);
    const metadata = new TransactionMetadata(
      transactionalId,
      message.producerId,
      message.previousProducerId,
      message.producerEpoch,
      NO_PRODUCER_EPOCH,
      message.transactionTimeoutMs,
      transactionStateFromId(message.transactionStatus),
      message.transactionStartTimestampMs,
      message.transactionLastUpdateTimestampMs,
    );
    for (const topic of message.transactionPartitions ?? []) {
      for (const partition of topic.partitionIds) metadata.topicPartitions.set(topicPartitionKey(topic.topic, partition), { topic: topic.topic, partition });
    }
    this.transactions.set(transactionalId, metadata);
  }

  /**
   * Called once every partition has been replayed: transactions caught between their Prepare
   * record and their Complete record get their markers written again; the timers start.
   */
  completeLoading(): void {
    this.loaded = true;
    const now = this.scheduler.now();
    for (const metadata of this.transactions.values()) {
      if (metadata.state !== TransactionState.PrepareCommit && metadata.state !== TransactionState.PrepareAbort) continue;
      const coordinatorEpoch = this.stateLog.coordinatorEpoch(this.partitionFor(metadata.transactionalId));
      const complete = metadata.prepareComplete(Math.max(now, metadata.txnLastUpdateTimestamp));
      log.info(`${metadata.transactionalId}: completing ${transactionStateName(metadata.state)} found in the log`);
      void this.sendMarkers(metadata, complete, coordinatorEpoch);
    }
    this.scheduleAbortTimedOut();
    this.scheduleExpireTransactionalIds();
  }

  shutdown(): void {
    this.loaded = false;
    this.scheduler.cancelAll();
    for (const resolve of [...this.endTxnWaiters]) resolve();
  }

  // ---------------------------------------------------------------------------------------------
  // Records

  private record(transactionalId: string, transit: TransitMetadata): CoordinatorRecord {
    const key = transactionLogKey.encode(TRANSACTION_LOG_KEY_VERSION, { transactionalId });
    if (transit.state === TransactionState.Dead) return { key, value: null };
    if (transit.state === TransactionState.Empty && transit.topicPartitions.size > 0) {
      throw new IllegalTransitionError(`${transactionalId}: an Empty transaction with partitions`);
    }
    let transactionPartitions: { topic: string; partitionIds: number[] }[] | null = null;
    if (transit.state !== TransactionState.Empty) {
      const byTopic = new Map<string, number[]>();
      for (const { topic, partition } of transit.topicPartitions.values()) {
        const list = byTopic.get(topic) ?? [];
        list.push(partition);
        byTopic.set(topic, list);
      }
      transactionPartitions = [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }));
    }
    return {
      key,
      value: transactionLogValue.encode(TRANSACTION_LOG_VALUE_VERSION, {
        producerId: transit.producerId,
        producerEpoch: transit.producerEpoch,
        transactionTimeoutMs: transit.txnTimeoutMs,
        transactionStatus: transit.state,
        transactionPartitions,
        transactionLastUpdateTimestampMs: transit.txnLastUpdateTimestamp,
        transactionStartTimestampMs: transit.txnStartTimestamp,
      }),
    };
  }

  /**
   * Writes a prepared transition and applies it (Kafka's appendTransactionToLog). On failure the
   * pending state is dropped and the client gets the mapped error.
   */
  private async appendTransition(metadata: TransactionMetadata, transit: TransitMetadata): Promise<ErrorCode> {
    try {
      await this.stateLog.append(this.partitionFor(metadata.transactionalId), [this.record(metadata.transactionalId, transit)]);
    } catch (error) {
      const errorCode = appendErrorCode(error);
      log.warn(`${metadata.transactionalId}: writing ${transactionStateName(transit.state)} failed: ${ErrorCode[errorCode] ?? errorCode}`);
      if (this.transactions.get(metadata.transactionalId) === metadata) metadata.pendingState = null;
      return errorCode;
    }
    if (!this.loaded || this.transactions.get(metadata.transactionalId) !== metadata) return ErrorCode.NOT_COORDINATOR;
    metadata.completeTransitionTo(transit);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------------------------------------
  // InitProducerId

  async initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResult> {
    const { transactionalId } = request;
    if (!this.loaded) return initError(ErrorCode.NOT_COORDINATOR);
    if (transactionalId === '') return initError(ErrorCode.INVALID_REQUEST);
    if (request.transactionTimeoutMs <= 0 || request.transactionTimeoutMs > this.config.transactionMaxTimeoutMs) {
      return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    let expected: { producerId: number; producerEpoch: number } | null = null;
    if (request.producerId !== NO_PRODUCER_ID || request.producerEpoch !== NO_PRODUCER_EPOCH) {
      if (request.producerId === NO_PRODUCER_ID || request.producerEpoch === NO_PRODUCER_EPOCH) return initError(ErrorCode.INVALID_REQUEST);
      expected = { producerId: request.producerId, producerEpoch: request.producerEpoch };
    }

    let metadata = this.transactions.get(transactionalId);
    if (!metadata) {
      let producerId: number;
      try {
        producerId = await this.generateProducerId();
      } catch (error) {
        return initError(appendErrorCode(error));
      }
      if (!this.loaded) return initError(ErrorCode.NOT_COORDINATOR);
      metadata = this.transactions.get(transactionalId);
      if (!metadata) {
        const now = this.scheduler.now();
        metadata = new TransactionMetadata(transactionalId, producerId, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, request.transactionTimeoutMs, TransactionState.Empty, -1, now);
        this.transactions.set(transactionalId, metadata);
      }
    }

    // Rotating to a new producer id needs one first; the checks are made again once it is here.
    let newProducerId: number | undefined;
    for (;;) {
      const decision = this.prepareInitProducerIdTransit(metadata, request.transactionTimeoutMs, expected, newProducerId);
      if (decision === 'needs-producer-id') {
        try {
          newProducerId = await this.generateProducerId();
        } catch (error) {
          return initError(appendErrorCode(error));
        }
        if (!this.loaded || this.transactions.get(transactionalId) !== metadata) return initError(ErrorCode.NOT_COORDINATOR);
        continue;
      }
      if (typeof decision === 'number') return initError(decision);
      if (decision.state === TransactionState.PrepareEpochFence) {
        // Abort the ongoing transaction with the bumped epoch; the client retries and gets the next one.
        const errorCode = await this.endTransaction(transactionalId, decision.producerId, decision.producerEpoch, false, false);
        if (metadata.pendingState === TransactionState.PrepareEpochFence) metadata.pendingState = null;
        return initError(errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : errorCode);
      }
      const errorCode = await this.appendTransition(metadata, decision);
      if (errorCode !== ErrorCode.NONE) return initError(errorCode);
      log.info(`initialized transactional id ${transactionalId} with producer id ${decision.producerId} and epoch ${decision.producerEpoch} on partition ${this.partitionFor(transactionalId)}`);
      return { errorCode: ErrorCode.NONE, producerId: decision.producerId, producerEpoch: decision.producerEpoch };
    }
  }

  private prepareInitProducerIdTransit(
    metadata: TransactionMetadata,
    transactionTimeoutMs: number,
    expected: { producerId: number; producerEpoch: number } | null,
    newProducerId: number | undefined,
  ): TransitMetadata | ErrorCode | 'needs-producer-id' {
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    // KIP-360: the caller's id must be the current one, a just-created id, or the previous one
    // with an exhausted epoch (a retry of a rotation whose answer was lost).
    if (
      expected !== null &&
      !(
        metadata.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === metadata.producerId ||
        (expected.producerId === metadata.lastProducerId && isEpochExhausted(expected.producerEpoch))
      )
    ) {
      return ErrorCode.PRODUCER_FENCED;
    }
    switch (metadata.state) {
      case TransactionState.PrepareAbort:
      case TransactionState.PrepareCommit:
        return ErrorCode.CONCURRENT_TRANSACTIONS;
      case TransactionState.CompleteAbort:
      case TransactionState.CompleteCommit:
      case TransactionState.Empty: {
        const now = this.scheduler.now();
        if (metadata.isProducerEpochExhausted && (expected === null || expected.producerEpoch === metadata.producerEpoch)) {
          if (newProducerId === undefined) return 'needs-producer-id';
          return metadata.prepareProducerIdRotation(newProducerId, transactionTimeoutMs, now, expected !== null);
        }
        const transit = metadata.prepareIncrementProducerEpoch(transactionTimeoutMs, expected?.producerEpoch ?? null, now);
        return transit === 'PRODUCER_FENCED' ? ErrorCode.PRODUCER_FENCED : transit;
      }
      case TransactionState.Ongoing:
        // This epoch is never returned: the transaction is aborted with it and the client retries,
        // which bumps the epoch a second time (or rotates the id if the fence exhausted it).
        return metadata.prepareFenceProducerEpoch();
      case TransactionState.Dead:
      case TransactionState.PrepareEpochFence:
        throw new IllegalTransitionError(`${metadata.transactionalId} found in state ${transactionStateName(metadata.state)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // AddPartitionsToTxn, AddOffsetsToTxn

  /** Adds partitions to the transaction (AddOffsetsToTxn passes the group's `__consumer_offsets` partition). */
  async addPartitionsToTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<ErrorCode> {
    if (!this.loaded) return ErrorCode.NOT_COORDINATOR;
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const metadata = this.transactions.get(transactionalId);
    if (!metadata || metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === TransactionState.Ongoing && partitions.every((p) => metadata.topicPartitions.has(topicPartitionKey(p.topic, p.partition)))) {
      return ErrorCode.NONE;
    }
    return this.appendTransition(metadata, metadata.prepareAddPartitions(partitions, this.scheduler.now()));
  }

  // ---------------------------------------------------------------------------------------------
  // EndTxn

  /** EndTxn from a client (`isFromClient`) or the coordinator's own abort (fencing, timeouts). */
  async endTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, isFromClient = true): Promise<ErrorCode> {
    if (!this.loaded) return ErrorCode.NOT_COORDINATOR;
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const metadata = this.transactions.get(transactionalId);
    if (!metadata || metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    // Clients must match exactly; the coordinator's own abort carries the bumped epoch.
    if ((isFromClient && producerEpoch !== metadata.producerEpoch) || producerEpoch < metadata.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress && metadata.pendingState !== TransactionState.PrepareEpochFence) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const invalid = () => {
      log.debug(`${transactionalId}: ${commit ? 'commit' : 'abort'} in state ${transactionStateName(metadata.state)} is not valid`);
      return ErrorCode.INVALID_TXN_STATE;
    };
    let isEpochFence = false;
    let prepared: TransitMetadata;
    switch (metadata.state) {
      case TransactionState.Ongoing: {
        if (!commit && metadata.pendingState === TransactionState.PrepareEpochFence) {
          // The fence becomes this abort, written with the bumped epoch.
          isEpochFence = true;
          metadata.pendingState = null;
          metadata.producerEpoch = producerEpoch;
          metadata.lastProducerEpoch = NO_PRODUCER_EPOCH;
        }
        prepared = metadata.prepareAbortOrCommit(commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort, this.scheduler.now());
        break;
      }
      case TransactionState.CompleteCommit:
        return commit ? ErrorCode.NONE : invalid();
      case TransactionState.CompleteAbort:
        return commit ? invalid() : ErrorCode.NONE;
      case TransactionState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : invalid();
      case TransactionState.PrepareAbort:
        return commit ? invalid() : ErrorCode.CONCURRENT_TRANSACTIONS;
      case TransactionState.Empty:
        return invalid();
      case TransactionState.Dead:
      case TransactionState.PrepareEpochFence:
        throw new IllegalTransitionError(`${transactionalId} found in state ${transactionStateName(metadata.state)}`);
    }

    const coordinatorEpoch = this.stateLog.coordinatorEpoch(this.partitionFor(transactionalId));
    const errorCode = await this.appendTransition(metadata, prepared);
    if (errorCode !== ErrorCode.NONE) {
      // The fence's epoch was bumped in memory but never returned: the next fence keeps it.
      if (isEpochFence && this.transactions.get(transactionalId) === metadata) metadata.hasFailedEpochFence = true;
      return errorCode;
    }
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    // Read again: the state changed while the record was written.
    const stateNow = metadata.state as TransactionState;
    if (stateNow !== (commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort)) return invalid();
    const complete = metadata.prepareComplete(this.scheduler.now());
    // The outcome is decided: Kafka answers here and writes the markers after, and the next
    // request for the id waits with CONCURRENT_TRANSACTIONS until they are all written. On one
    // broker the markers are local appends, so the answer waits for their first round (every
    // marker tried once), sparing the client that retry and making the outcome visible when the
    // client hears of it; a marker that failed is retried after the answer.
    const firstRound = this.sendMarkers(metadata, complete, coordinatorEpoch);
    if (isFromClient) await this.untilShutdown(firstRound);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------------------------------------
  // Markers (TransactionMarkerChannelManager)

  /**
   * Writes the marker to every partition still missing it, retrying failures with a growing
   * backoff, then writes the Complete record. Runs in the background; a restart finds the
   * Prepare record and starts again. The promise settles after the first round (every marker
   * tried once and, if they were all written, the Complete record tried once).
   */
  private sendMarkers(metadata: TransactionMetadata, complete: TransitMetadata, coordinatorEpoch: number): Promise<void> {
    const commit = complete.state === TransactionState.CompleteCommit;
    const remaining = new Map(metadata.topicPartitions);
    const transactionalId = metadata.transactionalId;
    const timerKey = `markers:${transactionalId}`;
    let backoffMs = this.config.markerRetryBackoffMs ?? DEFAULT_MARKER_RETRY_BACKOFF_MS;
    const stillOurs = () => this.loaded && this.transactions.get(transactionalId) === metadata && metadata.pendingState === complete.state;
    const retry = (what: () => void) => {
      this.scheduler.schedule(timerKey, backoffMs, () => {
        if (stillOurs()) what();
      });
      backoffMs = Math.min(backoffMs * 2, MAX_MARKER_RETRY_BACKOFF_MS);
    };

    const writeComplete = (): Promise<void> =>
      this.stateLog.append(this.partitionFor(transactionalId), [this.record(transactionalId, complete)]).then(
        () => {
          if (!stillOurs()) return;
          metadata.completeTransitionTo(complete);
          log.debug(`${transactionalId}: ${transactionStateName(complete.state)} for producer ${complete.producerId} epoch ${complete.producerEpoch}`);
        },
        (error: unknown) => {
          if (!stillOurs()) return;
          log.warn(`${transactionalId}: writing ${transactionStateName(complete.state)} failed, retrying: ${String(error)}`);
          retry(() => void writeComplete());
        },
      );

    const writeMarkers = (): Promise<void> => {
      const attempts = [...remaining].map(([key, { topic, partition }]) =>
        this.markers
          .writeMarker({ transactionalId, producerId: complete.producerId, producerEpoch: complete.producerEpoch, coordinatorEpoch, commit, topic, partition })
          .then(
            () => remaining.delete(key),
            (error: unknown) => {
              if (error instanceof KafkaError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
                log.info(`${transactionalId}: ${topic}-${partition} no longer exists, its marker is dropped`);
                remaining.delete(key);
              } else {
                log.warn(`${transactionalId}: ${commit ? 'COMMIT' : 'ABORT'} marker for ${topic}-${partition} failed, will retry: ${String(error)}`);
              }
            },
          ),
      );
      return Promise.all(attempts).then(() => {
        if (!stillOurs()) return;
        if (remaining.size > 0) retry(() => void writeMarkers());
        else return writeComplete();
      });
    };
    return writeMarkers();
  }

  /** Resolves when `work` settles, or at shutdown. */
  private untilShutdown(work: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.endTxnWaiters.delete(done);
        resolve();
      };
      this.endTxnWaiters.add(done);
      void work.finally(done);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Timeouts and expiry

  private scheduleAbortTimedOut(): void {
    this.scheduler.schedule('abort-timed-out-transactions', this.config.abortTimedOutTransactionsIntervalMs, () => {
      this.abortTimedOutTransactions();
      if (this.loaded) this.scheduleAbortTimedOut();
    });
  }

  /** Aborts every Ongoing transaction older than its timeout, fencing its producer (epoch + 1). */
  abortTimedOutTransactions(): void {
    const now = this.scheduler.now();
    for (const metadata of this.transactions.values()) {
      if (metadata.pendingTransitionInProgress || metadata.state !== TransactionState.Ongoing) continue;
      if (metadata.txnStartTimestamp + metadata.txnTimeoutMs >= now) continue;
      let fence: TransitMetadata;
      try {
        fence = metadata.prepareFenceProducerEpoch();
      } catch (error) {
        log.error(`cannot abort timed-out transaction ${metadata.transactionalId}`, error);
        continue;
      }
      log.info(`aborting transaction ${metadata.transactionalId} of producer ${fence.producerId}: it timed out after ${metadata.txnTimeoutMs} ms`);
      void this.endTransaction(metadata.transactionalId, fence.producerId, fence.producerEpoch, false, false).then((errorCode) => {
        if (errorCode !== ErrorCode.NONE) {
          log.warn(`aborting timed-out transaction ${metadata.transactionalId} failed: ${ErrorCode[errorCode] ?? errorCode}`);
          if (metadata.pendingState === TransactionState.PrepareEpochFence) metadata.pendingState = null;
        }
      });
    }
  }

  private scheduleExpireTransactionalIds(): void {
    this.scheduler.schedule('expire-transactional-ids', this.config.removeExpiredTransactionalIdsIntervalMs, () => {
      this.expireTransactionalIds()
        .catch((error: unknown) => log.warn(`expiring transactional ids failed: ${String(error)}`))
        .finally(() => {
          if (this.loaded) this.scheduleExpireTransactionalIds();
        });
    });
  }

  /** Tombstones ids idle (Empty or Complete*) for transactional.id.expiration.ms; returns how many. */
  async expireTransactionalIds(): Promise<number> {
    const now = this.scheduler.now();
    const byPartition = new Map<number, { metadata: TransactionMetadata; transit: TransitMetadata }[]>();
    for (const metadata of this.transactions.values()) {
      if (metadata.pendingTransitionInProgress || !metadata.isExpirationAllowed) continue;
      if (metadata.txnLastUpdateTimestamp > now - this.config.transactionalIdExpirationMs) continue;
      const partition = this.partitionFor(metadata.transactionalId);
      const list = byPartition.get(partition) ?? [];
      list.push({ metadata, transit: metadata.prepareDead() });
      byPartition.set(partition, list);
    }
    let expired = 0;
    for (const [partition, entries] of byPartition) {
      try {
        await this.stateLog.append(
          partition,
          entries.map(({ metadata, transit }) => this.record(metadata.transactionalId, transit)),
        );
      } catch (error) {
        log.warn(`tombstoning expired transactional ids in partition ${partition} failed: ${String(error)}`);
        for (const { metadata } of entries) metadata.pendingState = null;
        continue;
      }
      for (const { metadata, transit } of entries) {
        if (this.transactions.get(metadata.transactionalId) !== metadata) continue;
        metadata.completeTransitionTo(transit);
        this.transactions.delete(metadata.transactionalId);
        log.info(`transactional id ${metadata.transactionalId} expired`);
        expired++;
      }
    }
    return expired;
  }

  // ---------------------------------------------------------------------------------------------
  // Admin: DescribeTransactions, ListTransactions

  describeTransaction(transactionalId: string): TransactionDescription {
    const empty = { transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
    if (!this.loaded) return { ...empty, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (transactionalId === '') return { ...empty, errorCode: ErrorCode.INVALID_REQUEST };
    const metadata = this.transactions.get(transactionalId);
    if (!metadata || metadata.state === TransactionState.Dead) return { ...empty, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of metadata.topicPartitions.values()) {
      const list = byTopic.get(topic) ?? [];
      list.push(partition);
      byTopic.set(topic, list);
    }
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: transactionStateName(metadata.state),
      transactionTimeoutMs: metadata.txnTimeoutMs,
      transactionStartTimeMs: metadata.txnStartTimestamp,
      producerId: metadata.producerId,
      producerEpoch: metadata.producerEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })),
    };
  }

  /**
   * ListTransactions: every id matching all filters (an empty filter matches all; a state name
   * not known is reported back and ignored; a duration keeps transactions running longer).
   */
  listTransactions(
    stateFilters: readonly string[],
    producerIdFilters: readonly number[],
    durationFilterMs = -1,
  ): { errorCode: ErrorCode; unknownStateFilters: string[]; transactionStates: TransactionListing[] } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const states = new Set<TransactionState>();
    const unknownStateFilters: string[] = [];
    for (const name of stateFilters) {
      const state = transactionStateFromName(name);
      if (state === undefined) unknownStateFilters.push(name);
      else states.add(state);
    }
    const producerIds = new Set(producerIdFilters);
    const now = this.scheduler.now();
    const transactionStates = [...this.transactions.values()]
      .filter((metadata) => metadata.state !== TransactionState.Dead)
      .filter((metadata) => producerIds.size === 0 || producerIds.has(metadata.producerId))
      .filter((metadata) => states.size === 0 || states.has(metadata.state))
      .filter((metadata) => durationFilterMs < 0 || now - metadata.txnStartTimestamp > durationFilterMs)
      .map((metadata) => ({ transactionalId: metadata.transactionalId, producerId: metadata.producerId, transactionState: transactionStateName(metadata.state) }));
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }
}
