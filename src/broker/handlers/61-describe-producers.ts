/**
 * DescribeProducers (key 61), v0 (KIP-664): the producers each partition keeps state for — id,
 * epoch, last sequence, time of the last append, coordinator epoch and the first offset of the
 * transaction they have open (-1 when none) — the way kafka-transactions.sh finds hanging
 * transactions. A partition not hosted here answers UNKNOWN_TOPIC_OR_PARTITION.
 * Leaves out: ACLs (Kafka asks for READ on the topic).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeProducers } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const describeProducersHandler = defineHandler(describeProducers, { min: 0, max: 0 }, (request, context) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitionIndexes.map((partitionIndex) => {
      const partition = context.broker.replicaManager.getPartition(topic.name, partitionIndex);
      if (!partition) {
        return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${topic.name}-${partitionIndex} is not hosted on this broker`, activeProducers: [] };
      }
      const activeProducers = [...partition.log.producerStateManager.activeProducers.values()].map((entry) => ({
        producerId: entry.producerId,
        producerEpoch: entry.producerEpoch,
        lastSequence: entry.lastSeq,
        lastTimestamp: entry.lastTimestamp,
        coordinatorEpoch: entry.coordinatorEpoch,
        currentTxnStartOffset: entry.currentTxnFirstOffset,
      }));
      return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
    }),
  })),
}));
