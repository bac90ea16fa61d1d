/**
 * The group coordinator's runtime on this broker: `__consumer_offsets` (created when the first
 * group needs it, compacted, `offsets.topic.num.partitions` partitions) holds the coordinator's
 * records. Appends are uncompressed record batches written through the partition like any
 * other (so they are replicated and recovered like any other); loading reads every partition
 * from its start and hands each record to the coordinator.
 */
import { Logger } from '../logger.js';
import { buildRecordBatch, controlBatchType, ControlRecordType, iterateRecords, readEndTransactionMarker, RecordBatchHeader, LOG_OVERHEAD } from '../protocol/records/index.js';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { CoordinatorRecord, CoordinatorRecordLog, GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { Broker } from './broker.js';
import type { Partition } from './partition.js';

const log = new Logger('group-coordinator');
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
/** How much of a partition is read at a time while loading. */
const LOAD_READ_BYTES = 4 * 1024 * 1024;

/**
 * Calls `visit` for each non-control record of the whole batches in `buffer` (with the producer
 * id of a transactional batch, else -1), and `visitMarker` for each COMMIT/ABORT marker.
 */
export function forEachRecord(
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

export class ConsumerOffsetsLog implements CoordinatorRecordLog {
  private creating: Promise<void> | undefined;

  constructor(private readonly broker: Broker) {}

  private get numPartitions(): number {
    return this.broker.config.number('offsets.topic.num.partitions');
  }

  /** Creates `__consumer_offsets` if it does not exist yet (Kafka creates it on first use too). */
  ensureTopic(): Promise<void> {
    if (this.broker.controller.topic(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve();
    this.creating ??= this.broker.controller
      .createTopic({
        name: CONSUMER_OFFSETS_TOPIC,
        numPartitions: this.numPartitions,
        replicationFactor: this.broker.config.number('offsets.topic.replication.factor'),
        internal: true,
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'producer'],
          ['segment.bytes', String(this.broker.config.number('offsets.topic.segment.bytes'))],
        ]),
      })
      .then(
        () => log.info(`created ${CONSUMER_OFFSETS_TOPIC} with ${this.numPartitions} partitions`),
        (error: unknown) => {
          this.creating = undefined;
          if (!(error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
        },
      );
    return this.creating;
  }

  private partition(index: number): Partition {
    const partition = this.broker.replicaManager.getPartition(CONSUMER_OFFSETS_TOPIC, index);
    if (!partition) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${CONSUMER_OFFSETS_TOPIC}-${index} is not available`);
    return partition;
  }

  async append(partitionIndex: number, records: readonly CoordinatorRecord[], transaction?: { producerId: number; producerEpoch: number }): Promise<void> {
    await this.ensureTopic();
    const now = Date.now();
    // TxnOffsetCommit: a transactional batch of the producer, sequence 0 as Kafka writes it (a
    // coordinator's append is not sequence-checked; its epoch is).
    const producer = transaction ? { producerId: transaction.producerId, producerEpoch: transaction.producerEpoch, baseSequence: 0, isTransactional: true } : {};
    const batch = buildRecordBatch({ ...producer, records: records.map((record) => ({ key: record.key, value: record.value, timestamp: now })) });
    await this.partition(partitionIndex).appendRecordsFromCoordinator(batch);
  }

  /** Replays every partition into the coordinator, then marks it loaded. */
  async load(coordinator: GroupCoordinator): Promise<void> {
    const started = Date.now();
    let records = 0;
    if (this.broker.controller.topic(CONSUMER_OFFSETS_TOPIC)) {
      for (let index = 0; index < this.numPartitions; index++) {
        const partition = this.broker.replicaManager.getPartition(CONSUMER_OFFSETS_TOPIC, index);
        if (!partition) continue;
        let offset = partition.logStartOffset;
        const end = partition.highWatermark;
        while (offset < end) {
          const data = await partition.log.read(offset, LOAD_READ_BYTES, end, true);
          if (data.records.length === 0) break;
          const next = forEachRecord(
            data.records,
            (key, value, _offset, transactionalProducerId) => {
              if (key === null) return;
              coordinator.loadRecord({ key, value }, transactionalProducerId);
              records++;
            },
            (producerId, commit) => coordinator.completeTransaction(index, producerId, commit),
          );
          if (next <= offset) break;
          offset = next;
        }
      }
    }
    coordinator.completeLoading();
    if (records > 0) log.info(`loaded ${records} group record(s) from ${CONSUMER_OFFSETS_TOPIC} in ${Date.now() - started} ms`);
  }
}
