/**
 * Tidelog's admin client: topics, configs, offsets and consumer groups, in the terms of Kafka's
 * own Admin API (createTopics, describeConfigs, listOffsets, listConsumerGroups,
 * describeConsumerGroups, listConsumerGroupOffsets, alterConsumerGroupOffsets,
 * deleteConsumerGroupOffsets, deleteConsumerGroups, …), plus a group's lag per partition, which
 * Kafka's tools compute.
 *
 * Where a request names several things (topics, groups, partitions) each gets its own result
 * with its own error, as Kafka's per-item futures do; an error that concerns the whole request
 * (a group-level error, a broker that cannot be reached) is thrown. Errors are KafkaErrors with
 * Kafka's code. Retriable errors are retried until `apiTimeoutMs` (see cluster.ts).
 *
 * Routing: topic creation, deletion and partition changes go to the controller; ListOffsets to
 * each partition's leader; group requests to the group's coordinator; DescribeConfigs for a
 * broker to that broker; ListGroups to every broker (each lists the groups it coordinates).
 */
import { KafkaError } from '../errors.js';
import { assignedPartitionsOf, subscribedTopicsOf } from '../protocol/consumer-protocol.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  createPartitions as createPartitionsApi,
  createTopics as createTopicsApi,
  deleteGroups as deleteGroupsApi,
  deleteTopics as deleteTopicsApi,
  describeConfigs as describeConfigsApi,
  describeGroups as describeGroupsApi,
  listGroups as listGroupsApi,
  listOffsets as listOffsetsApi,
  offsetCommit,
  offsetDelete,
  offsetFetch,
} from '../protocol/messages/index.js';
import { Cluster, type BrokerNode, type ClientOptions, type TopicMetadata } from './cluster.js';
import * as configAdmin from './config-admin.js';
import { answeredResource, byDestination, connectionFor, RESOURCE_TYPE_CODES, resourceKey, type ConfigChange, type ConfigChangeResult, type ConfigResourceType } from './config-admin.js';
export type { AlterConfigOperation, ConfigChange, ConfigChangeResult, ConfigResourceType } from './config-admin.js';
import { brokerError, errorOrNull, isRetriable, isRetriableCode } from './errors.js';
import { perItem, type ItemResult } from './per-item.js';
export type { ItemResult } from './per-item.js';
import {
  describeProducers as describeProducersApi,
  describeTransactions as describeTransactionsApi,
  findCoordinator as findCoordinatorApi,
  listTransactions as listTransactionsApi,
} from '../protocol/messages/index.js';

export type { BrokerNode, ClientOptions, PartitionMetadata, TopicMetadata } from './cluster.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface NewTopic {
  readonly name: string;
  /** Omitted (or -1): the broker's num.partitions. Not with assignments. */
  readonly numPartitions?: number;
  /** Omitted (or -1): the broker's default.replication.factor. Not with assignments. */
  readonly replicationFactor?: number;
  /** Explicit replicas per partition index, the first one preferred as leader. */
  readonly assignments?: Readonly<Record<number, readonly number[]>>;
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreateTopicResult extends ItemResult {
  readonly name: string;
  /** '' when the broker does not return topic ids (CreateTopics < v7). */
  readonly topicId: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

export interface TopicResult extends ItemResult {
  readonly name: string;
}

export interface NewPartitions {
  readonly topic: string;
  /** The new total number of partitions. */
  readonly count: number;
  /** Replicas of each new partition, or omitted to let the controller choose. */
  readonly assignments?: readonly (readonly number[])[];
}

export type TopicDescription = TopicMetadata;

export interface ClusterDescription {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: readonly BrokerNode[];
}

/** Kafka's ConfigEntry.ConfigSource names, by the protocol's code. */
const CONFIG_SOURCES = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'CLIENT_METRICS_CONFIG',
  'GROUP_CONFIG',
] as const;

export type ConfigSource = (typeof CONFIG_SOURCES)[number];

export interface ConfigResource {
  readonly type: ConfigResourceType;
  /** A topic name, a broker id ('' for the cluster-wide broker defaults), … */
  readonly name: string;
  /** Omitted: every key. */
  readonly keys?: readonly string[];
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
}

export interface ConfigEntry {
  readonly name: string;
  /** null for sensitive values. */
  readonly value: string | null;
  readonly source: ConfigSource;
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  readonly isSensitive: boolean;
  readonly synonyms: readonly ConfigSynonym[];
  readonly documentation: string | null;
}

