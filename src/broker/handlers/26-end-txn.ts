/**
 * EndTxn (key 26), v0-4: commit or abort the producer's ongoing transaction. The answer comes
 * once PrepareCommit/PrepareAbort is in `__transaction_state`; the markers follow, and until
 * they are all written the next request for the id gets CONCURRENT_TRANSACTIONS. A retry of a
 * completed EndTxn with the same result answers NONE, with the other result INVALID_TXN_STATE.
 * Before v2 PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH.
 * Leaves out: v5 (KIP-890 part 2, transaction.version 2: an epoch bump per transaction).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { endTxn } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const endTxnHandler = defineHandler(endTxn, { min: 0, max: 4 }, async (request, context) => {
  let errorCode = await context.broker.transactionCoordinator.endTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
  if (errorCode === ErrorCode.PRODUCER_FENCED && context.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return { throttleTimeMs: 0, errorCode };
});
