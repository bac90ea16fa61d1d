/**
 * The group coordinator's runtime on this broker: `__consumer_offsets` (created when the first
 * group needs it, compacted, `offsets.topic.num.partitions` partitions) holds the coordinator's
 * records. Appends are uncompressed record batches written through the partition like any
 * other (so they are replicated and recovered like any other); loading reads every partition
 * from its start and hands each record to the coordinator (internal-topic.ts).
 */
import { Logger } from '../logger.js';
import type { CoordinatorRecordLog, GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { Broker } from './broker.js';
import { InternalTopic } from './internal-topic.js';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export class ConsumerOffsetsLog extends InternalTopic implements CoordinatorRecordLog {
  constructor(broker: Broker) {
    super(broker, {
      name: CONSUMER_OFFSETS_TOPIC,
      numPartitionsConfig: 'offsets.topic.num.partitions',
      replicationFactorConfig: 'offsets.topic.replication.factor',
      segmentBytesConfig: 'offsets.topic.segment.bytes',
      configs: [['compression.type', 'producer']],
      recordKind: 'group',
      log: new Logger('group-coordinator'),
    });
  }

  /**
   * Replays partitions 0 to offsets.topic.num.partitions - 1 into the coordinator (COMMIT/ABORT
   * markers settle its pending transactional offsets), then marks it loaded.
   */
  load(coordinator: GroupCoordinator): Promise<void> {
    return this.replay(coordinator, this.numPartitions);
  }
}