export interface ConfigResourceResult extends ItemResult {
  readonly type: ConfigResourceType;
  readonly name: string;
  readonly configs: readonly ConfigEntry[];
}

/** Which offset ListOffsets looks up: the first, the next to be written, the newest timestamp's, or the first at or after a time. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { readonly timestamp: number };

export interface OffsetQuery extends TopicPartition {
  readonly spec: OffsetSpec;
}

export interface ListedOffset extends TopicPartition {
  /** -1 when no record has a timestamp at or after the one asked for. */
  readonly offset: number;
  /** The found record's timestamp; -1 for 'earliest' and 'latest'. */
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

export interface GroupListing {
  readonly groupId: string;
  /** "consumer" for Kafka consumers, "" for groups that only store offsets. */
  readonly protocolType: string;
  /** Stable, PreparingRebalance, CompletingRebalance, Empty, Dead; '' from brokers older than ListGroups v4. */
  readonly state: string;
  /** "classic", "consumer" (KIP-848), …; '' from brokers older than ListGroups v5. */
  readonly type: string;
}

export interface MemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's partitions, decoded from its consumer-protocol assignment ([] when not a consumer group or not yet assigned). */
  readonly assignment: readonly TopicPartitions[];
  /** The topics of its consumer-protocol subscription, when the broker shows it (Stable groups). */
  readonly subscribedTopics: readonly string[];
  readonly memberMetadata: Buffer;
  readonly memberAssignment: Buffer;
}

export interface GroupDescription {
  readonly groupId: string;
  /** "Dead" for a group that does not exist. */
  readonly state: string;
  readonly protocolType: string;
  /** The chosen protocol (the partition assignor, for consumer groups). */
  readonly protocol: string;
  readonly members: readonly MemberDescription[];
  readonly coordinator: BrokerNode;
}

export interface CommittedOffset extends TopicPartition {
  /** -1 when the group has committed nothing for the partition. */
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
  readonly leaderEpoch?: number;
  readonly metadata?: string | null;
}

export interface GroupResult extends ItemResult {
  readonly groupId: string;
}

export interface PartitionResult extends TopicPartition, ItemResult {}

/** Where a group stands on one partition: what it committed, how far the log goes, who owns it. */
export interface PartitionLag extends TopicPartition {
  /** null when the group has committed nothing for the partition. */
  readonly committedOffset: number | null;
  /** The high watermark; null when the partition no longer exists or has no leader. */
  readonly logEndOffset: number | null;
  /** logEndOffset − committedOffset (Kafka's tools do not clamp it); null when either is unknown. */
  readonly lag: number | null;
  /** The member the partition is assigned to; null when none is (or the group is not Stable). */
  readonly owner: MemberDescription | null;
}

const LATEST_TIMESTAMP = -1;
const EARLIEST_TIMESTAMP = -2;
const MAX_TIMESTAMP = -3;

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function byTopicAndPartition<T extends TopicPartition>(a: T, b: T): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** Groups topic-partitions by topic, keeping first-seen order. */
function groupByTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const topics = new Map<string, T[]>();
  for (const item of items) {
    const list = topics.get(item.topic);
    if (list) list.push(item);
    else topics.set(item.topic, [item]);
  }
  return topics;
}

export class Admin {
  readonly cluster: Cluster;

  constructor(options: ClientOptions) {
    this.cluster = new Cluster(options);
  }

  /** Creates an admin client and checks that a broker answers. */
  static async connect(options: ClientOptions): Promise<Admin> {
    const admin = new Admin(options);
    try {
      await admin.cluster.retry(() => admin.cluster.refreshMetadata([]));
    } catch (error) {
      await admin.close();
      throw error;
    }
    return admin;
  }

  close(): Promise<void> {
    return this.cluster.close();
  }

  // ---- cluster and topics ------------------------------------------------------------------

  async describeCluster(): Promise<ClusterDescription> {
    const answer = await this.cluster.retry(() => this.cluster.refreshMetadata([]));
    return { clusterId: answer.clusterId, controllerId: answer.controllerId, brokers: [...answer.brokers].sort((a, b) => a.nodeId - b.nodeId) };
  }

