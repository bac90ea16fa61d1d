/**
 * The controller of a single-node cluster: the only writer of cluster metadata. Each operation
 * validates against the image, turns the change into metadata records, makes them durable in
 * the metadata log, applies them to the image, and tells subscribers (the replica manager
 * opens or deletes partition logs). Operations on the same topic are serialised by reserving
 * the name synchronously before the first await.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { KafkaError } from '../errors.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { validateTopicOverrides } from '../config/topic-config.js';
import { MetadataImage, INTERNAL_TOPICS, type TopicImage } from './metadata-image.js';
import { MetadataLog } from './metadata-log.js';
import { ConfigResourceType, type ConfigRecord, type MetadataRecord } from './metadata-records.js';
import { ConfigControl, type ConfigResourceResult } from './config-control.js';
import { randomUuid } from './meta-properties.js';
import { unifyCollisionChars, validateTopicName } from './topic-name.js';

export interface CreateTopicRequest {
  readonly name: string;
  /** -1 = num.partitions. */
  readonly numPartitions: number;
  /** -1 = default.replication.factor. */
  readonly replicationFactor: number;
  /** Explicit replica assignment per partition (empty = let the controller choose). */
  readonly assignments?: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  readonly configs?: ReadonlyMap<string, string | null>;
  /** Internal topics may use reserved names and cap their replication at the live brokers. */
  readonly internal?: boolean;
}

/** Told of every committed change; the change completes when every listener has settled. */
export type MetadataListener = (records: readonly MetadataRecord[], image: MetadataImage) => void | Promise<void>;

export class Controller {
  readonly image = new MetadataImage();
  private log: MetadataLog | undefined;
  private readonly listeners: MetadataListener[] = [];
  private readonly pendingTopics = new Set<string>();
  /** Topics whose deletion is being written: config changes treat them as gone. */
  private readonly deletingTopics = new Set<string>();
  private reservedProducerIdEnd = 0;
  /** Config changes plan against the image their predecessor left: one at a time. */
  private configChanges: Promise<unknown> = Promise.resolve();

  constructor(
    readonly nodeId: number,
    private readonly config: BrokerConfig,
  ) {}

  /** The brokers that can hold replicas: this node (a multi-broker cluster keeps them in etcd). */
  get liveBrokerIds(): readonly number[] {
    return [this.nodeId];
  }

  async open(dataDir: string): Promise<void> {
    this.log = await MetadataLog.open(dataDir, (record) => this.image.apply(record));
    await this.log.maybeCompact(() => this.image.snapshot());
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = undefined;
  }

  subscribe(listener: MetadataListener): void {
    this.listeners.push(listener);
  }

