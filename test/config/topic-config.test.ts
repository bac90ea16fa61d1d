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
  assert.throws(() => validateTopicOverrides(new Map([['remote.storage.enable', 'true']])), /not supported/);
  validateTopicOverrides(new Map([['cleanup.policy', 'compact,delete'], ['retention.ms', '-1'], ['segment.bytes', null]]));
});
