/**
 * librdkafka 2.0.2 clients against the partition side of idempotence and transactions:
 * confluent-kafka-python with enable.idempotence=True (up to 5 requests in flight, so the
 * broker's checks see pipelined batches) delivers everything exactly once, also when a proxy
 * loses one produce response and librdkafka retries the batches in flight; kcat with
 * isolation.level=read_committed skips aborted transactions and ends at the last stable offset.
 * Transactions are written by hand (transactional batches over the wire, markers through
 * Partition.appendTxnMarker).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hasConfluentKafkaPython, hasKcat, PYTHON_READ_TO_END, run, runPython } from '../helpers/external-tools.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { RawClient, RawProducers } from '../helpers/raw-client.js';
import { DroppingProxy } from '../helpers/tcp-proxy.js';

const noPython = !hasConfluentKafkaPython() && 'python3-confluent-kafka is not installed';
const noKcat = !hasKcat() && 'kcat is not installed';

let proxy: DroppingProxy;
let server: InProcessBroker;
let bootstrap: string;

before(async () => {
  proxy = await DroppingProxy.start();
  server = await startInProcessBroker({ 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'num.partitions': '3' });
  proxy.setTarget(server.port);
  bootstrap = `127.0.0.1:${proxy.port}`;
});

after(async () => {
  await server?.stop();
  await proxy?.stop();
});

const IDEMPOTENT_SCRIPT = String.raw`
import json, sys
from confluent_kafka import Producer
${PYTHON_READ_TO_END}

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
delivered, errors = [], []

def report(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        delivered.append([msg.partition(), msg.offset(), msg.value().decode()])

producer = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'linger.ms': 2, 'batch.num.messages': 50,
                     'max.in.flight.requests.per.connection': 5, 'message.timeout.ms': 60000})
for i in range(count):
    producer.produce(topic, value=('m-%d' % i).encode(), partition=i % 3, on_delivery=report)
    producer.poll(0)
producer.flush(60)

received = read_to_end(bootstrap, topic, 3, lambda msg: [msg.partition(), msg.offset(), msg.value().decode()])
print(json.dumps({'errors': errors, 'delivered': delivered, 'received': received}))
`;

interface IdempotentRun {
  errors: string[];
  delivered: [number, number, string][];
  received: [number, number, string][];
}

function assertExactlyOnce(output: IdempotentRun, count: number): void {
  assert.deepEqual(output.errors, []);
  assert.equal(output.delivered.length, count);
  assert.equal(output.received.length, count, 'every message is in the log once');
  assert.deepEqual(new Set(output.received.map(([, , value]) => value)).size, count);
  for (let partition = 0; partition < 3; partition++) {
    const received = output.received.filter(([p]) => p === partition);
    received.forEach(([, offset], index) => assert.equal(offset, index));
    // In order: the sequence numbers kept the producer's order.
    const numbers = received.map(([, , value]) => Number(value.slice(2)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    // Each delivery report names where the message really is.
    const where = new Map(received.map(([, offset, value]) => [value, offset]));
    for (const [p, offset, value] of output.delivered) if (p === partition) assert.equal(where.get(value), offset, value);
  }
}

test('confluent-kafka-python enable.idempotence=True delivers everything exactly once', { skip: noPython }, async () => {
  const result = await runPython(IDEMPOTENT_SCRIPT, [bootstrap, 'python-idempotent', '3000']);
  assert.equal(result.code, 0, result.stderr);
  assertExactlyOnce(JSON.parse(result.stdout.toString()) as IdempotentRun, 3000);
});

test('confluent-kafka-python retries the batches of a lost produce response; none is written twice', { skip: noPython }, async () => {
  const dropped = proxy.dropNextResponse(0);
  const result = await runPython(IDEMPOTENT_SCRIPT, [bootstrap, 'python-idempotent-lost', '3000']);
  assert.equal(result.code, 0, result.stderr);
  await dropped;
  assert.ok(proxy.dropped >= 1);
  assertExactlyOnce(JSON.parse(result.stdout.toString()) as IdempotentRun, 3000);
});

test('kcat read_committed skips aborted transactions and ends at the last stable offset', { skip: noKcat }, async () => {
  const topic = 'kcat-read-committed';
  const raw = await RawClient.connect(server.port);
  try {
    await server.broker.controller.createTopic({ name: topic, numPartitions: 1, replicationFactor: 1 });
    const partition = server.broker.replicaManager.getPartition(topic, 0)!;
    const producers = new RawProducers(raw, topic);
    const [plain, aborted, committed, open] = [await producers.create(), await producers.create(), await producers.create(), await producers.create()];
    await producers.write(plain, ['p1'], false);
    await producers.write(aborted, ['a1', 'a2'], true);
    await producers.write(committed, ['c1'], true);
    await producers.write(aborted, ['a3'], true);
    await partition.appendTxnMarker({ producerId: aborted, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await partition.appendTxnMarker({ producerId: committed, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    await producers.write(plain, ['p2'], false);
    await producers.write(open, ['o1'], true);
    await producers.write(plain, ['p3'], false);

    const read = async (isolation: string) => {
      const result = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\n']);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.toString().split('\n').filter(Boolean);
    };
    assert.deepEqual(await read('read_committed'), ['p1', 'c1', 'p2'], 'up to the open transaction');
    assert.deepEqual(await read('read_uncommitted'), ['p1', 'a1', 'a2', 'c1', 'a3', 'p2', 'o1', 'p3']);
    await partition.appendTxnMarker({ producerId: open, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    assert.deepEqual(await read('read_committed'), ['p1', 'c1', 'p2', 'p3']);
  } finally {
    raw.close();
  }
});
