/**
 * confluent-kafka-python (Debian's python3-confluent-kafka on librdkafka 2.0.2): produce with
 * delivery reports — binary keys and values, headers, explicit timestamps, every codec —
 * then a consumer with assign() (no group) reads everything back byte-exact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hasConfluentKafkaPython, PYTHON_READ_TO_END, runPython } from '../helpers/external-tools.js';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';

const skip = !hasConfluentKafkaPython() && 'python3-confluent-kafka is not installed';
let broker: BrokerProcess;

before(async () => {
  if (skip) return;
  broker = await startBrokerProcess({ config: { 'num.partitions': '3' } });
});

after(async () => {
  if (skip) return;
  await stopAndRemove(broker);
});

const SCRIPT = String.raw`
import base64, json, random, sys
from confluent_kafka import Producer
${PYTHON_READ_TO_END}

bootstrap, topic, codec, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(7)
sent = []
delivered = []
errors = []

def report(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        delivered.append((msg.partition(), msg.offset(), msg.key()))

producer = Producer({'bootstrap.servers': bootstrap, 'compression.type': codec, 'linger.ms': 5, 'acks': 'all'})
base_ts = 1_700_000_000_000
for i in range(count):
    key = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16))) if i % 10 else None
    value = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))) if i % 13 else None
    # No None header values: python3-confluent-kafka 1.7.0 crashes after consuming one (FINDINGS.md).
    headers = [('h1', b'\x00\x01binary'), ('h2', b''), ('h1', str(i).encode())] if i % 3 == 0 else None
    ts = base_ts + i * 1000
    partition = i % 3
    producer.produce(topic, key=key, value=value, headers=headers, timestamp=ts, partition=partition, on_delivery=report)
    sent.append({'partition': partition, 'key': key, 'value': value, 'headers': headers, 'ts': ts})
    producer.poll(0)
producer.flush(30)

received = read_to_end(bootstrap, topic, 3, lambda msg: {'partition': msg.partition(), 'offset': msg.offset(), 'key': msg.key(), 'value': msg.value(),
                                                       'headers': msg.headers(), 'ts': msg.timestamp()[1], 'ts_type': msg.timestamp()[0]})

def enc(b):
    return None if b is None else base64.b64encode(b).decode()

def enc_headers(h):
    return None if not h else [[k, enc(v)] for k, v in h]

print(json.dumps({
    'errors': errors,
    'delivered': [[p, o] for p, o, _ in delivered],
    'sent': [{'partition': s['partition'], 'key': enc(s['key']), 'value': enc(s['value']), 'headers': enc_headers(s['headers']), 'ts': s['ts']} for s in sent],
    'received': [{'partition': r['partition'], 'offset': r['offset'], 'key': enc(r['key']), 'value': enc(r['value']),
                  'headers': enc_headers(r['headers']), 'ts': r['ts'], 'ts_type': r['ts_type']} for r in received],
}))
`;

interface Sent {
  partition: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][] | null;
  ts: number;
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`confluent-kafka-python produces (${codec}) with delivery reports and reads back with assign()`, { skip }, async () => {
    const topic = `python-${codec}`;
    const result = await runPython(SCRIPT, [broker.bootstrap, topic, codec, '500']);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout.toString()) as {
      errors: string[];
      delivered: [number, number][];
      sent: Sent[];
      received: (Sent & { offset: number; ts_type: number })[];
    };
    assert.deepEqual(output.errors, []);
    assert.equal(output.delivered.length, 500);
    // Delivery reports carry dense offsets per partition.
    for (let partition = 0; partition < 3; partition++) {
      const offsets = output.delivered.filter(([p]) => p === partition).map(([, offset]) => offset).sort((a, b) => a - b);
      assert.deepEqual(offsets, offsets.map((_, index) => index));
    }
    assert.equal(output.received.length, 500);
    for (let partition = 0; partition < 3; partition++) {
      const sent = output.sent.filter((message) => message.partition === partition);
      const received = output.received.filter((message) => message.partition === partition);
      assert.equal(received.length, sent.length);
      received.forEach((message, index) => {
        assert.equal(message.offset, index);
        assert.equal(message.key, sent[index]!.key);
        assert.equal(message.value, sent[index]!.value);
        assert.deepEqual(message.headers, sent[index]!.headers);
        assert.equal(message.ts, sent[index]!.ts);
        assert.equal(message.ts_type, 1, 'CreateTime');
      });
    }
  });
}
