/**
 * `tidelog configs` run as a child process against an in-process broker: describe in
 * kafka-configs.sh's format (dynamic configs with their synonyms, --all, every topic, every
 * broker and the cluster default), alter with --add-config (bracketed lists) and
 * --delete-config on topics, a broker and the cluster default, the changes reaching the broker,
 * Kafka's refusals, exit codes and usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH } from '../helpers/broker-process.js';
import { run } from '../helpers/external-tools.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { parseAddConfig } from '../../src/cli/commands/configs.js';

let broker: InProcessBroker;
let bootstrap: string;

before(async () => {
  broker = await startInProcessBroker();
  bootstrap = `127.0.0.1:${broker.port}`;
  await broker.broker.controller.createTopic({ name: 'cfg-orders', numPartitions: 1, replicationFactor: 1, configs: new Map([['retention.ms', '3600000']]) });
  await broker.broker.controller.createTopic({ name: 'cfg-plain', numPartitions: 1, replicationFactor: 1 });
});

after(async () => {
  await broker?.stop();
});

async function configs(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await run(process.execPath, [CLI_PATH, 'configs', ...args, '--bootstrap-server', bootstrap, '--timeout', '5000'], {
    env: { ...process.env, TIDELOG_LOG_LEVEL: 'warn' },
  });
  return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr };
}

test('--add-config is read as kafka-configs.sh reads it', () => {
  assert.deepEqual([...parseAddConfig('a=1,b=[x,y],c= spaced ,d=')], [['a', '1'], ['b', 'x,y'], ['c', 'spaced'], ['d', '']]);
  assert.throws(() => parseAddConfig('a'), /must be in the format "key=val"/);
  assert.throws(() => parseAddConfig('a=b=c'), /must be in the format/);
  assert.throws(() => parseAddConfig('bad key=1'), /Invalid character found for config key: bad key/);
});

test('describe a topic: its dynamic configs with synonyms; --all lists every config', async () => {
  const described = await configs('describe', '--entity-type', 'topics', '--entity-name', 'cfg-orders');
  assert.equal(described.code, 0, described.stderr);
  assert.equal(
    described.stdout,
    'Dynamic configs for topic cfg-orders are:\n' +
      '  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000, DEFAULT_CONFIG:log.retention.hours=168}\n',
  );
  const all = await configs('describe', '--topic', 'cfg-orders', '--all');
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.equal(lines[0], 'All configs for topic cfg-orders are:');
  assert.ok(lines.includes('  cleanup.policy=delete sensitive=false synonyms={DEFAULT_CONFIG:log.cleanup.policy=delete}'));
  assert.ok(lines.length > 30);
  const every = await configs('describe', '--entity-type', 'topics');
  assert.ok(every.stdout.includes('Dynamic configs for topic cfg-plain are:\n'));
  const missing = await configs('describe', '--topic', 'cfg-missing');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
});

test('alter a topic: add (with a bracketed list) and delete; the broker has the change', async () => {
  const altered = await configs('alter', '--entity-type', 'topics', '--entity-name', 'cfg-orders', '--add-config', 'cleanup.policy=[compact,delete],max.message.bytes=5000', '--delete-config', 'retention.ms');
  assert.equal(altered.code, 0, altered.stderr);
  assert.equal(altered.stdout, 'Completed updating config for topic cfg-orders.\n');
  assert.deepEqual([...broker.broker.controller.topic('cfg-orders')!.configs].sort(), [['cleanup.policy', 'compact,delete'], ['max.message.bytes', '5000']]);
  assert.deepEqual(broker.broker.replicaManager.getPartition('cfg-orders', 0)!.log.config.cleanupPolicy, ['compact', 'delete']);

  const notSet = await configs('alter', '--topic', 'cfg-orders', '--delete-config', 'retention.ms');
  assert.equal(notSet.code, 1);
  assert.match(notSet.stderr, /Invalid config\(s\): retention.ms/);
  const bad = await configs('alter', '--topic', 'cfg-orders', '--add-config', 'segment.bytes=1');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /INVALID_CONFIG.*Value must be at least 14/);
  const unknown = await configs('alter', '--topic', 'cfg-orders', '--add-config', 'retention.weeks=1');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Unknown topic config name: retention.weeks/);

  const dir = mkdtempSync(join(tmpdir(), 'tidelog-configs-'));
  const file = join(dir, 'topic.properties');
  writeFileSync(file, '# from a file\nsegment.ms=600000\n');
  const fromFile = await configs('alter', '--topic', 'cfg-orders', '--add-config-file', file);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(broker.broker.controller.topic('cfg-orders')!.configs.get('segment.ms'), '600000');
});

test('brokers: a broker id and the cluster default, described level by level', async () => {
  const perBroker = await configs('alter', '--entity-type', 'brokers', '--entity-name', '1', '--add-config', 'log.retention.ms=7200000,log.cleaner.threads=2');
  assert.equal(perBroker.code, 0, perBroker.stderr);
  assert.equal(perBroker.stdout, 'Completed updating config for broker 1.\n');
  const defaults = await configs('alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.retention.ms=3600000');
  assert.equal(defaults.code, 0, defaults.stderr);
  assert.equal(defaults.stdout, 'Completed updating default config for brokers in the cluster.\n');
  assert.equal(broker.broker.config.number('log.retention.ms'), 7_200_000);

  const described = await configs('describe', '--entity-type', 'brokers');
  assert.equal(described.code, 0, described.stderr);
  assert.equal(
    described.stdout,
    'Dynamic configs for broker 1 are:\n' +
      '  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}\n' +
      '  log.retention.ms=7200000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=7200000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=3600000, DEFAULT_CONFIG:log.retention.hours=168}\n' +
      'Default configs for brokers in the cluster are:\n' +
      '  log.retention.ms=3600000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=3600000}\n',
  );
  const topic = await configs('describe', '--topic', 'cfg-plain', '--all');
  assert.ok(topic.stdout.includes('  retention.ms=7200000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=7200000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=3600000, DEFAULT_CONFIG:log.retention.hours=168}\n'));

  const nonDynamic = await configs('alter', '--broker', '1', '--add-config', 'num.partitions=4');
  assert.equal(nonDynamic.code, 1);
  assert.match(nonDynamic.stderr, /INVALID_REQUEST.*Cannot update these configs dynamically: Set\(num.partitions\)/);
  const cleared = await configs('alter', '--broker', '1', '--delete-config', 'log.retention.ms,log.cleaner.threads');
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal((await configs('alter', '--broker-defaults', '--delete-config', 'log.retention.ms')).code, 0);
  assert.equal(broker.broker.config.isSet('log.retention.ms'), false);
});

test('usage errors exit with status 2', async () => {
  const cases: [string[], RegExp][] = [
    [['describe'], /entity type must be specified/],
    [['describe', '--entity-type', 'users'], /not supported by Tidelog/],
    [['describe', '--entity-type', 'tables'], /Invalid entity type tables/],
    [['describe', '--entity-type', 'topics', '--entity-default'], /--entity-default must not be specified with --describe of topics/],
    [['alter', '--entity-type', 'topics', '--add-config', 'a=1'], /An entity name must be specified with --alter of topics/],
    [['alter', '--entity-type', 'brokers', '--add-config', 'a=1'], /An entity-name or default entity must be specified/],
    [['alter', '--entity-type', 'brokers', '--entity-name', 'one', '--add-config', 'a=1'], /must be a valid integer broker id, but it is: one/],
    [['alter', '--topic', 'cfg-orders'], /At least one of --add-config, --add-config-file, or --delete-config/],
    [['describe', '--topic', 'cfg-orders', '--add-config', 'a=1'], /--add-config can only be used with alter/],
    [['describe', '--topic', 'cfg-orders', '--entity-type', 'topics'], /should not be used in conjunction/],
    [['drop'], /unknown configs action/],
  ];
  for (const [args, message] of cases) {
    const result = await configs(...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});
