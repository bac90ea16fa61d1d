/**
 * AddPartitionsToTxn (key 24), v0-3: the client form, one transaction per request. A
 * transactional producer registers each partition with its transaction coordinator before it
 * first writes to it; the transaction becomes Ongoing. Partitions that do not exist answer
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED (nothing is added), as in
 * Kafka's handler. Before v2 PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH.
 * Leaves out: v4-5, the broker-to-coordinator batch form of KIP-890 (verifyOnly), which no
 * client sends (Kafka: "versions 4 and above will be used by brokers"); ACLs.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { addPartitionsToTxn } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const addPartitionsToTxnHandler = defineHandler(addPartitionsToTxn, { min: 0, max: 3 }, async (request, context) => {
  const broker = context.broker;
  const topics = request.v3AndBelowTopics;
  const missing = new Set<string>();
  const partitions: { topic: string; partition: number }[] = [];
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      if (broker.replicaManager.getPartition(topic.name, partition)) partitions.push({ topic: topic.name, partition });
      else missing.add(`${topic.name}\u0000${partition}`);
    }
  }
  let errorCode: ErrorCode;
  if (missing.size > 0) errorCode = ErrorCode.OPERATION_NOT_ATTEMPTED;
  else {
    errorCode = await broker.transactionCoordinator.addPartitionsToTransaction(
      request.v3AndBelowTransactionalId,
      request.v3AndBelowProducerId,
      request.v3AndBelowProducerEpoch,
      partitions,
    );
    if (errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  }
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((topic) => ({
      name: topic.name,
      resultsByPartition: topic.partitions.map((partitionIndex) => ({
        partitionIndex,
        partitionErrorCode: missing.has(`${topic.name}\u0000${partitionIndex}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : errorCode,
      })),
    })),
  };
});
