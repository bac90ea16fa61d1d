/**
 * Kafka's topic-name rules (org.apache.kafka.common.internals.Topic): ASCII alphanumerics, '.',
 * '_' and '-', at most 249 characters, not '.' or '..'. Names that differ only by '.' versus
 * '_' collide because metric names cannot tell them apart.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { KafkaError } from '../errors.js';

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

export function validateTopicName(name: string): void {
  if (name.length === 0) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name cannot be "." or ".."');
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`,
    );
  }
  if (!LEGAL.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}

/** The name with '.' replaced by '_', under which two topics collide. */
export function unifyCollisionChars(name: string): string {
  return name.replaceAll('.', '_');
}
