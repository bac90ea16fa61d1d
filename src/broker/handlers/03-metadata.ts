/**
 * Metadata (key 3), v0-12. Brokers (this one, at the address advertised for the listener the
 * request came in on), the controller (this broker: kafkajs sends admin requests there), and
 * topics: v0 empty list or v1+ null list = all topics; v1+ empty = none (librdkafka's
 * broker-only refresh). An unknown topic is created when the request allows it (v4+ field,
 * always for v0-3) and auto.create.topics.enable is on. Unlike Kafka 4, which answers
 * UNKNOWN_TOPIC_OR_PARTITION while the creation is in flight, the creation (one fsync'ed
 * metadata record) is awaited and the new topic is returned at once, saving clients a retry.
 * Topics may be asked for by id (v10+, null name); unknown ids get UNKNOWN_TOPIC_ID.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { metadata } from '../../protocol/messages/index.js';
import type { TopicImage } from '../../cluster/metadata-image.js';
import { INTERNAL_TOPICS } from '../../cluster/metadata-image.js';
import { validateTopicName } from '../../cluster/topic-name.js';
import { defineHandler, type RequestContext } from '../handler.js';
import type { ResponseInputOf } from '../../protocol/api.js';

type TopicResponse = ResponseInputOf<typeof metadata>['topics'][number];

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Bit set of AclOperation codes READ..ALTER_CONFIGS allowed on a topic (no authorizer: all). */
const ALL_TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);
const ALL_CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0);
const OMITTED_OPERATIONS = -2147483648;

function describeTopic(topic: TopicImage, includeOperations: boolean): TopicResponse {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: INTERNAL_TOPICS.has(topic.name),
    partitions: topic.partitions.map((partition) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: partition.partitionId,
      leaderId: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      replicaNodes: partition.replicas,
      isrNodes: partition.isr,
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: includeOperations ? ALL_TOPIC_OPERATIONS : OMITTED_OPERATIONS,
  };
}

function errorTopic(name: string | null, errorCode: ErrorCode, topicId = ZERO_UUID): TopicResponse {
  return { errorCode, name, topicId, isInternal: false, partitions: [] };
}

async function resolveByName(name: string, allowAutoCreate: boolean, context: RequestContext, includeOperations: boolean): Promise<TopicResponse> {
  const controller = context.broker.controller;
  const existing = controller.topic(name);
  if (existing) return describeTopic(existing, includeOperations);
  try {
    validateTopicName(name);
  } catch {
    return errorTopic(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
  }
  if (!allowAutoCreate || !context.broker.config.boolean('auto.create.topics.enable') || INTERNAL_TOPICS.has(name)) {
    return errorTopic(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
  try {
    const created = await controller.createTopic({ name, numPartitions: -1, replicationFactor: -1 });
    return describeTopic(created, includeOperations);
  } catch (error) {
    // Another request is creating it right now: answer a retriable error, as Kafka does.
    if (error instanceof KafkaError && error.code === ErrorCode.TOPIC_ALREADY_EXISTS) {
      const now = controller.topic(name);
      return now ? describeTopic(now, includeOperations) : errorTopic(name, ErrorCode.LEADER_NOT_AVAILABLE);
    }
    if (error instanceof KafkaError) return errorTopic(name, error.code);
    throw error;
  }
}

export const metadataHandler = defineHandler(metadata, { min: 0, max: 12 }, async (request, context) => {
  const version = context.apiVersion;
  const image = context.broker.controller.image;
  const includeOperations = request.includeTopicAuthorizedOperations;
  const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
  let topics: TopicResponse[];
  if (allTopics) {
    topics = [...image.topicsByName.values()].map((topic) => describeTopic(topic, includeOperations));
  } else {
    const allowAutoCreate = version < 4 || request.allowAutoTopicCreation;
    topics = await Promise.all(
      request.topics!.map((requested) => {
        if (requested.name === null || requested.name === '') {
          if (version >= 10 && requested.topicId !== ZERO_UUID) {
            const byId = image.topicsById.get(requested.topicId);
            return byId ? describeTopic(byId, includeOperations) : errorTopic(null, ErrorCode.UNKNOWN_TOPIC_ID, requested.topicId);
          }
          return errorTopic(requested.name ?? '', ErrorCode.INVALID_TOPIC_EXCEPTION);
        }
        return resolveByName(requested.name, allowAutoCreate, context, includeOperations);
      }),
    );
  }
  const listener = context.broker.advertisedListener(context.connection.listenerName);
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: context.broker.nodeId, host: listener.host, port: listener.port, rack: context.broker.config.string('broker.rack') }],
    clusterId: context.broker.clusterId,
    controllerId: context.broker.nodeId,
    topics,
    clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? ALL_CLUSTER_OPERATIONS : OMITTED_OPERATIONS,
  };
});
