/**
 * DeleteRecords (key 21), v0-2 (kafkajs and librdkafka send v0-1; v2 is flexible). Raises each
 * partition's log start offset to the given offset (-1: the high watermark) and answers the
 * low watermark, the new log start offset (Kafka's KafkaApis.handleDeleteRecordsRequest and
 * ReplicaManager.deleteRecordsOnLocalLog). Per partition, in Kafka's order:
 * UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist, INVALID_TOPIC_EXCEPTION for
 * internal topics, POLICY_VIOLATION when cleanup.policy does not include delete,
 * OFFSET_OUT_OF_RANGE for an offset below 0 (other than -1) or above the high watermark; a
 * failed partition answers low watermark -1. Records below the new start are unreadable at
 * once; their segments are deleted by the next retention pass.
 * Leaves out: waiting up to timeout_ms for followers' log start offsets (DelayedDeleteRecords)
 * — a single replica answers at once — and authorization.
 */
import { KafkaError } from '../../errors.js';
import { INTERNAL_TOPICS } from '../../cluster/metadata-image.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { deleteRecords } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

/** DeleteRecordsResponse.INVALID_LOW_WATERMARK */
const INVALID_LOW_WATERMARK = -1;

export const deleteRecordsHandler = defineHandler(deleteRecords, { min: 0, max: 2 }, async (request, context) => {
  const replicaManager = context.broker.replicaManager;
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map(async (requested) => {
          try {
            const partition = replicaManager.getPartition(topic.name, requested.partitionIndex);
            if (!partition) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
            if (INTERNAL_TOPICS.has(topic.name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete records of internal topic ${topic.name}`);
            const lowWatermark = await partition.deleteRecordsOnLeader(requested.offset);
            return { partitionIndex: requested.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
          } catch (error) {
            const { errorCode } = toErrorCode(error, `DeleteRecords ${topic.name}-${requested.partitionIndex}`);
            return { partitionIndex: requested.partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
