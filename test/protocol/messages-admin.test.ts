/**
 * Round trips for the declarations of API keys 24 and above: encode, decode, compare, at the
 * lowest and highest declared version (and, where the shape changes in between, on both sides
 * of the change). Values are what a real client or broker would send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import type { Api } from '../../src/protocol/api.js';
import type { ApiSpec, Message, MessageInput } from '../../src/protocol/schema.js';
import {
  addPartitionsToTxn,
  allApis,
  createPartitions,
  describeConfigs,
  endTxn,
  incrementalAlterConfigs,
  txnOffsetCommit,
} from '../../src/protocol/messages/index.js';

function requestRoundTrip<S extends ApiSpec>(
  api: Api<S>,
  version: number,
  input: MessageInput<S['request']>,
): Message<S['request']> {
  const writer = new Writer();
  api.encodeRequest(writer, version, input);
  const reader = new Reader(writer.toBuffer());
  const decoded = api.decodeRequest(reader, version);
  assert.equal(reader.remaining, 0, `${api.name} v${version} request: bytes left over`);
  return decoded;
}

function responseRoundTrip<S extends ApiSpec>(
  api: Api<S>,
  version: number,
  input: MessageInput<S['response']>,
): Message<S['response']> {
  const writer = new Writer();
  api.encodeResponse(writer, version, input);
  const reader = new Reader(writer.toBuffer());
  const decoded = api.decodeResponse(reader, version);
  assert.equal(reader.remaining, 0, `${api.name} v${version} response: bytes left over`);
  return decoded;
}

// ---- DescribeConfigs (32) ----------------------------------------------------------------

test('DescribeConfigs request round-trips at v0 and v4', () => {
  const resources = [
    { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms', 'cleanup.policy'] },
    { resourceType: 4, resourceName: '1', configurationKeys: null },
  ];
  assert.deepEqual(requestRoundTrip(describeConfigs, 0, { resources, includeSynonyms: true, includeDocumentation: true }), {
    resources,
    includeSynonyms: false,
    includeDocumentation: false,
  });
  assert.deepEqual(requestRoundTrip(describeConfigs, 4, { resources, includeSynonyms: true, includeDocumentation: true }), {
    resources,
    includeSynonyms: true,
    includeDocumentation: true,
  });
});

test('DescribeConfigs response round-trips at v0 and v4', () => {
  const v0 = responseRoundTrip(describeConfigs, 0, {
    throttleTimeMs: 0,
    results: [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: 'orders',
        configs: [
          { name: 'retention.ms', value: '604800000', readOnly: false, isDefault: true, isSensitive: false },
          { name: 'ssl.key.password', value: null, readOnly: true, isDefault: false, isSensitive: true },
        ],
      },
      { errorCode: 3, errorMessage: 'Topic missing does not exist', resourceType: 2, resourceName: 'missing', configs: [] },
    ],
  });
  assert.deepEqual(v0.results[0]!.configs, [
    {
      name: 'retention.ms',
      value: '604800000',
      readOnly: false,
      isDefault: true,
      configSource: -1,
      isSensitive: false,
      synonyms: [],
      configType: 0,
      documentation: '',
    },
    {
      name: 'ssl.key.password',
      value: null,
      readOnly: true,
      isDefault: false,
      configSource: -1,
      isSensitive: true,
      synonyms: [],
      configType: 0,
      documentation: '',
    },
  ]);
  assert.equal(v0.results[1]!.errorCode, 3);
  assert.equal(v0.results[1]!.errorMessage, 'Topic missing does not exist');

  const config = {
    name: 'retention.ms',
    value: '86400000',
    readOnly: false,
    isDefault: false,
    configSource: 1,
    isSensitive: false,
    synonyms: [
      { name: 'retention.ms', value: '86400000', source: 1 },
      { name: 'log.retention.ms', value: null, source: 4 },
      { name: 'log.retention.hours', value: '168', source: 5 },
    ],
    configType: 5,
    documentation: 'How long a log segment is kept before it is deleted.',
  };
  const v4 = responseRoundTrip(describeConfigs, 4, {
    throttleTimeMs: 12,
    results: [
      { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders', configs: [{ ...config, isDefault: true }] },
    ],
  });
  assert.equal(v4.throttleTimeMs, 12);
  // isDefault exists only in v0, so it comes back as its default.
  assert.deepEqual(v4.results[0]!.configs, [config]);
});

// ---- IncrementalAlterConfigs (44) --------------------------------------------------------

test('IncrementalAlterConfigs request and response round-trip at v0 and v1', () => {
  const request = {
    resources: [
      {
        resourceType: 2,
        resourceName: 'orders',
        configs: [
          { name: 'retention.ms', configOperation: 0, value: '86400000' },
          { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
          { name: 'segment.bytes', configOperation: 1, value: null },
        ],
      },
      { resourceType: 4, resourceName: '', configs: [{ name: 'log.cleaner.threads', configOperation: 0, value: '2' }] },
    ],
    validateOnly: true,
  };
  const response = {
    throttleTimeMs: 0,
    responses: [
      { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' },
      { errorCode: 40, errorMessage: 'Invalid value for log.cleaner.threads', resourceType: 4, resourceName: '' },
    ],
  };
  for (const version of [0, 1]) {
    assert.deepEqual(requestRoundTrip(incrementalAlterConfigs, version, request), request, `v${version}`);
    assert.deepEqual(responseRoundTrip(incrementalAlterConfigs, version, response), response, `v${version}`);
  }
});

// ---- CreatePartitions (37) ---------------------------------------------------------------

test('CreatePartitions request and response round-trip at v0 and v3', () => {
  const request = {
    topics: [
      { name: 'orders', count: 6, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] },
      { name: 'audit', count: 3, assignments: null },
    ],
    timeoutMs: 30000,
    validateOnly: false,
  };
  const response = {
    throttleTimeMs: 5,
    results: [
      { name: 'orders', errorCode: 0, errorMessage: null },
      { name: 'audit', errorCode: 37, errorMessage: 'Topic already has 3 partitions.' },
    ],
  };
  for (const version of [0, 3]) {
    assert.deepEqual(requestRoundTrip(createPartitions, version, request), request, `v${version}`);
    assert.deepEqual(responseRoundTrip(createPartitions, version, response), response, `v${version}`);
  }
  // errorMessage has a null default and may be left out.
  const decoded = responseRoundTrip(createPartitions, 3, { throttleTimeMs: 0, results: [{ name: 'orders', errorCode: 0 }] });
  assert.equal(decoded.results[0]!.errorMessage, null);
});

// ---- AddPartitionsToTxn (24) -------------------------------------------------------------

test('AddPartitionsToTxn v0 and v3 (client form) round-trip', () => {
  const topics = [
    { name: 'orders', partitions: [0, 1, 2] },
    { name: 'payments', partitions: [4] },
  ];
  for (const version of [0, 3]) {
    const request = requestRoundTrip(addPartitionsToTxn, version, {
      v3AndBelowTransactionalId: 'checkout-1',
      v3AndBelowProducerId: 4001,
      v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: topics,
    });
    assert.deepEqual(
      request,
      {
        transactions: [],
        v3AndBelowTransactionalId: 'checkout-1',
        v3AndBelowProducerId: 4001,
        v3AndBelowProducerEpoch: 2,
        v3AndBelowTopics: topics,
      },
      `v${version}`,
    );
    const resultsByTopicV3AndBelow = [
      {
        name: 'orders',
        resultsByPartition: [
          { partitionIndex: 0, partitionErrorCode: 0 },
          { partitionIndex: 1, partitionErrorCode: 0 },
        ],
      },
      { name: 'payments', resultsByPartition: [{ partitionIndex: 4, partitionErrorCode: 51 }] },
    ];
    const response = responseRoundTrip(addPartitionsToTxn, version, { throttleTimeMs: 0, resultsByTopicV3AndBelow });
    const expected = { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow };
    assert.deepEqual(response, expected, `v${version}`);
  }
});

test('AddPartitionsToTxn v4 and v5 (broker batch form) round-trip', () => {
  const transactions = [
    {
      transactionalId: 'checkout-1',
      producerId: 4001,
      producerEpoch: 2,
      verifyOnly: true,
      topics: [{ name: 'orders', partitions: [0] }],
    },
    {
      transactionalId: 'checkout-2',
      producerId: 4002,
      producerEpoch: 0,
      verifyOnly: false,
      topics: [
        { name: 'orders', partitions: [1, 2] },
        { name: 'payments', partitions: [0] },
      ],
    },
  ];
  const resultsByTransaction = [
    {
      transactionalId: 'checkout-1',
      topicResults: [{ name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }] }],
    },
    {
      transactionalId: 'checkout-2',
      topicResults: [{ name: 'payments', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 48 }] }],
    },
  ];
  for (const version of [4, 5]) {
    const request = requestRoundTrip(addPartitionsToTxn, version, { transactions });
    assert.deepEqual(
      request,
      { transactions, v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] },
      `v${version}`,
    );
    const response = responseRoundTrip(addPartitionsToTxn, version, { throttleTimeMs: 3, errorCode: 0, resultsByTransaction });
    const expected = { throttleTimeMs: 3, errorCode: 0, resultsByTransaction, resultsByTopicV3AndBelow: [] };
    assert.deepEqual(response, expected, `v${version}`);
  }
  // verifyOnly may be left out (false).
  const decoded = requestRoundTrip(addPartitionsToTxn, 4, {
    transactions: [{ transactionalId: 't', producerId: 1, producerEpoch: 0, topics: [] }],
  });
  assert.equal(decoded.transactions[0]!.verifyOnly, false);
});

// ---- EndTxn (26) -------------------------------------------------------------------------

test('EndTxn round-trips at v0 and v5, and v0 and v3 match the wire format', () => {
  const request = { transactionalId: 'checkout-1', producerId: 4001, producerEpoch: 2, committed: true };
  for (const version of [0, 5]) assert.deepEqual(requestRoundTrip(endTxn, version, request), request, `v${version}`);

  assert.deepEqual(responseRoundTrip(endTxn, 0, { throttleTimeMs: 0, errorCode: 0, producerId: 4001, producerEpoch: 3 }), {
    throttleTimeMs: 0,
    errorCode: 0,
    producerId: -1,
    producerEpoch: -1,
  });
  const v5 = { throttleTimeMs: 0, errorCode: 0, producerId: 4001, producerEpoch: 3 };
  assert.deepEqual(responseRoundTrip(endTxn, 5, v5), v5);
  assert.deepEqual(responseRoundTrip(endTxn, 5, { throttleTimeMs: 0, errorCode: 47 }), {
    throttleTimeMs: 0,
    errorCode: 47,
    producerId: -1,
    producerEpoch: -1,
  });

  const small = { transactionalId: 'tx', producerId: 7, producerEpoch: 1, committed: false };
  const v0 = new Writer();
  endTxn.encodeRequest(v0, 0, small);
  // int16 length + "tx", int64 producer id, int16 epoch, bool
  assert.deepEqual([...v0.toBuffer()], [0, 2, 0x74, 0x78, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0]);
  const v3 = new Writer();
  endTxn.encodeRequest(v3, 3, small);
  // compact string (length + 1), ..., empty tagged-field section
  assert.deepEqual([...v3.toBuffer()], [3, 0x74, 0x78, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0, 0]);
});

// ---- TxnOffsetCommit (28) ----------------------------------------------------------------

test('TxnOffsetCommit request round-trips at v0 and v4', () => {
  const topics = [
    {
      name: 'orders',
      partitions: [
        { partitionIndex: 0, committedOffset: 1200, committedLeaderEpoch: 4, committedMetadata: '' },
        { partitionIndex: 1, committedOffset: 987654321012, committedLeaderEpoch: 4, committedMetadata: null },
      ],
    },
  ];
  const input = {
    transactionalId: 'checkout-1',
    groupId: 'order-processor',
    producerId: 4001,
    producerEpoch: 2,
    generationId: 17,
    memberId: 'consumer-1-5d3c7a',
    groupInstanceId: 'pod-a',
    topics,
  };
  assert.deepEqual(requestRoundTrip(txnOffsetCommit, 4, input), input);
  assert.deepEqual(requestRoundTrip(txnOffsetCommit, 0, input), {
    transactionalId: 'checkout-1',
    groupId: 'order-processor',
    producerId: 4001,
    producerEpoch: 2,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: topics.map((topic) => ({
      ...topic,
      partitions: topic.partitions.map((partition) => ({ ...partition, committedLeaderEpoch: -1 })),
    })),
  });
  // The v3+ group fields may be left out: generation -1, empty member id, no instance id.
  const bare = requestRoundTrip(txnOffsetCommit, 4, {
    transactionalId: 'checkout-1',
    groupId: 'order-processor',
    producerId: 4001,
    producerEpoch: 2,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }],
  });
  assert.equal(bare.generationId, -1);
  assert.equal(bare.memberId, '');
  assert.equal(bare.groupInstanceId, null);
  assert.equal(bare.topics[0]!.partitions[0]!.committedLeaderEpoch, -1);
});

test('TxnOffsetCommit response round-trips at v0 and v4', () => {
  const response = {
    throttleTimeMs: 0,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 22 },
        ],
      },
    ],
  };
  for (const version of [0, 4]) assert.deepEqual(responseRoundTrip(txnOffsetCommit, version, response), response, `v${version}`);
});

// ---- every declaration of keys 24+ --------------------------------------------------------

test('every API from key 24 compiles and round-trips an all-defaults message in every version', () => {
  for (const api of allApis.filter((candidate) => candidate.apiKey >= 24)) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      for (const side of ['request', 'response'] as const) {
        const encode = side === 'request' ? api.encodeRequest.bind(api) : api.encodeResponse.bind(api);
        const decode = side === 'request' ? api.decodeRequest.bind(api) : api.decodeResponse.bind(api);
        const first = new Writer();
        encode(first, version, {} as never);
        const bytes = first.toBuffer();
        const reader = new Reader(bytes);
        const decoded = decode(reader, version);
        assert.equal(reader.remaining, 0, `${api.name} v${version} ${side}`);
        const second = new Writer();
        encode(second, version, decoded as never);
        assert.deepEqual(second.toBuffer(), bytes, `${api.name} v${version} ${side}`);
      }
    }
  }
});
