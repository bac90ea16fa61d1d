/**
 * DescribeConfigs (key 32), v0-4, as Kafka's ConfigHelper answers it:
 * - a topic (2): every topic config (tools expect the full list) with its value, source and, when
 *   asked (v1+), the synonym chain: the topic override, then the broker keys behind it level by
 *   level (dynamic per broker, dynamic cluster default, static, default). An unknown topic is
 *   UNKNOWN_TOPIC_OR_PARTITION, an illegal name INVALID_TOPIC_EXCEPTION.
 * - a broker (4) by this broker's id: every broker config Tidelog knows plus any other key set
 *   in its properties or dynamically; read_only unless Kafka can change the key at runtime.
 * - the cluster-wide broker default (4, name ''): only the keys set at that level.
 * v0 reports is_default instead of a source; v3+ adds the config type and, when asked, the
 * documentation. Sensitive values are never returned. Broker loggers (8), client metrics (16)
 * and groups (32) are not supported and answer INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeConfigs } from '../../protocol/messages/index.js';
import { ConfigResourceType } from '../../cluster/metadata-records.js';
import { validateTopicName } from '../../cluster/topic-name.js';
import { ConfigSource, ConfigType } from '../../config/config-def.js';
import type { ConfigEntry } from '../../config/broker-config.js';
import { TopicConfig } from '../../config/topic-config.js';
import { KafkaError } from '../../errors.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

function configsOf(resourceType: number, resourceName: string, context: RequestContext): ConfigEntry[] {
  const broker = context.broker;
  if (resourceType === ConfigResourceType.TOPIC) {
    validateTopicName(resourceName);
    const topic = broker.controller.topic(resourceName);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resourceName}' does not exist.`);
    return new TopicConfig(topic.configs, broker.config).describe();
  }
  if (resourceType === ConfigResourceType.BROKER) {
    if (resourceName === '') return broker.config.describeClusterDefaults();
    if (!/^-?\d+$/.test(resourceName)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${resourceName}`);
    if (Number(resourceName) !== broker.nodeId) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${resourceName}`);
    }
    return broker.config.describe();
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceType}`);
}

export const describeConfigsHandler = defineHandler(describeConfigs, { min: 0, max: 4 }, (request, context) => {
  const version = context.apiVersion;
  const results = request.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    let entries: ConfigEntry[];
    try {
      entries = configsOf(resource.resourceType, resource.resourceName, context);
    } catch (error) {
      return { ...base, ...toErrorCode(error, `DescribeConfigs ${resource.resourceName}`), configs: [] };
    }
    const keys = resource.configurationKeys;
    const selected = keys === null || keys.length === 0 ? entries : entries.filter((entry) => keys.includes(entry.name));
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      configs: selected.map((entry) => ({
        name: entry.name,
        value: entry.value,
        readOnly: entry.readOnly,
        isDefault: entry.source === ConfigSource.DEFAULT_CONFIG,
        configSource: entry.source,
        isSensitive: entry.sensitive,
        synonyms: version >= 1 && request.includeSynonyms ? entry.synonyms : [],
        configType: entry.def?.type ?? ConfigType.UNKNOWN,
        documentation: request.includeDocumentation ? (entry.def?.doc ?? null) : null,
      })),
    };
  });
  return { throttleTimeMs: 0, results };
});
