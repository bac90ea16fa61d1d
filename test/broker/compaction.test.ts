/**
 * Log compaction end to end, with a real broker process and real clients: kafkajs writes
 * 100,000 updates over 1,000 keys (half of them gzip batches) and tombstones for 100 keys, kcat
 * reads the topic back. After cleaning, the topic holds exactly the latest value of every live
 * key and, once delete.retention.ms has passed, nothing of the deleted keys; offsets strictly
 * increase. A broker killed with SIGKILL while it cleans leaves a log that reads back
 * correctly and finishes the cleaning after a restart.
 *
 * No timing assertions: the tests poll, with a deadline, until what they wait for is there
 * (cleaned files in the partition directory, the topic's content). While polling they keep
 * writing a `__tick` record, as a live topic would: segment.ms rolls the active segment on the
 * next append, which is how the tail of a compacted log becomes cleanable, and each new
 * segment older than max.compaction.lag.ms starts a round (a round after a tombstone's delete
 * horizon removes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { hasKcat, run } from '../helpers/external-tools.js';
import { removeDir, startBrokerProcess, stopAndRemove, temporaryDataDir, type BrokerProcess } from '../helpers/broker-process.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

const TOPIC = 'compacted';
const KEYS = 1000;
const UPDATES = 100_000;
const DELETED_KEYS = 100;
const TICK_KEY = '__tick';

const TOPIC_CONFIG = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.bytes', value: String(64 * 1024) },
  { name: 'segment.ms', value: '1000' },
  { name: 'delete.retention.ms', value: '2000' },
  { name: 'max.compaction.lag.ms', value: '2000' },
];

const BROKER_CONFIG = {
  'num.partitions': '1',
  'log.cleaner.backoff.ms': '200',
  'log.segment.delete.delay.ms': '500',
};

interface StoredRecord {
  offset: number;
  key: string;
  value: string | null;
}

function kafkaFor(broker: BrokerProcess): InstanceType<typeof Kafka> {
  return new Kafka({ clientId: 'compaction-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

/** Creates the topic and writes the updates and tombstones; returns the expected live keys. */
async function produceUpdates(broker: BrokerProcess): Promise<Map<string, string>> {
  const kafka = kafkaFor(broker);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: TOPIC_CONFIG }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const expected = new Map<string, string>();
  try {
    const perSend = 1000;
    for (let i = 0; i < UPDATES; i += perSend) {
      const messages = [];
      for (let j = i; j < i + perSend; j++) {
        const key = `key-${j % KEYS}`;
        const value = `value-${j}-${'x'.repeat(j % 17)}`;
        messages.push({ key, value });
        expected.set(key, value);
      }
      await producer.send({ topic: TOPIC, messages, acks: -1, compression: (i / perSend) % 2 === 0 ? CompressionTypes.None : CompressionTypes.GZIP });
    }
    const tombstones = [];
    for (let k = 0; k < DELETED_KEYS; k++) {
      tombstones.push({ key: `key-${k}`, value: null });
      expected.delete(`key-${k}`);
    }
    await producer.send({ topic: TOPIC, messages: tombstones, acks: -1 });
  } finally {
    await producer.disconnect();
  }
  return expected;
}

/** Everything in the topic, read from the beginning by kcat (librdkafka). */
async function readTopic(broker: BrokerProcess): Promise<StoredRecord[]> {
  const result = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o\t%k\t%s\n'], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  const records: StoredRecord[] = [];
  for (const line of result.stdout.toString('utf8').split('\n')) {
    if (line === '') continue;
    const [offset, key, value] = line.split('\t');
    records.push({ offset: Number(offset), key: key!, value: value === 'NULL' ? null : value! });
  }
  return records;
}

/** The checks every read must pass, cleaned or not: increasing offsets, and the latest values by replay. */
function assertConsistent(records: readonly StoredRecord[], expected: ReadonlyMap<string, string>): void {
  for (let i = 1; i < records.length; i++) {
    assert.ok(records[i]!.offset > records[i - 1]!.offset, `offsets strictly increase (${records[i - 1]!.offset} then ${records[i]!.offset})`);
  }
  const replayed = new Map<string, string>();
  for (const record of records) {
    if (record.key === TICK_KEY) continue;
    if (record.value === null) replayed.delete(record.key);
    else replayed.set(record.key, record.value);
  }
  assert.deepEqual(replayed, expected, 'replaying the topic gives the latest value of every live key');
}

