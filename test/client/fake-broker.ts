/**
 * A scripted Kafka broker for the client's tests: it decodes each request with the protocol
 * declarations, records it, and answers what the test's handler returns — a response body, or
 * NO_ANSWER, CLOSE (the connection), or an answer with a wrong correlation id. ApiVersions is
 * answered from `versions` (KIP-511: a version above the served range gets UNSUPPORTED_VERSION
 * in a v0 body). Answers on one connection go out in request order, as a broker's do.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readRequestHeaderPrefix, readRequestHeaderRest, writeResponseHeader } from '../../src/protocol/header.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { allApis, apiByKey, apiVersions } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

export const NO_ANSWER = Symbol('no answer');
export const CLOSE = Symbol('close the connection');

export class WrongCorrelationId {
  constructor(readonly body: Record<string, unknown>) {}
}

export type Reply = Record<string, unknown> | typeof NO_ANSWER | typeof CLOSE | WrongCorrelationId;

export interface ReceivedRequest {
  readonly api: string;
  readonly version: number;
  readonly clientId: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export type Handler = (request: ReceivedRequest, broker: FakeBroker) => Reply | Promise<Reply>;

export interface FakeBrokerOptions {
  readonly nodeId?: number;
  /** Served version ranges by API name; default every declared API with its declared range. */
  readonly versions?: Readonly<Record<string, readonly [number, number]>>;
  readonly handler?: Handler;
}

export class FakeBroker {
  readonly requests: ReceivedRequest[] = [];
  /** Connections accepted so far. */
  accepted = 0;
  handler: Handler;
  readonly nodeId: number;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: FakeBrokerOptions,
  ) {
    this.nodeId = options.nodeId ?? 1;
    this.handler = options.handler ?? (() => CLOSE);
  }

  static async start(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const broker = new FakeBroker(server, address.port, options);
    server.on('connection', (socket) => broker.serve(socket));
    return broker;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** This broker as Metadata and FindCoordinator name it. */
  get node(): { nodeId: number; host: string; port: number } {
    return { nodeId: this.nodeId, host: '127.0.0.1', port: this.port };
  }

  /** The requests of one API received so far. */
  received(api: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.api === api);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private served(name: string): readonly [number, number] | undefined {
    if (this.options.versions) return this.options.versions[name];
    const api = allApis.find((candidate) => candidate.name === name);
    return api ? [api.minVersion, api.maxVersion] : undefined;
  }

  private serve(socket: Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        const answer = this.answer(frame);
        queue = queue.then(async () => {
          const chunks = await answer;
          if (chunks === CLOSE) socket.destroy();
          else if (chunks !== NO_ANSWER && !socket.destroyed) for (const each of chunks) socket.write(each);
        });
      }
    });
  }

  private async answer(frame: Buffer): Promise<Buffer[] | typeof NO_ANSWER | typeof CLOSE> {
    const reader = new Reader(frame);
    const header = readRequestHeaderPrefix(reader);
    const api = apiByKey(header.apiKey);
    if (!api) return CLOSE;
    readRequestHeaderRest(reader, header, api.requestHeaderVersion(header.apiVersion));
    const request: ReceivedRequest = { api: api.name, version: header.apiVersion, clientId: header.clientId, body: api.decodeRequest(reader, header.apiVersion) };
    this.requests.push(request);
    let version = header.apiVersion;
    let reply: Reply;
    if (api.apiKey === apiVersions.apiKey) {
      const range = this.served('ApiVersions')!;
      const apiKeys = allApis.flatMap((each) => {
        const served = this.served(each.name);
        return served ? [{ apiKey: each.apiKey, minVersion: served[0], maxVersion: served[1] }] : [];
      });
      if (version > range[1]) {
        version = 0;
        reply = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiKeys.filter((key) => key.apiKey === apiVersions.apiKey) };
      } else {
        reply = { errorCode: ErrorCode.NONE, apiKeys };
      }
    } else {
      reply = await this.handler(request, this);
    }
    if (reply === NO_ANSWER || reply === CLOSE) return reply;
    const correlationId = reply instanceof WrongCorrelationId ? header.correlationId + 1000 : header.correlationId;
    const body = reply instanceof WrongCorrelationId ? reply.body : reply;
    const writer = new Writer();
    const setSize = writer.reserveInt32();
    writeResponseHeader(writer, correlationId, api.responseHeaderVersion(version));
    api.encodeResponse(writer, version, body as never);
    setSize(writer.length - 4);
    return writer.finish();
  }
}

/** A Metadata answer naming these brokers (the first one controller) and topics (partition → leader). */
export function metadataReply(brokers: readonly FakeBroker[], topics: Record<string, readonly number[]> = {}): Record<string, unknown> {
  return {
    brokers: brokers.map((broker) => ({ ...broker.node, rack: null })),
    clusterId: 'fake-cluster',
    controllerId: brokers[0]?.nodeId ?? -1,
    topics: Object.entries(topics).map(([name, leaders]) => ({
      errorCode: 0,
      name,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      isInternal: false,
      partitions: leaders.map((leaderId, partitionIndex) => ({ errorCode: 0, partitionIndex, leaderId, leaderEpoch: 0, replicaNodes: [leaderId], isrNodes: [leaderId], offlineReplicas: [] })),
    })),
  };
}

/** A FindCoordinator answer for whichever version was asked. */
export function coordinatorReply(request: ReceivedRequest, coordinator: FakeBroker | null, errorCode: number = ErrorCode.NONE): Record<string, unknown> {
  const node = coordinator && errorCode === ErrorCode.NONE ? coordinator.node : { nodeId: -1, host: '', port: -1 };
  if (request.version >= 4) {
    return { coordinators: (request.body.coordinatorKeys as string[]).map((key) => ({ key, ...node, errorCode, errorMessage: null })) };
  }
  return { errorCode, errorMessage: null, ...node };
}
