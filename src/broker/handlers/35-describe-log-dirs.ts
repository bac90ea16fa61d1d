/**
 * DescribeLogDirs (key 35), v0-4, as Kafka's ReplicaManager.describeLogDirs answers it: each log
 * directory of this broker (Tidelog uses one: the first of log.dirs) with, per partition replica
 * in it, the bytes of its segments, the offset lag (the high watermark minus the log end offset,
 * at least 0: always 0 on a leader) and is_future false (no AlterReplicaLogDirs moves). A null
 * topic list means every partition; topics or partitions not hosted here are left out. v3+
 * carries a top-level error code; v4 adds the directory's total and usable bytes (statfs).
 */
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeLogDirs } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import type { Partition } from '../partition.js';

function diskSpace(directory: string): { totalBytes: number; usableBytes: number } {
  try {
    const stats = statfsSync(directory);
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1, usableBytes: -1 };
  }
}

export const describeLogDirsHandler = defineHandler(describeLogDirs, { min: 0, max: 4 }, (request, context) => {
  const replicaManager = context.broker.replicaManager;
  let partitions: Partition[];
  if (request.topics === null) {
    partitions = replicaManager.allPartitions();
  } else {
    partitions = [];
    for (const topic of request.topics) {
      for (const index of topic.partitions) {
        const partition = replicaManager.getPartition(topic.topic, index);
        if (partition) partitions.push(partition);
      }
    }
  }
  const byTopic = new Map<string, Partition[]>();
  for (const partition of partitions) {
    const list = byTopic.get(partition.topicName);
    if (list) {
      if (!list.includes(partition)) list.push(partition);
    } else byTopic.set(partition.topicName, [partition]);
  }
  const logDir = resolve(context.broker.dataDir);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    results: [
      {
        errorCode: ErrorCode.NONE,
        logDir,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list
            .sort((a, b) => a.partitionIndex - b.partitionIndex)
            .map((partition) => ({
              partitionIndex: partition.partitionIndex,
              partitionSize: partition.log.size,
              offsetLag: Math.max(partition.highWatermark - partition.logEndOffset, 0),
              isFutureKey: false,
            })),
        })),
        ...(context.apiVersion >= 4 ? diskSpace(logDir) : { totalBytes: -1, usableBytes: -1 }),
      },
    ],
  };
});
