/**
 * The Kafka driver for the Node-client workloads, on @platformatic/kafka: the Node client the
 * peers' drivers are compared with, so that every system is driven from the same runtime.
 * Producing is one Produce request per append() (acks=1, no compression). Reading uses no
 * consumer group (the peers' reads use none either): Fetch requests from the beginning of every
 * partition, one in flight per leader at a time, with the Java consumer's default sizes
 * (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB) and waits (fetch.max.wait.ms 500,
 * fetch.min.bytes 1), which also answer as soon as any record arrives.
 */
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import type { Driver } from './driver.js';

const FETCH_MAX_BYTES = 50 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
const FETCH_MAX_WAIT_MS = 500;
const METADATA_TIMEOUT_MS = 30_000;

export function openKafka(address: string): Driver {
  const base = { clientId: 'tidelog-bench', bootstrapBrokers: [address] };
  const admin = new Admin(base);
  const producer = new Producer({ ...base, acks: 1 });
  // A group id is required by the constructor; no group is ever joined.
  const consumer = new Consumer({ ...base, groupId: 'tidelog-bench-unused' });

  /** Topic id and partition leaders, once every partition has a leader. */
  async function topicLayout(topic: string, partitions: number): Promise<{ id: string; leaders: number[] }> {
    const deadline = Date.now() + METADATA_TIMEOUT_MS;
    for (;;) {
      const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const entry = metadata?.topics.get(topic);
      if (entry && entry.partitionsCount === partitions && entry.partitions.every((p) => p.leader >= 0)) {
        return { id: entry.id, leaders: entry.partitions.map((p) => p.leader) };
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic}: no leader for all ${partitions} partitions after ${METADATA_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return {
    async create(topic, partitions) {
      await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      await topicLayout(topic, partitions);
      // The producer caches metadata; it must see every partition before the first append.
      await producer.metadata({ topics: [topic], forceUpdate: true });
    },

    async append(topic, partition, values) {
      await producer.send({ messages: values.map((value) => ({ topic, partition, value })) });
    },

    async read(topic, counts, onValue, onReady) {
      const { id, leaders } = await topicLayout(topic, counts.length);
      const offsets = counts.map(() => 0n);
      const left = [...counts];
      const nodes = [...new Set(leaders)];
      const readFrom = async (node: number): Promise<void> => {
        const mine = leaders.flatMap((leader, partition) => (leader === node ? [partition] : []));
        for (;;) {
          const wanted = mine.filter((partition) => left[partition]! > 0);
          if (wanted.length === 0) return;
          const request = consumer.fetch({
            node,
            maxWaitTime: FETCH_MAX_WAIT_MS,
            minBytes: 1,
            maxBytes: FETCH_MAX_BYTES,
            topics: [
              {
                topicId: id,
                partitions: wanted.map((partition) => ({
                  partition,
                  fetchOffset: offsets[partition]!,
                  partitionMaxBytes: PARTITION_MAX_BYTES,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                })),
              },
            ],
          });
          onReady?.();
          onReady = undefined;
          const response = await request;
          if (response.errorCode !== 0) throw new Error(`fetch ${topic}: error code ${response.errorCode}`);
          for (const answer of response.responses[0]?.partitions ?? []) {
            const partition = answer.partitionIndex;
            if (answer.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}: error code ${answer.errorCode}`);
            for (const batch of answer.records ?? []) {
              for (const record of batch.records) {
                // A batch may start before the offset asked for; those records were read already.
                if (batch.firstOffset + BigInt(record.offsetDelta) < offsets[partition]! || left[partition]! <= 0) continue;
                onValue(record.value!);
                left[partition] = left[partition]! - 1;
              }
              offsets[partition] = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
            }
          }
        }
      };
      await Promise.all(nodes.map(readFrom));
    },

    async close() {
      await Promise.all([producer.close(), consumer.close(), admin.close()]);
    },
  };
}
