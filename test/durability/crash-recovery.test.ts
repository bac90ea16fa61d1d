/**
 * Crash tests (DESIGN.md §5): a broker killed with SIGKILL loses no acknowledged record, and
 * a log whose tail was torn mid-batch recovers to its last whole batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync, truncateSync, openSync, writeSync, closeSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';
import { DEBIAN_PYTHON, hasConfluentKafkaPython, hasKcat, run, runPython } from '../helpers/external-tools.js';
import { removeDir, startBrokerProcess, temporaryDataDir } from '../helpers/broker-process.js';

const { Kafka, logLevel } = kafkajs;

const PRODUCER = String.raw`
import sys
from confluent_kafka import Producer
bootstrap, topic, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = sys.stdout
def report(err, msg):
    if err is None:
        out.write('%d %d %s\n' % (msg.partition(), msg.offset(), msg.value().decode()))
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 2, 'message.timeout.ms': 4000,
              'enable.idempotence': False, 'retries': 0, 'queue.buffering.max.messages': 200000})
for i in range(total):
    while True:
        try:
            p.produce(topic, value=('record-%d' % i).encode(), partition=i % 3, on_delivery=report)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
p.flush(15)
out.flush()
`;

const CONSUMER = String.raw`
import sys
from confluent_kafka import Consumer, TopicPartition, KafkaError
bootstrap, topic = sys.argv[1], sys.argv[2]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False, 'enable.partition.eof': True, 'fetch.max.bytes': 10485760})
c.assign([TopicPartition(topic, p, 0) for p in range(3)])
eof = set()
while len(eof) < 3:
    m = c.poll(10)
    if m is None:
        raise SystemExit('timed out reading')
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF:
            eof.add(m.partition()); continue
        raise SystemExit(str(m.error()))
    sys.stdout.write('%d %d %s\n' % (m.partition(), m.offset(), m.value().decode()))
c.close()
`;

test('SIGKILL during acks=all production loses no acknowledged record and duplicates none', { skip: !hasConfluentKafkaPython() && 'python3-confluent-kafka missing', timeout: 300_000 }, async () => {
  const dataDir = temporaryDataDir();
  const config = { 'num.partitions': '3' };
  const broker = await startBrokerProcess({ dataDir, config });
  const acknowledged = new Map<string, { partition: number; offset: number }>();
  const producer = spawn(DEBIAN_PYTHON, ['-c', PRODUCER, broker.bootstrap, 'crash', '400000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  producer.stderr.resume();
  const lines = createInterface({ input: producer.stdout });
  let killed = false;
  const producerDone = new Promise<void>((resolve) => producer.once('exit', () => resolve()));
  for await (const line of lines) {
    const [partition, offset, value] = line.split(' ');
    acknowledged.set(value!, { partition: Number(partition), offset: Number(offset) });
    // 100,000 acknowledged, then keep producing and kill the broker mid-stream.
    if (!killed && acknowledged.size >= 110_000) {
      killed = true;
      await broker.kill();
    }
  }
  await producerDone;
  assert.ok(killed, `the broker was killed mid-production (${acknowledged.size} acknowledged)`);
  assert.ok(acknowledged.size >= 110_000);

  const restarted = await startBrokerProcess({ dataDir, config });
  try {
    const result = await runPython(CONSUMER, [restarted.bootstrap, 'crash'], 240_000);
    assert.equal(result.code, 0, result.stderr);
    const stored = new Map<string, number>();
    const byPosition = new Map<string, string>();
    for (const line of result.stdout.toString().split('\n')) {
      if (!line) continue;
      const [partition, offset, value] = line.split(' ');
      stored.set(value!, (stored.get(value!) ?? 0) + 1);
      byPosition.set(`${partition}:${offset}`, value!);
    }
    let missing = 0;
    let duplicated = 0;
    let moved = 0;
    for (const [value, position] of acknowledged) {
      const count = stored.get(value) ?? 0;
      if (count === 0) missing++;
      if (count > 1) duplicated++;
      if (byPosition.get(`${position.partition}:${position.offset}`) !== value) moved++;
    }
    assert.equal(missing, 0, 'acknowledged records missing after the crash');
    assert.equal(duplicated, 0, 'acknowledged records stored twice');
    assert.equal(moved, 0, 'acknowledged records not at the offset they were acknowledged with');
  } finally {
    await restarted.stop();
    removeDir(dataDir);
  }
});

function activeSegment(dataDir: string, partitionDir: string): string {
  const dir = join(dataDir, partitionDir);
  const logs = readdirSync(dir).filter((name) => name.endsWith('.log')).sort();
  return join(dir, logs[logs.length - 1]!);
}

/** The byte positions where each batch starts in a segment file. */
function batchPositions(path: string): number[] {
  const fd = openSync(path, 'r');
  const positions: number[] = [];
  const header = Buffer.alloc(12);
  let position = 0;
  const size = statSync(path).size;
  while (position + 12 <= size) {
    readSync(fd, header, 0, 12, position);
    positions.push(position);
    position += 12 + header.readInt32BE(8);
  }
  closeSync(fd);
  return positions;
}

