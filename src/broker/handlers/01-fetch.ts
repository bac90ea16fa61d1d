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
 * Memory: each partition's read is reserved from the broker's FetchMemoryPool first and what
 * the answer keeps alive stays counted until it has been handed to the OS; with the pool empty
 * only the one batch KIP-74 guarantees is read, and a fetch whose connection closed reads no
 * more. One fetch at a time per connection (onePerConnection).
 * Leaves out: follower fetches (replication) and rack-aware preferred read replicas.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { fetchApi } from '../../protocol/messages/index.js';
import type { RequestOf } from '../../protocol/api.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { waitForFetchableBytes } from '../delayed-fetch.js';
import type { Partition } from '../partition.js';
import type { FetchMemoryPool } from '../fetch-memory-pool.js';
import { ReadBuffers } from '../../storage/read-buffer-pool.js';

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

/**
 * Reads every target. What the answer keeps alive (heldBytes) is held in `pool` when this
 * returns; the caller releases it once the answer no longer needs it (written, or replaced).
 * That is the memory behind the record slices, each buffer counted once: a read from a file
 * allocates a little more than it returns, and a slice of the log's in-memory tail keeps the
 * whole produce request it came from alive.
 */
async function readAll(targets: Target[][], request: FetchRequest, isolationLevel: number, context: RequestContext, pool: FetchMemoryPool) {
  let remaining = context.apiVersion >= 3 ? request.maxBytes : Number.MAX_SAFE_INTEGER;
  let minOneBatch = true;
  let totalBytes = 0;
  let heldBytes = 0;
  const heldStores = new Set<ArrayBufferLike>();
  // File reads go into reused buffers (read-buffer-pool.ts), given back with the answer's bytes.
  const buffers = new ReadBuffers();
  let anyError = false;
  const responses = [];
  for (const topicTargets of targets) {
    const partitions = [];
    for (const target of topicTargets) {
      // Nobody will read this answer: read nothing more for it.
      if (context.connection.closed) break;
      if (!target.partition) {
        anyError = true;
        partitions.push({ partitionIndex: target.partitionIndex, preferredReadReplica: -1, errorCode: target.errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: [] });
        continue;
      }
      const granted = pool.reserve(Math.max(0, Math.min(target.partitionMaxBytes, remaining)));
      try {
        let result;
        try {
          result = await target.partition.read({
            fetchOffset: target.fetchOffset,
            maxBytes: granted,
            minOneBatch,
            isolationLevel,
            currentLeaderEpoch: target.currentLeaderEpoch,
            buffers,
          });
        } finally {
          pool.release(granted);
        }
        // Held until the caller releases it; may pass the reservation by the one batch KIP-74
        // guarantees, or by the rest of the buffer a slice keeps alive.
        let stored = 0;
        for (const slice of result.records) {
          if (heldStores.has(slice.buffer)) continue;
          heldStores.add(slice.buffer);
          stored += slice.buffer.byteLength;
        }
        pool.take(stored);
        heldBytes += stored;
        if (result.sizeInBytes > 0) minOneBatch = false;
        remaining -= result.sizeInBytes;
        totalBytes += result.sizeInBytes;
        // Properties written out, not spread from a shared object: V8 builds a spread copy in
        // dictionary mode here, measured at ~1.6 KB of garbage per partition answered.
        partitions.push({
          partitionIndex: target.partitionIndex,
          preferredReadReplica: -1,
          errorCode: ErrorCode.NONE,
          highWatermark: result.highWatermark,
          lastStableOffset: result.lastStableOffset,
          logStartOffset: result.logStartOffset,
          abortedTransactions: result.abortedTransactions,
          records: result.records,
        });
      } catch (error) {
        if (!(error instanceof KafkaError)) {
          pool.release(heldBytes);
          buffers.release();
          throw error;
        }
        anyError = true;
        const partition = target.partition;
        partitions.push({
          partitionIndex: target.partitionIndex,
          preferredReadReplica: -1,
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
  return { responses, totalBytes, heldBytes, buffers, anyError };
}

export const fetchHandler = defineHandler(fetchApi, { min: 4, max: 17, onePerConnection: true }, async (request, context) => {
  if (context.apiVersion >= 7 && (request.sessionId !== 0 || request.sessionEpoch > 0)) {
    return {
      throttleTimeMs: 0,
      errorCode: request.sessionId !== 0 ? ErrorCode.FETCH_SESSION_ID_NOT_FOUND : ErrorCode.INVALID_FETCH_SESSION_EPOCH,
      sessionId: 0,
      responses: [],
    };
  }
  const targets = resolveTargets(request, context);
  const pool = context.broker.fetchMemory;
  const isolationLevel = context.apiVersion >= 4 ? request.isolationLevel : 0;
  const mayWait = request.maxWaitMs > 0 && request.minBytes > 0;
  // A consumer at the end of every partition it reads (the usual long poll) waits without a
  // first read that would find nothing.
  const caughtUp = mayWait && targets.every((topic) => topic.every((target) => target.partition?.isCaughtUp(target.fetchOffset, isolationLevel, target.currentLeaderEpoch) === true));
  let result = caughtUp ? null : await readAll(targets, request, isolationLevel, context, pool);
  if (result === null || (mayWait && result.totalBytes < request.minBytes && !result.anyError)) {
    const partitions = targets.flat().flatMap((target) => (target.partition ? [target.partition] : []));
    try {
      await waitForFetchableBytes({
        partitions,
        alreadyAvailableBytes: result?.totalBytes ?? 0,
        minBytes: request.minBytes,
        maxWaitMs: request.maxWaitMs,
        isolationLevel,
        isClosed: () => context.connection.closed,
      });
    } finally {
      // The first answer is replaced by the second read.
      if (result !== null) {
        pool.release(result.heldBytes);
        result.buffers.release();
      }
    }
    result = await readAll(targets, request, isolationLevel, context, pool);
  }
  const heldBytes = result.heldBytes;
  const buffers = result.buffers;
  context.onResponseWritten(() => {
    pool.release(heldBytes);
    buffers.release();
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: result.responses, nodeEndpoints: [] };
});
