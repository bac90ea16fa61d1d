/**
 * Drives the transaction coordinator as a records-in / records-out state machine: requests go
 * straight to TransactionCoordinator, every record it appends to `__transaction_state` and every
 * marker it writes is captured, time moves only through a ManualScheduler, and `replay()` feeds
 * the captured records to a fresh coordinator.
 */
import { setImmediate as flushIo } from 'node:timers/promises';
import { KafkaError } from '../../../src/errors.js';
import type { CoordinatorRecord } from '../../../src/coordinator/group/group-coordinator.js';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import {
  TransactionCoordinator,
  type TransactionCoordinatorConfig,
  type TransactionMarker,
  type TransactionMarkerWriter,
  type TransactionStateLog,
} from '../../../src/coordinator/txn/transaction-coordinator.js';
import { transactionLogKey, transactionLogValue } from '../../../src/coordinator/txn/transaction-records.js';
import { TransactionState } from '../../../src/coordinator/txn/transaction-metadata.js';
import { Reader } from '../../../src/protocol/reader.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

/** Kafka's defaults (TransactionStateManagerConfig, TransactionLogConfig). */
export const KAFKA_DEFAULTS: TransactionCoordinatorConfig = {
  numPartitions: 50,
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  markerRetryBackoffMs: 100,
};

export const TXN_ID = 'payments-1';
export const TIMEOUT_MS = 60_000;

/** Calls that hold() makes wait until release() (a slow disk, a slow broker). */
abstract class Holdable {
  private held: (() => void)[] | null = null;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const resume of held) resume();
  }

  protected get holding(): boolean {
    return this.held !== null;
  }

  /** Resolves at the next release(); only while holding. */
  protected released(): Promise<void> {
    return new Promise<void>((resolve) => this.held!.push(resolve));
  }
}

/** A `__transaction_state` keeping what is appended; it can fail or hold appends (a slow disk). */
export class FakeStateLog extends Holdable implements TransactionStateLog {
  readonly appended: { partition: number; record: CoordinatorRecord }[] = [];
  private failures = 0;
  private readonly stateFailures = new Map<string, number>();
  epoch = 0;

  failNext(count = 1): void {
    this.failures = count;
  }

  /** The next `count` writes of a record in `state` fail. */
  failWrites(state: string, count = 1): void {
    this.stateFailures.set(state, count);
  }

  async append(partition: number, records: readonly CoordinatorRecord[]): Promise<void> {
    if (this.holding) await this.released();
    const state = records[0]?.value ? TransactionState[transactionLogValue.decode(records[0].value).message.transactionStatus]! : 'tombstone';
    const stateFailures = this.stateFailures.get(state) ?? 0;
    if (this.failures > 0 || stateFailures > 0) {
      if (this.failures > 0) this.failures--;
      else this.stateFailures.set(state, stateFailures - 1);
      throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, 'append failed (test)');
    }
    for (const record of records) this.appended.push({ partition, record });
  }

  coordinatorEpoch(): number {
    return this.epoch;
  }

  get records(): CoordinatorRecord[] {
    return this.appended.map((entry) => entry.record);
  }

  /** The records decoded: id, state name (or 'tombstone'), epoch, partitions. */
  decoded(): { transactionalId: string; state: string; producerId: number; producerEpoch: number; partitions: string[] | null }[] {
    return this.records.map((record) => {
      const { transactionalId } = transactionLogKey.decodeBody(new Reader(record.key, 2), record.key.readInt16BE(0));
      if (record.value === null) return { transactionalId, state: 'tombstone', producerId: -1, producerEpoch: -1, partitions: null };
      const { message } = transactionLogValue.decode(record.value);
      return {
        transactionalId,
        state: TransactionState[message.transactionStatus]!,
        producerId: message.producerId,
        producerEpoch: message.producerEpoch,
        partitions: message.transactionPartitions === null ? null : message.transactionPartitions.flatMap((t) => t.partitionIds.map((p) => `${t.topic}-${p}`)).sort(),
      };
    });
  }

  states(transactionalId = TXN_ID): string[] {
    return this.decoded()
      .filter((entry) => entry.transactionalId === transactionalId)
      .map((entry) => entry.state);
  }
}

