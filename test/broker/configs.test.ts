/**
 * Configs end to end on an in-process broker, through the wire: DescribeConfigs (topics, the
 * broker, the cluster default; sources, synonyms, types, documentation), IncrementalAlterConfigs
 * and AlterConfigs with Kafka's validation and errors, dynamic broker configs, persistence
 * across a restart, changes taking effect at once on the produce path (max.message.bytes,
 * LogAppendTime, timestamps, compression.type recompression), and DescribeLogDirs; then the
 * same through real clients: kafkajs (DescribeConfigs v2, AlterConfigs v1), confluent-kafka-python
 * 1.7.0 on librdkafka 2.0.2 (DescribeConfigs v1, AlterConfigs v0; it has no
 * incremental_alter_configs) and @platformatic/kafka (IncrementalAlterConfigs v1,
 * DescribeConfigs v4, DescribeLogDirs v4).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigSource, ConfigType } from '../../src/config/config-def.js';
import { TOPIC_CONFIGS } from '../../src/config/topic-configs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  alterConfigs,
  createTopics,
  describeConfigs,
  describeLogDirs,
  incrementalAlterConfigs,
  produce,
} from '../../src/protocol/messages/index.js';
import { buildRecordBatch, CompressionType, decodeRecords, readBatchHeader, type RecordInput } from '../../src/protocol/records/index.js';
import kafkajs from 'kafkajs';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import { RawClient } from '../helpers/raw-client.js';
import { hasConfluentKafkaPython, runPython } from '../helpers/external-tools.js';
import { removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

let server: InProcessBroker;
let client: RawClient;

before(async () => {
  server = await startInProcessBroker({ 'log.retention.hours': '100', 'log.segment.bytes': '2000000' });
  client = await RawClient.connect(server.port);
});

after(async () => {
  client.close();
  await server.stop();
});

async function createTopic(name: string, configs: Record<string, string> = {}, partitions = 1): Promise<void> {
  const answer = await client.request(createTopics, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([key, value]) => ({ name: key, value })) }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.equal(answer!.body.topics[0]!.errorCode, ErrorCode.NONE, answer!.body.topics[0]!.errorMessage ?? '');
}

type DescribeResult = Awaited<ReturnType<typeof describe>>[number];

async function describe(resources: { resourceType: number; resourceName: string; configurationKeys?: string[] | null }[], options: { version?: number; synonyms?: boolean; documentation?: boolean } = {}) {
  const answer = await client.request(describeConfigs, options.version ?? 4, {
    resources: resources.map((resource) => ({ configurationKeys: null, ...resource })),
    includeSynonyms: options.synonyms ?? true,
    includeDocumentation: options.documentation ?? false,
  });
  return answer!.body.results;
}

async function topicConfig(topic: string, name: string) {
  const [result] = await describe([{ resourceType: TOPIC, resourceName: topic, configurationKeys: [name] }]);
  assert.equal(result!.errorCode, ErrorCode.NONE);
  return result!.configs[0]!;
}

function entry(result: DescribeResult, name: string) {
  const found = result.configs.find((config) => config.name === name);
  assert.ok(found, `${name} is described`);
  return found;
}

type Change = { name: string; configOperation: number; value: string | null };

async function incremental(resources: { resourceType: number; resourceName: string; configs: Change[] }[], validateOnly = false, version = 1) {
  const answer = await client.request(incrementalAlterConfigs, version, { resources, validateOnly });
  return answer!.body.responses;
}

async function legacy(resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[], validateOnly = false, version = 2) {
  const answer = await client.request(alterConfigs, version, { resources, validateOnly });
  return answer!.body.responses;
}

async function setTopicConfig(topic: string, name: string, value: string | null): Promise<void> {
  const [response] = await incremental([{ resourceType: TOPIC, resourceName: topic, configs: [{ name, configOperation: value === null ? DELETE : SET, value }] }]);
  assert.equal(response!.errorCode, ErrorCode.NONE, response!.errorMessage ?? '');
}

async function produceTo(topic: string, batch: Buffer, version = 8) {
  const answer = await client.request(produce, version, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  return answer!.body.responses[0]!.partitionResponses[0]!;
}

/** The batches stored in partition 0 of a topic, read straight from the broker's log (one segment per read). */
async function storedBatches(topic: string): Promise<Buffer[]> {
  const partition = server.broker.replicaManager.getPartition(topic, 0)!;
  const batches: Buffer[] = [];
  let offset = partition.logStartOffset;
  while (offset < partition.highWatermark) {
    const read = await partition.read({ fetchOffset: offset, maxBytes: 10_000_000, minOneBatch: true, isolationLevel: 0, currentLeaderEpoch: -1 });
    const bytes = Buffer.concat(read.records);
    for (let at = 0; at < bytes.length; ) {
      const size = bytes.readInt32BE(at + 8) + 12;
      const batch = bytes.subarray(at, at + size);
      batches.push(batch);
      offset = readBatchHeader(batch).lastOffset + 1;
      at += size;
    }
  }
  return batches;
}

