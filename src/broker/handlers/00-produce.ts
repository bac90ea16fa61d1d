/**
 * Produce (key 0), v3-11; v0-2 are advertised but refused (they carry magic 0/1 message sets,
 * which Kafka 4 removed; librdkafka needs min 0 in ApiVersions to enable compression,
 * KAFKA-18659). For each partition the batches are validated by their headers (magic, CRC,
 * counts, producer fields) and appended as sent — records are not decoded unless a topic
 * rule needs it (DESIGN.md §3). acks=0 gets no response, and a failed acks=0 produce closes
 * the connection, Kafka's only way to tell such a producer. acks=all on this single-replica
 * partition completes once the batch is written; min.insync.replicas larger than the
 * in-sync replicas answers NOT_ENOUGH_REPLICAS. Idempotent and transactional producers
 * (NOTES.md §5.2): the log checks epochs and sequences per partition, synchronously, so
 * pipelined requests see each other; each partition has its own outcome
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE), and a retried batch
 * answers NONE with the offsets of its first append. Leaves out: checking that a transactional
 * produce belongs to an ongoing transaction (KIP-890), and transactional-id ACLs.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { produce } from '../../protocol/messages/index.js';
import { INTERNAL_TOPICS } from '../../cluster/metadata-image.js';
import { defineHandler, NO_RESPONSE } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

export const produceHandler = defineHandler(produce, { min: 3, max: 11, advertisedMin: 0 }, async (request, context) => {
  const broker = context.broker;
  const acks = request.acks;
  const version = context.apiVersion;
  const responses = await Promise.all(
    request.topicData.map(async (topicData) => ({
      name: topicData.name,
      partitionResponses: await Promise.all(
        topicData.partitionData.map(async (partitionData) => {
          try {
            if (acks !== 0 && acks !== 1 && acks !== -1) throw new KafkaError(ErrorCode.INVALID_REQUIRED_ACKS, `Invalid acks ${acks}`);
            if (INTERNAL_TOPICS.has(topicData.name)) {
              throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topicData.name}`);
            }
            const partition = broker.replicaManager.getPartition(topicData.name, partitionData.index);
            if (!partition) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
            const records = partitionData.records;
            if (records === null || !Buffer.isBuffer(records) || records.length === 0) {
              throw new KafkaError(ErrorCode.INVALID_RECORD, 'Produce request has no record batch for this partition');
            }
            const result = await partition.appendRecordsFromClient(records, { acks, produceVersion: version });
            return {
              index: partitionData.index,
              errorCode: ErrorCode.NONE,
              baseOffset: result.baseOffset,
              logAppendTimeMs: result.logAppendTime,
              logStartOffset: result.logStartOffset,
              recordErrors: [],
              errorMessage: null,
            };
          } catch (error) {
            const { errorCode, errorMessage } = toErrorCode(error, `Produce to ${topicData.name}-${partitionData.index}`);
            return { index: partitionData.index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
          }
        }),
      ),
    })),
  );
  if (acks === 0) {
    if (responses.some((topic) => topic.partitionResponses.some((partition) => partition.errorCode !== ErrorCode.NONE))) {
      context.connection.close();
    }
    return NO_RESPONSE;
  }
  return { responses, throttleTimeMs: 0 };
});
