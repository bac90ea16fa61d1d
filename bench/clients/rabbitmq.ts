/**
 * The RabbitMQ streams driver for the Node-client workloads, on amqplib (AMQP 0-9-1). A log of P
 * partitions is P streams: queues declared with x-queue-type stream, each an ordered log with its
 * own offsets, like a partition. Each partition gets channels of its own, one to publish on and
 * one to consume on, since a channel is one process in the broker: through a single channel, six
 * partitions of 1 KiB records appended about a quarter and read about a third slower here, one
 * process doing what Kafka's partitions do side by side. AMQP has no batch publish, so append()
 * publishes each value to its stream (through the default exchange) on its partition's confirm
 * channel and resolves once the broker has confirmed every one: RabbitMQ's acks=1. read()
 * consumes every stream from its first offset (x-stream-offset first), each consumer with a
 * prefetch of PREFETCH messages; a stream consumer's acks remove nothing, they only return that
 * credit, so they go out in bulk (one ack of every delivery so far) once per ACK_EVERY
 * deliveries.
 * RabbitMQ's own stream-protocol client for Node (rabbitmq-stream-js-client) is not used: it
 * opens every connection with a command that 3.10's stream plugin does not know (the exchange of
 * command versions, added in 3.11), and the server closes the connection.
 */
import { connect, type Channel, type ChannelModel, type Message } from 'amqplib';
import type { Driver } from './driver.js';

/** About 1 MiB of 1 KiB records per stream, the per-partition amount the Kafka driver fetches. */
const PREFETCH = 1000;
/** Below PREFETCH, so that a consumer never waits for credit that an unsent ack holds back. */
const ACK_EVERY = PREFETCH / 2;

const streamName = (name: string, partition: number): string => `${name}_${partition}`;

/** Publishes values to a stream; resolves once the broker has confirmed every one. */
type Publish = (stream: string, values: readonly Buffer[]) => Promise<void>;

export async function openRabbitmq(address: string): Promise<Driver> {
  // guest may log in only over loopback, which is where the benchmark's broker listens.
  const connection = await connect(`amqp://guest:guest@${address}`);
  const admin = await connection.createChannel();
  // Each partition's confirm channel, opened by its first append.
  const publishers = new Map<number, Promise<Publish>>();

  return {
    async create(name, partitions) {
      for (let p = 0; p < partitions; p++) {
        const stream = streamName(name, p);
        await admin.deleteQueue(stream);
        await admin.assertQueue(stream, { durable: true, arguments: { 'x-queue-type': 'stream' } });
      }
    },

    async append(name, partition, values) {
      let publisher = publishers.get(partition);
      if (!publisher) publishers.set(partition, (publisher = openPublisher(connection)));
      await (await publisher)(streamName(name, partition), values);
    },

    async read(name, counts, onValue, onReady) {
      const streams = counts.flatMap((count, p) => (count > 0 ? [{ stream: streamName(name, p), count }] : []));
      const channels = await Promise.all(streams.map(() => connection.createChannel()));
      try {
        const reads = await Promise.all(streams.map(({ stream, count }, i) => consume(channels[i]!, stream, count, onValue)));
        onReady?.();
        await Promise.all(reads.map((read) => read.done));
      } finally {
        // Closing a channel cancels its consumer; a stream has nothing to give back.
        await Promise.all(channels.map((channel) => channel.close().catch(() => undefined)));
      }
    },

    async close() {
      await connection.close();
    },
  };
}

async function openPublisher(connection: ChannelModel): Promise<Publish> {
  const channel = await connection.createConfirmChannel();
  // A channel the broker closed fails its pending confirms with "channel closed"; this says why.
  let closedBy: Error | undefined;
  channel.on('error', (error: Error) => (closedBy = error));
  // The broker confirms a publish to a stream that does not exist all the same, dropping it; a
  // mandatory one comes back first (basic.return), which fails its append.
  const returned = new Set<string>();
  channel.on('return', (message: Message) => returned.add(message.fields.routingKey));
  return (stream, values) =>
    new Promise<void>((resolve, reject) => {
      let left = values.length;
      const confirmed = (error: unknown): void => {
        if (error) reject(closedBy ?? error);
        else if (returned.has(stream)) reject(new Error(`no stream ${stream}: the broker returned the publish`));
        else if (--left === 0) resolve();
      };
      // The return value says amqplib's socket buffer is full; the workload's window of
      // unconfirmed appends is what bounds it.
      for (const value of values) channel.sendToQueue(stream, value, { mandatory: true }, confirmed);
    });
}

/**
 * Consumes `stream` from its first offset on `channel` until `count` records came, each to
 * `onValue`. Resolves once the broker has registered the consumer, with the read's end.
 */
async function consume(channel: Channel, stream: string, count: number, onValue: (value: Buffer) => void): Promise<{ done: Promise<void> }> {
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
  // A consumer the broker refuses fails the read before this is awaited, and this then never is.
  done.catch(() => undefined);
  channel.on('error', finish);
  await channel.prefetch(PREFETCH);
  let left = count;
  let unacked = 0;
  await channel.consume(
    stream,
    (message) => {
      if (!message) return finish(new Error(`the broker cancelled the consumer of ${stream}`));
      // Past its count a stream may still deliver what was in flight; that is not counted.
      if (left > 0) {
        onValue(message.content);
        if (--left === 0) finish();
      }
      if (++unacked === ACK_EVERY) {
        channel.ack(message, true);
        unacked = 0;
      }
    },
    { noAck: false, arguments: { 'x-stream-offset': 'first' } },
  );
  return { done };
}
