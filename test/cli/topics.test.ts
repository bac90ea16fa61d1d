/**
 * `tidelog topics` run as a child process against an in-process broker: create (partitions,
 * replication factor, configs, --if-not-exists, the collision warning, refusals), list (regex,
 * --exclude-internal), describe in kafka-topics.sh's format (non-default configs on the topic
 * line, one line per partition, --topics-with-overrides), alter --partitions, delete, exit
 * codes and usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_PATH } from '../helpers/broker-process.js';
import { run } from '../helpers/external-tools.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';

let broker: InProcessBroker;
let bootstrap: string;

before(async () => {
  broker = await startInProcessBroker({ 'log.segment.bytes': '50000000' });
  bootstrap = `127.0.0.1:${broker.port}`;
});

after(async () => {
  await broker?.stop();
});

async function topics(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await run(process.execPath, [CLI_PATH, 'topics', ...args, '--bootstrap-server', bootstrap, '--timeout', '5000'], {
    env: { ...process.env, TIDELOG_LOG_LEVEL: 'warn' },
  });
  return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr };
}

test('create, then describe in kafka-topics.sh\'s format', async () => {
  const created = await topics('create', '--topic', 'cli-orders', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000', '--config', 'cleanup.policy=compact');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created topic cli-orders.\n');
  const topic = broker.broker.controller.topic('cli-orders')!;
  assert.equal(topic.partitions.length, 3);
  assert.deepEqual([...topic.configs].sort(), [['cleanup.policy', 'compact'], ['retention.ms', '3600000']]);

  const described = await topics('describe', '--topic', 'cli-orders');
  assert.equal(described.code, 0, described.stderr);
  assert.equal(
    described.stdout,
    `Topic: cli-orders\tTopicId: ${topic.topicId}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=3600000,segment.bytes=50000000\n` +
      [0, 1, 2].map((partition) => `\tTopic: cli-orders\tPartition: ${partition}\tLeader: 1\tReplicas: 1\tIsr: 1\n`).join(''),
    'non-default configs: the overrides and the broker\'s static log.segment.bytes',
  );
});

test('create with broker defaults, --if-not-exists, the collision warning and refusals', async () => {
  const plain = await topics('create', '--topic', 'cli_plain');
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /WARNING: Due to limitations in metric names, topics with a period \('\.'\) or underscore \('_'\) could collide/);
  assert.equal(broker.broker.controller.topic('cli_plain')!.partitions.length, 1, 'num.partitions');

  const again = await topics('create', '--topic', 'cli_plain');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /Error while executing topic command : .*Topic 'cli_plain' already exists/);
  const quiet = await topics('create', '--topic', 'cli_plain', '--if-not-exists');
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout, '');

  const badConfig = await topics('create', '--topic', 'cli-bad', '--config', 'retention.ms=forever');
  assert.equal(badConfig.code, 1);
  assert.match(badConfig.stderr, /INVALID_CONFIG.*Invalid value forever for configuration retention.ms/);
  const badFactor = await topics('create', '--topic', 'cli-bad', '--replication-factor', '3');
  assert.equal(badFactor.code, 1);
  assert.match(badFactor.stderr, /INVALID_REPLICATION_FACTOR/);
  assert.equal(broker.broker.controller.topic('cli-bad'), undefined);

  const noTopic = await topics('create', '--partitions', '2');
  assert.equal(noTopic.code, 2);
  assert.match(noTopic.stderr, /--topic is required/);
  const zero = await topics('create', '--topic', 'x', '--partitions', '0');
  assert.equal(zero.code, 2);
  const unknownOption = await topics('list', '--partitions', '2');
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.stderr, /unknown option --partitions for 'topics list'/);
});

test('list with a regular expression and without internal topics', async () => {
  await topics('create', '--topic', 'cli-list-a');
  await topics('create', '--topic', 'cli-list-b');
  const listed = await topics('list', '--topic', 'cli-list-.*');
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout, 'cli-list-a\ncli-list-b\n');
  const whole = await topics('list', '--topic', 'cli-list');
  assert.equal(whole.stdout, '', 'the expression matches whole names');
  const all = await topics('list', '--exclude-internal');
  assert.ok(all.stdout.split('\n').includes('cli-orders'));
  assert.ok(!all.stdout.includes('__consumer_offsets'));
});

test('alter --partitions raises the count; lowering it is refused; --topics-with-overrides', async () => {
  await topics('create', '--topic', 'cli-grow', '--partitions', '2');
  const grown = await topics('alter', '--topic', 'cli-grow', '--partitions', '4');
  assert.equal(grown.code, 0, grown.stderr);
  assert.equal(broker.broker.controller.topic('cli-grow')!.partitions.length, 4);
  const lowered = await topics('alter', '--topic', 'cli-grow', '--partitions', '3');
  assert.equal(lowered.code, 1);
  assert.match(lowered.stderr, /INVALID_PARTITIONS.*Topic currently has 4 partitions, which is higher than the requested 3/);
  const missing = await topics('alter', '--topic', 'cli-nothing', '--partitions', '3');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Topic 'cli-nothing' does not exist as expected/);
  const tolerated = await topics('alter', '--topic', 'cli-nothing', '--partitions', '3', '--if-exists');
  assert.equal(tolerated.code, 0);
  const noCount = await topics('alter', '--topic', 'cli-grow');
  assert.equal(noCount.code, 2);

  const overrides = await topics('describe', '--topic', 'cli-(grow|orders)', '--topics-with-overrides');
  assert.equal(overrides.code, 0, overrides.stderr);
  assert.deepEqual(overrides.stdout.trim().split('\n').map((line) => line.split('\t')[0]), ['Topic: cli-orders'], 'only topics with overrides, no partition lines');
});

test('delete by regular expression; an unknown topic fails unless --if-exists', async () => {
  await topics('create', '--topic', 'cli-doomed-1');
  await topics('create', '--topic', 'cli-doomed-2');
  const deleted = await topics('delete', '--topic', 'cli-doomed-.*');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(broker.broker.controller.topic('cli-doomed-1'), undefined);
  assert.equal(broker.broker.controller.topic('cli-doomed-2'), undefined);
  const again = await topics('delete', '--topic', 'cli-doomed-1');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /does not exist as expected/);
  assert.equal((await topics('delete', '--topic', 'cli-doomed-1', '--if-exists')).code, 0);
  const described = await topics('describe', '--topic', 'cli-doomed-1');
  assert.equal(described.code, 1);
});

test('an unreachable bootstrap server fails with exit status 1', async () => {
  const result = await run(process.execPath, [CLI_PATH, 'topics', 'list', '--bootstrap-server', '127.0.0.1:1', '--timeout', '2000']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Error while executing topic command/);
});