function records(count: number, options: { timestamp?: number; valueBytes?: number } = {}): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${i}`,
    value: options.valueBytes ? Buffer.alloc(options.valueBytes, i % 250) : `value ${i} `.repeat(20),
    headers: [{ key: 'h', value: String(i) }],
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp + i }),
  }));
}

// ---- DescribeConfigs --------------------------------------------------------------------------

test('DescribeConfigs of a topic lists every topic config with its source, synonyms, type and documentation', async () => {
  await createTopic('described', { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '1' });
  const [result] = await describe([{ resourceType: TOPIC, resourceName: 'described' }], { documentation: true });
  assert.equal(result!.errorCode, ErrorCode.NONE);
  assert.equal(result!.configs.length, TOPIC_CONFIGS.length, 'every topic config');

  const retention = entry(result!, 'retention.ms');
  assert.equal(retention.value, String(100 * 3_600_000), 'log.retention.hours=100 in ms');
  assert.equal(retention.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(retention.readOnly, false);
  assert.equal(retention.configType, ConfigType.LONG);
  assert.deepEqual(
    retention.synonyms.map((synonym) => [synonym.name, synonym.value, synonym.source]),
    [
      ['log.retention.hours', '100', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
    ],
  );

  const cleanup = entry(result!, 'cleanup.policy');
  assert.equal(cleanup.value, 'compact');
  assert.equal(cleanup.configSource, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.equal(cleanup.configType, ConfigType.LIST);
  assert.deepEqual(cleanup.synonyms.map((synonym) => [synonym.name, synonym.source]), [
    ['cleanup.policy', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    ['log.cleanup.policy', ConfigSource.DEFAULT_CONFIG],
  ]);
  assert.ok(cleanup.documentation && cleanup.documentation.length > 10, 'documentation when asked');

  const ratio = entry(result!, 'min.cleanable.dirty.ratio');
  assert.equal(ratio.value, '1.0', 'doubles are shown as Java prints them');
  assert.equal(ratio.configType, ConfigType.DOUBLE);

  const segment = entry(result!, 'segment.bytes');
  assert.equal(segment.value, '2000000');
  assert.equal(segment.configSource, ConfigSource.STATIC_BROKER_CONFIG);

  const remote = entry(result!, 'remote.storage.enable');
  assert.equal(remote.configSource, ConfigSource.DEFAULT_CONFIG);
  assert.deepEqual(remote.synonyms, [], 'no broker synonym');

  // Keys asked for only; no synonyms or documentation unless asked.
  const [only] = await describe([{ resourceType: TOPIC, resourceName: 'described', configurationKeys: ['retention.ms', 'no.such.key'] }], { synonyms: false });
  assert.deepEqual(only!.configs.map((config) => config.name), ['retention.ms']);
  assert.deepEqual(only!.configs[0]!.synonyms, []);
  assert.equal(only!.configs[0]!.documentation, null);
});

test('DescribeConfigs v0 reports is_default; unknown and illegal topics get their errors', async () => {
  await createTopic('described-v0', { 'retention.ms': '5000' });
  const [v0] = await describe([{ resourceType: TOPIC, resourceName: 'described-v0' }], { version: 0 });
  assert.equal(entry(v0!, 'retention.ms').isDefault, false);
  assert.equal(entry(v0!, 'retention.ms').value, '5000');
  assert.equal(entry(v0!, 'flush.ms').isDefault, true);
  const [unknown, illegal, logger] = await describe([
    { resourceType: TOPIC, resourceName: 'no-such-topic' },
    { resourceType: TOPIC, resourceName: 'bad/name' },
    { resourceType: 8, resourceName: '1' },
  ]);
  assert.equal(unknown!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(illegal!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  assert.equal(logger!.errorCode, ErrorCode.INVALID_REQUEST);
});

test('DescribeConfigs of the broker: every config, read-only unless dynamic; the cluster default lists only what is set there', async () => {
  const [broker, other, notNumber, defaults] = await describe([
    { resourceType: BROKER, resourceName: '1' },
    { resourceType: BROKER, resourceName: '2' },
    { resourceType: BROKER, resourceName: 'one' },
    { resourceType: BROKER, resourceName: '' },
  ]);
  assert.equal(broker!.errorCode, ErrorCode.NONE);
  assert.equal(entry(broker!, 'num.partitions').readOnly, true);
  assert.equal(entry(broker!, 'num.partitions').configSource, ConfigSource.DEFAULT_CONFIG);
  assert.equal(entry(broker!, 'log.retention.ms').readOnly, false);
  assert.equal(entry(broker!, 'log.retention.ms').value, null, 'not set: null, as Kafka shows it');
  const hours = entry(broker!, 'log.retention.hours');
  assert.equal(hours.value, '100');
  assert.equal(hours.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(hours.readOnly, true, 'only log.retention.ms is dynamic');
  assert.equal(entry(broker!, 'message.max.bytes').configType, ConfigType.INT);
  assert.equal(other!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(notNumber!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(defaults!.errorCode, ErrorCode.NONE);
  assert.deepEqual(defaults!.configs, []);
});

// ---- IncrementalAlterConfigs and AlterConfigs on topics ---------------------------------------

test('IncrementalAlterConfigs SET, DELETE, APPEND and SUBTRACT on a topic; validate_only changes nothing', async () => {
  await createTopic('incremental');
  const responses = await incremental([
    {
      resourceType: TOPIC,
      resourceName: 'incremental',
      configs: [
        { name: 'retention.ms', configOperation: SET, value: '60000' },
        { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
      ],
    },
  ]);
  assert.deepEqual(responses.map((response) => [response.resourceName, response.errorCode, response.errorMessage]), [['incremental', ErrorCode.NONE, null]]);
  assert.equal((await topicConfig('incremental', 'retention.ms')).value, '60000');
  assert.equal((await topicConfig('incremental', 'cleanup.policy')).value, 'delete,compact', 'APPEND starts from the default');

  const subtracted = await incremental([{ resourceType: TOPIC, resourceName: 'incremental', configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }] }]);
  assert.equal(subtracted[0]!.errorCode, ErrorCode.NONE);
  assert.equal((await topicConfig('incremental', 'cleanup.policy')).value, 'compact');

  const checked = await incremental([{ resourceType: TOPIC, resourceName: 'incremental', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] }], true);
  assert.equal(checked[0]!.errorCode, ErrorCode.NONE);
  assert.equal((await topicConfig('incremental', 'retention.ms')).value, '60000', 'validate_only');

  const deleted = await incremental(
    [{ resourceType: TOPIC, resourceName: 'incremental', configs: [{ name: 'retention.ms', configOperation: DELETE, value: null }] }],
    false,
    0,
  );
  assert.equal(deleted[0]!.errorCode, ErrorCode.NONE, 'v0 works too');
  const retention = await topicConfig('incremental', 'retention.ms');
  assert.equal(retention.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(retention.value, String(100 * 3_600_000));
  // The partition's log config follows at once.
  assert.deepEqual(server.broker.replicaManager.getPartition('incremental', 0)!.log.config.cleanupPolicy, ['compact']);
  assert.equal(server.broker.replicaManager.getPartition('incremental', 0)!.log.config.retentionMs, 100 * 3_600_000);
});

test('IncrementalAlterConfigs refuses bad changes with Kafka\'s errors and keeps the other resources', async () => {
  await createTopic('validated');
  const cases: [Change[], ErrorCode, RegExp][] = [
    [[{ name: 'retention.weeks', configOperation: SET, value: '1' }], ErrorCode.INVALID_CONFIG, /Unknown topic config name: retention.weeks/],
    [[{ name: 'retention.ms', configOperation: SET, value: 'soon' }], ErrorCode.INVALID_CONFIG, /Invalid value soon for configuration retention.ms/],
    [[{ name: 'min.insync.replicas', configOperation: SET, value: '0' }], ErrorCode.INVALID_CONFIG, /Value must be at least 1/],
    [[{ name: 'cleanup.policy', configOperation: SET, value: 'shred' }], ErrorCode.INVALID_CONFIG, /String must be one of/],
    [[{ name: 'compression.type', configOperation: SET, value: 'brotli' }], ErrorCode.INVALID_CONFIG, /compression.type/],
    [[{ name: 'compression.gzip.level', configOperation: SET, value: '12' }], ErrorCode.INVALID_CONFIG, /between 1 and 9 or equal to -1/],
    [[{ name: 'min.compaction.lag.ms', configOperation: SET, value: '100' }, { name: 'max.compaction.lag.ms', configOperation: SET, value: '10' }], ErrorCode.INVALID_CONFIG, /conflict topic config setting/],
    [[{ name: 'retention.ms', configOperation: APPEND, value: '5' }], ErrorCode.INVALID_CONFIG, /Can't APPEND to key retention.ms because its type is not LIST/],
    [[{ name: 'retention.ms', configOperation: 7, value: '5' }], ErrorCode.INVALID_REQUEST, /Unknown operations type 7/],
    [[{ name: 'retention.ms', configOperation: SET, value: null }], ErrorCode.INVALID_REQUEST, /Null value not supported/],
    [[{ name: 'retention.ms', configOperation: SET, value: '1' }, { name: 'retention.ms', configOperation: DELETE, value: null }], ErrorCode.INVALID_REQUEST, /duplicate config keys/],
    [[{ name: 'remote.storage.enable', configOperation: SET, value: 'true' }], ErrorCode.INVALID_CONFIG, /Tiered Storage/],
  ];
  for (const [configs, code, message] of cases) {
    const [response, good] = await incremental([
      { resourceType: TOPIC, resourceName: 'validated', configs },
      { resourceType: TOPIC, resourceName: 'incremental', configs: [{ name: 'segment.ms', configOperation: SET, value: '3600000' }] },
    ]);
    assert.equal(response!.errorCode, code, `${JSON.stringify(configs)}: ${response!.errorMessage}`);
    assert.match(response!.errorMessage ?? '', message);
    assert.equal(good!.errorCode, ErrorCode.NONE, 'the other resource is changed');
  }
  const described = await describe([{ resourceType: TOPIC, resourceName: 'validated' }]);
  assert.ok(described[0]!.configs.every((config) => config.configSource !== ConfigSource.DYNAMIC_TOPIC_CONFIG), 'nothing was set on the refused resource');

  const [missing, unnamed, duplicate1, duplicate2, unknownType] = await incremental([
    { resourceType: TOPIC, resourceName: 'no-such-topic', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] },
    { resourceType: TOPIC, resourceName: '', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] },
    { resourceType: TOPIC, resourceName: 'validated', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] },
    { resourceType: TOPIC, resourceName: 'validated', configs: [{ name: 'retention.ms', configOperation: SET, value: '2' }] },
    { resourceType: 99, resourceName: 'x', configs: [] },
  ]);
  assert.equal(missing!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(unnamed!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(duplicate1!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(duplicate2!.errorMessage, 'Each resource must appear at most once.');
  assert.equal(unknownType!.errorCode, ErrorCode.INVALID_REQUEST);
});

test('AlterConfigs replaces the whole set of topic overrides', async () => {
  await createTopic('legacy', { 'retention.ms': '1000', 'segment.ms': '2000' });
  const [response] = await legacy([{ resourceType: TOPIC, resourceName: 'legacy', configs: [{ name: 'retention.ms', value: '3000' }, { name: 'max.message.bytes', value: '5000' }] }]);
  assert.equal(response!.errorCode, ErrorCode.NONE);
  const [result] = await describe([{ resourceType: TOPIC, resourceName: 'legacy' }]);
  const overrides = result!.configs.filter((config) => config.configSource === ConfigSource.DYNAMIC_TOPIC_CONFIG).map((config) => [config.name, config.value]);
  assert.deepEqual(overrides.sort(), [['max.message.bytes', '5000'], ['retention.ms', '3000']], 'segment.ms was removed');

  const [bad] = await legacy([{ resourceType: TOPIC, resourceName: 'legacy', configs: [{ name: 'segment.ms', value: '0' }] }], false, 0);
  assert.equal(bad!.errorCode, ErrorCode.INVALID_CONFIG);
  const [nulls] = await legacy([{ resourceType: TOPIC, resourceName: 'legacy', configs: [{ name: 'segment.ms', value: null }] }], false, 1);
  assert.equal(nulls!.errorCode, ErrorCode.INVALID_REQUEST);
  const [checkOnly] = await legacy([{ resourceType: TOPIC, resourceName: 'legacy', configs: [] }], true);
  assert.equal(checkOnly!.errorCode, ErrorCode.NONE);
  assert.equal((await topicConfig('legacy', 'retention.ms')).value, '3000', 'validate_only kept the overrides');
  const [cleared] = await legacy([{ resourceType: TOPIC, resourceName: 'legacy', configs: [] }]);
  assert.equal(cleared!.errorCode, ErrorCode.NONE);
  assert.equal((await topicConfig('legacy', 'retention.ms')).configSource, ConfigSource.STATIC_BROKER_CONFIG, 'an empty set removes every override');
});

// ---- broker resources -------------------------------------------------------------------------

test('dynamic broker configs: per broker and cluster default, with Kafka\'s precedence and synonyms', async () => {
  const [perBroker, clusterDefault] = await incremental([
    { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: SET, value: '7200000' }] },
    {
      resourceType: BROKER,
      resourceName: '',
      configs: [
        { name: 'log.retention.ms', configOperation: SET, value: '3600000' },
        { name: 'log.cleaner.backoff.ms', configOperation: SET, value: '1000' },
      ],
    },
  ]);
  assert.equal(perBroker!.errorCode, ErrorCode.NONE, perBroker!.errorMessage ?? '');
  assert.equal(clusterDefault!.errorCode, ErrorCode.NONE, clusterDefault!.errorMessage ?? '');
  assert.equal(server.broker.config.number('log.cleaner.backoff.ms'), 1000, 'applied to the running broker');

  await createTopic('inherits');
  const retention = await topicConfig('inherits', 'retention.ms');
  assert.equal(retention.value, '7200000');
  assert.equal(retention.configSource, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.deepEqual(
    retention.synonyms.map((synonym) => [synonym.name, synonym.value, synonym.source]),
    [
      ['log.retention.ms', '7200000', ConfigSource.DYNAMIC_BROKER_CONFIG],
      ['log.retention.ms', '3600000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      ['log.retention.hours', '100', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
    ],
  );
  assert.equal(server.broker.replicaManager.getPartition('inherits', 0)!.log.config.retentionMs, 7_200_000);

  const [broker, defaults] = await describe([
    { resourceType: BROKER, resourceName: '1', configurationKeys: ['log.retention.ms', 'log.retention.hours'] },
    { resourceType: BROKER, resourceName: '' },
  ]);
  assert.equal(entry(broker!, 'log.retention.ms').configSource, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.deepEqual(
    entry(broker!, 'log.retention.hours').synonyms.map((synonym) => [synonym.name, synonym.source]),
    [
      ['log.retention.hours', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.retention.hours', ConfigSource.DEFAULT_CONFIG],
    ],
    'a synonym key set above is not shown for the key asked for',
  );
  assert.deepEqual(defaults!.configs.map((config) => [config.name, config.value, config.configSource]), [
    ['log.cleaner.backoff.ms', '1000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    ['log.retention.ms', '3600000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
  ]);
  assert.deepEqual(entry(defaults!, 'log.retention.ms').synonyms.map((synonym) => synonym.source), [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);

  // Deleting the per-broker value lets the cluster default through.
  const [removed] = await incremental([{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: DELETE, value: null }] }]);
  assert.equal(removed!.errorCode, ErrorCode.NONE);
  assert.equal((await topicConfig('inherits', 'retention.ms')).configSource, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  assert.equal(server.broker.replicaManager.getPartition('inherits', 0)!.log.config.retentionMs, 3_600_000);
  const [cleanup] = await incremental([
    { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: DELETE, value: null }, { name: 'log.cleaner.backoff.ms', configOperation: DELETE, value: null }] },
  ]);
  assert.equal(cleanup!.errorCode, ErrorCode.NONE);
  assert.equal((await topicConfig('inherits', 'retention.ms')).configSource, ConfigSource.STATIC_BROKER_CONFIG);
});

test('broker config changes Kafka does not allow are INVALID_REQUEST', async () => {
  const cases: [string, Change[], RegExp][] = [
    ['1', [{ name: 'num.partitions', configOperation: SET, value: '3' }], /Cannot update these configs dynamically: Set\(num.partitions\)/],
    ['1', [{ name: 'log.retention.hours', configOperation: SET, value: '3' }], /Cannot update these configs dynamically/],
    ['1', [{ name: 'message.max.bytes', configOperation: SET, value: 'big' }], /Invalid value big for configuration message.max.bytes/],
    ['', [{ name: 'advertised.listeners', configOperation: SET, value: 'PLAINTEXT://example.com:9092' }], /broker id must be specified/],
    ['2', [{ name: 'message.max.bytes', configOperation: SET, value: '1000' }], /Unexpected broker id, expected 1, but received 2/],
    ['x', [{ name: 'message.max.bytes', configOperation: SET, value: '1000' }], /Node id must be an integer/],
  ];
  for (const [resourceName, configs, message] of cases) {
    const [response] = await incremental([{ resourceType: BROKER, resourceName, configs }]);
    assert.equal(response!.errorCode, ErrorCode.INVALID_REQUEST, `${resourceName} ${JSON.stringify(configs)}: ${response!.errorMessage}`);
    assert.match(response!.errorMessage ?? '', message);
  }
  const [append] = await incremental([{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'message.max.bytes', configOperation: APPEND, value: '1' }] }]);
  assert.equal(append!.errorCode, ErrorCode.INVALID_CONFIG);
  const [legacyBad] = await legacy([{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.dirs', value: '/tmp/elsewhere' }] }]);
  assert.equal(legacyBad!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(server.broker.config.isSet('message.max.bytes'), false, 'nothing changed');
});

// ---- changes take effect at once ------------------------------------------------------------

test('lowering max.message.bytes makes a larger batch fail with MESSAGE_TOO_LARGE at once', async () => {
  await createTopic('sized');
  const batch = () => buildRecordBatch({ records: records(10, { valueBytes: 500 }) });
  assert.equal((await produceTo('sized', batch())).errorCode, ErrorCode.NONE);
  await setTopicConfig('sized', 'max.message.bytes', '2000');
  assert.equal((await produceTo('sized', batch())).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  await setTopicConfig('sized', 'max.message.bytes', null);
  assert.equal((await produceTo('sized', batch())).errorCode, ErrorCode.NONE);
  // The broker-wide message.max.bytes reaches topics without an override.
  const [changed] = await incremental([{ resourceType: BROKER, resourceName: '', configs: [{ name: 'message.max.bytes', configOperation: SET, value: '2000' }] }]);
  assert.equal(changed!.errorCode, ErrorCode.NONE);
  assert.equal((await produceTo('sized', batch())).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  await incremental([{ resourceType: BROKER, resourceName: '', configs: [{ name: 'message.max.bytes', configOperation: DELETE, value: null }] }]);
  assert.equal((await produceTo('sized', batch())).errorCode, ErrorCode.NONE);
});

test('min.insync.replicas, segment.*, flush.* and index settings reach the partition at once', async () => {
  await createTopic('tuned');
  const acksAll = async () => {
    const answer = await client.request(produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'tuned', partitionData: [{ index: 0, records: buildRecordBatch({ records: records(1) }) }] }],
    });
    return answer!.body.responses[0]!.partitionResponses[0]!;
  };
  assert.equal((await acksAll()).errorCode, ErrorCode.NONE);
  await setTopicConfig('tuned', 'min.insync.replicas', '2');
  const refused = await acksAll();
  assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  await setTopicConfig('tuned', 'min.insync.replicas', null);
  assert.equal((await acksAll()).errorCode, ErrorCode.NONE);

  const [response] = await incremental([
    {
      resourceType: TOPIC,
      resourceName: 'tuned',
      configs: [
        { name: 'segment.bytes', configOperation: SET, value: '100000' },
        { name: 'segment.ms', configOperation: SET, value: '60000' },
        { name: 'flush.messages', configOperation: SET, value: '1' },
        { name: 'flush.ms', configOperation: SET, value: '1000' },
        { name: 'index.interval.bytes', configOperation: SET, value: '128' },
      ],
    },
  ]);
  assert.equal(response!.errorCode, ErrorCode.NONE);
  const config = server.broker.replicaManager.getPartition('tuned', 0)!.log.config;
  assert.deepEqual([config.segmentBytes, config.segmentMs, config.flushMessages, config.flushMs, config.indexIntervalBytes], [100_000, 60_000, 1, 1000, 128]);
});

test('message.timestamp.type=LogAppendTime stamps batches with the broker time from the next produce', async () => {
  await createTopic('stamped');
  const old = 1_600_000_000_000;
  const before = await produceTo('stamped', buildRecordBatch({ records: records(3, { timestamp: old }) }));
  assert.equal(before.logAppendTimeMs, -1);
  await setTopicConfig('stamped', 'message.timestamp.type', 'LogAppendTime');
  const start = Date.now();
  const after = await produceTo('stamped', buildRecordBatch({ records: records(3, { timestamp: old }) }));
  assert.equal(after.errorCode, ErrorCode.NONE);
  assert.ok(after.logAppendTimeMs >= start && after.logAppendTimeMs <= Date.now(), 'the response carries the append time');
  const [first, second] = await storedBatches('stamped');
  assert.deepEqual(decodeRecords(first!).map((record) => record.timestamp), [old, old + 1, old + 2]);
  assert.deepEqual(decodeRecords(second!).map((record) => record.timestamp), [after.logAppendTimeMs, after.logAppendTimeMs, after.logAppendTimeMs]);
  assert.equal(readBatchHeader(second!).isLogAppendTime, true);
});

test('message.timestamp.before.max.ms and after.max.ms refuse records outside the window with INVALID_TIMESTAMP', async () => {
  await createTopic('windowed', { 'message.timestamp.before.max.ms': '60000' });
  const now = Date.now();
  assert.equal((await produceTo('windowed', buildRecordBatch({ records: records(2, { timestamp: now }) }))).errorCode, ErrorCode.NONE);
  const stale = await produceTo('windowed', buildRecordBatch({ records: records(2, { timestamp: now - 3_600_000 }) }));
  assert.equal(stale.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.match(stale.errorMessage ?? '', /is out of range. The timestamp should be within \[/);
  const future = await produceTo('windowed', buildRecordBatch({ records: records(2, { timestamp: now + 7_200_000 }) }));
  assert.equal(future.errorCode, ErrorCode.INVALID_TIMESTAMP, 'after.max.ms defaults to one hour');
  await setTopicConfig('windowed', 'message.timestamp.after.max.ms', String(24 * 3_600_000));
  assert.equal((await produceTo('windowed', buildRecordBatch({ records: records(2, { timestamp: now + 7_200_000 }) }))).errorCode, ErrorCode.NONE);
  await setTopicConfig('windowed', 'message.timestamp.type', 'LogAppendTime');
  assert.equal((await produceTo('windowed', buildRecordBatch({ records: records(2, { timestamp: now - 3_600_000 }) }))).errorCode, ErrorCode.NONE, 'no window under LogAppendTime');
});

for (const [topicCodec, producerCodec] of [
  ['gzip', CompressionType.NONE],
  ['zstd', CompressionType.LZ4],
  ['uncompressed', CompressionType.SNAPPY],
  ['lz4', CompressionType.GZIP],
] as const) {
  test(`compression.type=${topicCodec} recompresses a ${CompressionType[producerCodec]} batch, keeping records, offsets and producer fields`, async () => {
    const topic = `recompressed-${topicCodec}`;
    await createTopic(topic);
    const first = buildRecordBatch({ records: records(5, { timestamp: 1_700_000_000_000 }), compression: producerCodec });
    assert.equal((await produceTo(topic, first)).baseOffset, 0);
    await setTopicConfig(topic, 'compression.type', topicCodec);
    const sent = records(7, { timestamp: 1_700_000_100_000 });
    const second = buildRecordBatch({ records: sent, compression: producerCodec, producerId: 42, producerEpoch: 3, baseSequence: 10 });
    const answer = await produceTo(topic, second);
    assert.equal(answer.errorCode, ErrorCode.NONE, answer.errorMessage ?? '');
    assert.equal(answer.baseOffset, 5);
    const third = await produceTo(topic, buildRecordBatch({ records: records(1), compression: producerCodec }));
    assert.equal(third.baseOffset, 12, 'offsets stay dense after a rebuilt batch');
    const [storedFirst, storedSecond] = await storedBatches(topic);
    assert.equal(readBatchHeader(storedFirst!).compressionType, producerCodec, 'earlier batches are untouched');
    const header = readBatchHeader(storedSecond!);
    const expected = { gzip: CompressionType.GZIP, zstd: CompressionType.ZSTD, uncompressed: CompressionType.NONE, lz4: CompressionType.LZ4 }[topicCodec];
    assert.equal(header.compressionType, expected);
    assert.equal(header.baseOffset, 5);
    assert.equal(header.lastOffsetDelta, 6);
    assert.equal(header.producerId, 42);
    assert.equal(header.producerEpoch, 3);
    assert.equal(header.baseSequence, 10);
    assert.equal(header.maxTimestamp, 1_700_000_100_006);
    const stored = decodeRecords(storedSecond!);
    assert.deepEqual(
      stored.map((record) => [record.offset, record.key!.toString(), record.value!.toString(), record.timestamp, record.headers[0]!.value!.toString()]),
      sent.map((record, i) => [5 + i, record.key, record.value, record.timestamp, String(i)]),
    );
  });
}

test('a batch already in the topic codec is stored as sent; a rebuilt batch over max.message.bytes is MESSAGE_TOO_LARGE', async () => {
  await createTopic('same-codec', { 'compression.type': 'gzip' });
  const batch = buildRecordBatch({ records: records(4), compression: CompressionType.GZIP });
  const copy = Buffer.from(batch);
  assert.equal((await produceTo('same-codec', batch)).errorCode, ErrorCode.NONE);
  const [stored] = await storedBatches('same-codec');
  assert.deepEqual(stored!.subarray(61), copy.subarray(61), 'records section unchanged');

  // Incompressible values: the uncompressed rebuild is bigger than the zstd batch the producer sent.
  await createTopic('grows', { 'compression.type': 'uncompressed', 'max.message.bytes': '3000' });
  const compressible = buildRecordBatch({ records: [{ key: 'k', value: Buffer.alloc(10_000, 1) }], compression: CompressionType.ZSTD });
  assert.ok(compressible.length < 3000);
  const answer = await produceTo('grows', compressible);
  assert.equal(answer.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.match(answer.errorMessage ?? '', /Message batch size is \d+ bytes in append to partition grows-0/);
});

// ---- DescribeLogDirs ------------------------------------------------------------------------

test('DescribeLogDirs lists the log directory with each partition\'s size; v4 adds total and usable bytes', async () => {
  await createTopic('sized-dir', {}, 2);
  await produceTo('sized-dir', buildRecordBatch({ records: records(20) }));
  for (const version of [0, 1, 2, 3, 4]) {
    const answer = await client.request(describeLogDirs, version, { topics: null });
    const body = answer!.body;
    assert.equal(body.results.length, 1);
    const dir = body.results[0]!;
    assert.equal(dir.errorCode, ErrorCode.NONE);
    assert.equal(dir.logDir, server.dataDir);
    const topic = dir.topics.find((candidate) => candidate.name === 'sized-dir')!;
    assert.deepEqual(topic.partitions.map((partition) => partition.partitionIndex), [0, 1]);
    const size0 = topic.partitions[0]!.partitionSize;
    assert.equal(size0, server.broker.replicaManager.getPartition('sized-dir', 0)!.log.size);
    assert.ok(size0 > 0);
    assert.equal(topic.partitions[1]!.partitionSize, 0);
    assert.ok(topic.partitions.every((partition) => partition.offsetLag === 0 && partition.isFutureKey === false));
    if (version >= 4) {
      assert.ok(dir.totalBytes > 0 && dir.usableBytes > 0 && dir.usableBytes <= dir.totalBytes, `${dir.totalBytes} ${dir.usableBytes}`);
    }
  }
  const some = await client.request(describeLogDirs, 4, { topics: [{ topic: 'sized-dir', partitions: [1, 7] }, { topic: 'nothing-here', partitions: [0] }] });
  assert.deepEqual(
    some!.body.results[0]!.topics.map((topic) => [topic.name, topic.partitions.map((partition) => partition.partitionIndex)]),
    [['sized-dir', [1]]],
    'only hosted partitions',
  );
});

// ---- persistence --------------------------------------------------------------------------

test('topic overrides and dynamic broker configs survive a restart and apply to the reopened logs', async () => {
  const dataDir = temporaryDataDir();
  const settings = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir };
  let broker = new Broker(BrokerConfig.load({ overrides: settings }));
  await broker.start();
  try {
    let raw = await RawClient.connect(broker.boundPort());
    await raw.request(createTopics, 5, {
      topics: [{ name: 'kept', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    const changed = await raw.request(incrementalAlterConfigs, 1, {
      resources: [
        { resourceType: TOPIC, resourceName: 'kept', configs: [{ name: 'message.timestamp.type', configOperation: SET, value: 'LogAppendTime' }, { name: 'segment.ms', configOperation: SET, value: '120000' }] },
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.bytes', configOperation: SET, value: '123456789' }] },
        { resourceType: BROKER, resourceName: '', configs: [{ name: 'compression.type', configOperation: SET, value: 'gzip' }] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(changed!.body.responses.map((response) => response.errorCode), [0, 0, 0]);
    raw.close();
    await broker.stop();

    broker = new Broker(BrokerConfig.load({ overrides: settings }));
    await broker.start();
    raw = await RawClient.connect(broker.boundPort());
    const answer = await raw.request(describeConfigs, 4, {
      resources: [
        { resourceType: TOPIC, resourceName: 'kept', configurationKeys: ['message.timestamp.type', 'segment.ms', 'retention.bytes', 'compression.type'] },
        { resourceType: BROKER, resourceName: '', configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    raw.close();
    const [topic, defaults] = answer!.body.results;
    assert.deepEqual(
      topic!.configs.map((config) => [config.name, config.value, config.configSource]),
      [
        ['compression.type', 'gzip', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
        ['message.timestamp.type', 'LogAppendTime', ConfigSource.DYNAMIC_TOPIC_CONFIG],
        ['retention.bytes', '123456789', ConfigSource.DYNAMIC_BROKER_CONFIG],
        ['segment.ms', '120000', ConfigSource.DYNAMIC_TOPIC_CONFIG],
      ],
    );
    assert.deepEqual(defaults!.configs.map((config) => config.name), ['compression.type']);
    const log = broker.replicaManager.getPartition('kept', 0)!.log;
    assert.equal(log.config.messageTimestampType, 'LogAppendTime');
    assert.equal(log.config.segmentMs, 120_000);
    assert.equal(log.config.retentionBytes, 123_456_789);
  } finally {
    await broker.stop();
    removeDir(dataDir);
  }
});

// ---- real clients ---------------------------------------------------------------------------

test('kafkajs describeConfigs and alterConfigs on topics and the broker; produce sees the change', async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'configs-test', brokers: [`127.0.0.1:${server.port}`], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'kafkajs-configs', numPartitions: 1, configEntries: [{ name: 'segment.ms', value: '600000' }] }] });
    const described = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kafkajs-configs' }], includeSynonyms: true });
    const segment = described.resources[0]!.configEntries.find((config) => config.configName === 'segment.ms')!;
    assert.equal(segment.configValue, '600000');
    assert.equal(Number(segment.configSource), ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assert.equal(segment.configSynonyms[0]!.configName, 'segment.ms');

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kafkajs-configs', configEntries: [{ name: 'max.message.bytes', value: '1000' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }] }],
    });
    const after = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kafkajs-configs' }], includeSynonyms: false });
    const overrides = after.resources[0]!.configEntries.filter((config) => Number(config.configSource) === ConfigSource.DYNAMIC_TOPIC_CONFIG).map((config) => config.configName);
    assert.deepEqual(overrides.sort(), ['max.message.bytes', 'message.timestamp.type'], 'AlterConfigs replaced the overrides (segment.ms is gone)');

    await assert.rejects(producer.send({ topic: 'kafkajs-configs', messages: [{ value: 'x'.repeat(5000) }] }), (error: Error & { type?: string }) => {
      assert.equal(error.type ?? (error as { cause?: { type?: string } }).cause?.type, 'MESSAGE_TOO_LARGE', String(error));
      return true;
    });
    const [sent] = await producer.send({ topic: 'kafkajs-configs', messages: [{ value: 'small', timestamp: '1000' }] });
    assert.ok(Number(sent!.logAppendTime) > 1_000_000_000_000, 'LogAppendTime reported to the producer');

    await assert.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kafkajs-configs', configEntries: [{ name: 'retention.ms', value: 'never' }] }] }),
      (error: Error & { type?: string }) => error.type === 'INVALID_CONFIG',
    );
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.cleaner.backoff.ms', value: '2500' }] }],
    });
    const broker = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: '1', configNames: ['log.cleaner.backoff.ms'] }], includeSynonyms: false });
    assert.deepEqual(broker.resources[0]!.configEntries.map((config) => [config.configName, config.configValue, Number(config.configSource), config.readOnly]), [
      ['log.cleaner.backoff.ms', '2500', ConfigSource.DYNAMIC_BROKER_CONFIG, false],
    ]);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: '1', configEntries: [] }] });
    assert.equal(server.broker.config.describeOne('log.cleaner.backoff.ms')!.source, ConfigSource.DEFAULT_CONFIG, 'an empty AlterConfigs clears the broker\'s dynamic configs');
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

const PYTHON_SCRIPT = String.raw`
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka import KafkaException

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})
out = {}