async function produceBatches(bootstrap: string, topic: string, batches: number): Promise<void> {
  // kafkajs sends each send() call's messages for one partition as one batch, whatever the timing.
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < batches; i++) {
      await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `batch-${i}-a` }, { partition: 0, value: `batch-${i}-b` }] });
    }
  } finally {
    await producer.disconnect();
  }
}

async function readAll(bootstrap: string, topic: string): Promise<string[]> {
  const result = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o:%s\n']);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.toString().split('\n').filter(Boolean);
}

for (const damage of ['truncated mid-batch', 'corrupt byte in the last batch'] as const) {
  test(`a log whose last segment was ${damage} recovers to the last whole batch`, { skip: !hasKcat() && 'kcat missing' }, async () => {
    const dataDir = temporaryDataDir();
    let broker = await startBrokerProcess({ dataDir });
    await produceBatches(broker.bootstrap, 'torn', 5);
    assert.equal((await readAll(broker.bootstrap, 'torn')).length, 10);
    await broker.kill();

    const segment = activeSegment(dataDir, 'torn-0');
    const positions = batchPositions(segment);
    assert.equal(positions.length, 5, 'one batch per produce');
    const lastBatch = positions[4]!;
    if (damage === 'truncated mid-batch') {
      truncateSync(segment, lastBatch + 30);
    } else {
      const fd = openSync(segment, 'r+');
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, statSync(segment).size - 3);
      byte[0] = byte[0]! ^ 0xff;
      writeSync(fd, byte, 0, 1, statSync(segment).size - 3);
      closeSync(fd);
    }

    broker = await startBrokerProcess({ dataDir });
    try {
      assert.match(broker.log(), /Recovering/, 'an unclean shutdown triggers recovery');
      assert.equal(statSync(segment).size, lastBatch, 'the damaged tail was cut at the last whole batch');
      const survivors = await readAll(broker.bootstrap, 'torn');
      assert.deepEqual(survivors, ['0:batch-0-a', '1:batch-0-b', '2:batch-1-a', '3:batch-1-b', '4:batch-2-a', '5:batch-2-b', '6:batch-3-a', '7:batch-3-b']);
      await produceBatches(broker.bootstrap, 'torn', 1);
      const after = await readAll(broker.bootstrap, 'torn');
      assert.deepEqual(after.slice(-2), ['8:batch-0-a', '9:batch-0-b'], 'appends continue at the recovered end');
    } finally {
      await broker.stop();
      removeDir(dataDir);
    }
  });
}

test('SIGTERM shuts down cleanly: exit 0, and a restart needs no recovery', { skip: !hasKcat() && 'kcat missing' }, async () => {
  const dataDir = temporaryDataDir();
  let broker = await startBrokerProcess({ dataDir });
  await produceBatches(broker.bootstrap, 'clean', 3);
  assert.equal(await broker.stop(), 0);
  assert.match(broker.log(), /shut down cleanly/);
  broker = await startBrokerProcess({ dataDir });
  try {
    assert.doesNotMatch(broker.log(), /recover/i, 'no recovery after a clean shutdown');
    assert.equal((await readAll(broker.bootstrap, 'clean')).length, 6);
  } finally {
    await broker.stop();
    removeDir(dataDir);
  }
});
