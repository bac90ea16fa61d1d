/**
 * A broker stopped (SIGTERM) or killed (SIGKILL) while a kafkajs producer has a transaction
 * open, then started again on the same data and port:
 * - the producer gone, the transaction comes back Ongoing from `__transaction_state` and the
 *   partition's producer state, holds the last stable offset, and is aborted when its timeout
 *   passes; the LSO then moves on and read_committed readers skip its records;
 * - the producer still there, it commits after the restart and its records become visible.
 * Waits are for conditions (the LSO reaching the end, records read), never for time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { hasKcat, run } from '../helpers/external-tools.js';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** A short sweep so that a 3 s transaction timeout is acted on soon after it passes. */
const CONFIG = { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '500', 'group.initial.rebalance.delay.ms': '0' };
const TOPIC = 'restart-txn';

async function offsets(admin: Admin): Promise<{ stable: number; end: number }> {
  const [stable] = await admin.listOffsets([{ topic: TOPIC, partition: 0, spec: 'latest' }], { isolationLevel: 'read_committed' });
  const [end] = await admin.listOffsets([{ topic: TOPIC, partition: 0, spec: 'latest' }]);
  return { stable: stable!.offset, end: end!.offset };
}

async function readCommitted(bootstrap: string): Promise<string[]> {
  const read = await run('kcat', ['-C', '-b', bootstrap, '-t', TOPIC, '-X', 'isolation.level=read_committed', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 60_000 });
  assert.equal(read.code, 0, read.stderr);
  return read.stdout.toString().split('\n').filter((line) => line !== '');
}

async function restart(broker: BrokerProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<BrokerProcess> {
  if (signal === 'SIGTERM') assert.equal(await broker.stop(), 0, 'clean shutdown');
  else await broker.kill();
  return startBrokerProcess({ dataDir: broker.dataDir, port: broker.port, config: CONFIG });
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`${signal} with a transaction open, producer gone: it times out after the restart and the LSO moves on`, async () => {
    let broker = await startBrokerProcess({ config: CONFIG });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    let admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'restart-test' });
    try {
      await admin.createTopics([{ name: TOPIC, numPartitions: 1 }]);
      const producer = kafka.producer({ transactionalId: `abandoned-${signal}`, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 3_000 });
      await producer.connect();
      const committed = await producer.transaction();
      await committed.send({ topic: TOPIC, messages: [{ value: 'committed before' }] });
      await committed.commit();
      const open = await producer.transaction();
      await open.send({ topic: TOPIC, messages: [{ value: 'open 1' }, { value: 'open 2' }] });
      const before = await offsets(admin);
      assert.ok(before.stable < before.end, 'the open transaction holds the LSO');
      await admin.close();
      await producer.disconnect();

      broker = await restart(broker, signal);
      admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'restart-test' });
      const after = await offsets(admin);
      assert.equal(after.end, before.end, 'nothing lost');
      // Until the timeout the transaction is still open (Ongoing, or already aborted if the restart was slow).
      let state = (await admin.describeTransactions([`abandoned-${signal}`]))[0]!.state;
      assert.ok(['Ongoing', 'PrepareAbort', 'CompleteAbort'].includes(state), state);
      for (let now = await offsets(admin); now.stable < now.end; now = await offsets(admin)) await sleep(100);
      // The marker moved the LSO; CompleteAbort is written right after it.
      while (state !== 'CompleteAbort') {
        assert.ok(['Ongoing', 'PrepareAbort'].includes(state), state);
        await sleep(50);
        state = (await admin.describeTransactions([`abandoned-${signal}`]))[0]!.state;
      }

      const plain = kafka.producer();
      await plain.connect();
      await plain.send({ topic: TOPIC, messages: [{ value: 'after restart' }] });
      await plain.disconnect();
      if (hasKcat()) assert.deepEqual(await readCommitted(broker.bootstrap), ['committed before', 'after restart']);
      const { stable, end } = await offsets(admin);
      assert.equal(stable, end);
    } finally {
      await admin.close();
      await stopAndRemove(broker);
    }
  });

  test(`${signal} with a transaction open, producer still there: it commits after the restart`, async () => {
    let broker = await startBrokerProcess({ config: CONFIG });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    let admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'restart-test' });
    const producer = kafka.producer({ transactionalId: `survivor-${signal}`, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
    try {
      await admin.createTopics([{ name: TOPIC, numPartitions: 1 }]);
      await producer.connect();
      const open = await producer.transaction();
      await open.send({ topic: TOPIC, messages: [{ value: 'in flight 1' }] });
      await admin.close();

      broker = await restart(broker, signal);
      admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'restart-test' });
      const during = await offsets(admin);
      assert.ok(during.stable < during.end, 'still open after the restart');
      await open.send({ topic: TOPIC, messages: [{ value: 'in flight 2' }] });
      await open.commit();
      const { stable, end } = await offsets(admin);
      assert.equal(stable, end, 'committed: the LSO is the end');
      if (hasKcat()) assert.deepEqual(await readCommitted(broker.bootstrap), ['in flight 1', 'in flight 2']);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.close();
      await stopAndRemove(broker);
    }
  });
}
