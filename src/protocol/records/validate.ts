/**
 * Structural validation of the records of one partition before they are appended: the hot path
 * of a produce request (DESIGN.md §3). It reads batch headers only — one CRC-32C call per batch,
 * no per-record work, no decompression — and returns header views plus what the log needs to
 * append them (counts, timestamps, producer fields).
 *
 * The rules and their error codes are Kafka's (ProduceRequest.validateRecords,
 * UnifiedLog.analyzeAndValidateRecords, LogValidator.validateBatch; NOTES.md §2.4, §3.4), in
 * the order Kafka applies them:
 *
 *   rule                                                        code                           origins
 *   fewer bytes than a batch header, or than batchLength says   CORRUPT_MESSAGE                all
 *   magic is not 2                                              INVALID_RECORD                 all
 *   more than one batch (Produce v3+)                           INVALID_RECORD                 client
 *   batch larger than max.message.bytes                         MESSAGE_TOO_LARGE              client, coordinator
 *   CRC-32C mismatch                                            CORRUPT_MESSAGE                all
 *   codec 5-7                                                   UNSUPPORTED_COMPRESSION_TYPE   all
 *   zstd in a Produce request below v7                          UNSUPPORTED_COMPRESSION_TYPE   client
 *   recordsCount <= 0 or lastOffsetDelta + 1 != recordsCount    INVALID_RECORD                 client
 *   control batch                                               INVALID_RECORD                 client
 *   producerId >= 0 with baseSequence < 0                       INVALID_RECORD                 client
 * LogValidator.validateBatch applies the last three to AppendOrigin.CLIENT only: the
 * coordinator writes markers (producerId set, baseSequence -1), and replicated batches are the
 * leader's log, where compaction leaves empty batches and offset gaps.
 *
 * Two checks of our own, both INVALID_RECORD: a transactional client batch without a producer
 * id (no marker could ever close it; no client writes one), and an uncompressed batch whose
 * count cannot fit in its bytes (records take at least 7 bytes each), which keeps a hostile count
 * away from every later reader.
 *
 * Not checked here because they need the topic's config or the records themselves: compacted
 * topics refuse null keys, timestamps outside log.message.timestamp.*.max.ms, and a producer
 * setting the LogAppendTime bit on a LogAppendTime topic (INVALID_TIMESTAMP in Kafka).
 *
 * Magic 0/1: Kafka 4 dropped the legacy message formats (KIP-724) and serves Produce v3+ only,
 * whose ProduceRequest.validateRecords answers any batch that is not magic 2 with
 * InvalidRecordException, i.e. INVALID_RECORD. UNSUPPORTED_FOR_MESSAGE_FORMAT is the answer
 * for a *feature* the topic's older message format cannot carry, not for old batches, so it
 * does not apply. Since v0/v1 message sets have their magic at the same byte 16, they are
 * recognised before their (different) length rules are applied.
 *
 * A partial batch at the end is refused (CORRUPT_MESSAGE) where Java's batch iterator would
 * quietly drop it: we append the client's bytes unchanged, so they must be whole batches.
 */
import { CorruptRecordError } from '../../errors.js';
import { ErrorCode } from '../error-codes.js';
import {
  BATCH_LENGTH_OFFSET,
  CompressionType,
  CRC_OFFSET,
  CURRENT_MAGIC,
  HEADER_SIZE_UP_TO_MAGIC,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
} from './batch-header.js';
import { isKnownCompressionType } from './compression/index.js';
import { computeBatchCrc } from './crc32c.js';
import { MIN_RECORD_SIZE } from './records.js';

/**
 * Who is appending (Kafka's AppendOrigin): a Produce request, the broker's own coordinators
 * (transaction markers, group and transaction state), or a follower copying the leader.
 */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

export interface ValidateRecordsOptions {
  /** Default 'client' (a Produce request). */
  origin?: AppendOrigin;
  /** The Produce request version, for the zstd rule (zstd needs v7). Omitted = latest. */
  produceVersion?: number;
  /** The topic's max.message.bytes; a larger batch is MESSAGE_TOO_LARGE. Omitted = no limit. */
  maxBatchBytes?: number;
}

export interface RecordsSummary {
  /** One view per batch, over the caller's buffer (patch baseOffset etc. through them). */
  batches: RecordBatchHeader[];
  sizeInBytes: number;
  /** Sum of the batches' recordsCount. */
  recordCount: number;
  /** Sum of lastOffsetDelta + 1: the offsets the batches take (equal to recordCount for clients). */
  offsetCount: number;
  /** baseTimestamp of the first batch. */
  firstTimestamp: number;
  /** The largest batch maxTimestamp, and the index of the first batch that carries it. */
  maxTimestamp: number;
  maxTimestampBatchIndex: number;
  /** Producer fields of the first batch; a Produce request carries one batch. */
  producerId: number;
  producerEpoch: number;
  firstSequence: number;
  /** lastSequence of the last batch (-1 without sequences). */
  lastSequence: number;
  /** Whether any batch is transactional / a control batch. */
  isTransactional: boolean;
  hasControlBatch: boolean;
  /** The codec of the last batch (Kafka's sourceCompression). */
  compressionType: CompressionType;
}

/** The first Produce version that may carry zstd (KIP-110). */
export const ZSTD_MIN_PRODUCE_VERSION = 7;

function fail(code: ErrorCode, message: string): never {
  throw new CorruptRecordError(code, message);
}

/**
 * Validates `records` (the records field of one partition) and summarises it. Throws
 * CorruptRecordError carrying the Kafka error code for the partition's answer.
 */
