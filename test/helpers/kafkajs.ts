/** Things tests do with kafkajs clients. */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';

/**
 * Connects `consumer`, subscribes it to `topic` from the beginning and runs it without auto
 * commit: it reads `limits[p]` records of each partition p, commits offset limits[p] once it
 * has read them all, and pauses the partition at its limit. Resolves once running, to the
 * records read so far per partition (a live count).
 */
export async function consumeAndCommitUpTo(consumer: Consumer, topic: string, limits: readonly number[]): Promise<number[]> {
  const consumed = limits.map(() => 0);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (Number(message.offset) >= limits[partition]!) {
        consumer.pause([{ topic, partitions: [partition] }]);
        return;
      }
      if (++consumed[partition]! === limits[partition]) await consumer.commitOffsets([{ topic, partition, offset: String(limits[partition]) }]);
    },
  });
  return consumed;
}

/** A connected admin and a connected producer (no topic auto-creation) of `kafka`. */
export async function connectAdminAndProducer(kafka: Kafka): Promise<{ admin: Admin; producer: Producer }> {
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return { admin, producer };
}
