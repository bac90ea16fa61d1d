/**
 * What a request handler is: one per API key (broker/handlers/NN-name.ts), registering the
 * versions it serves. ApiVersions is built from these registrations, so what the broker
 * advertises can never drift from what it implements.
 */
import type { Api } from '../protocol/api.js';
import type { RequestHeader } from '../protocol/header.js';
import type { ApiSpec, Message, MessageInput } from '../protocol/schema.js';
import type { Broker } from './broker.js';

/** Returned by a handler whose request gets no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  /** Set when the connection closes; long waits (fetch purgatory) stop early. */
  readonly closed: boolean;
  /** Closes the connection (a failed acks=0 produce has no other way to tell the client). */
  close(): void;
}

export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connection: ConnectionInfo;
  readonly broker: Broker;
  /**
   * Calls `release` once this request's response has been handed to the OS, or will never be
   * (the connection closed; at once if it already has): memory the response holds (a fetch's
   * record data, see fetch-memory-pool.ts) is given back then.
   */
  onResponseWritten(release: () => void): void;
}

type MaybePromise<T> = T | Promise<T>;

export interface HandlerRegistration<S extends ApiSpec = ApiSpec> {
  readonly api: Api<S>;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The minimum advertised in ApiVersions when it differs from what is served (Produce: 0, KAFKA-18659). */
  readonly advertisedMinVersion: number;
  /**
   * At most one request of this API is handled at a time per connection: the next one starts
   * once the previous answer has been handed to the OS (Fetch: an answer holds record data in
   * memory, so a client pipelining fetches it does not read could otherwise hold many).
   */
  readonly onePerConnection: boolean;
  handle(request: Message<S['request']>, context: RequestContext): MaybePromise<MessageInput<S['response']> | NoResponse>;
}

export function defineHandler<S extends ApiSpec>(
  api: Api<S>,
  versions: { min: number; max: number; advertisedMin?: number; onePerConnection?: boolean },
  handle: (request: Message<S['request']>, context: RequestContext) => MaybePromise<MessageInput<S['response']> | NoResponse>,
): HandlerRegistration<S> {
  if (versions.min < api.minVersion || versions.max > api.maxVersion) {
    throw new Error(`${api.name} handler serves v${versions.min}-${versions.max}, outside the declared v${api.minVersion}-${api.maxVersion}`);
  }
  return { api, minVersion: versions.min, maxVersion: versions.max, advertisedMinVersion: versions.advertisedMin ?? versions.min, onePerConnection: versions.onePerConnection ?? false, handle };
}