export function validateRecords(records: Buffer, options: ValidateRecordsOptions = {}): RecordsSummary {
  const origin = options.origin ?? 'client';
  const fromClient = origin === 'client';
  const checkSize = origin !== 'replication';
  const maxBatchBytes = options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
  const zstdAllowed = !fromClient || options.produceVersion === undefined || options.produceVersion >= ZSTD_MIN_PRODUCE_VERSION;

  if (records.length === 0) fail(ErrorCode.INVALID_RECORD, 'no record batch');

  const batches: RecordBatchHeader[] = [];
  let recordCount = 0;
  let offsetCount = 0;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  let maxTimestampBatchIndex = 0;
  let isTransactional = false;
  let hasControlBatch = false;
  let position = 0;

  while (position < records.length) {
    const remaining = records.length - position;
    const index = batches.length;
    if (remaining < HEADER_SIZE_UP_TO_MAGIC) {
      fail(ErrorCode.CORRUPT_MESSAGE, `batch ${index}: ${remaining} trailing bytes are not a record batch`);
    }
    const magic = records.readInt8(position + MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC) {
      fail(
        ErrorCode.INVALID_RECORD,
        magic === 0 || magic === 1
          ? `batch ${index}: magic ${magic} (legacy message format) is not supported; only record batches v2 are accepted`
          : `batch ${index}: unknown magic ${magic}`,
      );
    }
    if (fromClient && index > 0) {
      fail(ErrorCode.INVALID_RECORD, 'Produce requests v3+ may contain exactly one record batch per partition');
    }
    if (remaining < RECORD_BATCH_OVERHEAD) {
      fail(ErrorCode.CORRUPT_MESSAGE, `batch ${index}: ${remaining} bytes are shorter than a record batch header`);
    }
    const batchLength = records.readInt32BE(position + BATCH_LENGTH_OFFSET);
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      fail(ErrorCode.CORRUPT_MESSAGE, `batch ${index}: batchLength ${batchLength} is smaller than its header`);
    }
    const sizeInBytes = batchLength + LOG_OVERHEAD;
    if (sizeInBytes > remaining) {
      fail(ErrorCode.CORRUPT_MESSAGE, `batch ${index}: batchLength ${batchLength} runs past the ${remaining - LOG_OVERHEAD} bytes left`);
    }
    if (checkSize && sizeInBytes > maxBatchBytes) {
      fail(ErrorCode.MESSAGE_TOO_LARGE, `batch ${index}: ${sizeInBytes} bytes exceed max.message.bytes ${maxBatchBytes}`);
    }
    const storedCrc = records.readUInt32BE(position + CRC_OFFSET);
    const computedCrc = computeBatchCrc(records, position);
    if (storedCrc !== computedCrc) {
      fail(ErrorCode.CORRUPT_MESSAGE, `batch ${index}: record batch is corrupt (stored crc = ${storedCrc}, computed crc = ${computedCrc})`);
    }

    const header = new RecordBatchHeader(records, position);
    const codec = header.compressionType;
    if (!isKnownCompressionType(codec)) fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `batch ${index}: unknown compression codec ${codec}`);
    if (codec === CompressionType.ZSTD && !zstdAllowed) {
      fail(
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        `batch ${index}: zstd needs Produce v${ZSTD_MIN_PRODUCE_VERSION}+, the request is v${options.produceVersion}`,
      );
    }
    const isControl = header.isControl;
    const count = header.recordsCount;
    const lastOffsetDelta = header.lastOffsetDelta;
    if (fromClient) {
      if (count <= 0 || lastOffsetDelta + 1 !== count) {
        fail(ErrorCode.INVALID_RECORD, `batch ${index}: recordsCount ${count} does not match lastOffsetDelta ${lastOffsetDelta}`);
      }
      if (isControl) fail(ErrorCode.INVALID_RECORD, `batch ${index}: clients are not allowed to write control records`);
      if (header.producerId >= 0 && header.baseSequence < 0) {
        fail(ErrorCode.INVALID_RECORD, `batch ${index}: producerId ${header.producerId} with baseSequence ${header.baseSequence}`);
      }
      if (header.isTransactional && header.producerId < 0) {
        fail(ErrorCode.INVALID_RECORD, `batch ${index}: transactional batch without a producerId`);
      }
    } else if (count < 0 || lastOffsetDelta < 0) {
      fail(ErrorCode.CORRUPT_MESSAGE, `batch ${index}: recordsCount ${count}, lastOffsetDelta ${lastOffsetDelta}`);
    }
    if (codec === CompressionType.NONE && count * MIN_RECORD_SIZE > sizeInBytes - RECORD_BATCH_OVERHEAD) {
      fail(ErrorCode.INVALID_RECORD, `batch ${index}: ${count} records cannot fit in ${sizeInBytes - RECORD_BATCH_OVERHEAD} bytes`);
    }

    const batchMaxTimestamp = header.maxTimestamp;
    if (batchMaxTimestamp > maxTimestamp) {
      maxTimestamp = batchMaxTimestamp;
      maxTimestampBatchIndex = index;
    }
    recordCount += count;
    offsetCount += lastOffsetDelta + 1;
    isTransactional ||= header.isTransactional;
    hasControlBatch ||= isControl;
    batches.push(header);
    position += sizeInBytes;
  }

  const first = batches[0]!;
  const last = batches[batches.length - 1]!;
  return {
    batches,
    sizeInBytes: records.length,
    recordCount,
    offsetCount,
    firstTimestamp: first.baseTimestamp,
    maxTimestamp,
    maxTimestampBatchIndex,
    producerId: first.producerId,
    producerEpoch: first.producerEpoch,
    firstSequence: first.baseSequence,
    lastSequence: last.lastSequence,
    isTransactional,
    hasControlBatch,
    compressionType: last.compressionType,
  };
}
