/**
 * The benchmark's flags (bench/options.ts): which peers a run starts, each named on its own or
 * with others, none at all, or every installed one when --peers is not given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, PEERS, USAGE } from '../../bench/options.js';

test('--peers names the peers to start, in any combination, or none', () => {
  assert.deepEqual(PEERS, ['nats', 'redis', 'rabbitmq']);
  assert.equal(parseOptions([]).peers, undefined);
  assert.deepEqual(parseOptions(['--peers', 'rabbitmq']).peers, ['rabbitmq']);
  assert.deepEqual(parseOptions(['--peers', 'nats, rabbitmq,nats']).peers, ['nats', 'rabbitmq']);
  assert.deepEqual(parseOptions(['--peers', 'none']).peers, []);
  assert.throws(() => parseOptions(['--peers', 'kafka']), /--peers: unknown "kafka" \(one of nats, redis, rabbitmq\)/);
  for (const peer of PEERS) assert.match(USAGE, new RegExp(`--peers LIST .*\\b${peer}\\b`));
});

test('--quick sets the short bounds; explicit flags win whatever their order', () => {
  const options = parseOptions(['--duration-s', '2', '--quick', '--only', 'compare,e2e', '--peers', 'rabbitmq', '--no-docs']);
  assert.equal(options.quick, true);
  assert.equal(options.durationS, 2);
  assert.equal(options.e2eS, 1.5);
  assert.deepEqual(options.only, ['compare', 'e2e']);
  assert.equal(options.writeDocs, false);
});
