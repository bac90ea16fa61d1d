/**
 * ApiVersions (key 18), v0-4. Lists every registered handler's advertised version range, so
 * the answer is derived from what is implemented. v3+ request bodies carry the client's
 * software name and version, which must match Kafka's pattern (else INVALID_REQUEST, and
 * librdkafka retries with v0). An unsupported version is answered by the connection itself
 * (v0 body, UNSUPPORTED_VERSION). Leaves out: supported/finalized features (none yet, so Java
 * clients use transaction version 1).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { apiVersions } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersionsHandler = defineHandler(apiVersions, { min: 0, max: 4 }, (request, context) => {
  const apiKeys = [...context.broker.handlers.values()]
    .map((handler) => ({ apiKey: handler.api.apiKey, minVersion: handler.advertisedMinVersion, maxVersion: handler.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
  if (context.apiVersion >= 3 && (!SOFTWARE_PATTERN.test(request.clientSoftwareName) || !SOFTWARE_PATTERN.test(request.clientSoftwareVersion))) {
    return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 };
  }
  return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
});
