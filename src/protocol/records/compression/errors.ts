/**
 * The two ways decompression fails, as the errors the broker answers with. Native codecs throw
 * plain Errors; every codec turns them into one of these so callers see only CorruptRecordError.
 */
import { CorruptRecordError } from '../../../errors.js';
import { ErrorCode } from '../../error-codes.js';

/** Bytes that the codec cannot decode: CORRUPT_MESSAGE, like Kafka's CorruptRecordException. */
export function corruptCompressedData(codec: string, detail: string, cause?: unknown): CorruptRecordError {
  return new CorruptRecordError(ErrorCode.CORRUPT_MESSAGE, `${codec}: ${detail}`, { cause });
}

/**
 * Records that would inflate beyond the caller's limit (a zip bomb, or simply too much).
 * MESSAGE_TOO_LARGE rather than CORRUPT_MESSAGE: the bytes may be valid, and the Java producer
 * answers this code by splitting the batch and retrying, which is the useful reaction for an
 * honest client; CORRUPT_MESSAGE is retriable and would only repeat the same request.
 */
export function decompressedTooLarge(codec: string, maxBytes: number, detail = ''): CorruptRecordError {
  return new CorruptRecordError(
    ErrorCode.MESSAGE_TOO_LARGE,
    `${codec}: decompressed records exceed the limit of ${maxBytes} bytes${detail ? ` (${detail})` : ''}`,
  );
}

/** A limit must be a non-negative integer; a mistake here is a programming error, not bad input. */
export function checkMaxBytes(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
}

/** The message of whatever a native binding threw. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Joins decoded chunks; one chunk is returned as is (no copy). */
export function concatChunks(chunks: readonly Buffer[], totalBytes: number): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, totalBytes);
}
