/**
 * FindCoordinator (key 10), v0-6. Groups (key type 0) are coordinated by the leader of their
 * `__consumer_offsets` partition — this broker, on a single node; the topic is created on the
 * first request, as Kafka does. v4+ batches several keys. Transactional ids (key type 1) are
 * coordinated the same way through `__transaction_state`; share groups (2) INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { findCoordinator } from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

/** The transaction coordinator: `__transaction_state` exists and has been replayed. */
async function locateTransactionCoordinator(context: RequestContext): Promise<{ errorCode: ErrorCode; errorMessage: string } | null> {
  try {
    await context.broker.transactionStateLog.ensureTopic();
  } catch (error) {
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: toErrorCode(error, 'creating __transaction_state').errorMessage };
  }
  if (!context.broker.transactionCoordinator.isLoaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, errorMessage: 'The coordinator is loading' };
  return null;
}

async function locate(key: string, keyType: number, context: RequestContext) {
  const broker = context.broker;
  const listener = broker.advertisedListener(context.connection.listenerName);
  const found = { key, nodeId: broker.nodeId, host: listener.host, port: listener.port, errorCode: ErrorCode.NONE, errorMessage: null };
  const missing = (errorCode: ErrorCode, errorMessage: string) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType === TRANSACTION_KEY_TYPE) {
    if (key === '') return missing(ErrorCode.INVALID_REQUEST, 'Transactional id must not be empty');
    const problem = await locateTransactionCoordinator(context);
    return problem === null ? found : missing(problem.errorCode, problem.errorMessage);
  }
  if (keyType !== GROUP_KEY_TYPE) return missing(ErrorCode.INVALID_REQUEST, `Unsupported key type ${keyType}`);
  if (key === '') return missing(ErrorCode.INVALID_REQUEST, 'Group id must not be empty');
  try {
    await broker.consumerOffsets.ensureTopic();
  } catch (error) {
    const { errorMessage } = toErrorCode(error, 'creating __consumer_offsets');
    return missing(ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage);
  }
  if (!broker.groupCoordinator.isLoaded) return missing(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'The coordinator is loading');
  return found;
}

export const findCoordinatorHandler = defineHandler(findCoordinator, { min: 0, max: 6 }, async (request, context) => {
  const keyType = context.apiVersion >= 1 ? request.keyType : GROUP_KEY_TYPE;
  if (context.apiVersion >= 4) {
    return { throttleTimeMs: 0, coordinators: await Promise.all(request.coordinatorKeys.map((key) => locate(key, keyType, context))) };
  }
  const result = await locate(request.key, keyType, context);
  return { throttleTimeMs: 0, errorCode: result.errorCode, errorMessage: result.errorMessage, nodeId: result.nodeId, host: result.host, port: result.port };
});
