/**
 * Tidelog's own error classes, in one place. Kafka's error codes live in
 * protocol/error-codes.ts; these classes carry one of them where the protocol has one.
 */
import { ErrorCode } from './protocol/error-codes.js';

/** Bytes that do not follow the protocol grammar. The only error a decoder may raise. */
export class ProtocolDecodeError extends Error {
  override name = 'ProtocolDecodeError';
}

/**
 * A record batch, a record or a compressed records payload that cannot be accepted. It is a
 * ProtocolDecodeError (so a decoder still raises only that family) that also carries the Kafka
 * code to answer: CORRUPT_MESSAGE (CRC, lengths, undecodable compressed data), INVALID_RECORD
 * (structure Kafka's LogValidator rejects), UNSUPPORTED_COMPRESSION_TYPE, or MESSAGE_TOO_LARGE
 * (a batch, or its decompressed records, beyond a configured limit).
 */
export class CorruptRecordError extends ProtocolDecodeError {
  override name = 'CorruptRecordError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
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
