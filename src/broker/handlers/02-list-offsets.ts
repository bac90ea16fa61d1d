/**
 * ListOffsets (key 2), v1-10 (v0's "old style" offset lists were removed in Kafka 4; v1 is
 * librdkafka's OffsetTime floor). Timestamps: -1 latest (the high watermark, or the last
 * stable offset for read_committed, v2+), -2 earliest, -3 the record with the largest
 * timestamp (v7+), -4 earliest local (v8+, same as earliest: no tiered storage), -5 latest
 * tiered (v9+: none, so -1); any other value finds the first record whose timestamp is at or
 * after it, or -1/-1 when there is none.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { listOffsets } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;

export const listOffsetsHandler = defineHandler(listOffsets, { min: 1, max: 10 }, async (request, context) => {
  const broker = context.broker;
  const version = context.apiVersion;
  const isolationLevel = version >= 2 ? request.isolationLevel : 0;
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map(async (requested) => {
          const base = { partitionIndex: requested.partitionIndex };
          try {
            const partition = broker.replicaManager.getPartition(topic.name, requested.partitionIndex);
            if (!partition) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
            partition.checkLeaderEpoch(requested.currentLeaderEpoch);
            const timestamp = requested.timestamp;
            const leaderEpoch = partition.leaderEpoch;
            if ((timestamp === MAX_TIMESTAMP && version < 7) || (timestamp === EARLIEST_LOCAL_TIMESTAMP && version < 8) || (timestamp === LATEST_TIERED_TIMESTAMP && version < 9)) {
              throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `timestamp ${timestamp} needs a newer ListOffsets version`);
            }
            switch (timestamp) {
              case LATEST_TIMESTAMP:
                return { ...base, errorCode: ErrorCode.NONE, timestamp: -1, offset: isolationLevel === 1 ? partition.lastStableOffset : partition.highWatermark, leaderEpoch };
              case EARLIEST_TIMESTAMP:
              case EARLIEST_LOCAL_TIMESTAMP:
                return { ...base, errorCode: ErrorCode.NONE, timestamp: -1, offset: partition.logStartOffset, leaderEpoch };
              case LATEST_TIERED_TIMESTAMP:
                return { ...base, errorCode: ErrorCode.NONE, timestamp: -1, offset: -1, leaderEpoch: -1 };
              case MAX_TIMESTAMP: {
                const found = await partition.offsetOfMaxTimestamp(isolationLevel);
                return { ...base, errorCode: ErrorCode.NONE, timestamp: found?.timestamp ?? -1, offset: found?.offset ?? -1, leaderEpoch: found ? leaderEpoch : -1 };
              }
              default: {
                if (timestamp < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `invalid timestamp ${timestamp}`);
                const found = await partition.offsetForTimestamp(timestamp, isolationLevel);
                return { ...base, errorCode: ErrorCode.NONE, timestamp: found?.timestamp ?? -1, offset: found?.offset ?? -1, leaderEpoch: found ? leaderEpoch : -1 };
              }
            }
          } catch (error) {
            return { ...base, ...toErrorCode(error, `ListOffsets ${topic.name}-${requested.partitionIndex}`), timestamp: -1, offset: -1, leaderEpoch: -1 };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
});
