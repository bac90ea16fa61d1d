/**
 * ListTransactions (key 66), v0-1 (KIP-664): the transactional ids the coordinator knows,
 * filtered by state names and producer ids (an empty filter matches everything; state names it
 * does not know come back in unknownStateFilters); v1 adds durationFilter (KIP-994): only
 * transactions running longer than that many milliseconds. Dead (expiring) ids are left out.
 * Leaves out: v2 (KIP-1152 transactional id pattern, Kafka 4.1); ACLs.
 */
import { listTransactions } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const listTransactionsHandler = defineHandler(listTransactions, { min: 0, max: 1 }, (request, context) => {
  const result = context.broker.transactionCoordinator.listTransactions(request.stateFilters, request.producerIdFilters, context.apiVersion >= 1 ? request.durationFilter : -1);
  return { throttleTimeMs: 0, ...result };
});