  private async commit(records: readonly MetadataRecord[]): Promise<void> {
    if (!this.log) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'controller is not running');
    await this.log.append(records);
    for (const record of records) this.image.apply(record);
    // Listeners (the replica manager opening logs) finish before the operation answers, so a
    // client that created a topic can produce to it at once.
    await Promise.all(this.listeners.map((listener) => listener(records, this.image)));
  }

  topic(name: string): TopicImage | undefined {
    return this.image.topicsByName.get(name);
  }

  /** Checks a creation without changing anything (CreateTopics validate_only uses this alone). */
  validateCreateTopic(request: CreateTopicRequest): { numPartitions: number; replicas: number[][] } {
    if (!request.internal) {
      validateTopicName(request.name);
      if (INTERNAL_TOPICS.has(request.name)) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${request.name} is not allowed`);
      }
    }
    if (this.image.topicsByName.has(request.name) || this.pendingTopics.has(request.name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${request.name}' already exists.`);
    }
    const unified = unifyCollisionChars(request.name);
    for (const existing of [...this.image.topicsByName.keys(), ...this.pendingTopics]) {
      if (existing !== request.name && unifyCollisionChars(existing) === unified) {
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${request.name}' collides with existing topic: ${existing}`);
      }
    }
    if (request.configs) {
      try {
        validateTopicOverrides(request.configs, this.config);
      } catch (error) {
        throw error instanceof KafkaError ? error : new KafkaError(ErrorCode.INVALID_CONFIG, String(error));
      }
    }
    const live = this.liveBrokerIds;
    const assignments = request.assignments ?? [];
    if (assignments.length > 0) {
      if (request.numPartitions !== -1 || request.replicationFactor !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      const replicas: number[][] = [];
      for (const assignment of assignments) {
        if (assignment.partitionIndex < 0 || assignment.partitionIndex >= assignments.length || replicas[assignment.partitionIndex]) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be consecutive and start from 0.');
        }
        this.checkReplicas(assignment.brokerIds);
        replicas[assignment.partitionIndex] = [...assignment.brokerIds];
      }
      return { numPartitions: assignments.length, replicas };
    }
    const numPartitions = request.numPartitions === -1 ? this.config.number('num.partitions') : request.numPartitions;
    if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    }
    let replicationFactor = request.replicationFactor === -1 ? this.config.number('default.replication.factor') : request.replicationFactor;
    if (request.internal) replicationFactor = Math.min(replicationFactor, live.length);
    if (!Number.isInteger(replicationFactor) || replicationFactor <= 0) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    }
    if (replicationFactor > live.length) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${live.length} broker(s) are registered.`,
      );
    }
    const replicas: number[][] = [];
    for (let partition = 0; partition < numPartitions; partition++) {
      replicas.push(this.assignReplicas(partition, replicationFactor));
    }
    return { numPartitions, replicas };
  }

  private checkReplicas(brokerIds: readonly number[]): void {
    if (brokerIds.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Replica assignment is empty.');
    if (new Set(brokerIds).size !== brokerIds.length) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers not allowed in replica assignment: ${brokerIds.join(', ')}`);
    }
    for (const id of brokerIds) {
      if (!this.liveBrokerIds.includes(id)) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Some brokers specified in the partition assignment are not registered: ${id}`);
      }
    }
  }

  /** Round-robin over live brokers, starting at a partition-dependent broker like Kafka's placer. */
  private assignReplicas(partition: number, replicationFactor: number): number[] {
    const live = this.liveBrokerIds;
    const replicas: number[] = [];
    for (let i = 0; i < replicationFactor; i++) replicas.push(live[(partition + i) % live.length]!);
    return replicas;
  }

  async createTopic(request: CreateTopicRequest): Promise<TopicImage> {
    const { replicas } = this.validateCreateTopic(request);
    this.pendingTopics.add(request.name);
    try {
      const topicId = randomUuid();
      const records: MetadataRecord[] = [];
      for (const [name, value] of request.configs ?? []) {
        if (value !== null) records.push({ type: 'Config', resourceType: ConfigResourceType.TOPIC, resourceName: request.name, name, value });
      }
      records.push({ type: 'Topic', name: request.name, topicId });
      replicas.forEach((brokers, partitionId) => {
        records.push({ type: 'Partition', topicId, partitionId, replicas: brokers, isr: brokers, leader: brokers[0]!, leaderEpoch: 0, partitionEpoch: 0 });
      });
      await this.commit(records);
      return this.image.topicsById.get(topicId)!;
    } finally {
      this.pendingTopics.delete(request.name);
    }
  }

  async deleteTopic(topic: TopicImage): Promise<void> {
    if (!this.config.boolean('delete.topic.enable')) {
      throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    }
    if (this.pendingTopics.has(topic.name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    this.pendingTopics.add(topic.name);
    this.deletingTopics.add(topic.name);
    try {
      // Config records for a removed topic go with it; a recreated topic starts with no overrides.
      const records: MetadataRecord[] = [...topic.configs.keys()].map((name) => ({
        type: 'Config' as const,
        resourceType: ConfigResourceType.TOPIC,
        resourceName: topic.name,
        name,
        value: null,
      }));
      records.push({ type: 'RemoveTopic', topicId: topic.topicId });
      await this.commit(records);
    } finally {
      this.pendingTopics.delete(topic.name);
      this.deletingTopics.delete(topic.name);
    }
  }

  /** Checks a partition increase without changing anything. */
  validateCreatePartitions(topic: TopicImage, count: number, assignments: readonly (readonly number[])[] | null): number[][] {
    const current = topic.partitions.length;
    if (count < current) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    }
    if (count === current) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    }
    const added = count - current;
    if (assignments !== null) {
      if (assignments.length !== added) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${added} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
        );
      }
      for (const brokers of assignments) this.checkReplicas(brokers);
      return assignments.map((brokers) => [...brokers]);
    }
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
    const result: number[][] = [];
    for (let partition = current; partition < count; partition++) result.push(this.assignReplicas(partition, replicationFactor));
    return result;
  }

  async createPartitions(topic: TopicImage, count: number, assignments: readonly (readonly number[])[] | null): Promise<void> {
    const replicas = this.validateCreatePartitions(topic, count, assignments);
    if (this.pendingTopics.has(topic.name)) throw new KafkaError(ErrorCode.REASSIGNMENT_IN_PROGRESS, 'A change to this topic is in progress.');
    this.pendingTopics.add(topic.name);
    try {
      const first = topic.partitions.length;
      await this.commit(
        replicas.map((brokers, index) => ({
          type: 'Partition' as const,
          topicId: topic.topicId,
          partitionId: first + index,
          replicas: brokers,
          isr: brokers,
          leader: brokers[0]!,
          leaderEpoch: 0,
          partitionEpoch: 0,
        })),
      );
    } finally {
      this.pendingTopics.delete(topic.name);
    }
  }

  /**
   * AlterConfigs / IncrementalAlterConfigs: plans every resource (`plan` returns its
   * ConfigRecords or throws its KafkaError), then, unless validateOnly, makes the records of the
   * resources that passed durable in one metadata-log write and applies them (listeners update
   * the broker's dynamic config and the partitions' log configs before this resolves).
   */
  alterConfigs<R>(
    resources: readonly R[],
    plan: (control: ConfigControl, resource: R) => ConfigRecord[],
    validateOnly: boolean,
  ): Promise<ConfigResourceResult[]> {
    const run = async (): Promise<ConfigResourceResult[]> => {
      const control = new ConfigControl(this.image, this.config, this.nodeId, (name) => this.deletingTopics.has(name));
      const records: ConfigRecord[] = [];
      const results = resources.map((resource) => {
        try {
          records.push(...plan(control, resource));
          return null;
        } catch (error) {
          if (error instanceof KafkaError) return error;
          throw error;
        }
      });
      if (!validateOnly && records.length > 0) await this.commit(records);
      return results;
    };
    const result = this.configChanges.then(run);
    this.configChanges = result.catch(() => undefined);
    return result;
  }

  /** Reserves `count` producer ids durably and returns the first (producer-id blocks, KIP-730). */
  async allocateProducerIds(count: number): Promise<number> {
    // Reserved before the first await so that concurrent callers get disjoint blocks.
    const first = Math.max(this.image.nextProducerId, this.reservedProducerIdEnd);
    this.reservedProducerIdEnd = first + count;
    await this.commit([{ type: 'ProducerIds', brokerId: this.nodeId, nextProducerId: first + count }]);
    return first;
  }
}
