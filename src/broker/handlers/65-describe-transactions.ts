/**
 * DescribeTransactions (key 65), v0 (KIP-664): the coordinator's state of each transactional id
 * — state name, timeout, start time, producer id and epoch, partitions in the transaction.
 * Unknown (or expiring) ids answer TRANSACTIONAL_ID_NOT_FOUND, an empty id INVALID_REQUEST.
 * Leaves out: ACLs (Kafka asks for DESCRIBE on the transactional id).
 */
import { describeTransactions } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const describeTransactionsHandler = defineHandler(describeTransactions, { min: 0, max: 0 }, (request, context) => ({
  throttleTimeMs: 0,
  transactionStates: request.transactionalIds.map((transactionalId) => context.broker.transactionCoordinator.describeTransaction(transactionalId)),
}));
