/**
 * DescribeConfigs (key 32), v0-4. Topic (2) and broker (4) resources, with every config Kafka
 * has for them (tools expect the full list), each with its source, and with synonyms (v1+:
 * the chain topic override -> broker keys -> default), type and documentation (v3+) when
 * asked. A broker resource is this broker's id, or '' for the cluster-wide defaults. Broker
 * loggers (8) are not supported and answer INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeConfigs } from '../../protocol/messages/index.js';
import { ConfigResourceType } from '../../cluster/metadata-records.js';
import { ConfigSource, ConfigType } from '../../config/config-def.js';
import type { ConfigEntry } from '../../config/broker-config.js';
import { TopicConfig } from '../../config/topic-config.js';
import { defineHandler } from '../handler.js';

export const describeConfigsHandler = defineHandler(describeConfigs, { min: 0, max: 4 }, (request, context) => {
  const broker = context.broker;
  const version = context.apiVersion;
  const results = request.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    let entries: ConfigEntry[];
    if (resource.resourceType === ConfigResourceType.TOPIC) {
      const topic = broker.controller.topic(resource.resourceName);
      if (!topic) {
        return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resource.resourceName} does not exist`, configs: [] };
      }
      entries = new TopicConfig(topic.configs, broker.config).describe();
    } else if (resource.resourceType === ConfigResourceType.BROKER) {
      if (resource.resourceName !== '' && resource.resourceName !== String(broker.nodeId)) {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${resource.resourceName}`,
          configs: [],
        };
      }
      entries = broker.config.describe();
    } else {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resource.resourceType}`, configs: [] };
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
