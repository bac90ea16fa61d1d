/**
 * Exactly-once, end to end: a consume-transform-produce pipeline (kafkajs consumer + kafkajs
 * transactional producer with sendOffsets, exactly-once-pipeline.ts) copies 10,000 input records
 * to an output topic while the test SIGKILLs it several times — each time while it has a
 * transaction open — and starts it again with the same transactional id. The restarted
 * producer fences its dead predecessor (its open transaction is aborted), the consumer goes on
 * from the offsets committed inside the last committed transaction, and the output read with
 * read_committed (kcat, and kafkajs) holds every input record exactly once.
 * Waits are for conditions (offsets committed, lines printed), never for time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { hasKcat, run } from '../helpers/external-tools.js';
import { startBrokerProcess, stopAndRemove } from '../helpers/broker-process.js';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const PIPELINE = join(import.meta.dirname, 'exactly-once-pipeline.js');
const INPUT = 'eos-input';
const OUTPUT = 'eos-output';
const GROUP = 'eos-pipeline';
const TRANSACTIONAL_ID = 'eos-pipeline-0';
const TOTAL = 10_000;
const PARTITIONS = 3;
/** Committed input offsets (summed) after which the running instance is killed, mid-transaction. */
const KILL_AFTER = [1_500, 3_500, 5_500, 7_500];

interface Pipeline {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** Resolves on the next `sent` line (a transaction is open) once `when()` holds. */
  sentWhile(when: () => boolean): Promise<void>;
}

function startPipeline(bootstrap: string): Pipeline {
  const child = spawn(process.execPath, [PIPELINE, bootstrap, INPUT, OUTPUT, GROUP, TRANSACTIONAL_ID], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiters: { when: () => boolean; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('sent ')) return;
    for (const waiter of waiters.splice(0)) {
      if (waiter.when()) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  return {
    child,
    exited,
    sentWhile: (when) => new Promise((resolve) => waiters.push({ when, resolve })),
  };
}

test('a transactional pipeline SIGKILLed mid-transaction four times copies 10,000 records exactly once', { timeout: 600_000 }, async () => {
  const broker = await startBrokerProcess({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'eos-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'eos-test-admin' });
  let pipeline: Pipeline | undefined;
  try {
    await admin.createTopics([
      { name: INPUT, numPartitions: PARTITIONS },
      { name: OUTPUT, numPartitions: PARTITIONS },
    ]);
    const producer = kafka.producer();
    await producer.connect();
    for (let start = 0; start < TOTAL; start += 1_000) {
      await producer.send({
        topic: INPUT,
        acks: -1,
        messages: Array.from({ length: 1_000 }, (_, i) => ({ key: `k${start + i}`, value: String(start + i), partition: (start + i) % PARTITIONS })),
      });
    }
    await producer.disconnect();

    // The committed progress of the group, read from the broker (what survives a kill).
    let committed = 0;
    let polling = true;
    const inputPartitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: INPUT, partition }));
    const poller = (async () => {
      while (polling) {
        const offsets = await admin.fetchCommittedOffsets(GROUP, inputPartitions).catch(() => null);
        if (offsets) committed = offsets.reduce((sum, item) => sum + Math.max(0, item.offset), 0);
        await sleep(50);
      }
    })();

    let kills = 0;
    for (const threshold of KILL_AFTER) {
      pipeline = startPipeline(broker.bootstrap);
      await pipeline.sentWhile(() => committed >= threshold);
      pipeline.child.kill('SIGKILL');
      await pipeline.exited;
      kills++;
    }
    assert.ok(committed < TOTAL, 'the kills happened before the end');
    pipeline = startPipeline(broker.bootstrap);
    while (committed < TOTAL) {
      assert.equal(pipeline.child.exitCode, null, 'the last instance keeps running');
      await sleep(100);
    }
    polling = false;
    await poller;
    pipeline.child.kill('SIGTERM');
    await pipeline.exited;
    assert.equal(kills, KILL_AFTER.length);

    // Everything committed is stable: read_committed readers reach the end.
    const outputPartitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: OUTPUT, partition, spec: 'latest' as const }));
    const stable = await admin.listOffsets(outputPartitions, { isolationLevel: 'read_committed' });
    const end = await admin.listOffsets(outputPartitions);
    assert.deepEqual(stable.map((item) => item.offset), end.map((item) => item.offset), 'no transaction left open on the output');

    const expected = Array.from({ length: TOTAL }, (_, i) => String(i)).sort();
    if (hasKcat()) {
      const read = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', OUTPUT, '-X', 'isolation.level=read_committed', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 120_000 });
      assert.equal(read.code, 0, read.stderr);
      const values = read.stdout.toString().split('\n').filter((line) => line !== '');
      assert.equal(values.length, TOTAL, 'kcat read_committed: no record lost, none duplicated');
      assert.deepEqual(values.sort(), expected);
    }

    // kafkajs (read_committed by default) agrees.
    const consumer = kafka.consumer({ groupId: 'eos-verifier' });
    await consumer.connect();
    await consumer.subscribe({ topics: [OUTPUT], fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length === TOTAL) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    assert.deepEqual(seen.sort(), expected, 'kafkajs read_committed: each input exactly once');

    // The killed instances' aborted transactions are in the log: read_uncommitted sees their records too.
    if (hasKcat()) {
      const read = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', OUTPUT, '-X', 'isolation.level=read_uncommitted', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 120_000 });
      const values = read.stdout.toString().split('\n').filter((line) => line !== '');
      assert.ok(values.length > TOTAL, `aborted records are in the output (${values.length} records read uncommitted)`);
    }
  } finally {
    if (pipeline && pipeline.child.exitCode === null) {
      pipeline.child.kill('SIGKILL');
      await pipeline.exited;
    }
    await admin.close();
    await stopAndRemove(broker);
  }
});
