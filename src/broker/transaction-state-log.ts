/**
 * The transaction coordinator's runtime on this broker (modelled on consumer-offsets.ts):
 *
 * - `__transaction_state` (created when the first transactional producer looks for its
 *   coordinator, compacted, `transaction.state.log.num.partitions` partitions) holds the
 *   coordinator's records, appended as uncompressed batches through the partition like any
 *   other; at start-up every partition is read from its start and replayed into the coordinator.
 *   The coordinator epoch stamped on markers is the partition's leader epoch, as in Kafka.
 * - Markers: the single-node form of WriteTxnMarkers. A COMMIT/ABORT control batch is appended
 *   to each partition of the transaction with Partition.appendTxnMarker; when the partition is
 *   one of `__consumer_offsets`, the group coordinator then makes the producer's pending
 *   transactional offsets visible (COMMIT) or drops them (ABORT), as Kafka's
 *   GroupCoordinator.onTransactionCompleted does after its WriteTxnMarkers append.
 */
import { Logger } from '../logger.js';
import { buildRecordBatch } from '../protocol/records/index.js';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { CoordinatorRecord } from '../coordinator/group/group-coordinator.js';
import type {
  TransactionCoordinator,
  TransactionMarker,
  TransactionMarkerWriter,
  TransactionStateLog,
} from '../coordinator/txn/transaction-coordinator.js';
import type { Broker } from './broker.js';
import { CONSUMER_OFFSETS_TOPIC, forEachRecord } from './consumer-offsets.js';
import type { Partition } from './partition.js';

const log = new Logger('transaction-coordinator');
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** How much of a partition is read at a time while loading. */
const LOAD_READ_BYTES = 4 * 1024 * 1024;

export class TransactionStateTopic implements TransactionStateLog {
  private creating: Promise<void> | undefined;

  constructor(private readonly broker: Broker) {}

  private get numPartitions(): number {
    return this.broker.config.number('transaction.state.log.num.partitions');
  }

  /** Creates `__transaction_state` if it does not exist yet (Kafka creates it on first use too). */
  ensureTopic(): Promise<void> {
    if (this.broker.controller.topic(TRANSACTION_STATE_TOPIC)) return Promise.resolve();
    this.creating ??= this.broker.controller
      .createTopic({
        name: TRANSACTION_STATE_TOPIC,
        numPartitions: this.numPartitions,
        replicationFactor: this.broker.config.number('transaction.state.log.replication.factor'),
        internal: true,
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'uncompressed'],
          ['unclean.leader.election.enable', 'false'],
          ['segment.bytes', String(this.broker.config.number('transaction.state.log.segment.bytes'))],
        ]),
      })
      .then(
        () => log.info(`created ${TRANSACTION_STATE_TOPIC} with ${this.numPartitions} partitions`),
        (error: unknown) => {
          this.creating = undefined;
          if (!(error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
        },
      );
    return this.creating;
  }

  private partition(index: number): Partition {
    const partition = this.broker.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, index);
    if (!partition) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${TRANSACTION_STATE_TOPIC}-${index} is not available`);
    return partition;
  }

  async append(partitionIndex: number, records: readonly CoordinatorRecord[]): Promise<void> {
    await this.ensureTopic();
    const now = Date.now();
    const batch = buildRecordBatch({ records: records.map((record) => ({ key: record.key, value: record.value, timestamp: now })) });
    await this.partition(partitionIndex).appendRecordsFromCoordinator(batch);
  }

  partitionCount(): number | undefined {
    return this.broker.controller.topic(TRANSACTION_STATE_TOPIC)?.partitions.length;
  }

  coordinatorEpoch(partitionIndex: number): number {
    return Math.max(0, this.broker.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, partitionIndex)?.leaderEpoch ?? 0);
  }

  /** Replays every partition into the coordinator, then marks it loaded (which resends pending markers). */
  async load(coordinator: TransactionCoordinator): Promise<void> {
    const started = Date.now();
    let records = 0;
    if (this.broker.controller.topic(TRANSACTION_STATE_TOPIC)) {
      for (let index = 0; index < (this.partitionCount() ?? 0); index++) {
        const partition = this.broker.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, index);
        if (!partition) continue;
        let offset = partition.logStartOffset;
        const end = partition.highWatermark;
        while (offset < end) {
          const data = await partition.log.read(offset, LOAD_READ_BYTES, end, true);
          if (data.records.length === 0) break;
          const next = forEachRecord(data.records, (key, value) => {
            if (key === null) return;
            coordinator.loadRecord({ key, value });
            records++;
          });
          if (next <= offset) break;
          offset = next;
        }
      }
    }
    coordinator.completeLoading();
    if (records > 0) log.info(`loaded ${records} transaction record(s) from ${TRANSACTION_STATE_TOPIC} in ${Date.now() - started} ms`);
  }
}

/** Writes markers into this broker's partitions (every partition is led here on a single node). */
export class LocalTransactionMarkerWriter implements TransactionMarkerWriter {
  constructor(private readonly broker: Broker) {}

  async writeMarker(marker: TransactionMarker): Promise<void> {
    const partition = this.broker.replicaManager.getPartition(marker.topic, marker.partition);
    if (!partition) {
      if (this.broker.controller.topic(marker.topic)) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${marker.topic}-${marker.partition} is not open here yet`);
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${marker.topic}-${marker.partition} does not exist`);
    }
    await partition.appendTxnMarker({
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      coordinatorEpoch: marker.coordinatorEpoch,
      commit: marker.commit,
    });
    if (marker.topic === CONSUMER_OFFSETS_TOPIC) this.broker.groupCoordinator.completeTransaction(marker.partition, marker.producerId, marker.commit);
  }
}
