/**
 * AddOffsetsToTxn (key 25), v0-4: the transaction will commit offsets for a consumer group, so
 * the group's `__consumer_offsets` partition joins the transaction (and gets its marker at the
 * end, which is what makes the TxnOffsetCommit offsets visible or drops them). The topic is
 * created if this is its first use. Before v2 PRODUCER_FENCED is answered as
 * INVALID_PRODUCER_EPOCH.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { addOffsetsToTxn } from '../../protocol/messages/index.js';
import { CONSUMER_OFFSETS_TOPIC } from '../consumer-offsets.js';
import { toErrorCode } from '../error-mapping.js';
import { defineHandler } from '../handler.js';

export const addOffsetsToTxnHandler = defineHandler(addOffsetsToTxn, { min: 0, max: 4 }, async (request, context) => {
  const broker = context.broker;
  try {
    await broker.consumerOffsets.ensureTopic();
  } catch (error) {
    toErrorCode(error, `creating ${CONSUMER_OFFSETS_TOPIC}`); // logs what is not a KafkaError
    return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  }
  let errorCode = await broker.transactionCoordinator.addPartitionsToTransaction(request.transactionalId, request.producerId, request.producerEpoch, [
    { topic: CONSUMER_OFFSETS_TOPIC, partition: broker.groupCoordinator.partitionFor(request.groupId) },
  ]);
  if (errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode };
});
