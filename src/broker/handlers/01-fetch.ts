/**
 * Fetch (key 1), v4-17 (v4 is librdkafka's floor for record batch v2). Sessionless: every
 * fetch is a full fetch and the answer's session id is 0, which every client accepts (KIP-227:
 * "the broker may always answer 0"); a request naming a session gets FETCH_SESSION_ID_NOT_FOUND.
 * v13+ name topics by id. Per partition: whole batches from the fetch offset, up to
 * partition_max_bytes and the response-wide max_bytes, at least one whole batch for the first
 * partition with data (KIP-74), never past the high watermark (read_uncommitted) or the last
 * stable offset (read_committed, with the aborted transactions overlapping what was read, from
 * the segments' .txnindex). Fewer than min_bytes waits in purgatory up to max_wait_ms (for
 * read_committed, until enough bytes are stable).
 * Leaves out: follower fetches (replication) and rack-aware preferred read replicas.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { fetchApi } from '../../protocol/messages/index.js';
import type { RequestOf } from '../../protocol/api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { waitForFetchableBytes } from '../delayed-fetch.js';
import type { Partition } from '../partition.js';

type FetchRequest = RequestOf<typeof fetchApi>;

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

interface Target {
  readonly topicName: string;
  readonly topicId: string;
  readonly partitionIndex: number;
  readonly partition: Partition | undefined;
  readonly errorCode: ErrorCode;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly partitionMaxBytes: number;
}

function resolveTargets(request: FetchRequest, context: RequestContext): Target[][] {
  const broker = context.broker;
  const byId = context.apiVersion >= 13;
  return request.topics.map((topic) => {
    const image = byId ? broker.controller.image.topicsById.get(topic.topicId) : broker.controller.topic(topic.topic);
    return topic.partitions.map((requested) => {
      const partition = image ? broker.replicaManager.getPartition(image.name, requested.partition) : undefined;
      return {
        topicName: image?.name ?? topic.topic,
        topicId: image?.topicId ?? topic.topicId,
        partitionIndex: requested.partition,
        partition,
        errorCode: partition ? ErrorCode.NONE : byId && !image ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        fetchOffset: requested.fetchOffset,
        currentLeaderEpoch: requested.currentLeaderEpoch,
        partitionMaxBytes: requested.partitionMaxBytes,
      };
    });
  });
}

async function readAll(targets: Target[][], request: FetchRequest, context: RequestContext) {
  let remaining = context.apiVersion >= 3 ? request.maxBytes : Number.MAX_SAFE_INTEGER;
  let minOneBatch = true;
  let totalBytes = 0;
  let anyError = false;
  const responses = [];
  for (const topicTargets of targets) {
    const partitions = [];
    for (const target of topicTargets) {
      const base = { partitionIndex: target.partitionIndex, preferredReadReplica: -1 };
      if (!target.partition) {
        anyError = true;
        partitions.push({ ...base, errorCode: target.errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: [] });
        continue;
      }
      try {
        const result = await target.partition.read({
          fetchOffset: target.fetchOffset,
          maxBytes: Math.max(0, Math.min(target.partitionMaxBytes, remaining)),
          minOneBatch,
          isolationLevel: context.apiVersion >= 4 ? request.isolationLevel : 0,
          currentLeaderEpoch: target.currentLeaderEpoch,
        });
        if (result.sizeInBytes > 0) minOneBatch = false;
        remaining -= result.sizeInBytes;
        totalBytes += result.sizeInBytes;
        partitions.push({
          ...base,
          errorCode: ErrorCode.NONE,
          highWatermark: result.highWatermark,
          lastStableOffset: result.lastStableOffset,
          logStartOffset: result.logStartOffset,
          abortedTransactions: result.abortedTransactions,
          records: result.records,
        });
      } catch (error) {
        if (!(error instanceof KafkaError)) throw error;
        anyError = true;
        const partition = target.partition;
        partitions.push({
          ...base,
          errorCode: error.code,
          highWatermark: partition.highWatermark,
          lastStableOffset: partition.lastStableOffset,
          logStartOffset: partition.logStartOffset,
          abortedTransactions: null,
          records: [],
        });
      }
    }
    responses.push({ topic: topicTargets[0]?.topicName ?? '', topicId: topicTargets[0]?.topicId ?? ZERO_UUID, partitions });
  }
  return { responses, totalBytes, anyError };
}

export const fetchHandler = defineHandler(fetchApi, { min: 4, max: 17 }, async (request, context) => {
  if (context.apiVersion >= 7 && (request.sessionId !== 0 || request.sessionEpoch > 0)) {
    return {
      throttleTimeMs: 0,
      errorCode: request.sessionId !== 0 ? ErrorCode.FETCH_SESSION_ID_NOT_FOUND : ErrorCode.INVALID_FETCH_SESSION_EPOCH,
      sessionId: 0,
      responses: [],
    };
  }
  const targets = resolveTargets(request, context);
  let result = await readAll(targets, request, context);
  if (result.totalBytes < request.minBytes && request.maxWaitMs > 0 && !result.anyError) {
    const partitions = targets.flat().flatMap((target) => (target.partition ? [target.partition] : []));
    await waitForFetchableBytes({
      partitions,
      alreadyAvailableBytes: result.totalBytes,
      minBytes: request.minBytes,
      maxWaitMs: request.maxWaitMs,
      isolationLevel: context.apiVersion >= 4 ? request.isolationLevel : 0,
      isClosed: () => context.connection.closed,
    });
    result = await readAll(targets, request, context);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: result.responses, nodeEndpoints: [] };
});
