/**
 * A bare Kafka-protocol connection for the scale benchmark, built on Tidelog's own protocol
 * codecs: pipelined requests matched to their answers by correlation id. It sends exactly the
 * requests the benchmark chooses (a produce to a thousand partitions at once, a fetch that is
 * then read slowly), which a full client would not let it do.
 */
import { connect, type Socket } from 'node:net';
import type { Api } from '../../src/protocol/api.js';
import { readResponseHeader } from '../../src/protocol/header.js';
import { writeRequestFrame } from '../../src/protocol/request-frame.js';
import { Reader } from '../../src/protocol/reader.js';

// Any declared API (the generic parameter varies per declaration).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyApi = Api<any>;

interface Pending {
  resolve: (frame: Buffer) => void;
  reject: (error: Error) => void;
}

export class WireConnection {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  closed = false;
  /** Response bytes received (including the size prefix). */
  receivedBytes = 0;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      const error = new Error('connection closed');
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new WireConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.receivedBytes += chunk.length;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    while (this.bufferedBytes >= 4) {
      let head = this.buffered[0]!;
      if (head.length < 4) {
        head = Buffer.concat(this.buffered);
        this.buffered = [head];
      }
      const size = head.readInt32BE(0);
      if (this.bufferedBytes < 4 + size) return;
      const all = this.buffered.length === 1 ? head : Buffer.concat(this.buffered);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
      const correlationId = frame.readInt32BE(0);
      const waiter = this.pending.get(correlationId);
      this.pending.delete(correlationId);
      waiter?.resolve(frame);
    }
  }

  /** Encodes a request with its size prefix. */
  encode(api: AnyApi, version: number, body: unknown, correlationId = this.nextCorrelationId++): { frame: Buffer; correlationId: number } {
    return { frame: writeRequestFrame(api, version, { correlationId, clientId: 'bench-scale' }, body as never).toBuffer(), correlationId };
  }

  /** Sends a request and resolves to its decoded answer. */
  async request<A extends AnyApi>(api: A, version: number, body: unknown): Promise<ReturnType<A['decodeResponse']>> {
    const { frame, correlationId } = this.encode(api, version, body);
    const answer = await this.sendFrame(frame, correlationId);
    const reader = new Reader(answer);
    readResponseHeader(reader, api.responseHeaderVersion(version));
    return api.decodeResponse(reader, version) as ReturnType<A['decodeResponse']>;
  }

  /** Sends an encoded frame and resolves to the raw answer (header included). */
  sendFrame(frame: Buffer, correlationId: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
