/**
 * A bare TCP client for tests that must send exactly the bytes they choose (bad input,
 * pipelining, backpressure): frames out, frames in, and whether the broker closed on us.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Api } from '../../src/protocol/api.js';

// Any declared API (the generic parameter varies per declaration).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyApi = Api<any>;
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { readResponseHeader } from '../../src/protocol/header.js';
import { writeRequestFrame } from '../../src/protocol/request-frame.js';
import { initProducerId, produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { Reader } from '../../src/protocol/reader.js';

export class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private nextCorrelationId = 1;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Sends bytes exactly as given (no size prefix added). */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes a request (header + body) with a size prefix; returns its correlation id. */
  encode<A extends AnyApi>(api: A, version: number, body: unknown, correlationId = this.nextCorrelationId++): { frame: Buffer; correlationId: number } {
    return { frame: writeRequestFrame(api, version, { correlationId, clientId: 'raw-test' }, body as never).toBuffer(), correlationId };
  }

  send<A extends AnyApi>(api: A, version: number, body: unknown): number {
    const { frame, correlationId } = this.encode(api, version, body);
    this.sendRaw(frame);
    return correlationId;
  }

  /** The next response frame, or null if the connection closed first. */
  async nextFrame(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response frame in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** Sends a request and decodes its response; null if the broker closed the connection. */
  async request<A extends AnyApi>(api: A, version: number, body: unknown): Promise<{ correlationId: number; body: ReturnType<A['decodeResponse']> } | null> {
    const sent = this.send(api, version, body);
    return this.response(api, version, sent);
  }

  async response<A extends AnyApi>(api: A, version: number, expectedCorrelationId?: number): Promise<{ correlationId: number; body: ReturnType<A['decodeResponse']> } | null> {
    const frame = await this.nextFrame();
    if (frame === null) return null;
    const reader = new Reader(frame);
    const correlationId = readResponseHeader(reader, api.responseHeaderVersion(version));
    if (expectedCorrelationId !== undefined && correlationId !== expectedCorrelationId) {
      throw new Error(`response correlation id ${correlationId}, expected ${expectedCorrelationId}`);
    }
    return { correlationId, body: api.decodeResponse(reader, version) as ReturnType<A['decodeResponse']> };
  }

  /** Resolves true once the broker has closed the connection, false after the timeout. */
  async waitClosed(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A Fetch request body (v4 and later) as a consumer without a fetch session sends it: 1 MiB
 * limits, no wait and read_uncommitted unless `options` says otherwise. `topics` go as given.
 */
export function fetchBody(
  topics: readonly { readonly topic: string; readonly partitions: readonly object[] }[],
  options: { readonly maxWaitMs?: number; readonly minBytes?: number; readonly isolationLevel?: number } = {},
): Record<string, unknown> {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: 1 << 20,
    isolationLevel: options.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics,
    forgottenTopicsData: [],
    rackId: '',
  };
}

/**
 * Producers that write plain and transactional batches to partition 0 of `topic` through a raw
 * client, each with a producer id of its own (InitProducerId without a transactional id) and
 * its sequence kept; the transactions' markers are the test's to write (Partition.appendTxnMarker).
 */
export class RawProducers {
  private readonly sequences = new Map<number, number>();

  constructor(
    private readonly client: RawClient,
    private readonly topic: string,
  ) {}

  /** A new producer id. */
  async create(): Promise<number> {
    return (await this.client.request(initProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }))!.body.producerId;
  }

  /** One batch of `values` (epoch 0), acknowledged by all replicas. */
  async write(producerId: number, values: string[], transactional: boolean): Promise<void> {
    const baseSequence = this.sequences.get(producerId) ?? 0;
    this.sequences.set(producerId, baseSequence + values.length);
    const records = buildRecordBatch({ producerId, producerEpoch: 0, baseSequence, isTransactional: transactional, records: values.map((value) => ({ value })) });
    const answer = await this.client.request(produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: this.topic, partitionData: [{ index: 0, records }] }] });
    assert.equal(answer!.body.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  }
}
