/**
 * Tidelog's own error classes, in one place. Kafka's error codes live in
 * protocol/error-codes.ts; these classes carry one of them where the protocol has one.
 */
import { ErrorCode } from './protocol/error-codes.js';

/** Bytes that do not follow the protocol grammar. The only error a decoder may raise. */
export class ProtocolDecodeError extends Error {
  override name = 'ProtocolDecodeError';
}

/** An error with a Kafka error code, to be answered to the client in the code's field. */
export class KafkaError extends Error {
  override name = 'KafkaError';
  constructor(readonly code: ErrorCode, message?: string) {
    super(message ?? ErrorCode[code] ?? `error ${code}`);
  }
}

/** A configuration value or name that is not valid; answered as INVALID_CONFIG where a request caused it. */
export class ConfigError extends KafkaError {
  override name = 'ConfigError';
  constructor(message: string) {
    super(ErrorCode.INVALID_CONFIG, message);
  }
}
