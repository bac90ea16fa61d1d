/**
 * The client's Connection against a scripted broker: ApiVersions negotiation (KIP-511 fallback),
 * the negotiated version per API, request timeouts, a connection lost or closed under requests,
 * a clean close that waits for the answers in flight, and a response out of step.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Connection } from '../../src/client/connection.js';
import { ConnectionError, RequestTimeoutError } from '../../src/client/errors.js';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { findCoordinator, listGroups, metadata } from '../../src/protocol/messages/index.js';
import { CLOSE, FakeBroker, metadataReply, NO_ANSWER, WrongCorrelationId, type Handler } from './fake-broker.js';

const brokers: FakeBroker[] = [];
after(async () => {
  for (const broker of brokers) await broker.stop();
});

async function fake(options: Parameters<typeof FakeBroker.start>[0] = {}): Promise<FakeBroker> {
  const broker = await FakeBroker.start(options);
  brokers.push(broker);
  return broker;
}

function connect(broker: FakeBroker, options: { requestTimeoutMs?: number } = {}): Promise<Connection> {
  return Connection.connect({ host: '127.0.0.1', port: broker.port, clientId: 'connection-test', ...options });
}

function hasCode(code: ErrorCode) {
  return (error: unknown) => {
    assert.ok(error instanceof KafkaError, `expected a KafkaError, got ${String(error)}`);
    assert.equal(ErrorCode[error.code], ErrorCode[code]);
    return true;
  };
}

const answerMetadata: Handler = (request, broker) => (request.api === 'Metadata' ? metadataReply([broker]) : CLOSE);

test('versions: ApiVersions v3 first, with the client software name; each API then at the highest version both sides serve', async () => {
  const broker = await fake({ handler: answerMetadata, versions: { ApiVersions: [0, 4], Metadata: [0, 7], ListGroups: [0, 2] } });
  const connection = await connect(broker);
  try {
    const [negotiation] = broker.received('ApiVersions');
    assert.equal(negotiation!.version, 3);
    assert.equal(negotiation!.body.clientSoftwareName, 'tidelog-client');
    assert.equal(negotiation!.clientId, 'connection-test');
    assert.equal(connection.versionFor(metadata), 7);
    assert.equal(connection.versionFor(listGroups), 2);
    const answer = await connection.send(metadata, { topics: [], allowAutoTopicCreation: false });
    assert.deepEqual(answer.brokers.map((each) => each.port), [broker.port]);
    assert.deepEqual(broker.received('Metadata').map((each) => each.version), [7]);
  } finally {
    await connection.close();
  }
});

test('versions: a broker without ApiVersions v3 answers UNSUPPORTED_VERSION in a v0 body, and the request is repeated at its highest version', async () => {
  const broker = await fake({ handler: answerMetadata, versions: { ApiVersions: [0, 2], Metadata: [1, 5] } });
  const connection = await connect(broker);
  try {
    assert.deepEqual(broker.received('ApiVersions').map((each) => each.version), [3, 2]);
    assert.equal(connection.versionFor(metadata), 5);
    await connection.send(metadata, { topics: [] });
    assert.deepEqual(broker.received('Metadata').map((each) => each.version), [5]);
  } finally {
    await connection.close();
  }
});

test('versions: an API the broker does not serve is refused with UNSUPPORTED_VERSION, unsent', async () => {
  const broker = await fake({ handler: answerMetadata, versions: { ApiVersions: [0, 3], Metadata: [0, 12] } });
  const connection = await connect(broker);
  try {
    assert.throws(() => connection.versionFor(findCoordinator), hasCode(ErrorCode.UNSUPPORTED_VERSION));
    await assert.rejects(connection.send(findCoordinator, { key: 'g', keyType: 0, coordinatorKeys: ['g'] }), hasCode(ErrorCode.UNSUPPORTED_VERSION));
    assert.equal(broker.received('FindCoordinator').length, 0);
    assert.ok(connection.isOpen, 'a refused version leaves the connection usable');
    await connection.send(metadata, { topics: [] });
  } finally {
    await connection.close();
  }
});

test('timeouts: a request not answered in time fails with REQUEST_TIMED_OUT, closes the connection and fails the others in flight', async () => {
  const broker = await fake({ handler: (request) => (request.api === 'Metadata' ? NO_ANSWER : CLOSE) });
  const connection = await connect(broker, { requestTimeoutMs: 60_000 });
  const slow = connection.send(metadata, { topics: [] });
  const fast = connection.send(metadata, { topics: [] }, { timeoutMs: 100 });
  await assert.rejects(fast, (error) => error instanceof RequestTimeoutError && hasCode(ErrorCode.REQUEST_TIMED_OUT)(error));
  await assert.rejects(slow, hasCode(ErrorCode.REQUEST_TIMED_OUT));
  assert.equal(connection.isOpen, false);
  await assert.rejects(connection.send(metadata, { topics: [] }), hasCode(ErrorCode.REQUEST_TIMED_OUT));
  await connection.close();
});

test('a connection closed by the broker fails the request in flight with NETWORK_EXCEPTION', async () => {
  const broker = await fake({ handler: () => CLOSE });
  const connection = await connect(broker);
  await assert.rejects(connection.send(metadata, { topics: [] }), (error) => error instanceof ConnectionError && hasCode(ErrorCode.NETWORK_EXCEPTION)(error));
  assert.equal(connection.isOpen, false);
  await connection.close();
});

test('an answer with an unexpected correlation id loses the stream: the connection is closed', async () => {
  const broker = await fake({ handler: (request, self) => (request.api === 'Metadata' ? new WrongCorrelationId(metadataReply([self])) : CLOSE) });
  const connection = await connect(broker);
  await assert.rejects(connection.send(metadata, { topics: [] }), (error) => error instanceof ConnectionError && /correlation id/.test(error.message));
  assert.equal(connection.isOpen, false);
  await connection.close();
});

test('close() waits for the answers in flight (also when called twice), then refuses new requests', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const broker = await fake({
    handler: async (request, self) => {
      if (request.api !== 'Metadata') return CLOSE;
      await released;
      return metadataReply([self]);
    },
  });
  const connection = await connect(broker);
  const inFlight = connection.send(metadata, { topics: [] });
  const first = connection.close();
  const second = connection.close();
  assert.equal(connection.isOpen, false);
  await assert.rejects(connection.send(metadata, { topics: [] }), hasCode(ErrorCode.NETWORK_EXCEPTION));
  release();
  const answer = await inFlight;
  assert.equal(answer.clusterId, 'fake-cluster');
  await Promise.all([first, second]);
});

test('a refused connection fails with a ConnectionError (NETWORK_EXCEPTION)', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(Connection.connect({ host: '127.0.0.1', port }), (error) => error instanceof ConnectionError && hasCode(ErrorCode.NETWORK_EXCEPTION)(error));
});
