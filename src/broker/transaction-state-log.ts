/**
 * The transaction coordinator's runtime on this broker (the topic's part is internal-topic.ts):
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
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type {
  TransactionCoordinator,
  TransactionMarker,
  TransactionMarkerWriter,
  TransactionStateLog,
} from '../coordinator/txn/transaction-coordinator.js';
import type { Broker } from './broker.js';
import { CONSUMER_OFFSETS_TOPIC } from './consumer-offsets.js';
import { InternalTopic } from './internal-topic.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export class TransactionStateTopic extends InternalTopic implements TransactionStateLog {
  constructor(broker: Broker) {
    super(broker, {
      name: TRANSACTION_STATE_TOPIC,
      numPartitionsConfig: 'transaction.state.log.num.partitions',
      replicationFactorConfig: 'transaction.state.log.replication.factor',
      segmentBytesConfig: 'transaction.state.log.segment.bytes',
      configs: [
        ['compression.type', 'uncompressed'],
        ['unclean.leader.election.enable', 'false'],
      ],
      recordKind: 'transaction',
      log: new Logger('transaction-coordinator'),
    });
  }

  coordinatorEpoch(partitionIndex: number): number {
    return Math.max(0, this.broker.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, partitionIndex)?.leaderEpoch ?? 0);
  }

  /** Replays every partition of the topic into the coordinator, then marks it loaded (which resends pending markers). */
  load(coordinator: TransactionCoordinator): Promise<void> {
    return this.replay(coordinator, this.partitionCount() ?? 0);
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
