/**
 * Errors raised by storage, each carrying the Kafka error code the broker answers with.
 * (Candidates to move into src/errors.ts, which storage does not own.)
 */
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** A fetch or truncation offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends KafkaError {
  override name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
    what = 'Fetch offset',
  ) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, `${what} ${offset} is outside the log's range [${logStartOffset}, ${logEndOffset}]`);
  }
}

/**
 * The disk failed under the log (a write, fdatasync, truncate or open failed), or the log is
 * closed. Kafka answers KAFKA_STORAGE_ERROR and takes the log directory offline.
 */
export class KafkaStorageError extends KafkaError {
  override name = 'KafkaStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Bytes handed to append() that are not whole record batches v2 (the broker validates first). */
export class InvalidRecordBatchError extends KafkaError {
  override name = 'InvalidRecordBatchError';
  constructor(message: string) {
    super(ErrorCode.CORRUPT_MESSAGE, message);
  }
}
