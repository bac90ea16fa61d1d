/**
 * When the benchmark takes a RabbitMQ node as ready (bench/peers/rabbitmq.ts): after its startup
 * line and, on a restart, once every stream it recovered has its writer again, since a stream
 * without one refuses consumers. Read from log lines as RabbitMQ 3.10 prints them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamsRecovered } from '../../bench/peers/rabbitmq.js';

const line = (text: string): string => `2026-11-23 23:00:34.093761+00:00 [info] <0.454.0> ${text}\n`;
const recovering = (n: number): string => line(`Recovering ${n} queues of type rabbit_stream_queue took 0ms`);
const complete = line('Server startup complete; 0 plugins started.');
const writer = (name: string): string => line(`osiris_writer:init/1: name: __${name}_1795474830101281377 last offset: 99 committed chunk id: 66 epoch: 2`);

test('a fresh node is ready at its startup line', () => {
  assert.equal(streamsRecovered(recovering(0)), false);
  assert.equal(streamsRecovered(recovering(0) + complete), true);
});

test('a restarted node is ready once every recovered stream has its writer', () => {
  const started = recovering(2) + complete;
  assert.equal(streamsRecovered(started), false);
  assert.equal(streamsRecovered(started + writer('a_0')), false);
  assert.equal(streamsRecovered(started + writer('a_0') + writer('a_1')), true);
  // The writers alone are not enough: the broker must have finished starting as well.
  assert.equal(streamsRecovered(recovering(2) + writer('a_0') + writer('a_1')), false);
});
