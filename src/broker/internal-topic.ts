/**
 * What the coordinators' internal topics (`__consumer_offsets`, `__transaction_state`) have in
 * common on this broker: the topic is created when first needed (compacted, with its partition
 * count, replication factor and segment size from the broker's config, as Kafka does); a
 * coordinator's records are appended as uncompressed batches written through the partition like
 * any other (so they are replicated and recovered like any other); loading reads every partition
 * from its start and hands each record to the coordinator.
 */
import type { Logger } from '../logger.js';
import { buildRecordBatch, controlBatchType, ControlRecordType, iterateRecords, readEndTransactionMarker, RecordBatchHeader, LOG_OVERHEAD } from '../protocol/records/index.js';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { CoordinatorRecord } from '../coordinator/group/group-coordinator.js';
import type { Broker } from './broker.js';
import type { Partition } from './partition.js';

/** How much of a partition is read at a time while loading. */
const LOAD_READ_BYTES = 4 * 1024 * 1024;

/**
 * Calls `visit` for each non-control record of the whole batches in `buffer` (with the producer
 * id of a transactional batch, else -1), and `visitMarker` for each COMMIT/ABORT marker.
 */
function forEachRecord(
  buffer: Buffer,
  visit: (key: Buffer | null, value: Buffer | null, offset: number, transactionalProducerId: number) => void,
  visitMarker?: (producerId: number, commit: boolean) => void,
): number {
  let position = 0;
  let nextOffset = -1;
  while (position + LOG_OVERHEAD <= buffer.length) {
    const header = new RecordBatchHeader(buffer, position);
    const size = header.sizeInBytes;
    if (position + size > buffer.length) break;
    const batch = buffer.subarray(position, position + size);
    if (!header.isControl) {
      const producerId = header.isTransactional ? header.producerId : -1;
      for (const record of iterateRecords(batch)) visit(record.key, record.value, record.offset, producerId);
    } else if (visitMarker && controlBatchType(batch, { verifyCrc: false }) <= ControlRecordType.COMMIT) {
      const marker = readEndTransactionMarker(batch, { verifyCrc: false });
      visitMarker(marker.producerId, marker.type === ControlRecordType.COMMIT);
    }
    nextOffset = header.lastOffset + 1;
    position += size;
  }
  return nextOffset;
}

export interface InternalTopicSpec {
  readonly name: string;
  /** The broker configs of the topic's partition count, replication factor and segment size. */
  readonly numPartitionsConfig: string;
  readonly replicationFactorConfig: string;
  readonly segmentBytesConfig: string;
  /** Topic configs besides cleanup.policy=compact (first) and segment.bytes (last). */
  readonly configs: readonly (readonly [string, string])[];
  /** What its records are, for the line logged after loading: "loaded 3 group record(s) …". */
  readonly recordKind: string;
  readonly log: Logger;
}

/** What loading hands the records to: a coordinator. */
export interface ReplayTarget {
  /** A keyed record at `logOffset`, with the producer id of a transactional batch, else -1. */
  loadRecord(record: CoordinatorRecord, transactionalProducerId: number, logOffset: number): void;
  /** A COMMIT/ABORT marker in partition `partitionIndex`; markers are skipped without it. */
  completeTransaction?(partitionIndex: number, producerId: number, commit: boolean): void;
  completeLoading(): void;
}

export abstract class InternalTopic {
  private creating: Promise<void> | undefined;

  constructor(
    protected readonly broker: Broker,
    private readonly spec: InternalTopicSpec,
  ) {}

  /** The configured partition count (the topic's own once it exists: see partitionCount). */
  protected get numPartitions(): number {
    return this.broker.config.number(this.spec.numPartitionsConfig);
  }

  /** The topic's partition count once it exists. */
  partitionCount(): number | undefined {
    return this.broker.controller.topic(this.spec.name)?.partitions.length;
  }

  /** Creates the topic if it does not exist yet (Kafka creates it on first use too). */
  ensureTopic(): Promise<void> {
    const { name, log } = this.spec;
    if (this.broker.controller.topic(name)) return Promise.resolve();
    this.creating ??= this.broker.controller
      .createTopic({
        name,
        numPartitions: this.numPartitions,
        replicationFactor: this.broker.config.number(this.spec.replicationFactorConfig),
        internal: true,
        configs: new Map([['cleanup.policy', 'compact'], ...this.spec.configs, ['segment.bytes', String(this.broker.config.number(this.spec.segmentBytesConfig))]]),
      })
      .then(
        () => log.info(`created ${name} with ${this.numPartitions} partitions`),
        (error: unknown) => {
          this.creating = undefined;
          if (!(error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
        },
      );
    return this.creating;
  }

  protected partition(index: number): Partition {
    const partition = this.broker.replicaManager.getPartition(this.spec.name, index);
    if (!partition) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${this.spec.name}-${index} is not available`);
    return partition;
  }

  /**
   * Appends the records as one batch; with `transaction`, a transactional batch of that producer
   * (TxnOffsetCommit). Resolves to the offset of the first record.
   */
  async append(partitionIndex: number, records: readonly CoordinatorRecord[], transaction?: { producerId: number; producerEpoch: number }): Promise<number> {
    await this.ensureTopic();
    const now = Date.now();
    // A transactional batch has sequence 0 as Kafka writes it (a coordinator's append is not
    // sequence-checked; its epoch is).
    const producer = transaction ? { producerId: transaction.producerId, producerEpoch: transaction.producerEpoch, baseSequence: 0, isTransactional: true } : {};
    const batch = buildRecordBatch({ ...producer, records: records.map((record) => ({ key: record.key, value: record.value, timestamp: now })) });
    return this.partition(partitionIndex).appendRecordsFromCoordinator(batch);
  }

  /** Replays partitions 0 to `partitionCount` - 1 (those open here) into `target`, then marks it loaded. */
  protected async replay(target: ReplayTarget, partitionCount: number): Promise<void> {
    const { name, log } = this.spec;
    const started = Date.now();
    let records = 0;
    if (this.broker.controller.topic(name)) {
      for (let index = 0; index < partitionCount; index++) {
        const partition = this.broker.replicaManager.getPartition(name, index);
        if (!partition) continue;
        let offset = partition.logStartOffset;
        const end = partition.highWatermark;
        while (offset < end) {
          const data = await partition.log.read(offset, LOAD_READ_BYTES, end, true);
          if (data.records.length === 0) break;
          const next = forEachRecord(
            data.records,
            (key, value, recordOffset, transactionalProducerId) => {
              if (key === null) return;
              target.loadRecord({ key, value }, transactionalProducerId, recordOffset);
              records++;
            },
            target.completeTransaction && ((producerId, commit) => target.completeTransaction!(index, producerId, commit)),
          );
          if (next <= offset) break;
          offset = next;
        }
      }
    }
    target.completeLoading();
    if (records > 0) log.info(`loaded ${records} ${this.spec.recordKind} record(s) from ${name} in ${Date.now() - started} ms`);
  }
}
