import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { TopicConfig, validateTopicOverrides } from '../../src/config/topic-config.js';
import { TOPIC_CONFIGS } from '../../src/config/topic-configs.js';

test('retention.ms resolves override, then log.retention.ms/minutes/hours, then the default', () => {
  const plain = new TopicConfig(new Map(), BrokerConfig.load());
  assert.equal(plain.number('retention.ms'), 7 * 24 * 3600 * 1000);
  assert.equal(plain.resolve('retention.ms').source, ConfigSource.DEFAULT_CONFIG);

  const hours = new TopicConfig(new Map(), BrokerConfig.load({ overrides: { 'log.retention.hours': '2' } }));
  assert.equal(hours.number('retention.ms'), 2 * 3600 * 1000);
  assert.equal(hours.resolve('retention.ms').source, ConfigSource.STATIC_BROKER_CONFIG);

  const both = new TopicConfig(new Map(), BrokerConfig.load({ overrides: { 'log.retention.hours': '2', 'log.retention.minutes': '5' } }));
  assert.equal(both.number('retention.ms'), 5 * 60 * 1000, 'minutes win over hours');

  const topic = new TopicConfig(new Map([['retention.ms', '1000']]), BrokerConfig.load({ overrides: { 'log.retention.hours': '2' } }));
  const resolved = topic.resolve('retention.ms');
  assert.equal(resolved.value, 1000);
  assert.equal(resolved.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.deepEqual(
    resolved.synonyms.map((entry) => entry.name),
    ['retention.ms', 'log.retention.hours', 'log.retention.hours'],
    'override, the static broker value, the broker default',
  );
});

test('flush.messages follows log.flush.interval.messages', () => {
  const config = new TopicConfig(new Map(), BrokerConfig.load({ overrides: { 'log.flush.interval.messages': '1' } }));
  assert.equal(config.number('flush.messages'), 1);
});

test('describe lists every topic config', () => {
  const entries = new TopicConfig(new Map(), BrokerConfig.load()).describe();
  assert.equal(entries.length, TOPIC_CONFIGS.length);
  assert.equal(entries.find((entry) => entry.name === 'cleanup.policy')!.value, 'delete');
  assert.equal(entries.find((entry) => entry.name === 'max.message.bytes')!.value, '1048588');
});

test('overrides are validated: unknown names, bad values, unsupported features', () => {
  assert.throws(() => validateTopicOverrides(new Map([['retention.weeks', '1']])), /Unknown topic config name/);
  assert.throws(() => validateTopicOverrides(new Map([['cleanup.policy', 'shred']])), /String must be one of/);
  assert.throws(() => validateTopicOverrides(new Map([['min.insync.replicas', '0']])), /at least 1/);
  assert.throws(() => validateTopicOverrides(new Map([['remote.storage.enable', 'true']])), /Tiered Storage functionality is disabled/);
  validateTopicOverrides(new Map([['cleanup.policy', 'compact,delete'], ['retention.ms', '-1'], ['segment.bytes', null]]));
});

test('the synonym chain lists broker values level by level, as Kafka\'s ConfigHelper does', () => {
  const broker = BrokerConfig.load({ overrides: { 'log.retention.minutes': '30', 'log.roll.hours': '2' } });
  broker.setDynamic('log.retention.ms', '5000', true);
  const config = new TopicConfig(new Map([['segment.ms', '1000']]), broker);
  const retention = config.resolve('retention.ms');
  assert.equal(retention.value, 5000, 'log.retention.ms wins over minutes');
  assert.equal(retention.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  assert.deepEqual(
    retention.synonyms.map((entry) => [entry.name, entry.value, entry.source]),
    [
      ['log.retention.ms', '5000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      ['log.retention.minutes', '30', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
    ],
  );
  broker.setDynamic('log.retention.ms', null, true);
  assert.equal(config.number('retention.ms'), 30 * 60_000, 'read live: minutes, converted');
  const segment = config.resolve('segment.ms');
  assert.equal(segment.value, 1000);
  assert.deepEqual(segment.synonyms.map((entry) => [entry.name, entry.source]), [
    ['segment.ms', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    ['log.roll.hours', ConfigSource.STATIC_BROKER_CONFIG],
    ['log.roll.hours', ConfigSource.DEFAULT_CONFIG],
  ]);
  assert.equal(new TopicConfig(new Map(), broker).number('segment.ms'), 2 * 3_600_000);
  assert.equal(new TopicConfig(new Map(), BrokerConfig.load({ overrides: { 'log.retention.ms': '-5' } })).number('retention.ms'), -1, 'negative broker retention is -1');
});

test('values are shown in Kafka\'s string form; compaction lags are checked against each other with the broker values', () => {
  const broker = BrokerConfig.load({ overrides: { 'log.cleaner.max.compaction.lag.ms': '1000' } });
  const described = new TopicConfig(new Map([['min.cleanable.dirty.ratio', '1'], ['cleanup.policy', 'compact, delete']]), broker).describe();
  assert.equal(described.find((entry) => entry.name === 'min.cleanable.dirty.ratio')!.value, '1.0');
  assert.equal(described.find((entry) => entry.name === 'cleanup.policy')!.value, 'compact,delete');
  assert.throws(() => validateTopicOverrides(new Map([['min.compaction.lag.ms', '2000']]), broker), /conflict topic config setting min.compaction.lag.ms \(2000\) > max.compaction.lag.ms \(1000\)/);
  validateTopicOverrides(new Map([['min.compaction.lag.ms', '2000']]), BrokerConfig.load());
  assert.throws(() => validateTopicOverrides(new Map([['compression.gzip.level', '0']])), /between 1 and 9 or equal to -1/);
  validateTopicOverrides(new Map([['compression.gzip.level', '-1'], ['compression.zstd.level', '-5']]));
});