/** Marker writes, captured; a partition can be made to fail a few times, or to hang. */
export class FakeMarkerWriter extends Holdable implements TransactionMarkerWriter {
  readonly written: TransactionMarker[] = [];
  readonly failures = new Map<string, { count: number; code: ErrorCode }>();

  failFor(topicPartition: string, count: number, code = ErrorCode.NOT_LEADER_OR_FOLLOWER): void {
    this.failures.set(topicPartition, { count, code });
  }

  async writeMarker(marker: TransactionMarker): Promise<void> {
    if (this.holding) await this.released();
    const key = `${marker.topic}-${marker.partition}`;
    const failure = this.failures.get(key);
    if (failure && failure.count > 0) {
      failure.count--;
      throw new KafkaError(failure.code, `marker for ${key} failed (test)`);
    }
    this.written.push(marker);
  }

  summary(): string[] {
    return this.written.map((m) => `${m.topic}-${m.partition}:${m.commit ? 'COMMIT' : 'ABORT'}@${m.producerId}/${m.producerEpoch}`).sort();
  }
}

export class Harness {
  readonly scheduler: ManualScheduler;
  readonly coordinator: TransactionCoordinator;
  private nextProducerId: number;

  constructor(
    readonly stateLog = new FakeStateLog(),
    readonly markers = new FakeMarkerWriter(),
    readonly config: TransactionCoordinatorConfig = KAFKA_DEFAULTS,
    options: { scheduler?: ManualScheduler; firstProducerId?: number } = {},
  ) {
    this.scheduler = options.scheduler ?? new ManualScheduler();
    this.nextProducerId = options.firstProducerId ?? 1000;
    this.coordinator = new TransactionCoordinator(config, stateLog, markers, async () => this.nextProducerId++, this.scheduler);
  }

  static started(): Harness {
    const harness = new Harness();
    harness.coordinator.completeLoading();
    return harness;
  }

  /** A coordinator loaded from this one's records, sharing the clock; its own log and markers. This one stops. */
  replay(): Harness {
    // The old coordinator stops as a broker does (its timers would share the clock).
    this.coordinator.shutdown();
    const next = new Harness(new FakeStateLog(), new FakeMarkerWriter(), this.config, { scheduler: this.scheduler, firstProducerId: this.nextProducerId + 100 });
    for (const record of this.stateLog.records) next.coordinator.loadRecord(record);
    next.coordinator.completeLoading();
    return next;
  }

  async init(transactionalId = TXN_ID, options: { timeoutMs?: number; producerId?: number; producerEpoch?: number } = {}) {
    return this.coordinator.initProducerId({
      transactionalId,
      transactionTimeoutMs: options.timeoutMs ?? TIMEOUT_MS,
      producerId: options.producerId ?? -1,
      producerEpoch: options.producerEpoch ?? -1,
    });
  }

  add(producer: { producerId: number; producerEpoch: number }, partitions: string[], transactionalId = TXN_ID) {
    return this.coordinator.addPartitionsToTransaction(
      transactionalId,
      producer.producerId,
      producer.producerEpoch,
      partitions.map((name) => {
        const dash = name.lastIndexOf('-');
        return { topic: name.slice(0, dash), partition: Number(name.slice(dash + 1)) };
      }),
    );
  }

  end(producer: { producerId: number; producerEpoch: number }, commit: boolean, transactionalId = TXN_ID) {
    return this.coordinator.endTransaction(transactionalId, producer.producerId, producer.producerEpoch, commit);
  }

  state(transactionalId = TXN_ID): string | undefined {
    const metadata = this.coordinator.transaction(transactionalId);
    return metadata === undefined ? undefined : TransactionState[metadata.state];
  }

  /** Lets background marker writes and log appends run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await flushIo();
  }
}