/** Whether the topic is fully compacted: one record per live key with its latest value, nothing of a deleted key. */
function compactionProblem(records: readonly StoredRecord[], expected: ReadonlyMap<string, string>): string | null {
  const seen = new Map<string, number>();
  for (const record of records) {
    if (record.key === TICK_KEY) continue;
    if (!expected.has(record.key)) return `deleted key ${record.key} is still there (${record.value === null ? 'its tombstone' : 'a value'} at ${record.offset})`;
    seen.set(record.key, (seen.get(record.key) ?? 0) + 1);
    if (record.value !== expected.get(record.key)) return `key ${record.key} has an older value at offset ${record.offset}`;
  }
  for (const [key, count] of seen) if (count !== 1) return `key ${key} appears ${count} times`;
  if (seen.size !== expected.size) return `${expected.size - seen.size} live keys are missing`;
  return null;
}

/** Polls until the topic is fully compacted, writing a tick record between polls. */
async function awaitCompacted(broker: BrokerProcess, expected: ReadonlyMap<string, string>, deadlineMs = 120_000): Promise<StoredRecord[]> {
  const kafka = kafkaFor(broker);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const deadline = Date.now() + deadlineMs;
  let problem: string | null = 'not read yet';
  try {
    for (let tick = 0; ; tick++) {
      const records = await readTopic(broker);
      assertConsistent(records, expected);
      problem = compactionProblem(records, expected);
      if (problem === null) return records;
      if (Date.now() > deadline) break;
      await producer.send({ topic: TOPIC, messages: [{ key: TICK_KEY, value: `tick-${tick}` }], acks: -1 });
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  } finally {
    await producer.disconnect();
  }
  assert.fail(`the topic was not compacted within ${deadlineMs} ms: ${problem}\n${broker.log().split('\n').filter((line) => line.includes('log-cleaner')).slice(-20).join('\n')}`);
}

const partitionDir = (dataDir: string) => join(dataDir, `${TOPIC}-0`);
const cleanerFiles = (dataDir: string) => (existsSync(partitionDir(dataDir)) ? readdirSync(partitionDir(dataDir)).filter((name) => /\.(cleaned|swap)$/.test(name)) : []);

test('a compacted topic keeps exactly the latest value of each live key; tombstones go after delete.retention.ms', { skip: !hasKcat() && 'kcat missing', timeout: 300_000 }, async (t) => {
  const broker = await startBrokerProcess({ config: BROKER_CONFIG });
  try {
    const expected = await produceUpdates(broker);
    assert.equal(expected.size, KEYS - DELETED_KEYS);
    const records = await awaitCompacted(broker, expected);
    assert.equal(records.filter((record) => record.key !== TICK_KEY).length, expected.size);
    const rounds = broker.log().split('\n').filter((line) => /cleaned log compacted-0 \(dirty section = \[\d+, \d+\]\)/.test(line));
    assert.ok(rounds.length > 1, 'several cleaning rounds');
    t.diagnostic(`${rounds.length} cleaning rounds; the last: ${rounds[rounds.length - 1]!.replace(/^.*cleaned log/, 'cleaned log')}`);
    const segments = readdirSync(partitionDir(broker.dataDir)).filter((name) => name.endsWith('.log'));
    assert.ok(segments.length < 10, `the cleaned segments were merged (${segments.length} left)`);
    assert.ok(existsSync(join(broker.dataDir, 'cleaner-offset-checkpoint')));
  } finally {
    await stopAndRemove(broker);
  }
});

test('a broker killed while it cleans restarts with a consistent log and finishes the cleaning', { skip: !hasKcat() && 'kcat missing', timeout: 300_000 }, async (t) => {
  const dataDir = temporaryDataDir();
  try {
    // Written while the cleaner sleeps (a backoff of an hour after its first, empty, pass).
    const writer = await startBrokerProcess({ dataDir, config: { ...BROKER_CONFIG, 'log.cleaner.backoff.ms': '3600000' } });
    const expected = await produceUpdates(writer);
    await writer.stop();

    // Restarted with the cleaner throttled to 300 KB/s, so that it is caught in the middle.
    const throttled = await startBrokerProcess({ dataDir, config: { ...BROKER_CONFIG, 'log.cleaner.io.max.bytes.per.second': '300000' } });
    const deadline = Date.now() + 60_000;
    while (cleanerFiles(dataDir).length === 0) {
      assert.ok(Date.now() < deadline, `no cleaning started:\n${throttled.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await throttled.kill();
    const leftovers = cleanerFiles(dataDir);
    assert.ok(leftovers.length > 0, 'the broker died with cleaner files on disk');
    t.diagnostic(`killed with ${leftovers.join(', ')} in the partition directory`);

    const restarted = await startBrokerProcess({ dataDir, config: BROKER_CONFIG });
    try {
      assertConsistent(await readTopic(restarted), expected);
      await awaitCompacted(restarted, expected);
      assert.match(restarted.log(), /cleaned log compacted-0/);
    } finally {
      await restarted.stop();
    }
  } finally {
    removeDir(dataDir);
  }
});