  /** Topic names, sorted; internal topics (__consumer_offsets, …) only when asked for. */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const answer = await this.cluster.retry(() => this.cluster.refreshMetadata(null));
    return answer.topics
      .filter((topic) => topic.errorCode === ErrorCode.NONE && (options.includeInternal || !topic.isInternal))
      .map((topic) => topic.name)
      .sort();
  }

  /** Describes the named topics (every topic when omitted); an unknown topic is an error. */
  async describeTopics(names?: readonly string[]): Promise<TopicDescription[]> {
    return this.cluster.retry(async () => {
      const answer = await this.cluster.refreshMetadata(names ?? null);
      for (const topic of answer.topics) {
        if (topic.errorCode !== ErrorCode.NONE) throw brokerError(topic.errorCode, `topic '${topic.name}'`);
      }
      if (names === undefined) return [...answer.topics].sort((a, b) => (a.name < b.name ? -1 : 1));
      return names.map((name) => {
        const topic = answer.topics.find((candidate) => candidate.name === name);
        if (!topic) throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}'`);
        return topic;
      });
    });
  }

  async createTopics(topics: readonly NewTopic[], options: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<CreateTopicResult[]> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const results = await perItem(
      this.cluster,
      topics,
      (topic) => topic.name,
      (pending) =>
        this.cluster.withController(async (connection) => {
          const response = await connection.send(
            createTopicsApi,
            {
              topics: pending.map((topic) => ({
                name: topic.name,
                numPartitions: topic.assignments ? -1 : (topic.numPartitions ?? -1),
                replicationFactor: topic.assignments ? -1 : (topic.replicationFactor ?? -1),
                assignments: Object.entries(topic.assignments ?? {}).map(([partitionIndex, brokerIds]) => ({ partitionIndex: Number(partitionIndex), brokerIds })),
                configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
              })),
              timeoutMs,
              validateOnly: options.validateOnly ?? false,
            },
            { timeoutMs: timeoutMs + this.cluster.requestTimeoutMs },
          );
          return new Map(
            response.topics.map((topic) => [
              topic.name,
              {
                name: topic.name,
                topicId: topic.topicId === 'AAAAAAAAAAAAAAAAAAAAAA' ? '' : topic.topicId,
                numPartitions: topic.numPartitions,
                replicationFactor: topic.replicationFactor,
                error: errorOrNull(topic.errorCode, `topic '${topic.name}'`, topic.errorMessage),
              },
            ]),
          );
        }),
    );
    this.cluster.invalidateTopics(topics.map((topic) => topic.name));
    return results;
  }

  async deleteTopics(names: readonly string[], options: { timeoutMs?: number } = {}): Promise<TopicResult[]> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const results = await perItem(
      this.cluster,
      names,
      (name) => name,
      (pending) =>
        this.cluster.withController(async (connection) => {
          const version = connection.versionFor(deleteTopicsApi);
          const response = await connection.send(
            deleteTopicsApi,
            version >= 6 ? { topics: pending.map((name) => ({ name })), timeoutMs } : { topicNames: pending, timeoutMs },
            { timeoutMs: timeoutMs + this.cluster.requestTimeoutMs },
          );
          return new Map(
            response.responses.map((topic) => [topic.name ?? '', { name: topic.name ?? '', error: errorOrNull(topic.errorCode, `topic '${topic.name}'`, topic.errorMessage) }]),
          );
        }),
    );
    this.cluster.invalidateTopics(names);
    return results;
  }

  /** Raises topics' partition counts. */
  async createPartitions(changes: readonly NewPartitions[], options: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<TopicResult[]> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const results = await perItem(
      this.cluster,
      changes,
      (change) => change.topic,
      (pending) =>
        this.cluster.withController(async (connection) => {
          const response = await connection.send(
            createPartitionsApi,
            {
              topics: pending.map((change) => ({
                name: change.topic,
                count: change.count,
                assignments: change.assignments ? change.assignments.map((brokerIds) => ({ brokerIds })) : null,
              })),
              timeoutMs,
              validateOnly: options.validateOnly ?? false,
            },
            { timeoutMs: timeoutMs + this.cluster.requestTimeoutMs },
          );
          return new Map(response.results.map((result) => [result.name, { name: result.name, error: errorOrNull(result.errorCode, `topic '${result.name}'`, result.errorMessage) }]));
        }),
    );
    this.cluster.invalidateTopics(changes.map((change) => change.topic));
    return results;
  }

  /** Configs of topics, brokers, …; a broker's own configs are asked of that broker. */
  async describeConfigs(resources: readonly ConfigResource[], options: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {}): Promise<ConfigResourceResult[]> {
    const round = (pending: ConfigResource[]) => this.cluster.retry(async () => {
      const answered = new Map<string, ConfigResourceResult>();
      await Promise.all(
        [...byDestination(pending)].map(async ([nodeId, list]) => {
          const connection = await connectionFor(this.cluster, nodeId);
          const version = connection.versionFor(describeConfigsApi);
          const response = await connection.send(describeConfigsApi, {
            resources: list.map((resource) => ({ resourceType: RESOURCE_TYPE_CODES[resource.type], resourceName: resource.name, configurationKeys: resource.keys ?? null })),
            includeSynonyms: options.includeSynonyms ?? false,
            includeDocumentation: options.includeDocumentation ?? false,
          });
          response.results.forEach((result, index) => {
            const resource = answeredResource(list, result, index);
            answered.set(resourceKey(resource), {
              type: resource.type,
              name: resource.name,
              error: errorOrNull(result.errorCode, `${resource.type} '${resource.name}'`, result.errorMessage),
              configs: result.configs.map((config) => {
                const source = version === 0 ? (config.isDefault ? 'DEFAULT_CONFIG' : 'UNKNOWN') : (CONFIG_SOURCES[config.configSource] ?? 'UNKNOWN');
                return {
                  name: config.name,
                  value: config.value,
                  source,
                  isDefault: source === 'DEFAULT_CONFIG',
                  readOnly: config.readOnly,
                  isSensitive: config.isSensitive,
                  synonyms: config.synonyms.map((synonym) => ({ name: synonym.name, value: synonym.value, source: CONFIG_SOURCES[synonym.source] ?? 'UNKNOWN' })),
                  documentation: config.documentation,
                };
              }),
            });
          });
        }),
      );
      return answered;
    });
    return perItem(this.cluster, resources, resourceKey, round);
  }

  // ---- offsets -----------------------------------------------------------------------------

  /**
   * Looks up offsets per partition at each partition's leader (ListOffsets): 'earliest' (the log
   * start offset), 'latest' (the high watermark, or the last stable offset with read_committed),
   * 'max-timestamp', or the first offset whose timestamp is at or after a time. Results come in
   * the order asked; an error for any partition is thrown. A partition may be asked once per call
   * (a broker answers INVALID_REQUEST to a request that names one twice).
   */
  async listOffsets(queries: readonly OffsetQuery[], options: { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {}): Promise<ListedOffset[]> {
    const isolationLevel = options.isolationLevel === 'read_committed' ? 1 : 0;
    const asked = new Set<string>();
    for (const query of queries) {
      const key = partitionKey(query.topic, query.partition);
      if (asked.has(key)) throw new RangeError(`listOffsets: topic '${query.topic}' partition ${query.partition} is asked more than once`);
      asked.add(key);
    }
    const results = new Map<string, ListedOffset>();
    let attempt = 0;
    await this.cluster.retry(async () => {
      const pending = queries.filter((query) => !results.has(partitionKey(query.topic, query.partition)));
      if (attempt++ > 0) this.cluster.invalidateTopics([...new Set(pending.map((query) => query.topic))]);
      const byLeader = new Map<number, OffsetQuery[]>();
      for (const query of pending) {
        const leader = await this.cluster.leaderOf(query.topic, query.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), query]);
      }
      let retriable: KafkaError | null = null;
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const connection = await this.cluster.nodeConnection(leader);
          const version = connection.versionFor(listOffsetsApi);
          const timestampOf = (spec: OffsetSpec): number => {
            if (spec === 'earliest') return EARLIEST_TIMESTAMP;
            if (spec === 'latest') return LATEST_TIMESTAMP;
            if (spec === 'max-timestamp') {
              if (version < 7) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `'max-timestamp' needs ListOffsets v7, broker ${connection.address} serves v${version}`);
              return MAX_TIMESTAMP;
            }
            if (!Number.isInteger(spec.timestamp) || spec.timestamp < 0) throw new RangeError(`timestamp ${spec.timestamp} is not a time in ms`);
            return spec.timestamp;
          };
          const response = await connection.send(listOffsetsApi, {
            replicaId: -1,
            isolationLevel,
            topics: [...groupByTopic(list)].map(([name, partitions]) => ({
              name,
              partitions: partitions.map((query) => ({ partitionIndex: query.partition, timestamp: timestampOf(query.spec), maxNumOffsets: 1 })),
            })),
            timeoutMs: this.cluster.requestTimeoutMs,
          });
          for (const topic of response.topics) {
            for (const partition of topic.partitions) {
              const context = `topic '${topic.name}' partition ${partition.partitionIndex}`;
              const error = errorOrNull(partition.errorCode, context);
              if (error && isRetriable(error)) retriable = error;
              else if (error) throw error;
              else {
                const offset = version === 0 ? (partition.oldStyleOffsets[0] ?? -1) : partition.offset;
                results.set(partitionKey(topic.name, partition.partitionIndex), {
                  topic: topic.name,
                  partition: partition.partitionIndex,
                  offset,
                  timestamp: partition.timestamp,
                  leaderEpoch: partition.leaderEpoch,
                });
              }
            }
          }
        }),
      );
      if (retriable) throw retriable;
    });
    return queries.map((query) => {
      const result = results.get(partitionKey(query.topic, query.partition));
      if (!result) throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${query.topic}' partition ${query.partition}: no answer`);
      return result;
    });
  }

  // ---- consumer groups ---------------------------------------------------------------------

  /** Every group of the cluster (each broker lists the groups it coordinates), sorted by id. */
  async listGroups(options: { states?: readonly string[]; types?: readonly string[] } = {}): Promise<GroupListing[]> {
    const brokers = await this.cluster.retry(() => this.cluster.knownBrokers());
    const lists = await Promise.all(
      brokers.map((broker) =>
        this.cluster.retry(async () => {
          const connection = await this.cluster.connectionTo(broker);
          const version = connection.versionFor(listGroupsApi);
          if (version < 4 && options.states?.length) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `filtering groups by state needs ListGroups v4, broker ${broker.nodeId} serves v${version}`);
          if (version < 5 && options.types?.length) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `filtering groups by type needs ListGroups v5, broker ${broker.nodeId} serves v${version}`);
          const response = await connection.send(listGroupsApi, { statesFilter: options.states ?? [], typesFilter: options.types ?? [] });
          if (response.errorCode !== ErrorCode.NONE) throw brokerError(response.errorCode, `ListGroups at broker ${broker.nodeId}`);
          return response.groups.map((group) => ({ groupId: group.groupId, protocolType: group.protocolType, state: group.groupState, type: group.groupType }));
        }),
      ),
    );
    const byId = new Map<string, GroupListing>();
    for (const list of lists) for (const group of list) byId.set(group.groupId, group);
    return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /**
   * Describes groups: state, chosen protocol, members with their decoded assignments. A group
   * that does not exist is described with state "Dead" and no members, as Kafka's brokers do.
   */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return Promise.all(
      groupIds.map((groupId) =>
        this.cluster.withGroupCoordinator(groupId, async (connection) => {
          const response = await connection.send(describeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
          const group = response.groups.find((candidate) => candidate.groupId === groupId);
          if (!group) throw brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeGroups did not describe group '${groupId}'`);
          if (group.errorCode !== ErrorCode.NONE) throw brokerError(group.errorCode, `group '${groupId}'`);
          const isConsumer = group.protocolType === 'consumer';
          return {
            groupId,
            state: group.groupState,
            protocolType: group.protocolType,
            protocol: group.protocolData,
            coordinator: await this.cluster.groupCoordinator(groupId),
            members: group.members.map((member) => ({
              memberId: member.memberId,
              groupInstanceId: member.groupInstanceId,
              clientId: member.clientId,
              clientHost: member.clientHost,
              assignment: (isConsumer ? assignedPartitionsOf(member.memberAssignment) : null) ?? [],
              subscribedTopics: (isConsumer && member.memberMetadata.length > 0 ? subscribedTopicsOf(member.memberMetadata) : null) ?? [],
              memberMetadata: member.memberMetadata,
              memberAssignment: member.memberAssignment,
            })),
          };
        }),
      ),
    );
  }

  /**
   * A group's committed offsets (OffsetFetch): of the given partitions (offset -1 where nothing
   * is committed), or, when omitted, of every partition the group has committed. Sorted by
   * topic and partition.
   */
  async fetchCommittedOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    return this.cluster.withGroupCoordinator(groupId, async (connection) => {
      const version = connection.versionFor(offsetFetch);
      const topics = partitions ? [...groupByTopic(partitions)].map(([name, list]) => ({ name, partitionIndexes: list.map((item) => item.partition) })) : null;
      if (topics === null && version < 2) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `fetching all of a group's offsets needs OffsetFetch v2, broker serves v${version}`);
      const response = await connection.send(offsetFetch, version >= 8 ? { groups: [{ groupId, topics }], requireStable: false } : { groupId, topics, requireStable: false });
      let errorCode = response.errorCode;
      let answered = response.topics;
      if (version >= 8) {
        const group = response.groups.find((candidate) => candidate.groupId === groupId);
        if (!group) throw brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, `OffsetFetch did not answer for group '${groupId}'`);
        errorCode = group.errorCode;
        answered = group.topics;
      }
      if (errorCode !== ErrorCode.NONE) throw brokerError(errorCode, `offsets of group '${groupId}'`);
      const offsets: CommittedOffset[] = [];
      for (const topic of answered) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== ErrorCode.NONE) throw brokerError(partition.errorCode, `group '${groupId}' topic '${topic.name}' partition ${partition.partitionIndex}`);
          offsets.push({ topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata: partition.metadata });
        }
      }
      return offsets.sort(byTopicAndPartition);
    });
  }

  /**
   * A group's position on every partition it has committed or been assigned (Kafka's
   * `kafka-consumer-groups.sh --describe`): committed offset, log end offset (the high
   * watermark, read_uncommitted as Kafka's tool reads it), their difference, and the owning
   * member. Sorted by topic and partition.
   */
  async groupLag(group: string | GroupDescription): Promise<PartitionLag[]> {
    const description = typeof group === 'string' ? (await this.describeGroups([group]))[0]! : group;
    const rows = new Map<string, { topic: string; partition: number; committedOffset: number | null; owner: MemberDescription | null }>();
    for (const committed of await this.fetchCommittedOffsets(description.groupId)) {
      const committedOffset = committed.offset >= 0 ? committed.offset : null;
      rows.set(partitionKey(committed.topic, committed.partition), { topic: committed.topic, partition: committed.partition, committedOffset, owner: null });
    }
    for (const member of description.members) {
      for (const { topic, partitions } of member.assignment) {
        for (const partition of partitions) {
          const key = partitionKey(topic, partition);
          rows.set(key, { ...(rows.get(key) ?? { topic, partition, committedOffset: null }), owner: member });
        }
      }
    }
    const sorted = [...rows.values()].sort(byTopicAndPartition);
    const logEnd = await this.logEndOffsets(sorted);
    return sorted.map((row) => {
      const logEndOffset = logEnd.get(partitionKey(row.topic, row.partition)) ?? null;
      const lag = row.committedOffset !== null && logEndOffset !== null ? logEndOffset - row.committedOffset : null;
      return { ...row, logEndOffset, lag };
    });
  }

  /** High watermarks of the partitions that exist and have a leader; the others are left out. */
  private async logEndOffsets(partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    const topics = [...new Set(partitions.map((partition) => partition.topic))];
    if (topics.length === 0) return new Map();
    const answer = await this.cluster.retry(() => this.cluster.refreshMetadata(topics));
    const available = new Set<string>();
    for (const topic of answer.topics) {
      if (topic.errorCode !== ErrorCode.NONE) continue;
      for (const partition of topic.partitions) if (partition.leader >= 0) available.add(partitionKey(topic.name, partition.partition));
    }
    const queries = partitions.filter((partition) => available.has(partitionKey(partition.topic, partition.partition))).map((partition): OffsetQuery => ({ ...partition, spec: 'latest' }));
    const listed = queries.length > 0 ? await this.listOffsets(queries) : [];
    return new Map(listed.map((offset) => [partitionKey(offset.topic, offset.partition), offset.offset]));
  }

  /**
   * Commits offsets for a group as an admin (a "simple" commit: generation -1, no member id),
   * which the coordinator accepts only while the group has no members. Any partition's error is thrown.
   */
  async commitOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.cluster.withGroupCoordinator(groupId, async (connection) => {
      const response = await connection.send(offsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [...groupByTopic(offsets)].map(([name, list]) => ({
          name,
          partitions: list.map((item) => ({
            partitionIndex: item.partition,
            committedOffset: item.offset,
            committedLeaderEpoch: item.leaderEpoch ?? -1,
            committedMetadata: item.metadata ?? '',
          })),
        })),
      });
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== ErrorCode.NONE) throw brokerError(partition.errorCode, `commit for group '${groupId}' topic '${topic.name}' partition ${partition.partitionIndex}`);
        }
      }
    });
  }

  /** Deletes groups (only empty ones: NON_EMPTY_GROUP otherwise) with their committed offsets. */
  async deleteGroups(groupIds: readonly string[]): Promise<GroupResult[]> {
    return Promise.all(
      groupIds.map((groupId) =>
        this.cluster
          .withGroupCoordinator(groupId, async (connection) => {
            const response = await connection.send(deleteGroupsApi, { groupsNames: [groupId] });
            const result = response.results.find((candidate) => candidate.groupId === groupId);
            const errorCode = result ? result.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
            // Coordinator errors are thrown to be retried (after a new coordinator lookup); the rest are this group's result.
            if (isRetriableCode(errorCode)) throw brokerError(errorCode, `group '${groupId}'`);
            return { groupId, error: errorOrNull(errorCode, `group '${groupId}'`) };
          })
          .catch((error: unknown) => {
            if (error instanceof KafkaError) return { groupId, error };
            throw error;
          }),
      ),
    );
  }

  /**
   * Deletes a group's committed offsets of some partitions (OffsetDelete); refused per
   * partition (GROUP_SUBSCRIBED_TO_TOPIC) while the group's members consume the topic.
   */
  async deleteCommittedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<PartitionResult[]> {
    return this.cluster.withGroupCoordinator(groupId, async (connection) => {
      const response = await connection.send(offsetDelete, {
        groupId,
        topics: [...groupByTopic(partitions)].map(([name, list]) => ({ name, partitions: list.map((item) => ({ partitionIndex: item.partition })) })),
      });
      if (response.errorCode !== ErrorCode.NONE) throw brokerError(response.errorCode, `offsets of group '${groupId}'`);
      const results = new Map<string, PartitionResult>();
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          results.set(partitionKey(topic.name, partition.partitionIndex), {
            topic: topic.name,
            partition: partition.partitionIndex,
            error: errorOrNull(partition.errorCode, `group '${groupId}' topic '${topic.name}' partition ${partition.partitionIndex}`),
          });
        }
      }
      return partitions.map(
        (item) => results.get(partitionKey(item.topic, item.partition)) ?? { topic: item.topic, partition: item.partition, error: brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no answer') },
      );
    });
  }

  // ---- config changes (IncrementalAlterConfigs, for `tidelog configs`; implemented in config-admin.ts) ----

  /** Sets, deletes, appends to or subtracts from single config keys of topics and brokers; one result per resource. */
  incrementalAlterConfigs(changes: readonly ConfigChange[], options: { validateOnly?: boolean } = {}): Promise<ConfigChangeResult[]> {
    return configAdmin.incrementalAlterConfigs(this.cluster, changes, options);
  }

  // ---- transactions (ListTransactions, DescribeTransactions, DescribeProducers; for `tidelog transactions`) ----

  /**
   * Every transactional id the cluster's coordinators know (each broker lists those it
   * coordinates), sorted; filtered by state names, producer ids and minimum running time
   * (ListTransactions v1, KIP-994) when given.
   */
  async listTransactions(options: { states?: readonly string[]; producerIds?: readonly number[]; durationMs?: number } = {}): Promise<TransactionListing[]> {
    const brokers = await this.cluster.retry(() => this.cluster.knownBrokers());
    const lists = await Promise.all(
      brokers.map((broker) =>
        this.cluster.retry(async () => {
          const connection = await this.cluster.connectionTo(broker);
          if (options.durationMs !== undefined && connection.versionFor(listTransactionsApi) < 1) {
            throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `filtering transactions by duration needs ListTransactions v1 at broker ${broker.nodeId}`);
          }
          const response = await connection.send(listTransactionsApi, {
            stateFilters: options.states ?? [],
            producerIdFilters: options.producerIds ?? [],
            durationFilter: options.durationMs ?? -1,
          });
          if (response.errorCode !== ErrorCode.NONE) throw brokerError(response.errorCode, `ListTransactions at broker ${broker.nodeId}`);
          return response.transactionStates.map((state) => ({
            transactionalId: state.transactionalId,
            producerId: state.producerId,
            state: state.transactionState,
            coordinatorId: broker.nodeId,
          }));
        }),
      ),
    );
    return lists.flat().sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  }

  /** The coordinator's view of each transactional id; an unknown id has error TRANSACTIONAL_ID_NOT_FOUND. */
  async describeTransactions(transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
    return Promise.all(
      transactionalIds.map((transactionalId) =>
        this.cluster.retry(async () => {
          const coordinator = await this.transactionCoordinator(transactionalId);
          const connection = await this.cluster.connectionTo(coordinator);
          const response = await connection.send(describeTransactionsApi, { transactionalIds: [transactionalId] });
          const state = response.transactionStates.find((candidate) => candidate.transactionalId === transactionalId);
          if (!state) throw brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeTransactions did not describe '${transactionalId}'`);
          // A coordinator that moved or is loading is asked again.
          if (isRetriableCode(state.errorCode)) throw brokerError(state.errorCode, `transactional id '${transactionalId}'`);
          const byTopic = new Map(state.topics.map((topic) => [topic.topic, [...topic.partitions].sort((a, b) => a - b)]));
          return {
            transactionalId,
            coordinatorId: coordinator.nodeId,
            state: state.transactionState,
            producerId: state.producerId,
            producerEpoch: state.producerEpoch,
            transactionTimeoutMs: state.transactionTimeoutMs,
            transactionStartTimeMs: state.transactionStartTimeMs,
            topicPartitions: [...byTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))),
            error: errorOrNull(state.errorCode, `transactional id '${transactionalId}'`),
          };
        }),
      ),
    );
  }

  /** The producers each partition's leader keeps state for (open transactions included). */
  async describeProducers(partitions: readonly TopicPartition[]): Promise<PartitionProducers[]> {
    return Promise.all(
      partitions.map((item) =>
        this.cluster.retry(async () => {
          const leader = await this.cluster.leaderOf(item.topic, item.partition);
          const connection = await this.cluster.nodeConnection(leader);
          const response = await connection.send(describeProducersApi, { topics: [{ name: item.topic, partitionIndexes: [item.partition] }] });
          const answer = response.topics.find((topic) => topic.name === item.topic)?.partitions.find((partition) => partition.partitionIndex === item.partition);
          if (!answer) throw brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeProducers did not describe ${item.topic}-${item.partition}`);
          if (answer.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
            this.cluster.invalidateTopics([item.topic]);
            throw brokerError(answer.errorCode, `${item.topic}-${item.partition}`, answer.errorMessage);
          }
          return {
            topic: item.topic,
            partition: item.partition,
            producers: answer.activeProducers.map((producer) => ({ ...producer })),
            error: errorOrNull(answer.errorCode, `topic '${item.topic}' partition ${item.partition}`, answer.errorMessage),
          };
        }),
      ),
    );
  }

  /** FindCoordinator with key type 1 (not cached: the CLI asks once per id). */
  private async transactionCoordinator(transactionalId: string): Promise<BrokerNode> {
    const connection = await this.cluster.anyConnection();
    const version = connection.versionFor(findCoordinatorApi);
    if (version < 1) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'finding a transaction coordinator needs FindCoordinator v1');
    const response = await connection.send(findCoordinatorApi, version >= 4 ? { keyType: 1, coordinatorKeys: [transactionalId] } : { key: transactionalId, keyType: 1 });
    const answer =
      version >= 4
        ? response.coordinators.find((coordinator) => coordinator.key === transactionalId)
        : { nodeId: response.nodeId, host: response.host, port: response.port, errorCode: response.errorCode, errorMessage: response.errorMessage };
    if (!answer) throw brokerError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator for transactional id '${transactionalId}' got no answer`);
    if (answer.errorCode !== ErrorCode.NONE) throw brokerError(answer.errorCode, `coordinator of transactional id '${transactionalId}'`, answer.errorMessage);
    return { nodeId: answer.nodeId, host: answer.host, port: answer.port, rack: null };
  }
}

/** One transactional id as ListTransactions shows it. */
export interface TransactionListing {
  readonly transactionalId: string;
  readonly producerId: number;
  /** Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence. */
  readonly state: string;
  readonly coordinatorId: number;
}

export interface TransactionDescription extends ItemResult {
  readonly transactionalId: string;
  readonly coordinatorId: number;
  readonly state: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  readonly transactionStartTimeMs: number;
  readonly topicPartitions: readonly TopicPartition[];
}

export interface ProducerState {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1 when the producer has written no batch with a sequence. */
  readonly lastSequence: number;
  readonly lastTimestamp: number;
  /** -1 when no marker has been written for the producer. */
  readonly coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 when none. */
  readonly currentTxnStartOffset: number;
}

export interface PartitionProducers extends TopicPartition, ItemResult {
  readonly producers: readonly ProducerState[];
}
