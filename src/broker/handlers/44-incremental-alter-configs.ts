/**
 * IncrementalAlterConfigs (key 44, KIP-339), v0-1. Changes single keys of a topic's or a
 * broker's dynamic configuration: SET, DELETE, and APPEND / SUBTRACT on LIST configs (items
 * added to or removed from the current value, or from the default). Brokers: this broker's id,
 * or '' for the cluster-wide default; only the keys Kafka can change at runtime. The checks and
 * their errors are in cluster/config-control.ts. validate_only checks without changing
 * anything. Changes are durable (metadata log) and applied before the answer. Broker loggers
 * (resource type 8) are not supported and answer INVALID_REQUEST.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { incrementalAlterConfigs } from '../../protocol/messages/index.js';
import { duplicateResources } from '../../cluster/config-control.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

export const incrementalAlterConfigsHandler = defineHandler(incrementalAlterConfigs, { min: 0, max: 1 }, async (request, context) => {
  const duplicates = duplicateResources(request.resources);
  const accepted = request.resources.filter((_, index) => !duplicates.has(index));
  const outcomes = await context.broker.controller.alterConfigs(accepted, (control, resource) => control.planIncremental(resource), request.validateOnly);
  let next = 0;
  return {
    throttleTimeMs: 0,
    responses: request.resources.map((resource, index) => {
      const error = duplicates.has(index) ? new KafkaError(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.') : outcomes[next++]!;
      const { errorCode, errorMessage } = error ? toErrorCode(error, `IncrementalAlterConfigs ${resource.resourceName}`) : { errorCode: ErrorCode.NONE, errorMessage: null };
      return { errorCode, errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName };
    }),
  };
});
