/**
 * CreateTopics (key 19), v0-7. Each topic is validated and created on its own (one failing
 * topic does not fail the others); a name given twice in one request fails both with
 * INVALID_REQUEST, as Kafka does. validate_only checks everything and creates nothing.
 * v5+ answers the topic's partition count, replication factor and full config list. The
 * timeout is not needed: creation completes (fsync'ed metadata) before the answer.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { createTopics } from '../../protocol/messages/index.js';
import { TopicConfig } from '../../config/topic-config.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

export const createTopicsHandler = defineHandler(createTopics, { min: 0, max: 7 }, async (request, context) => {
  const controller = context.broker.controller;
  const counts = new Map<string, number>();
  for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);

  const topics = await Promise.all(
    request.topics.map(async (topic) => {
      const base = { name: topic.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', numPartitions: -1, replicationFactor: -1, configs: null };
      if (counts.get(topic.name)! > 1) {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request from client contains a duplicate topic name: ${topic.name}` };
      }
      const configs = new Map(topic.configs.map((config) => [config.name, config.value] as const));
      const creation = {
        name: topic.name,
        numPartitions: topic.numPartitions,
        replicationFactor: topic.replicationFactor,
        assignments: topic.assignments,
        configs,
      };
      try {
        let topicId = base.topicId;
        let numPartitions: number;
        let replicationFactor: number;
        const overrides = new Map([...configs].filter((entry): entry is [string, string] => entry[1] !== null));
        if (request.validateOnly) {
          const planned = controller.validateCreateTopic(creation);
          numPartitions = planned.numPartitions;
          replicationFactor = planned.replicas[0]?.length ?? 0;
        } else {
          const created = await controller.createTopic(creation);
          topicId = created.topicId;
          numPartitions = created.partitions.length;
          replicationFactor = created.partitions[0]?.replicas.length ?? 0;
        }
        const described = new TopicConfig(overrides, context.broker.config).describe().map((entry) => ({
          name: entry.name,
          value: entry.value,
          readOnly: entry.readOnly,
          configSource: entry.source,
          isSensitive: entry.sensitive,
        }));
        return { name: topic.name, topicId, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions, replicationFactor, configs: described };
      } catch (error) {
        return { ...base, ...toErrorCode(error, `CreateTopics ${topic.name}`) };
      }
    }),
  );
  return { throttleTimeMs: 0, topics };
});
