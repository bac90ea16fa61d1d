/**
 * InitProducerId (key 22), v0-5. Advertising it is what makes librdkafka enable
 * `enable.idempotence` (NOTES.md §2.4 #4). Without a transactional id (an idempotent producer)
 * the answer is a fresh producer id with epoch 0 from the broker's ProducerIdManager (blocks
 * reserved in the metadata log, so ids never repeat across restarts); Kafka likewise ignores a
 * v3+ current producer id/epoch there and always allocates. v3+ (KIP-360): a producer id and
 * epoch must be given together or not at all (INVALID_REQUEST). An empty transactional id is
 * INVALID_REQUEST, as in Kafka's TransactionCoordinator.
 * A transactional id goes to the transaction coordinator (coordinator/txn/): one producer id
 * per id, its epoch bumped on each call, fencing older instances; before v4 PRODUCER_FENCED is
 * answered as INVALID_PRODUCER_EPOCH, as Kafka does for clients that do not know it.
 * Leaves out: IDEMPOTENT_WRITE and TransactionalId ACLs.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID } from '../../protocol/records/batch-header.js';
import { initProducerId } from '../../protocol/messages/index.js';
import { Logger } from '../../logger.js';
import { defineHandler } from '../handler.js';

const log = new Logger('handler');

export const initProducerIdHandler = defineHandler(initProducerId, { min: 0, max: 5 }, async (request, context) => {
  const failed = (errorCode: ErrorCode) => ({ throttleTimeMs: 0, errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
  if (context.apiVersion >= 3 && (request.producerId === NO_PRODUCER_ID) !== (request.producerEpoch === NO_PRODUCER_EPOCH)) {
    return failed(ErrorCode.INVALID_REQUEST);
  }
  if (request.transactionalId !== null) {
    if (request.transactionalId === '') return failed(ErrorCode.INVALID_REQUEST);
    const result = await context.broker.transactionCoordinator.initProducerId({
      transactionalId: request.transactionalId,
      transactionTimeoutMs: request.transactionTimeoutMs,
      producerId: context.apiVersion >= 3 ? request.producerId : NO_PRODUCER_ID,
      producerEpoch: context.apiVersion >= 3 ? request.producerEpoch : NO_PRODUCER_EPOCH,
    });
    const errorCode = result.errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  }
  try {
    const producerId = await context.broker.producerIdManager.generateProducerId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  } catch (error) {
    // No block could be reserved (the metadata log is closing or failed): a retriable answer.
    log.warn('Could not allocate a producer id', error);
    return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
});
