/**
 * TxnOffsetCommit (key 28), v0-4: offsets a transactional producer commits for a consumer
 * group, sent to the GROUP coordinator. They are written to the group's `__consumer_offsets`
 * partition as a transactional batch of the producer (so the partition's producer state fences
 * an old epoch) and stay pending until the transaction's marker reaches that partition: COMMIT
 * makes them the group's offsets, ABORT drops them; meanwhile OffsetFetch with require_stable
 * answers UNSTABLE_OFFSET_COMMIT. v3+ carries the consumer's generation, member id and instance
 * id, checked against the group (KIP-447). Before v2 COORDINATOR_LOAD_IN_PROGRESS is answered
 * as COORDINATOR_NOT_AVAILABLE, as Kafka does for clients older than KAFKA-7296.
 * Leaves out: ACLs.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { txnOffsetCommit } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const txnOffsetCommitHandler = defineHandler(txnOffsetCommit, { min: 0, max: 4 }, async (request, context) => {
  const v3 = context.apiVersion >= 3;
  const topics = await context.broker.groupCoordinator.commitTransactionalOffsets({
    groupId: request.groupId,
    transactionalId: request.transactionalId,
    producerId: request.producerId,
    producerEpoch: request.producerEpoch,
    generationId: v3 ? request.generationId : -1,
    memberId: v3 ? request.memberId : '',
    groupInstanceId: v3 ? request.groupInstanceId : null,
    topics: request.topics,
  });
  if (context.apiVersion >= 2) return { throttleTimeMs: 0, topics };
  const loading = (errorCode: ErrorCode) => (errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : errorCode);
  return {
    throttleTimeMs: 0,
    topics: topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: loading(p.errorCode) })) })),
  };
});
