import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig, parseListener, validateDynamicBrokerConfigs } from '../../src/config/broker-config.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { parseProperties } from '../../src/config/properties.js';
import { ConfigError, KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

test('defaults are Kafka\'s', () => {
  const config = BrokerConfig.load();
  assert.equal(config.nodeId, 1);
  assert.deepEqual(config.listeners(), [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  assert.equal(config.logDir, './data');
  assert.equal(config.number('num.partitions'), 1);
  assert.equal(config.number('message.max.bytes'), 1048588);
  assert.equal(config.number('socket.request.max.bytes'), 104857600);
  assert.equal(config.boolean('auto.create.topics.enable'), true);
  assert.equal(config.number('log.retention.hours'), 168);
});

test('properties file, then --set, then TIDELOG_ environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidelog-config-'));
  const file = join(dir, 'server.properties');
  writeFileSync(file, '# comment\nnode.id=3\nnum.partitions = 4\nlog.dirs=/a,/b\nlisteners=PLAINTEXT://0.0.0.0:9093\\\n\nsome.unknown.key=x\n');
  const config = BrokerConfig.load({ file, overrides: { 'num.partitions': '6' }, env: { TIDELOG_LOG_RETENTION_HOURS: '24', PATH: '/bin' } });
  assert.equal(config.nodeId, 3);
  assert.equal(config.number('num.partitions'), 6);
  assert.equal(config.logDir, '/a');
  assert.equal(config.number('log.retention.hours'), 24);
  assert.deepEqual(config.unknownKeys, ['some.unknown.key']);
  assert.equal(config.advertisedListeners()[0]!.host, '127.0.0.1', 'an unspecified host is advertised as loopback');
  assert.equal(config.describeOne('num.partitions')!.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(config.describeOne('log.segment.bytes')!.source, ConfigSource.DEFAULT_CONFIG);
});

test('broker.id is a synonym of node.id', () => {
  assert.equal(BrokerConfig.load({ overrides: { 'broker.id': '7' } }).nodeId, 7);
});

test('bad values are refused with Kafka\'s wording', () => {
  assert.throws(() => BrokerConfig.load({ overrides: { 'num.partitions': 'many' } }), ConfigError);
  assert.throws(() => BrokerConfig.load({ overrides: { 'num.partitions': '0' } }), /Value must be at least 1/);
  assert.throws(() => BrokerConfig.load({ overrides: { 'auto.create.topics.enable': 'yes' } }), /either true or false/);
  assert.throws(() => BrokerConfig.load({ overrides: { listeners: 'localhost:9092' } }), /NAME:\/\/host:port/);
});

test('dynamic values override static ones and report their source', () => {
  const config = BrokerConfig.load({ overrides: { 'log.retention.bytes': '100' } });
  config.setDynamic('log.retention.bytes', '200');
  assert.equal(config.number('log.retention.bytes'), 200);
  assert.equal(config.describeOne('log.retention.bytes')!.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.deepEqual(
    config.synonymChain('log.retention.bytes').map((entry) => [entry.value, entry.source]),
    [['200', ConfigSource.DYNAMIC_BROKER_CONFIG], ['100', ConfigSource.STATIC_BROKER_CONFIG], ['-1', ConfigSource.DEFAULT_CONFIG]],
  );
  config.setDynamic('log.retention.bytes', null);
  assert.equal(config.number('log.retention.bytes'), 100);
  assert.throws(() => config.setDynamic('node.id', '2'), /dynamically/);
});

test('listeners parse names, IPv6 hosts and ports', () => {
  assert.deepEqual(parseListener('plaintext://[::1]:19092', 'listeners'), { name: 'PLAINTEXT', host: '::1', port: 19092 });
  assert.throws(() => parseListener('PLAINTEXT://host:70000', 'listeners'), /port/);
});

test('properties parser handles separators, escapes and continuations', () => {
  const parsed = parseProperties('a=1\nb: 2\nc 3\n! bang comment\nd=x\\\n  y\ne=tab\\tend\nf\n');
  assert.deepEqual([...parsed], [['a', '1'], ['b', '2'], ['c', '3'], ['d', 'xy'], ['e', 'tab\tend'], ['f', '']]);
});

test('dynamic changes are checked as Kafka\'s DynamicBrokerConfig does, all answered INVALID_REQUEST', () => {
  const invalidRequest = (pattern: RegExp) => (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.INVALID_REQUEST && pattern.test(error.message);
  assert.throws(() => validateDynamicBrokerConfigs(new Map([['num.partitions', '2'], ['log.dirs', '/x']]), true), invalidRequest(/^Cannot update these configs dynamically: Set\(num.partitions, log.dirs\)$/));
  assert.throws(() => validateDynamicBrokerConfigs(new Map([['log.retention.ms', 'x']]), true), invalidRequest(/Invalid value x for configuration log.retention.ms/));
  assert.throws(() => validateDynamicBrokerConfigs(new Map([['advertised.listeners', 'PLAINTEXT://h:1']]), false), invalidRequest(/at default cluster level/));
  assert.throws(() => validateDynamicBrokerConfigs(new Map([['advertised.listeners', 'nonsense']]), true), invalidRequest(/NAME:\/\/host:port/));
  validateDynamicBrokerConfigs(new Map([['advertised.listeners', 'PLAINTEXT://h:1'], ['some.plugin.setting', 'x'], ['log.cleaner.threads', '2']]), true);
});

test('custom dynamic keys are kept and described; invalid stored values are ignored on load', () => {
  const config = BrokerConfig.load({ overrides: { 'my.static.key': 'a' } });
  config.setDynamic('my.plugin.key', 'b');
  const names = config.describe().map((entry) => entry.name);
  assert.ok(names.includes('my.static.key') && names.includes('my.plugin.key'));
  const custom = config.describeOne('my.plugin.key')!;
  assert.equal(custom.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.equal(custom.readOnly, true);
  assert.match(config.applyDynamic('num.partitions', '4', true) ?? '', /Cannot update these configs dynamically/);
  assert.equal(config.number('num.partitions'), 1);
  assert.equal(config.applyDynamic('message.max.bytes', '2000', true), null);
  assert.equal(config.number('message.max.bytes'), 2000);
});

test('the cluster default describes only its own keys; broker synonyms follow Kafka\'s order', () => {
  const config = BrokerConfig.load({ overrides: { 'log.retention.hours': '10' } });
  config.setDynamic('log.retention.ms', '1000', true);
  config.setDynamic('log.retention.ms', '2000');
  assert.deepEqual(config.describeClusterDefaults().map((entry) => [entry.name, entry.value, entry.source, entry.synonyms.length]), [
    ['log.retention.ms', '1000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, 1],
  ]);
  assert.deepEqual(config.synonymChain('log.retention.ms').map((entry) => [entry.name, entry.value]), [
    ['log.retention.ms', '2000'],
    ['log.retention.ms', '1000'],
    ['log.retention.hours', '10'],
    ['log.retention.hours', '168'],
  ]);
  assert.deepEqual(config.synonymChain('log.retention.hours').map((entry) => entry.value), ['10', '168']);
  const hours = config.describeOne('log.retention.hours')!;
  assert.equal(hours.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(hours.readOnly, true);
});
