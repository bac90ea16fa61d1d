/**
 * AlterConfigs (key 33), v0-2 (deprecated by IncrementalAlterConfigs but still what kafkajs and
 * librdkafka 2.0 send). Each resource's dynamic configuration is *replaced* by the given set:
 * keys left out are removed, as Kafka's legacy AlterConfigs does (ConfigurationControlManager.
 * legacyAlterConfigResource). Topics and brokers (this broker's id, or '' for the cluster-wide
 * default); the checks and their errors are in cluster/config-control.ts. validate_only checks
 * without changing anything. Changes are durable (metadata log) and applied before the answer.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { alterConfigs } from '../../protocol/messages/index.js';
import { duplicateResources } from '../../cluster/config-control.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

export const alterConfigsHandler = defineHandler(alterConfigs, { min: 0, max: 2 }, async (request, context) => {
  const duplicates = duplicateResources(request.resources);
  const accepted = request.resources.filter((_, index) => !duplicates.has(index));
  const outcomes = await context.broker.controller.alterConfigs(accepted, (control, resource) => control.planLegacy(resource), request.validateOnly);
  let next = 0;
  return {
    throttleTimeMs: 0,
    responses: request.resources.map((resource, index) => {
      const error = duplicates.has(index) ? new KafkaError(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.') : outcomes[next++]!;
      const { errorCode, errorMessage } = error ? toErrorCode(error, `AlterConfigs ${resource.resourceName}`) : { errorCode: ErrorCode.NONE, errorMessage: null };
      return { errorCode, errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName };
    }),
  };
});
