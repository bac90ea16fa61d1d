/**
 * The client's errors. Every failure a caller can act on is a KafkaError carrying Kafka's code:
 * the broker's answer as it came, or, for what happens on our side of the socket, the code a
 * Kafka client reports for it (NETWORK_EXCEPTION, REQUEST_TIMED_OUT, UNSUPPORTED_VERSION).
 */
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** The connection could not be opened, or closed under a request (Kafka's NetworkException). */
export class ConnectionError extends KafkaError {
  override name = 'ConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.NETWORK_EXCEPTION, message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** No answer within the request timeout; the connection is closed, as Kafka's clients do. */
export class RequestTimeoutError extends KafkaError {
  override name = 'RequestTimeoutError';
  constructor(message: string) {
    super(ErrorCode.REQUEST_TIMED_OUT, message);
  }
}

/** An error code from the broker, with where it came from ("topic 'orders' partition 2"). */
export function brokerError(code: number, context: string, brokerMessage?: string | null): KafkaError {
  const name = ErrorCode[code] ?? `error ${code}`;
  const detail = brokerMessage ? `: ${brokerMessage}` : '';
  return new KafkaError(code, `${name} (${context})${detail}`);
}

/** brokerError for a code other than NONE; null for NONE. */
export function errorOrNull(code: number, context: string, brokerMessage?: string | null): KafkaError | null {
  return code === ErrorCode.NONE ? null : brokerError(code, context, brokerMessage);
}

/** Errors after which the same request may succeed once metadata or the coordinator is looked up again. */
const RETRIABLE = new Set<number>([
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.REPLICA_NOT_AVAILABLE,
]);

export function isRetriableCode(code: number): boolean {
  return RETRIABLE.has(code);
}

export function isRetriable(error: unknown): boolean {
  return error instanceof KafkaError && RETRIABLE.has(error.code);
}

/** Errors that mean the cached coordinator of a group is no longer right. */
export function isCoordinatorError(error: unknown): boolean {
  return (
    error instanceof KafkaError &&
    (error.code === ErrorCode.NOT_COORDINATOR || error.code === ErrorCode.COORDINATOR_NOT_AVAILABLE || error.code === ErrorCode.NETWORK_EXCEPTION)
  );
}