def describe(resource):
    result = admin.describe_configs([resource], request_timeout=10)
    configs = list(result.values())[0].result()
    return {name: {'value': e.value, 'source': e.source, 'is_default': e.is_default, 'read_only': e.is_read_only,
                   'synonyms': [[s.name, s.value, s.source] for s in e.synonyms.values()]} for name, e in configs.items()}

out['before'] = describe(ConfigResource(ConfigResource.Type.TOPIC, topic))
altered = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'retention.ms': '86400000', 'cleanup.policy': 'compact'})], request_timeout=10)
list(altered.values())[0].result()
out['after'] = describe(ConfigResource(ConfigResource.Type.TOPIC, topic))
try:
    bad = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'cleanup.policy': 'shred'})], request_timeout=10)
    list(bad.values())[0].result()
    out['bad'] = None
except KafkaException as e:
    out['bad'] = e.args[0].name()
checked = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'retention.ms': '1'})], validate_only=True, request_timeout=10)
list(checked.values())[0].result()
out['checked'] = describe(ConfigResource(ConfigResource.Type.TOPIC, topic))['retention.ms']['value']
broker = admin.alter_configs([ConfigResource(ConfigResource.Type.BROKER, '1', set_config={'log.retention.bytes': '987654321'})], request_timeout=10)
list(broker.values())[0].result()
out['broker'] = describe(ConfigResource(ConfigResource.Type.BROKER, '1'))['log.retention.bytes']
try:
    nondynamic = admin.alter_configs([ConfigResource(ConfigResource.Type.BROKER, '1', set_config={'num.partitions': '3'})], request_timeout=10)
    list(nondynamic.values())[0].result()
    out['nondynamic'] = None
