/**
 * The NATS JetStream driver for the Node-client workloads, on the `nats` package (nats.js, the
 * NATS maintainers' client). A log of P partitions is P file-backed streams of one subject each:
 * a stream, like a partition, is an ordered log with its own sequence. NATS has no batch
 * publish, so append() publishes each value with a reply subject and counts the PubAcks that
 * come back on one subscription: JetStream's asynchronous publish, as its own benchmark tool
 * does it. (The client's js.publish() makes a promise and a timer per message, which with
 * thousands in flight costs the client more than the server's whole share of the work.) read()
 * uses one ordered consumer per stream (ephemeral, no acks: like a group-less Kafka read)
 * pulling up to 1 MiB ahead, the per-partition amount the Kafka driver fetches.
 */
import { connect, createInbox, StorageType, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { Driver } from './driver.js';

const PULL_MAX_BYTES = 1024 * 1024;
/** Generous: under a full window of publishes the last PubAck can take a while on two shared cores. */
const ACK_TIMEOUT_MS = 60_000;
/** JetStream answers a publish it refused with a JSON error instead of {"stream":…,"seq":…}. */
const ERROR_MARK = Buffer.from('"error"');

const streamName = (name: string, partition: number): string => `${name}_${partition}`;
const subject = (name: string, partition: number): string => `${name}.${partition}`;

interface Pending {
  left: number;
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (error: Error) => void;
}

export async function openNats(address: string): Promise<Driver> {
  const connection: NatsConnection = await connect({ servers: address, name: 'tidelog-bench' });
  const manager: JetStreamManager = await connection.jetstreamManager();
  const client: JetStreamClient = connection.jetstream();
  // Every append() gets its own reply subject under one inbox; one subscription counts the acks.
  const acks = createInbox();
  const pending = new Map<string, Pending>();
  let appends = 0;
  connection.subscribe(`${acks}.*`, {
    callback: (error, message) => {
      const id = message?.subject.slice(acks.length + 1) ?? '';
      const batch = pending.get(id);
      if (!batch) return;
      const data = message?.data;
      if (error || !data || Buffer.from(data.buffer, data.byteOffset, data.byteLength).includes(ERROR_MARK)) {
        pending.delete(id);
        clearTimeout(batch.timer);
        batch.reject(error ?? new Error(`JetStream refused a publish: ${data ? Buffer.from(data).toString() : 'empty reply'}`));
      } else if (--batch.left === 0) {
        pending.delete(id);
        clearTimeout(batch.timer);
        batch.resolve();
      }
    },
  });

  return {
    async create(name, partitions) {
      for (let p = 0; p < partitions; p++) {
        await manager.streams.add({ name: streamName(name, p), subjects: [subject(name, p)], storage: StorageType.File, num_replicas: 1 });
      }
    },

    append(name, partition, values) {
      const id = String(appends++);
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const left = pending.get(id)?.left;
          pending.delete(id);
          reject(new Error(`no PubAck for ${left} of ${values.length} publishes within ${ACK_TIMEOUT_MS / 1000} s`));
        }, ACK_TIMEOUT_MS);
        pending.set(id, { left: values.length, timer, resolve, reject });
      });
      const to = subject(name, partition);
      const reply = `${acks}.${id}`;
      for (const value of values) connection.publish(to, value, { reply });
      return done;
    },

    async read(name, counts, onValue, onReady) {
      const streams = await Promise.all(
        counts.map(async (count, p) => {
          const consumer = await client.consumers.get(streamName(name, p));
          return { count, messages: count > 0 ? await consumer.consume({ max_bytes: PULL_MAX_BYTES }) : undefined };
        }),
      );
      onReady?.();
      await Promise.all(
        streams.map(async ({ count, messages }) => {
          if (!messages) return;
          let left = count;
          for await (const message of messages) {
            const data = message.data;
            onValue(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
            if (--left === 0) break;
          }
          await messages.close();
        }),
      );
    },

    async close() {
      await connection.drain();
    },
  };
}
