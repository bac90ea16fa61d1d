/**
 * The records that describe the cluster, named after KRaft's metadata records
 * (TopicRecord, PartitionRecord, ConfigRecord, RemoveTopicRecord, ProducerIdsRecord …).
 * Every change to the cluster is one or more of these, appended to the metadata log and then
 * applied to the image; replaying the log rebuilds the image after a restart.
 */

/** ConfigResource types as DescribeConfigs/AlterConfigs number them. */
export enum ConfigResourceType {
  TOPIC = 2,
  BROKER = 4,
}

export interface TopicRecord {
  readonly type: 'Topic';
  readonly name: string;
  readonly topicId: string;
}

export interface PartitionRecord {
  readonly type: 'Partition';
  readonly topicId: string;
  readonly partitionId: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface RemoveTopicRecord {
  readonly type: 'RemoveTopic';
  readonly topicId: string;
}

export interface ConfigRecord {
  readonly type: 'Config';
  readonly resourceType: ConfigResourceType;
  /** Topic name, or broker id as a string ('' for the cluster-wide broker default). */
  readonly resourceName: string;
  readonly name: string;
  /** null removes the override. */
  readonly value: string | null;
}

/** The next producer id not yet handed out (producer-id blocks survive restarts). */
export interface ProducerIdsRecord {
  readonly type: 'ProducerIds';
  readonly brokerId: number;
  readonly nextProducerId: number;
}

export type MetadataRecord = TopicRecord | PartitionRecord | RemoveTopicRecord | ConfigRecord | ProducerIdsRecord;
