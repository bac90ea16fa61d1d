/**
 * @platformatic/kafka (1.35, the release line that runs on Node 20): its producer sends keyed
 * records with headers (it picks the highest Produce version we advertise), then its consumer's
 * group-less fetch (Fetch v17, topics by id) and listOffsets read them back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess();
});

after(async () => {
  await stopAndRemove(broker);
});

test('platformatic producer, then consumer fetch and listOffsets round trip', async () => {
  const bootstrapBrokers = [broker.bootstrap];
  const admin = new Admin({ clientId: 'tidelog-admin', bootstrapBrokers });
  const producer = new Producer({ clientId: 'tidelog-producer', bootstrapBrokers, serializers: stringSerializers });
  const consumer = new Consumer({ clientId: 'tidelog-consumer', groupId: 'unused', bootstrapBrokers });
  try {
    await admin.createTopics({ topics: ['platformatic'], partitions: 2, replicas: 1 });
    const messages = Array.from({ length: 50 }, (_, i) => ({
      topic: 'platformatic',
      key: `key-${i}`,
      value: `value-${i}`,
      partition: i % 2,
      headers: new Map([['index', String(i)]]),
    }));
    const sent = await producer.send({ messages, acks: -1 });
    assert.ok(sent.offsets && sent.offsets.length > 0);

    const offsets = await consumer.listOffsets({ topics: ['platformatic'] });
    assert.deepEqual([...offsets.get('platformatic')!], [25n, 25n]);
    const earliest = await consumer.listOffsets({ topics: ['platformatic'], timestamp: -2n });
    assert.deepEqual([...earliest.get('platformatic')!], [0n, 0n]);

    const metadata = await consumer.metadata({ topics: ['platformatic'] });
    const topicId = metadata.topics.get('platformatic')!.id;
    const response = await consumer.fetch({
      node: 1,
      topics: [
        {
          topicId,
          partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 })),
        },
      ],
    });
    assert.equal(response.errorCode, 0);
    const partitions = response.responses[0]!.partitions;
    for (const partition of partitions) {
      assert.equal(partition.errorCode, 0);
      assert.equal(partition.highWatermark, 25n);
      const records = (partition.records ?? []).flatMap((batch) =>
        batch.records.map((record) => ({ offset: batch.firstOffset + BigInt(record.offsetDelta), key: record.key?.toString(), value: record.value?.toString() })),
      );
      assert.equal(records.length, 25);
      records.forEach((record, index) => {
        const i = index * 2 + partition.partitionIndex;
        assert.equal(record.offset, BigInt(index));
        assert.equal(record.key, `key-${i}`);
        assert.equal(record.value, `value-${i}`);
      });
    }
  } finally {
    await producer.close();
    await consumer.close();
    await admin.close();
  }
});
