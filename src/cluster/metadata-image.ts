/**
 * The current state of the cluster, built only by applying metadata records in order. Every
 * reader (Metadata requests, the replica manager, DescribeConfigs) looks at this image.
 */
import { ConfigResourceType, type MetadataRecord } from './metadata-records.js';

export interface PartitionState {
  readonly partitionId: number;
  replicas: readonly number[];
  isr: readonly number[];
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: PartitionState[];
  readonly configs: Map<string, string>;
}

/** Names Kafka reserves for its internal topics. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export class MetadataImage {
  readonly topicsByName = new Map<string, TopicImage>();
  readonly topicsById = new Map<string, TopicImage>();
  /** Dynamic broker configs: key '' = cluster default, else the broker id. */
  readonly brokerConfigs = new Map<string, Map<string, string>>();
  /** Topic configs set before the topic exists are kept here and attached on creation. */
  private readonly pendingTopicConfigs = new Map<string, Map<string, string>>();
  nextProducerId = 0;
  /** How many records were applied (the metadata offset). */
  offset = 0;

  apply(record: MetadataRecord): void {
    this.offset++;
    switch (record.type) {
      case 'Topic': {
        const configs = this.pendingTopicConfigs.get(record.name) ?? new Map<string, string>();
        this.pendingTopicConfigs.delete(record.name);
        const topic: TopicImage = { name: record.name, topicId: record.topicId, partitions: [], configs };
        this.topicsByName.set(record.name, topic);
        this.topicsById.set(record.topicId, topic);
        break;
      }
      case 'Partition': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) throw new Error(`partition record for unknown topic id ${record.topicId}`);
        const state: PartitionState = {
          partitionId: record.partitionId,
          replicas: record.replicas,
          isr: record.isr,
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch,
        };
        topic.partitions[record.partitionId] = state;
        break;
      }
      case 'RemoveTopic': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) return;
        this.topicsById.delete(record.topicId);
        this.topicsByName.delete(topic.name);
        break;
      }
      case 'Config': {
        let target: Map<string, string>;
        if (record.resourceType === ConfigResourceType.TOPIC) {
          const topic = this.topicsByName.get(record.resourceName);
          if (topic) target = topic.configs;
          else {
            target = this.pendingTopicConfigs.get(record.resourceName) ?? new Map();
            this.pendingTopicConfigs.set(record.resourceName, target);
          }
        } else {
          target = this.brokerConfigs.get(record.resourceName) ?? new Map();
          this.brokerConfigs.set(record.resourceName, target);
        }
        if (record.value === null) target.delete(record.name);
        else target.set(record.name, record.value);
        break;
      }
      case 'ProducerIds':
        this.nextProducerId = Math.max(this.nextProducerId, record.nextProducerId);
        break;
    }
  }

  /** The records that rebuild this image from nothing (for compacting the metadata log). */
  snapshot(): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    for (const topic of this.topicsByName.values()) {
      records.push({ type: 'Topic', name: topic.name, topicId: topic.topicId });
      for (const partition of topic.partitions) {
        records.push({ type: 'Partition', topicId: topic.topicId, ...partition });
      }
      for (const [name, value] of topic.configs) {
        records.push({ type: 'Config', resourceType: ConfigResourceType.TOPIC, resourceName: topic.name, name, value });
      }
    }
    for (const [resourceName, configs] of this.brokerConfigs) {
      for (const [name, value] of configs) {
        records.push({ type: 'Config', resourceType: ConfigResourceType.BROKER, resourceName, name, value });
      }
    }
    if (this.nextProducerId > 0) records.push({ type: 'ProducerIds', brokerId: -1, nextProducerId: this.nextProducerId });
    return records;
  }
}