except KafkaException as e:
    out['nondynamic'] = e.args[0].name()
print(json.dumps(out))
`;

test('confluent-kafka-python 1.7.0 describe_configs and alter_configs', { skip: !hasConfluentKafkaPython() && 'python3-confluent-kafka is not installed' }, async () => {
  await createTopic('python-configs', { 'segment.ms': '600000' });
  const result = await runPython(PYTHON_SCRIPT, [`127.0.0.1:${server.port}`, 'python-configs']);
  assert.equal(result.code, 0, result.stderr);
  type Entry = { value: string | null; source: number; is_default: boolean; read_only: boolean; synonyms: [string, string, number][] };
  const output = JSON.parse(result.stdout.toString()) as { before: Record<string, Entry>; after: Record<string, Entry>; bad: string | null; checked: string; broker: Entry; nondynamic: string | null };
  assert.equal(output.before['segment.ms']!.value, '600000');
  assert.equal(output.before['segment.ms']!.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.equal(output.before['cleanup.policy']!.is_default, true);
  assert.equal(output.before['retention.ms']!.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(output.after['retention.ms']!.value, '86400000');
  assert.equal(output.after['cleanup.policy']!.value, 'compact');
  assert.equal(output.after['segment.ms']!.source, ConfigSource.DEFAULT_CONFIG, 'alter_configs replaces the whole set');
  assert.equal(output.bad, 'INVALID_CONFIG');
  assert.equal(output.checked, '86400000', 'validate_only');
  assert.equal(output.broker.value, '987654321');
  assert.equal(output.broker.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.equal(output.broker.read_only, false);
  assert.equal(output.nondynamic, 'INVALID_REQUEST');
  assert.equal(server.broker.replicaManager.getPartition('python-configs', 0)!.log.config.retentionMs, 86_400_000);
  // Leave the broker as the other tests expect it.
  await legacy([{ resourceType: BROKER, resourceName: '1', configs: [] }]);
});

test('@platformatic/kafka incrementalAlterConfigs, describeConfigs v4 and describeLogDirs v4', async () => {
  const admin = new PlatformaticAdmin({ clientId: 'configs-test', bootstrapBrokers: [`127.0.0.1:${server.port}`] });
  try {
    await createTopic('platformatic-configs', { 'cleanup.policy': 'delete' });
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: TOPIC,
          resourceName: 'platformatic-configs',
          configs: [
            { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
            { name: 'retention.bytes', configOperation: SET, value: '1048576' },
          ],
        },
      ],
    });
    const described = await admin.describeConfigs({
      resources: [{ resourceType: TOPIC, resourceName: 'platformatic-configs', configurationKeys: ['cleanup.policy', 'retention.bytes'] }],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    const configs = described[0]!.configs;
    assert.deepEqual(configs.map((config) => [config.name, config.value, config.configSource, config.configType]), [
      ['cleanup.policy', 'delete,compact', ConfigSource.DYNAMIC_TOPIC_CONFIG, ConfigType.LIST],
      ['retention.bytes', '1048576', ConfigSource.DYNAMIC_TOPIC_CONFIG, ConfigType.LONG],
    ]);
    assert.ok(configs.every((config) => typeof config.documentation === 'string' && config.documentation.length > 0));
    await assert.rejects(
      admin.incrementalAlterConfigs({
        resources: [{ resourceType: TOPIC, resourceName: 'platformatic-configs', configs: [{ name: 'retention.bytes', configOperation: APPEND, value: '1' }] }],
      }),
    );

    await produceTo('platformatic-configs', buildRecordBatch({ records: records(5) }));
    const dirs = await admin.describeLogDirs({ topics: [{ name: 'platformatic-configs', partitions: [0] }] });
    assert.equal(dirs.length, 1);
    const dir = dirs[0]!.results[0]!;
    assert.equal(dir.logDir, server.dataDir);
    assert.ok(Number(dir.totalBytes) > 0);
    const partition = dir.topics[0]!.partitions[0]!;
    assert.equal(Number(partition.partitionSize), server.broker.replicaManager.getPartition('platformatic-configs', 0)!.log.size);
  } finally {
    await admin.close();
  }
});
