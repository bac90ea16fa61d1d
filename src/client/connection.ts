/**
 * One TCP connection from the client to one broker.
 *
 * Framing is Kafka's: every request and response is an int32 size followed by that many bytes.
 * Requests are pipelined: each gets the next correlation id and is written at once; a broker
 * answers the requests of one connection in the order they were sent, so responses are matched
 * against the oldest request in flight, and a response with any other correlation id means the
 * stream is lost (the connection is closed and every request in flight fails).
 *
 * On connect the versions are negotiated (KIP-511): ApiVersions v3 first; a broker that does not
 * serve v3 answers UNSUPPORTED_VERSION in a v0 body that lists the ApiVersions versions it does
 * serve, and the request is repeated at the highest of those. For every other API the connection
 * then sends the highest version that both the broker and our declarations support.
 *
 * A request that gets no answer within its timeout fails with REQUEST_TIMED_OUT and closes the
 * connection (the answers still owed on it would arrive out of step), as Kafka's clients do.
 */
import { connect as connectSocket, type Socket } from 'node:net';
import type { Api } from '../protocol/api.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { readResponseHeader } from '../protocol/header.js';
import { writeRequestFrame } from '../protocol/request-frame.js';
import { apiVersions } from '../protocol/messages/index.js';
import { Reader } from '../protocol/reader.js';
import type { ApiSpec, Message, MessageInput } from '../protocol/schema.js';
import { brokerError, ConnectionError, RequestTimeoutError } from './errors.js';
import { KafkaError } from '../errors.js';

export const CLIENT_SOFTWARE_NAME = 'tidelog-client';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';
/** The ApiVersions version asked first (v3: flexible, carries the client's software name). */
const FIRST_API_VERSIONS_VERSION = 3;

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Sent in every request header; brokers log it and quotas use it. */
  readonly clientId?: string;
  /** Time allowed to open the socket and negotiate versions. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Default time allowed for an answer (Kafka's request.timeout.ms). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Largest response accepted; a larger size prefix means the stream is not Kafka. Default 100 MiB. */
  readonly maxResponseBytes?: number;
}

export interface RequestOptions {
  /** Overrides the connection's request timeout for this request. */
  readonly timeoutMs?: number;
}

export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** What version negotiation needs to know of an API. */
export type ApiIdentity = Pick<Api, 'apiKey' | 'name' | 'minVersion' | 'maxVersion'>;

