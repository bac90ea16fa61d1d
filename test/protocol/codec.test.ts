import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { apiVersions, metadata } from '../../src/protocol/messages/index.js';
import { ProtocolDecodeError } from '../../src/errors.js';

test('ApiVersions v3 response round-trips with tagged fields', () => {
  const writer = new Writer();
  apiVersions.encodeResponse(writer, 3, {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    throttleTimeMs: 0,
    finalizedFeaturesEpoch: 7,
    finalizedFeatures: [{ name: 'transaction.version', maxVersionLevel: 0, minVersionLevel: 0 }],
  });
  const bytes = writer.toBuffer();
  const decoded = apiVersions.decodeResponse(new Reader(bytes), 3);
  assert.deepEqual(decoded.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  assert.equal(decoded.finalizedFeaturesEpoch, 7);
  assert.equal(decoded.finalizedFeatures[0]!.name, 'transaction.version');
  assert.deepEqual(decoded.supportedFeatures, []);
  assert.equal(decoded.zkMigrationReady, false);
  // error(2) + compact array len(1) + 1 entry (6 + 1 tag byte) + throttle(4) + tagged section
  assert.equal(bytes.readInt16BE(0), 0);
  assert.equal(bytes[2], 2);
});

test('ApiVersions v0 response is non-flexible and drops v1+ fields', () => {
  const writer = new Writer();
  apiVersions.encodeResponse(writer, 0, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
  const bytes = writer.toBuffer();
  assert.deepEqual([...bytes], [0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 4]);
});

test('Metadata request null and empty topic arrays are distinct from v1', () => {
  for (const version of [1, 4, 9, 12]) {
    for (const topics of [null, []] as const) {
      const writer = new Writer();
      metadata.encodeRequest(writer, version, { topics: topics as never });
      const decoded = metadata.decodeRequest(new Reader(writer.toBuffer()), version);
      assert.deepEqual(decoded.topics, topics, `v${version}`);
    }
  }
});

test('Metadata response round-trips in every version', () => {
  for (let version = metadata.minVersion; version <= metadata.maxVersion; version++) {
    const writer = new Writer();
    metadata.encodeResponse(writer, version, {
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092 }],
      clusterId: 'abc',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'events',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        },
      ],
    });
    const decoded = metadata.decodeResponse(new Reader(writer.toBuffer()), version);
    assert.equal(decoded.topics[0]!.name, 'events');
    assert.equal(decoded.topics[0]!.partitions[0]!.leaderId, 1);
    assert.equal(decoded.topics[0]!.partitions[0]!.leaderEpoch, version >= 7 ? 3 : -1);
    assert.equal(decoded.controllerId, version >= 1 ? 1 : -1);
    assert.equal(decoded.clusterId, version >= 2 ? 'abc' : null);
    assert.equal(decoded.topics[0]!.topicId, version >= 10 ? 'AAAAAAAAAAAAAAAAAAAAAQ' : 'AAAAAAAAAAAAAAAAAAAAAA');
  }
});

test('hostile array lengths raise ProtocolDecodeError without allocating', () => {
  const bytes = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => metadata.decodeRequest(new Reader(bytes), 1), ProtocolDecodeError);
});

test('int64 values round-trip, Long.MAX_VALUE clamps', () => {
  const writer = new Writer();
  writer.writeInt64(-1).writeInt64(2 ** 53 - 1).writeInt64(-(2 ** 40) - 5).writeInt64(2 ** 63);
  const reader = new Reader(writer.toBuffer());
  assert.equal(reader.readInt64(), -1);
  assert.equal(reader.readInt64(), 2 ** 53 - 1);
  assert.equal(reader.readInt64(), -(2 ** 40) - 5);
  assert.equal(writer.toBuffer().readBigInt64BE(24), 2n ** 63n - 1n);
});

test('varints and varlongs round-trip', () => {
  const values = [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)];
  const writer = new Writer();
  for (const value of values) writer.writeVarint(value);
  const longs = [0, -1, 1_700_000_000_000, -(2 ** 50)];
  for (const value of longs) writer.writeVarlong(value);
  const reader = new Reader(writer.toBuffer());
  for (const value of values) assert.equal(reader.readVarint(), value);
  for (const value of longs) assert.equal(reader.readVarlong(), value);
});
