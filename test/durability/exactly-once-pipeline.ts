/**
 * Support for exactly-once.test.ts: one instance of a consume-transform-produce pipeline in its
 * own process, so the test can SIGKILL it at any point.
 *
 * `node exactly-once-pipeline.js <bootstrap> <input> <output> <group> <transactionalId>`
 *
 * A kafkajs consumer (read_committed, no auto-commit) reads <input>; each batch is copied to
 * <output> by a transactional producer in one transaction that also commits the consumer's
 * next offsets (sendOffsets), so a batch's output and its offsets are committed together or
 * not at all. It prints, synchronously (stdout to a pipe), one line per step:
 *   sent <partition> <count>        records of a batch are in the open transaction
 *   committed <partition> <offset>  the transaction with that next offset committed
 */
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const [bootstrap, input, output, groupId, transactionalId] = process.argv.slice(2) as [string, string, string, string, string];

const kafka = new Kafka({ clientId: 'eos-pipeline', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 30_000 });
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: 6_000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 1_000,
  // Small fetches: many transactions, so kills land inside them.
  maxBytesPerPartition: 4_096,
  readUncommitted: false,
});

const print = (line: string) => process.stdout.write(`${line}\n`);

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic: output, messages: batch.messages.map((message) => ({ key: message.key, value: message.value })) });
      print(`sent ${batch.partition} ${batch.messages.length}`);
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      await transaction.commit();
      print(`committed ${batch.partition} ${next}`);
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    for (const message of batch.messages) resolveOffset(message.offset);
    await heartbeat();
  },
});
