/**
 * Turns an error raised while serving one part of a request (one topic, one partition) into
 * the code and message answered for that part. Our own KafkaErrors carry their code; anything
 * else is a bug, logged once and answered as UNKNOWN_SERVER_ERROR so the rest of the request
 * still gets its answers.
 */
import { CorruptRecordError, KafkaError } from '../errors.js';
import { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/error-codes.js';

const log = new Logger('handler');

export function toErrorCode(error: unknown, what: string): { errorCode: ErrorCode; errorMessage: string } {
  if (error instanceof KafkaError || error instanceof CorruptRecordError) return { errorCode: error.code, errorMessage: error.message };
  log.error(`unexpected error while handling ${what}`, error);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'Unexpected error, see the broker log' };
}