interface InFlight {
  readonly correlationId: number;
  readonly api: Api;
  readonly version: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Collects socket chunks and cuts them into frames without copying when a frame sits in one chunk. */
class FrameReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private frameSize = -1;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame, or null until more bytes arrive. */
  next(): Buffer | null {
    if (this.frameSize < 0) {
      if (this.buffered < 4) return null;
      const size = this.take(4).readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new ConnectionError(`response size ${size} is out of range (max ${this.maxFrameBytes} bytes)`);
      }
      this.frameSize = size;
    }
    if (this.buffered < this.frameSize) return null;
    const frame = this.take(this.frameSize);
    this.frameSize = -1;
    return frame;
  }

  private take(bytes: number): Buffer {
    this.buffered -= bytes;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= bytes) {
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, bytes - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly frames: FrameReader;
  private readonly inFlight: InFlight[] = [];
  private nextCorrelationId = 0;
  /** The broker's version range per API key, from ApiVersions. */
  private brokerVersions = new Map<number, VersionRange>();
  /** Set by close(): no new requests; the promise settles once the socket is closed. */
  private closing: Promise<void> | null = null;
  /** Called once the last request in flight is answered, while closing. */
  private drained: (() => void) | null = null;
  private failure: Error | null = null;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    options: ConnectionOptions,
  ) {
    this.host = options.host;
    this.port = options.port;
    this.clientId = options.clientId ?? CLIENT_SOFTWARE_NAME;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.frames = new FrameReader(options.maxResponseBytes ?? 100 * 1024 * 1024);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new ConnectionError(`connection to ${this.address} failed: ${error.message}`, { cause: error })));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.fail(new ConnectionError(`connection to ${this.address} closed`));
        resolve();
      }),
    );
  }

  /** Opens a connection and negotiates API versions with the broker. */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const address = `${options.host}:${options.port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const socket = connectSocket({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`could not connect to ${address} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectionError(`could not connect to ${address}: ${error.code ?? error.message}`, { cause: error }));
      });
    });
    const connection = new Connection(socket, options);
    try {
      await connection.negotiateVersions(timeoutMs);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** False once the connection failed or was closed; a closed connection is not reused. */
  get isOpen(): boolean {
    return this.failure === null && this.closing === null;
  }

  /** The broker's advertised range for an API key, or undefined when it does not serve it. */
  brokerVersionRange(apiKey: number): VersionRange | undefined {
    return this.brokerVersions.get(apiKey);
  }

  /** Whether some version of the API is served by the broker and declared by us. */
  supports(api: ApiIdentity): boolean {
    return this.highestCommonVersion(api) !== undefined;
  }

  /** The version sent for an API: the highest both sides support. */
  versionFor(api: ApiIdentity): number {
    const version = this.highestCommonVersion(api);
    if (version === undefined) {
      const range = this.brokerVersions.get(api.apiKey);
      const served = range ? `v${range.minVersion}-${range.maxVersion}` : 'no version';
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${api.name}: broker ${this.address} serves ${served}, this client v${api.minVersion}-${api.maxVersion}`);
    }
    return version;
  }

  private highestCommonVersion(api: ApiIdentity): number | undefined {
    const range = this.brokerVersions.get(api.apiKey);
    if (!range) return undefined;
    const highest = Math.min(range.maxVersion, api.maxVersion);
    return highest >= Math.max(range.minVersion, api.minVersion) ? highest : undefined;
  }

  /**
   * Sends a request at the negotiated version (see versionFor) and resolves to its decoded
   * answer. An API that no version of both sides covers rejects with UNSUPPORTED_VERSION, unsent.
   */
  async send<S extends ApiSpec>(api: Api<S>, body: MessageInput<S['request']>, options: RequestOptions = {}): Promise<Message<S['response']>> {
    return this.sendAt(api, this.versionFor(api), body, options.timeoutMs ?? this.requestTimeoutMs);
  }

  private sendAt<S extends ApiSpec>(api: Api<S>, version: number, body: MessageInput<S['request']>, timeoutMs: number): Promise<Message<S['response']>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new ConnectionError(`connection to ${this.address} is closed`));
    const { correlationId, chunks } = this.encode(api, version, body);
    return new Promise<Message<S['response']>>((resolve, reject) => {
      const request: InFlight = {
        correlationId,
        api: api as unknown as Api,
        version,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer: undefined,
      };
      request.timer = setTimeout(() => {
        const error = new RequestTimeoutError(`${api.name} v${version} to ${this.address}: no answer within ${timeoutMs} ms`);
        this.fail(error);
      }, timeoutMs);
      this.inFlight.push(request);
      // One writev for the header and body chunks.
      this.socket.cork();
      for (const chunk of chunks) this.socket.write(chunk);
      this.socket.uncork();
    });
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0) at the negotiated version.
   * No answer is awaited, so nothing is matched against it; resolves once the bytes are handed
   * to the operating system, rejects if the connection fails first.
   */
  sendWithoutResponse<S extends ApiSpec>(api: Api<S>, body: MessageInput<S['request']>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new ConnectionError(`connection to ${this.address} is closed`));
    let version: number;
    try {
      version = this.versionFor(api);
    } catch (error) {
      return Promise.reject(error);
    }
    const { chunks } = this.encode(api, version, body);
    return new Promise<void>((resolve, reject) => {
      this.socket.cork();
      for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]!);
      this.socket.write(chunks[chunks.length - 1]!, (error) => (error ? reject(this.failure ?? new ConnectionError(`connection to ${this.address} failed: ${error.message}`, { cause: error })) : resolve()));
      this.socket.uncork();
    });
  }

  /** A request as it goes on the wire (size, header, body), under the next correlation id. */
  private encode<S extends ApiSpec>(api: Api<S>, version: number, body: MessageInput<S['request']>): { correlationId: number; chunks: Buffer[] } {
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0;
    return { correlationId, chunks: writeRequestFrame(api, version, { correlationId, clientId: this.clientId }, body).finish() };
  }

  private async negotiateVersions(timeoutMs: number): Promise<void> {
    // The broker's ApiVersions range is unknown until it answers, so the first request goes out
    // at a fixed version; an UNSUPPORTED_VERSION answer is a v0 body naming the versions served.
    let version = Math.min(FIRST_API_VERSIONS_VERSION, apiVersions.maxVersion);
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await this.sendAt(apiVersions, version, { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, timeoutMs);
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION && attempt === 0) {
        const served = response.apiKeys.find((key) => key.apiKey === apiVersions.apiKey);
        const retry = served ? Math.min(served.maxVersion, apiVersions.maxVersion) : 0;
        if (retry < version && retry >= 0) {
          version = retry;
          continue;
        }
      }
      if (response.errorCode !== ErrorCode.NONE) throw brokerError(response.errorCode, `ApiVersions v${version} to ${this.address}`);
      this.brokerVersions = new Map(response.apiKeys.map((key) => [key.apiKey, { minVersion: key.minVersion, maxVersion: key.maxVersion }]));
      return;
    }
  }

  private onData(chunk: Buffer): void {
    this.frames.push(chunk);
    try {
      for (let frame = this.frames.next(); frame !== null; frame = this.frames.next()) this.onFrame(frame);
    } catch (error) {
      this.fail(error instanceof Error ? error : new ConnectionError(String(error)));
    }
    this.checkDrained();
  }

  private onFrame(frame: Buffer): void {
    const request = this.inFlight.shift();
    if (!request) throw new ConnectionError(`unexpected response from ${this.address}: no request in flight`);
    clearTimeout(request.timer);
    const reader = new Reader(frame);
    const correlationId = readResponseHeader(reader, request.api.responseHeaderVersion(request.version));
    if (correlationId !== request.correlationId) {
      this.inFlight.unshift(request);
      throw new ConnectionError(`response from ${this.address} has correlation id ${correlationId}, expected ${request.correlationId}`);
    }
    let version = request.version;
    // KIP-511: an ApiVersions request at a version the broker does not serve is answered in v0.
    if (request.api.apiKey === apiVersions.apiKey && version > 0 && reader.remaining >= 2 && frame.readInt16BE(reader.offset) === ErrorCode.UNSUPPORTED_VERSION) {
      version = 0;
    }
    try {
      request.resolve(request.api.decodeResponse(reader, version));
    } catch (error) {
      // The frame was cut correctly, so the stream stays usable; only this request fails.
      request.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Fails every request in flight and closes the socket. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const request of this.inFlight.splice(0)) {
      clearTimeout(request.timer);
      request.reject(error);
    }
    this.socket.destroy();
    this.checkDrained();
  }

  /** Closes the connection at once; requests in flight fail with NETWORK_EXCEPTION. */
  destroy(): void {
    this.fail(new ConnectionError(`connection to ${this.address} was closed by the client`));
  }

  /**
   * Closes the connection cleanly: no new requests are accepted, the answers to those in flight
   * are awaited (each within its own timeout), then the socket is ended.
   */
  close(): Promise<void> {
    this.closing ??= this.closeGracefully();
    return this.closing;
  }

  private async closeGracefully(): Promise<void> {
    if (this.failure) {
      this.socket.destroy();
      return this.closed;
    }
    if (this.inFlight.length > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.socket.end();
    // A broker answers our FIN with its own; one that does not is cut off.
    const forced = setTimeout(() => this.socket.destroy(), 1_000);
    await this.closed;
    clearTimeout(forced);
  }

  private checkDrained(): void {
    if (this.inFlight.length === 0 && this.drained) {
      const drained = this.drained;
      this.drained = null;
      drained();
    }
  }
}
