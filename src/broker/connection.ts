/**
 * One client connection: framing, decoding, dispatch, and responses in request order.
 *
 * Lifecycle of a request (error branch at each stage):
 *   bytes -> frame (int32 size; size < 8 or > socket.request.max.bytes: close)
 *         -> header (unknown api key: close; unsupported version: ApiVersions answers v0 body
 *            with UNSUPPORTED_VERSION, any other API closes, as Kafka does)
 *         -> body decode (malformed: close — the protocol has no way to answer an
 *            undecodable request)
 *         -> handler (runs at once, so requests are pipelined; a handler failure is logged and
 *            closes the connection)
 *         -> response slot; slots are written strictly in request order, several at once
 *            with one writev (cork/uncork).
 * Backpressure: while too many requests are in flight or the socket's write buffer is over
 * its limit, reading pauses, so a client that does not read its responses cannot grow the
 * broker's memory without bound. Requests of an API registered onePerConnection (Fetch) are
 * handled one at a time: the next is decoded and started once the previous answer has been
 * handed to the OS, so pipelined fetches never hold more than one answer's record data.
 */
import type { Socket } from 'node:net';
import { ProtocolDecodeError } from '../errors.js';
import { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { readRequestHeaderPrefix, readRequestHeaderRest, writeResponseHeader, type RequestHeader } from '../protocol/header.js';
import { apiVersions } from '../protocol/messages/index.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import type { Broker } from './broker.js';
import { NO_RESPONSE, type ConnectionInfo, type HandlerRegistration, type RequestContext } from './handler.js';

const log = new Logger('connection');

/** Smallest possible request: api key, version, correlation id and a null client id. */
const MIN_REQUEST_BYTES = 10;

export interface ConnectionLimits {
  readonly maxRequestBytes: number;
  readonly maxQueuedRequests: number;
  /** Request bytes in flight before reading pauses (at least one request is always admitted). */
  readonly maxQueuedRequestBytes: number;
  /** Unsent response bytes before reading pauses. */
  readonly maxPendingWriteBytes: number;
  readonly idleTimeoutMs: number;
}

interface ResponseSlot {
  readonly header: RequestHeader;
  readonly requestBytes: number;
  done: boolean;
  frames: Buffer[] | null;
  /** Handled in the connection's one-per-connection lane (see HandlerRegistration.onePerConnection). */
  readonly oneAtATime: boolean;
  /** Callbacks for when the answer is handed to the OS (RequestContext.onResponseWritten). */
  onWritten: (() => void)[] | null;
  /** The answer has been handed to the OS, or never will be: callbacks registered now run at once. */
  settled: boolean;
}

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  closed = false;
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly slots: ResponseSlot[] = [];
  private queuedRequestBytes = 0;
  private pausedForBackpressure = false;
  /** A one-per-connection request is in flight (handled, or its answer not yet handed to the OS). */
  private oneAtATimeBusy = false;
  /** One-per-connection requests waiting for the one in flight, in arrival order. */
  private readonly oneAtATimeWaiting: (() => void)[] = [];
  /** Answers written to the socket whose write has not completed and that wait for it (made on first use). */
  private unconfirmed: Set<ResponseSlot> | null = null;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    readonly listenerName: string,
    private readonly broker: Broker,
    private readonly limits: ConnectionLimits,
    private readonly onClose: (connection: Connection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        log.debug(`closing idle connection ${this.describe()}`);
        this.close();
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateBackpressure());
    socket.on('error', (error) => log.debug(`socket error on ${this.describe()}: ${error.message}`));
    socket.on('close', () => {
      this.closed = true;
      this.settleAll();
      this.onClose(this);
    });
  }

  describe(): string {
    return `${this.remoteAddress}:${this.remotePort} (#${this.id})`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.settleAll();
  }

  /** Closed: no answer will be written; give back what every answer still held. */
  private settleAll(): void {
    this.oneAtATimeWaiting.length = 0;
    for (const slot of this.slots) this.settle(slot);
    const unconfirmed = this.unconfirmed;
    this.unconfirmed = null;
    if (unconfirmed) for (const slot of unconfirmed) this.settle(slot);
  }

  /** The slot's answer was handed to the OS (or never will be): run its callbacks, free its lane. */
  private settle(slot: ResponseSlot): void {
    if (slot.settled) return;
    slot.settled = true;
    this.unconfirmed?.delete(slot);
    const callbacks = slot.onWritten;
    slot.onWritten = null;
    if (callbacks) for (const callback of callbacks) callback();
    if (slot.oneAtATime) {
      this.oneAtATimeBusy = false;
      // A socket the peer has closed fails its writes before 'close' is emitted: start nothing on it.
      if (!this.closed && !this.socket.destroyed) this.oneAtATimeWaiting.shift()?.();
    }
  }

  private addOnWritten(slot: ResponseSlot, callback: () => void): void {
    if (slot.settled) callback();
    else (slot.onWritten ??= []).push(callback);
  }

  /** Stops reading new requests; responses to those in flight are still sent. */
  stopReading(): void {
    this.socket.pause();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    this.processBufferedFrames();
  }

  /** Handles every whole frame buffered, until backpressure says stop (resumed from updateBackpressure). */
  private processBufferedFrames(): void {
    while (!this.closed && !this.pausedForBackpressure && this.bufferedBytes >= 4) {
      const size = this.peekInt32();
      if (size < MIN_REQUEST_BYTES || size > this.limits.maxRequestBytes) {
        log.warn(
          `closing ${this.describe()}: request frame of ${size} bytes is outside [${MIN_REQUEST_BYTES}, socket.request.max.bytes=${this.limits.maxRequestBytes}]`,
        );
        this.close();
        return;
      }
      if (this.bufferedBytes < 4 + size) break;
      this.consume(4);
      this.handleFrame(this.consume(size));
    }
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.chunks, 4).readInt32BE(0);
  }

  /** Takes `bytes` from the buffered chunks: a slice when they lie in one chunk, else one copy. */
  private consume(bytes: number): Buffer {
    this.bufferedBytes -= bytes;
    const first = this.chunks[0]!;
    if (first.length >= bytes) {
      const out = first.subarray(0, bytes);
      if (first.length === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      return out;
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length, bytes - filled);
      chunk.copy(out, filled, 0, take);
      filled += take;
      if (take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take);
    }
    return out;
  }

  private handleFrame(frame: Buffer): void {
    const reader = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeaderPrefix(reader);
    } catch {
      log.warn(`closing ${this.describe()}: truncated request header`);
      this.close();
      return;
    }
    const registration = this.broker.handlers.get(header.apiKey);
    if (!registration) {
      log.warn(`closing ${this.describe()}: unknown API key ${header.apiKey} (correlation id ${header.correlationId})`);
      this.close();
      return;
    }
    const api = registration.api;
    if (header.apiVersion < registration.minVersion || header.apiVersion > registration.maxVersion) {
      if (header.apiKey === apiVersions.apiKey) {
        this.answerUnsupportedApiVersions(header, frame.length);
        return;
      }
      log.warn(
        `closing ${this.describe()}: ${api.name} v${header.apiVersion} is not supported (serving v${registration.minVersion}-${registration.maxVersion})`,
      );
      this.close();
      return;
    }
    const oneAtATime = registration.onePerConnection;
    const slot: ResponseSlot = { header, requestBytes: frame.length, done: false, frames: null, oneAtATime, onWritten: null, settled: false };
    this.slots.push(slot);
    this.queuedRequestBytes += frame.length;
    this.updateBackpressure();
    if (!oneAtATime) {
      this.dispatch(slot, registration as HandlerRegistration, reader);
    } else if (this.oneAtATimeBusy) {
      // Decoded when its turn comes: until then it costs only its frame, counted in queuedRequestBytes.
      this.oneAtATimeWaiting.push(() => {
        this.oneAtATimeBusy = true;
        this.dispatch(slot, registration as HandlerRegistration, reader);
      });
    } else {
      this.oneAtATimeBusy = true;
      this.dispatch(slot, registration as HandlerRegistration, reader);
    }
  }

  /** Decodes the request body and runs its handler; the answer goes to `slot`. */
  private dispatch(slot: ResponseSlot, registration: HandlerRegistration, reader: Reader): void {
    const header = slot.header;
    const api = registration.api;
    let request: unknown;
    try {
      readRequestHeaderRest(reader, header, api.requestHeaderVersion(header.apiVersion));
      request = api.decodeRequest(reader, header.apiVersion);
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError)) throw error;
      log.warn(`closing ${this.describe()}: malformed ${api.name} v${header.apiVersion} request: ${error.message}`);
      this.close();
      return;
    }
    const context: RequestContext = {
      header,
      apiVersion: header.apiVersion,
      connection: this,
      broker: this.broker,
      onResponseWritten: (release) => this.addOnWritten(slot, release),
    };
    let result: unknown;
    try {
      result = (registration as HandlerRegistration).handle(request as never, context);
    } catch (error) {
      this.fail(slot, api.name, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response: unknown) => this.complete(slot, registration as HandlerRegistration, response),
        (error: unknown) => this.fail(slot, api.name, error),
      );
    } else {
      this.complete(slot, registration as HandlerRegistration, result);
    }
  }

  /** KIP-511: an unsupported ApiVersions version is answered in the v0 body, with header v0. */
  private answerUnsupportedApiVersions(header: RequestHeader, requestBytes: number): void {
    const writer = new Writer();
    const setSize = writer.reserveInt32();
    writeResponseHeader(writer, header.correlationId, 0);
    const own = this.broker.handlers.get(apiVersions.apiKey)!;
    apiVersions.encodeResponse(writer, 0, {
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      apiKeys: [{ apiKey: apiVersions.apiKey, minVersion: own.advertisedMinVersion, maxVersion: own.maxVersion }],
    });
    setSize(writer.length - 4);
    this.slots.push({ header, requestBytes, done: true, frames: writer.finish(), oneAtATime: false, onWritten: null, settled: false });
    this.queuedRequestBytes += requestBytes;
    this.flush();
  }

  private complete(slot: ResponseSlot, registration: HandlerRegistration, response: unknown): void {
    if (this.closed) {
      this.settle(slot);
      return;
    }
    if (response !== NO_RESPONSE) {
      const version = slot.header.apiVersion;
      const writer = new Writer(512);
      const setSize = writer.reserveInt32();
      writeResponseHeader(writer, slot.header.correlationId, registration.api.responseHeaderVersion(version));
      try {
        registration.api.encodeResponse(writer, version, response as never);
      } catch (error) {
        this.fail(slot, registration.api.name, error);
        return;
      }
      setSize(writer.length - 4);
      slot.frames = writer.finish();
    }
    slot.done = true;
    this.flush();
  }

  private fail(slot: ResponseSlot, apiName: string, error: unknown): void {
    if (this.closed) {
      this.settle(slot);
      return;
    }
    log.error(`closing ${this.describe()}: ${apiName} v${slot.header.apiVersion} (correlation id ${slot.header.correlationId}) failed`, error);
    this.close();
  }

  /** Writes every finished response at the head of the queue, in request order. */
  private flush(): void {
    if (this.slots.length === 0 || !this.slots[0]!.done) return;
    this.socket.cork();
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      this.queuedRequestBytes -= slot.requestBytes;
      const frames = slot.frames;
      if (frames === null || frames.length === 0) {
        this.settle(slot);
      } else if (slot.onWritten === null && !slot.oneAtATime) {
        for (const frame of frames) this.socket.write(frame);
      } else {
        // Told when the last frame is handed to the OS (or fails: the connection is closing then).
        const last = frames.length - 1;
        for (let i = 0; i < last; i++) this.socket.write(frames[i]!);
        (this.unconfirmed ??= new Set()).add(slot);
        this.socket.write(frames[last]!, (error) => {
          if (error) this.close();
          this.settle(slot);
        });
      }
    }
    this.socket.uncork();
    this.updateBackpressure();
  }

  private updateBackpressure(): void {
    if (this.closed) return;
    const overloaded =
      this.slots.length >= this.limits.maxQueuedRequests ||
      (this.slots.length > 1 && this.queuedRequestBytes >= this.limits.maxQueuedRequestBytes) ||
      this.socket.writableLength >= this.limits.maxPendingWriteBytes;
    if (overloaded && !this.pausedForBackpressure) {
      this.pausedForBackpressure = true;
      this.socket.pause();
    } else if (!overloaded && this.pausedForBackpressure) {
      this.pausedForBackpressure = false;
      this.socket.resume();
      // Frames that arrived before the pause are still buffered: handle them now.
      if (this.bufferedBytes >= 4) setImmediate(() => this.processBufferedFrames());
    }
  }
}

