/**
 * Transactions with librdkafka 2.0.2 clients against a Tidelog broker process:
 * - confluent-kafka-python 1.7.0 (Debian's, /usr/bin/python3): a consume-transform-produce
 *   loop with init_transactions, send_offsets_to_transaction (TxnOffsetCommit v3 with the
 *   consumer's group metadata, KIP-447), commit_transaction and abort_transaction; a second
 *   consumer of the group (read_committed, so OffsetFetch with require_stable) resumes at the
 *   committed offset;
 * - kcat with `-X isolation.level=read_committed` reads only committed records and stops at the
 *   last stable offset; with read_uncommitted it reads the aborted ones too, never a marker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../src/client/admin.js';
import { hasConfluentKafkaPython, hasKcat, run, runPython } from '../helpers/external-tools.js';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';

let broker: BrokerProcess;
let admin: Admin;

before(async () => {
  broker = await startBrokerProcess();
  admin = await Admin.connect({ bootstrapServers: broker.bootstrap, clientId: 'txn-librdkafka-test' });
});

after(async () => {
  await admin?.close();
  await stopAndRemove(broker);
});

async function kcat(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const read = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-X', `isolation.level=${isolation}`, '-o', 'beginning', '-e', '-q', '-f', '%p %k %s\n'], { timeoutMs: 60_000 });
  assert.equal(read.code, 0, read.stderr);
  return read.stdout.toString().split('\n').filter((line) => line !== '');
}

const PIPELINE = String.raw`
import sys
from confluent_kafka import Producer, Consumer, KafkaException, TopicPartition
bootstrap, source, sink, group = sys.argv[1:5]

producer = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'python-eos', 'transaction.timeout.ms': 30000})
producer.init_transactions(30)
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
                     'enable.auto.commit': False, 'isolation.level': 'read_committed', 'session.timeout.ms': 10000})
consumer.subscribe([source])

def take(count):
    taken = []
    while len(taken) < count:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            raise KafkaException(message.error())
        taken.append(message)
    return taken

def transaction(count, commit):
    messages = take(count)
    producer.begin_transaction()
    for message in messages:
        producer.produce(sink, key=message.key(), value=b'copy of ' + message.value(), partition=message.partition())
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
    if commit:
        producer.commit_transaction(30)
    else:
        producer.flush(30)  # written, then aborted (abort_transaction alone would purge them unsent)
        producer.abort_transaction(30)

transaction(60, True)
transaction(25, False)
consumer.close()

# A new member of the group starts where the last committed transaction left it.
resumed = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
                    'enable.auto.commit': False, 'isolation.level': 'read_committed'})
committed = resumed.committed([TopicPartition(source, 0)], 30)
print('committed', committed[0].offset)
resumed.close()
`;

test('confluent-kafka-python: send_offsets_to_transaction commits output and offsets together; an abort leaves neither', { skip: !hasConfluentKafkaPython() && 'python3-confluent-kafka missing' }, async () => {
  await admin.createTopics([
    { name: 'py-source', numPartitions: 1 },
    { name: 'py-sink', numPartitions: 1 },
  ]);
  const produced = await runPython(
    String.raw`
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1]})
for i in range(100):
    p.produce('py-source', key=b'k%d' % i, value=b'v%d' % i)
p.flush(30)
`,
    [broker.bootstrap],
  );
  assert.equal(produced.code, 0, produced.stderr);

  const result = await runPython(PIPELINE, [broker.bootstrap, 'py-source', 'py-sink', 'py-group']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout.toString(), /^committed 60$/m);
  const [offset] = await admin.fetchCommittedOffsets('py-group', [{ topic: 'py-source', partition: 0 }]);
  assert.equal(offset!.offset, 60);

  if (hasKcat()) {
    const committed = await kcat('py-sink', 'read_committed');
    assert.deepEqual(committed, Array.from({ length: 60 }, (_, i) => `0 k${i} copy of v${i}`));
    const all = await kcat('py-sink', 'read_uncommitted');
    assert.equal(all.length, 85, 'the 25 aborted copies are in the log, no marker is read');
  }
  const [description] = await admin.describeTransactions(['python-eos']);
  assert.equal(description!.state, 'CompleteAbort');
});

test('kcat read_committed stops at an open transaction and skips aborted ones', { skip: !hasKcat() && 'kcat missing' }, async () => {
  await admin.createTopics([{ name: 'kcat-txn', numPartitions: 1 }]);
  // kcat has no transactions: kafkajs writes, kcat reads.
  const { default: kafkajs } = await import('kafkajs');
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: 'kcat-writer', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  try {
    const send = async (values: string[], end: 'commit' | 'abort' | 'open') => {
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'kcat-txn', messages: values.map((value) => ({ key: 'k', value })) });
      if (end === 'commit') await transaction.commit();
      if (end === 'abort') await transaction.abort();
      return transaction;
    };
    await send(['a1', 'a2'], 'commit');
    await send(['b1'], 'abort');
    await send(['c1', 'c2'], 'commit');
    const open = await send(['d1'], 'open');
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'kcat-txn', messages: [{ key: 'k', value: 'after-open' }] });
    await plain.disconnect();

    assert.deepEqual(await kcat('kcat-txn', 'read_committed'), ['0 k a1', '0 k a2', '0 k c1', '0 k c2'], 'stops before the open transaction');
    assert.deepEqual(await kcat('kcat-txn', 'read_uncommitted'), ['0 k a1', '0 k a2', '0 k b1', '0 k c1', '0 k c2', '0 k d1', '0 k after-open']);
    await open.commit();
    assert.deepEqual(await kcat('kcat-txn', 'read_committed'), ['0 k a1', '0 k a2', '0 k c1', '0 k c2', '0 k d1', '0 k after-open']);
  } finally {
    await producer.disconnect();
  }
});
