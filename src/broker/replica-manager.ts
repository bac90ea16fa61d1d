/**
 * The partitions this broker hosts (Kafka's ReplicaManager): opens a log for every partition
 * in the metadata image at start-up (recovering them), follows metadata changes — new topics
 * and partitions get logs before the change completes, deleted topics have their logs closed
 * and their directories removed, config changes reach the logs — and closes every log cleanly
 * on shutdown.
 *
 * Directory layout: `<log.dirs>/<topic>-<partition>/` with Kafka's `partition.metadata`
 * (`version: 0`, `topic_id: <id>`). A deleted topic's directories are first renamed to
 * `<topic>-<partition>.<id>-delete` (atomic, so a crash leaves no half-deleted log that looks
 * live) and then removed; leftovers of either kind are removed at start-up.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '../logger.js';
import { TopicConfig } from '../config/topic-config.js';
import type { MetadataImage, TopicImage } from '../cluster/metadata-image.js';
import { ConfigResourceType, type MetadataRecord } from '../cluster/metadata-records.js';
import { PartitionLog } from '../storage/partition-log.js';
import type { LogConfig } from '../storage/log-config.js';
import type { Broker } from './broker.js';
import { Partition } from './partition.js';

const log = new Logger('replica-manager');
const PARTITION_DIR = /^(.+)-(\d+)$/;
const DELETED_DIR = /-delete$/;

/** The storage settings of a topic, from its resolved configuration. */
export function logConfigOf(config: TopicConfig): Partial<LogConfig> {
  const cleanupPolicy = config.list('cleanup.policy').filter((policy): policy is 'delete' | 'compact' => policy === 'delete' || policy === 'compact');
  return {
    segmentBytes: config.number('segment.bytes'),
    segmentMs: config.number('segment.ms'),
    segmentJitterMs: config.number('segment.jitter.ms'),
    segmentIndexBytes: config.number('segment.index.bytes'),
    indexIntervalBytes: config.number('index.interval.bytes'),
    flushMessages: Math.min(config.number('flush.messages'), Number.MAX_SAFE_INTEGER),
    flushMs: Math.min(config.number('flush.ms'), Number.MAX_SAFE_INTEGER),
    messageTimestampType: config.string('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    retentionMs: config.number('retention.ms'),
    retentionBytes: config.number('retention.bytes'),
    cleanupPolicy,
    fileDeleteDelayMs: Math.min(config.number('file.delete.delay.ms'), Number.MAX_SAFE_INTEGER),
    deleteRetentionMs: Math.min(config.number('delete.retention.ms'), Number.MAX_SAFE_INTEGER),
    minCompactionLagMs: Math.min(config.number('min.compaction.lag.ms'), Number.MAX_SAFE_INTEGER),
    maxCompactionLagMs: Math.min(config.number('max.compaction.lag.ms'), Number.MAX_SAFE_INTEGER),
    minCleanableDirtyRatio: config.number('min.cleanable.dirty.ratio'),
  };
}

/** Kafka's `partition.metadata`: which topic id a partition directory belongs to. */
function partitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}\n`;
}

export class ReplicaManager {
  /** topic name -> partition index -> partition. */
  private readonly partitions = new Map<string, Partition[]>();
  /** Metadata changes being applied (logs opening or going away): shutdown waits for them. */
  private readonly applying = new Set<Promise<void>>();
  private shuttingDown = false;

  constructor(private readonly broker: Broker) {}

  private get dataDir(): string {
    return this.broker.dataDir;
  }

  getPartition(topicName: string, partitionIndex: number): Partition | undefined {
    return this.partitions.get(topicName)?.[partitionIndex];
  }

  /** Every hosted partition, for operators and metrics. */
  allPartitions(): Partition[] {
    return [...this.partitions.values()].flatMap((partitions) => partitions.filter(Boolean));
  }

  async startup(): Promise<void> {
    const image = this.broker.controller.image;
    await this.removeLeftovers(image);
    const work: (() => Promise<void>)[] = [];
    for (const topic of image.topicsByName.values()) {
      for (const state of topic.partitions) work.push(() => this.openPartition(topic, state.partitionId));
    }
    const started = Date.now();
    // Recovery reads whole segments; a few at a time keeps memory and the disk queue reasonable.
    const concurrency = Math.max(1, this.broker.config.number('num.recovery.threads.per.data.dir')) * 4;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, work.length) }, async () => {
        while (next < work.length) await work[next++]!();
      }),
    );
    if (work.length > 0) log.info(`opened ${work.length} partition log(s) in ${Date.now() - started} ms`);
    this.broker.controller.subscribe((records, current) => this.apply(records, current));
  }

  /**
   * Stops following metadata, waits for the changes being applied (a CreateTopics in flight
   * still opening its logs), then closes every log.
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.allSettled(this.applying);
    const all = this.allPartitions();
    this.partitions.clear();
    await Promise.all(all.map((partition) => partition.log.close()));
  }

  private apply(records: readonly MetadataRecord[], image: MetadataImage): Promise<void> {
    if (this.shuttingDown) return Promise.resolve();
    const applying = this.onMetadata(records, image);
    this.applying.add(applying);
    const forget = () => this.applying.delete(applying);
    applying.then(forget, forget);
    return applying;
  }

  private async onMetadata(records: readonly MetadataRecord[], image: MetadataImage): Promise<void> {
    const opening: Promise<void>[] = [];
    const changedTopics = new Set<string>();
    let brokerConfigChanged = false;
    for (const record of records) {
      switch (record.type) {
        case 'Partition': {
          const topic = image.topicsById.get(record.topicId);
          if (topic && !this.getPartition(topic.name, record.partitionId)) opening.push(this.openPartition(topic, record.partitionId));
          break;
        }
        case 'RemoveTopic':
          opening.push(this.removeTopicLogs(record.topicId));
          break;
        case 'Config':
          if (record.resourceType === ConfigResourceType.TOPIC) changedTopics.add(record.resourceName);
          else brokerConfigChanged = true;
          break;
        default:
          break;
      }
    }
    await Promise.all(opening);
    // Config changes reach the logs: a topic's own overrides, or broker values every topic inherits.
    if (changedTopics.size === 0 && !brokerConfigChanged) return;
    for (const [name, partitions] of this.partitions) {
      const topic = image.topicsByName.get(name);
      if (!topic || (!brokerConfigChanged && !changedTopics.has(name))) continue;
      const config = new TopicConfig(topic.configs, this.broker.config);
      for (const partition of partitions) {
        if (!partition) continue;
        partition.updateState(topic.partitions[partition.partitionIndex]!, config);
        partition.log.updateConfig(logConfigOf(config));
      }
    }
  }

  private async openPartition(topic: TopicImage, partitionIndex: number): Promise<void> {
    const directory = join(this.dataDir, `${topic.name}-${partitionIndex}`);
    const config = new TopicConfig(topic.configs, this.broker.config);
    const partitionLog = await PartitionLog.open(directory, logConfigOf(config), {
      producerIdExpirationMs: this.broker.config.number('producer.id.expiration.ms'),
    });
    const metadataFile = join(directory, 'partition.metadata');
    if (!existsSync(metadataFile)) writeFileSync(metadataFile, partitionMetadata(topic.topicId));
    const partition = new Partition(topic.name, topic.topicId, partitionIndex, partitionLog, topic.partitions[partitionIndex]!, config);
    let list = this.partitions.get(topic.name);
    if (!list) {
      list = [];
      this.partitions.set(topic.name, list);
    }
    list[partitionIndex] = partition;
  }

  private async removeTopicLogs(topicId: string): Promise<void> {
    for (const [name, partitions] of this.partitions) {
      const first = partitions.find(Boolean);
      if (!first || first.topicId !== topicId) continue;
      this.partitions.delete(name);
      await Promise.all(
        partitions.filter(Boolean).map(async (partition) => {
          // The cleaner lets go of the log (and forgets its checkpoint) before it closes.
          await this.broker.logCleaner?.removeLog(partition.log);
          await partition.log.close();
          const doomed = `${partition.log.directory}.${topicId}-delete`;
          renameSync(partition.log.directory, doomed);
          await rm(doomed, { recursive: true, force: true });
        }),
      );
    }
  }

  /** Removes directories of deleted topics: renamed ones, and ones whose topic id is gone. */
  private async removeLeftovers(image: MetadataImage): Promise<void> {
    if (!existsSync(this.dataDir)) return;
    for (const entry of readdirSync(this.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(this.dataDir, entry.name);
      if (DELETED_DIR.test(entry.name)) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      const match = PARTITION_DIR.exec(entry.name);
      const metadataFile = join(path, 'partition.metadata');
      if (!match || !existsSync(metadataFile)) continue;
      const topicId = /topic_id:\s*(\S+)/.exec(readFileSync(metadataFile, 'utf8'))?.[1];
      const topic = image.topicsByName.get(match[1]!);
      if (!topic || (topicId !== undefined && topic.topicId !== topicId) || !topic.partitions[Number(match[2])]) {
        log.info(`removing the log of a deleted topic: ${entry.name}`);
        await rm(path, { recursive: true, force: true });
      } else if (topicId === undefined) {
        // A crash can leave the file empty (it is written without fsync): that says nothing
        // against the log, which is kept; the file is written again from the metadata.
        log.warn(`${metadataFile} names no topic id; writing it again for topic ${topic.name}`);
        writeFileSync(metadataFile, partitionMetadata(topic.topicId));
      }
    }
  }
}
